"""The blue/green release step of a deploy: a CodeDeploy deployment moves a service to a new task definition.

Example::

    from ops import release
    codedeploy = context.client_factory(env)("codedeploy")
    deployment_id = release.start_release(
        codedeploy, application="flask-app-prod", deployment_group="flask-app-prod",
        task_definition_arn="arn:aws:ecs:us-east-1:123456789012:task-definition/flask-app-prod-web:8",
        container_name="app", container_port=3000, description="deploy image abc1234", log=sys.stdout)
    result = release.wait_for_release(codedeploy, deployment_id, timeout=900, log=sys.stdout)
    if not result.ok:
        print(result.reason); print("\\n".join(result.details))   # then the service's troubleshooting data

A service with ``deployment_controller = "CODE_DEPLOY"`` (:mod:`modules.blue_green`) has Terraform
ignore its task definition: the apply registers a new revision and this step releases it.

* :func:`start_release` creates a deployment of the service's deployment group (named after the
  service) whose AppSpec (:func:`rules.releases.appspec`, as YAML) names the new revision, and
  prints ``   release <id>: started ...``. CodeDeploy runs one deployment per group at a time: when
  one is already in progress (``DeploymentLimitExceededException``) it raises
  :class:`ReleaseError` naming the service, the running deployment and how to stop it.
* :func:`wait_for_release` polls ``GetDeployment`` and the deployment's ECS target (its lifecycle
  events and the traffic weight of the blue and green task sets) and prints
  ``   release <id>: <status>: <event> <status>, ... traffic green 10% / blue 90%`` whenever that
  changes, until the deployment is Succeeded, Failed or Stopped or ``timeout`` passes. A
  deployment succeeds only after the blue task set is terminated, which the deployment group
  delays by its termination wait: ``timeout`` must cover it. On failure the result holds
  CodeDeploy's ``errorInformation`` and each failed lifecycle event with its diagnostics; on a
  timeout, the command that stops the deployment, which keeps running on AWS.
* :func:`stop_release` stops a deployment and rolls the service back (an operator's abort).

Field names and values are those of botocore's ``codedeploy`` model (shapes ``DeploymentInfo``,
``ECSTarget``, ``LifecycleEvent``, ``ECSTaskSet``); ``tests/ops/test_release.py`` checks them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from ops.context import OpsError
from rules.releases import appspec, appspec_text

DEFAULT_POLL_SECONDS = 10.0

#: ``DeploymentInfo.status`` values that end a deployment.
SUCCEEDED = "Succeeded"
FAILED = "Failed"
STOPPED = "Stopped"
FINAL_STATUSES = (SUCCEEDED, FAILED, STOPPED)
#: Statuses of a deployment that has no target yet (``ListDeploymentTargets`` answers DeploymentNotStarted).
NOT_STARTED_STATUSES = ("Created", "Queued")

#: ``LifecycleEvent.status`` values: not shown while pending; a failed event is reported.
EVENT_PENDING = "Pending"
EVENT_FAILED = "Failed"

#: ``ECSTaskSet.taskSetLabel`` values, in the order the progress line shows them.
TASK_SET_LABELS = ("Green", "Blue")

#: CreateDeployment's answer when the group already has a deployment in progress.
IN_PROGRESS_ERROR = "DeploymentLimitExceededException"
_DEPLOYMENT_ID = re.compile(r"\bd-[A-Z0-9]+\b")


class ReleaseError(OpsError):
    """A release could not be started or stopped; the message names the service and what to do."""


@dataclass(frozen=True)
class FailedEvent:
    """A lifecycle event of the ECS target that failed, with CodeDeploy's diagnostics."""

    name: str
    error_code: str | None = None
    message: str | None = None
    log_tail: str | None = None

    def describe(self) -> str:
        parts = [part for part in (self.error_code, self.message) if part]
        return "lifecycle event %s Failed%s" % (self.name, ": " + ": ".join(parts) if parts else "")


@dataclass
class ReleaseResult:
    """The outcome of :func:`wait_for_release`.

    ``status`` is the deployment's last ``DeploymentInfo.status``; ``reason`` one line for
    ``<command>: FAILED at step n: <workload>: <reason>``; ``details`` the lines to print under it
    (CodeDeploy's error, the failed lifecycle events and their log tails, or how to stop the
    deployment after a timeout).
    """

    ok: bool
    deployment_id: str
    status: str
    reason: str
    error_code: str | None = None
    error_message: str | None = None
    failed_events: list[FailedEvent] = field(default_factory=list)
    timed_out: bool = False
    details: list[str] = field(default_factory=list)


def stop_command(codedeploy: Any, deployment_id: str) -> str:
    """The AWS CLI command that stops ``deployment_id`` and rolls the service back."""
    region = getattr(getattr(codedeploy, "meta", None), "region_name", None)
    return "aws deploy stop-deployment --deployment-id %s --auto-rollback-enabled%s" % (
        deployment_id, " --region %s" % region if region else "")  # fmt: skip


def _revision(task_definition_arn: str) -> str:
    """``family:revision`` of a task definition ARN."""
    return task_definition_arn.rsplit("/", 1)[-1]


def _error(exc: Exception) -> tuple[str, str]:
    """(code, message) of a botocore ClientError."""
    error = getattr(exc, "response", {}).get("Error", {})
    return str(error.get("Code", "")), str(error.get("Message", exc))


# --------------------------------------------------------------------------------------------
# Start.
# --------------------------------------------------------------------------------------------


def start_release(
    codedeploy: Any,
    *,
    application: str,
    deployment_group: str,
    task_definition_arn: str,
    container_name: str,
    container_port: int,
    description: str,
    log: TextIO,
    platform_version: str | None = None,
    hooks: Mapping[str, str] | None = None,
) -> str:
    """Start a CodeDeploy deployment of ``deployment_group`` to ``task_definition_arn``; its id.

    The AppSpec is :func:`rules.releases.appspec` of the given values as YAML. Raises
    :class:`ReleaseError` when a value is no valid AppSpec, when a deployment of the group is
    already in progress, or when CodeDeploy refuses the deployment (its error code and message).
    """
    from botocore.exceptions import ClientError

    try:
        spec = appspec(
            task_definition_arn=task_definition_arn, container_name=container_name, container_port=container_port,
            platform_version=platform_version, hooks=hooks,
        )  # fmt: skip
    except ValueError as exc:
        raise ReleaseError("cannot release service %s: %s" % (deployment_group, exc)) from None
    try:
        answer = codedeploy.create_deployment(
            applicationName=application,
            deploymentGroupName=deployment_group,
            revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": appspec_text(spec, "yaml")}},
            description=description,
        )
    except ClientError as exc:
        code, message = _error(exc)
        if code == IN_PROGRESS_ERROR:
            raise ReleaseError(in_progress_message(codedeploy, application, deployment_group, message)) from None
        raise ReleaseError("cannot release service %s (CodeDeploy application %s, deployment group %s): %s: %s" % (
            deployment_group, application, deployment_group, code, message)) from None  # fmt: skip
    deployment_id = str(answer["deploymentId"])
    print("   release %s: started for deployment group %s (application %s), task definition %s" % (
        deployment_id, deployment_group, application, _revision(task_definition_arn)), file=log, flush=True)  # fmt: skip
    return deployment_id


def in_progress_message(codedeploy: Any, application: str, deployment_group: str, message: str) -> str:
    """The refusal when ``deployment_group`` already runs a deployment (CodeDeploy's ``message`` names it)."""
    found = _DEPLOYMENT_ID.search(message)
    running = found.group(0) if found else None
    if running:
        see = "`aws deploy get-deployment --deployment-id %s` or the CodeDeploy console" % running
        stop = "`%s`" % stop_command(codedeploy, running)
    else:
        see = "`aws deploy list-deployments --application-name %s --deployment-group-name %s --include-only-statuses" \
              " Created Queued InProgress Baking Ready` or the CodeDeploy console" % (application, deployment_group)  # fmt: skip
        stop = "`aws deploy stop-deployment --deployment-id <id> --auto-rollback-enabled`"
    return (
        "a release of service %s is already in progress%s (CodeDeploy: %s); CodeDeploy runs one deployment"
        " per deployment group at a time. Follow it with %s (`make status` shows the service); wait for it to"
        " end and deploy again, or stop it and roll the service back with %s"
        % (deployment_group, " (deployment %s)" % running if running else "", message, see, stop)
    )


# --------------------------------------------------------------------------------------------
# Wait.
# --------------------------------------------------------------------------------------------


def _ecs_target(codedeploy: Any, deployment_id: str, target_ids: list[str]) -> Mapping[str, Any] | None:
    """The deployment's ECS target (``ECSTarget``), or None before it has one; fills ``target_ids`` once."""
    from botocore.exceptions import ClientError

    try:
        if not target_ids:
            kwargs: dict[str, Any] = {"deploymentId": deployment_id}
            while True:
                page = codedeploy.list_deployment_targets(**kwargs)
                target_ids.extend(str(t) for t in page.get("targetIds", []))
                if not page.get("nextToken"):
                    break
                kwargs["nextToken"] = page["nextToken"]
            if not target_ids:
                return None
        answer = codedeploy.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=target_ids)
    except ClientError as exc:
        code, message = _error(exc)
        if code == "DeploymentNotStartedException":
            return None
        raise ReleaseError(
            "release %s: CodeDeploy could not describe the deployment's target (%s: %s); the deployment goes on:"
            " follow it with `aws deploy get-deployment --deployment-id %s`" % (deployment_id, code, message, deployment_id)
        ) from None
    for target in answer.get("deploymentTargets", []):
        if target.get("ecsTarget"):
            return dict(target["ecsTarget"])
    return None


def _percent(weight: Any) -> str:
    return "%g%%" % float(weight)


def describe_progress(info: Mapping[str, Any], target: Mapping[str, Any] | None) -> str:
    """One line: ``<status>: <event> <status>, ... traffic green <n>% / blue <n>%`` (started events only)."""
    text = str(info.get("status", "?"))
    if target is None:
        return text
    events = ["%s %s" % (e.get("lifecycleEventName"), e.get("status")) for e in target.get("lifecycleEvents", [])
              if e.get("status") != EVENT_PENDING]  # fmt: skip
    if events:
        text += ": " + ", ".join(events)
    weights = {str(t.get("taskSetLabel")): t.get("trafficWeight") for t in target.get("taskSetsInfo", [])
               if t.get("trafficWeight") is not None}  # fmt: skip
    traffic = ["%s %s" % (label.lower(), _percent(weights[label])) for label in TASK_SET_LABELS if label in weights]
    if traffic:
        text += "%straffic %s" % (" ... " if events else ": ", " / ".join(traffic))
    return text


def failed_events(target: Mapping[str, Any] | None) -> list[FailedEvent]:
    """The lifecycle events of ``target`` that failed, with their diagnostics."""
    found = []
    for event in (target or {}).get("lifecycleEvents", []):
        if event.get("status") == EVENT_FAILED:
            diagnostics = event.get("diagnostics") or {}
            found.append(FailedEvent(str(event.get("lifecycleEventName")), diagnostics.get("errorCode"),
                                     diagnostics.get("message"), diagnostics.get("logTail")))  # fmt: skip
    return found


def _ended(deployment_id: str, info: Mapping[str, Any], target: Mapping[str, Any] | None) -> ReleaseResult:
    status = str(info["status"])
    if status == SUCCEEDED:
        return ReleaseResult(True, deployment_id, status, "release %s Succeeded" % deployment_id)
    error = info.get("errorInformation") or {}
    code, message = error.get("code"), error.get("message")
    events = failed_events(target)
    reason = "release %s %s%s" % (deployment_id, status, ": %s: %s" % (code, message) if code or message else "")
    details = ["CodeDeploy error %s: %s" % (code or "?", message or "(no message)")] if code or message else []
    for event in events:
        details.append(event.describe())
        if event.log_tail:
            details.extend("    " + line for line in event.log_tail.rstrip().splitlines())
    rollback = (info.get("rollbackInfo") or {}).get("rollbackMessage")
    if rollback:
        details.append("rollback: %s" % rollback)
    return ReleaseResult(False, deployment_id, status, reason, code, message, events, details=details)


def wait_for_release(
    codedeploy: Any,
    deployment_id: str,
    *,
    timeout: float,
    log: TextIO,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ReleaseResult:
    """Poll ``deployment_id`` until it is Succeeded, Failed or Stopped, or ``timeout`` seconds pass.

    Prints ``   release <id>: <progress>`` (:func:`describe_progress`) whenever the progress
    changes. A timeout does not stop the deployment: the result's details say how to.
    """
    deadline = clock() + timeout
    target_ids: list[str] = []
    last = ""
    while True:
        info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        status = str(info.get("status", ""))
        target = None if status in NOT_STARTED_STATUSES else _ecs_target(codedeploy, deployment_id, target_ids)
        text = describe_progress(info, target)
        if text != last:
            print("   release %s: %s" % (deployment_id, text), file=log, flush=True)
            last = text
        if status in FINAL_STATUSES:
            return _ended(deployment_id, info, target)
        if clock() >= deadline:
            stop = stop_command(codedeploy, deployment_id)
            reason = "release %s timed out after %.0f s (--timeout); last state: %s" % (deployment_id, timeout, text)
            details = ["the deployment keeps running on AWS; to stop it and roll the service back: %s" % stop]
            return ReleaseResult(False, deployment_id, status, reason, timed_out=True, details=details)
        sleep(min(poll_seconds, max(deadline - clock(), 0.0)))


# --------------------------------------------------------------------------------------------
# Stop.
# --------------------------------------------------------------------------------------------


def stop_release(codedeploy: Any, deployment_id: str, *, log: TextIO, auto_rollback: bool = True) -> str:
    """Stop ``deployment_id``, rolling the service back to its previous task set unless ``auto_rollback`` is False.

    Returns CodeDeploy's ``StopDeployment`` status (``Pending`` or ``Succeeded``). Raises
    :class:`ReleaseError` when the deployment has already ended or does not exist.
    """
    from botocore.exceptions import ClientError

    try:
        answer = codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=auto_rollback)
    except ClientError as exc:
        code, message = _error(exc)
        if code == "DeploymentAlreadyCompletedException":
            raise ReleaseError(
                "release %s has already ended; nothing was stopped (CodeDeploy: %s). To go back, deploy the previous"
                " image or task definition revision" % (deployment_id, message)
            ) from None
        raise ReleaseError("cannot stop release %s: %s: %s" % (deployment_id, code, message)) from None
    status = str(answer.get("status", "?"))
    print("   release %s: stop requested (%s): %s%s" % (
        deployment_id, "auto rollback" if auto_rollback else "no rollback", status,
        ", " + str(answer["statusMessage"]) if answer.get("statusMessage") else ""), file=log, flush=True)  # fmt: skip
    return status
