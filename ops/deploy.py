"""``make deploy``: from an empty account to a smoke-tested service, step by step.

Example::

    python -m ops.deploy                       # ENV=local: the emulator on 127.0.0.1
    python -m ops.deploy --env dev --timeout 1200
    python -m ops.deploy --env prod --confirm prod   # production: plan, confirm, apply only that plan

Steps (each prints a ``==> [n/6]`` line):

1. check access (credentials, or start the emulator) and synth;
2. apply ``<env>-registry``;
3. build the image for the tasks' platform and push it, tagged with the git sha (:mod:`ops.image` in-process, as
   ``make build`` / ``make push``; a tag already in the repository is not pushed again); in production, the
   repository's scan findings for it must pass (:mod:`ops.image_scan`);
4. apply ``<env>`` with ``-var image_tag=<tag>``;
5. wait, at most ``--timeout`` seconds (``DEPLOY_TIMEOUT``, default 900) in all, until every
   service of the environment is stable: the web service and each web, backend and worker
   workload (``workloads`` output). A service is stable when its new deployment is the only one,
   runs the task definition the apply left it with, its rollout is COMPLETED, every task is
   running (a service at desired count 0, such as an idle worker, needs no task) and every target
   of its target groups is healthy. Each service's progress is printed on its own line
   (``   worker: rollout IN_PROGRESS, running 0/1, ...``) whenever it changes. A job has no service:
   its schedule was updated by the apply;
6. print the URL and smoke-test ``GET <url><health_check_path>``, then every web workload through
   the shared load balancer: on its first path pattern made concrete (``/api/*`` -> ``/api/``, ``?``
   -> ``x``), with its first host as the ``Host`` header (``*`` -> ``smoke``), or, with hosts only,
   on its container's health check path. A path the app has no page for (a 4xx answer) is
   reported as a skipped check, not a failure; no answer or a 5xx until the smoke timeout fails.
   A web workload behind its own NLB is checked on its health path through that NLB
   (``workloads.<name>.service_url``: ``https://`` for a TLS listener, ``http://`` for TCP).

On failure or timeout - including a deployment circuit-breaker rollback - it exits 1 and prints
what the troubleshooting flow looks up for the service that failed: the last service events, the
stopped tasks' ``stoppedReason`` and container exit codes, the target health, and the log group
to read.

The emulator (``emulator = true`` environments) runs no containers and its ALB DNS name does
not resolve, so the deploy says what it does not exercise: the image is run and smoke-tested
under the local Docker engine instead (when one answers), it is pushed only to ``--registry``
(moto's ECR is not a registry), task counts come from moto's MOTO_ECS_SERVICE_RUNNING setting,
target health is not checked and no request goes through the load balancer (the web workloads'
checks are listed as not exercised).

``--skip-image`` (``SKIP_IMAGE=1``) skips step 3 and deploys ``--image-tag`` (``IMAGE_TAG``,
default: the git sha), which must already be in the registry.

A ``production = true`` environment is deployed only through a reviewed plan
(``ops.apply.deploy_reviewed``): step 1 also plans both stacks (``plans/<env>/``) and asks for the
environment's name - typed at the prompt, which shows ``summary.md`` first, or ``--confirm``
(``CONFIRM=<env>``) - and steps 2 and 4 apply exactly the saved plans. Warnings in the plan need
``--ack`` (``ACK=<kind>[,<kind>]``) as for ``make apply``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ops import access, tf
from ops import synth as synth_step
from ops.context import (
    DEFAULT_OUT,
    SERVICE_KINDS,
    WORKLOADS_OUTPUT,
    ClientFactory,
    OpsError,
    primary_workload,
    stack_dir,
    stack_names,
)
from rules.container import APP_CONTAINER_NAME

if TYPE_CHECKING:
    from envconfig import EnvironmentConfig


STEPS = 6
DEFAULT_TIMEOUT_SECONDS = 900
SMOKE_TIMEOUT_SECONDS = 180


class DeployError(OpsError):
    """A deploy step failed; the message names the step and the cause."""


@dataclass
class WaitResult:
    """The outcome of step 5; ``workload`` names the service that failed or timed out (None when ok)."""

    ok: bool
    reason: str
    notes: list[str] = field(default_factory=list)
    workload: str | None = None


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def step(n: int, text: str, log: TextIO) -> None:
    print("==> [%d/%d] %s" % (n, STEPS, text), file=log, flush=True)


# --------------------------------------------------------------------------------------------
# Step 3: image.
# --------------------------------------------------------------------------------------------


def image_tag(env: EnvironmentConfig, explicit: str | None) -> str:
    """``--image-tag``, else the config's ``container.image_tag``, else :func:`ops.image.image_tag`.

    The one tag computation (deploy, plan and apply call this): a production environment never
    gets a tag for build inputs that differ from HEAD; others get ``<sha>-dirty-<hash>`` for them.
    """
    if explicit:
        return explicit
    if env.container.image_tag:
        return str(env.container.image_tag)
    from ops import image

    try:
        return image.image_tag(allow_dirty=not env.production)
    except image.ImageError as exc:
        raise DeployError("cannot compute the image tag for ENV=%s: %s" % (env.name, exc)) from None


def docker_available(timeout: float = 10.0) -> bool:
    if not shutil.which("docker"):
        return False
    try:
        result = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def smoke_test_container(image: str, env: EnvironmentConfig, log: TextIO, timeout: float = 60.0) -> None:
    """Run ``image`` the way the task does and GET its health path; raise DeployError on failure."""
    run = subprocess.run(
        ["docker", "run", "-d", "--rm", "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL",
         "-e", "PORT=%d" % env.container.port, "-p", "127.0.0.1::%d" % env.container.port, image],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if run.returncode != 0:
        raise DeployError("docker run %s failed: %s" % (image, run.stderr.strip()))
    container = run.stdout.strip()
    try:
        port = subprocess.run(
            ["docker", "port", container, "%d/tcp" % env.container.port], capture_output=True, text=True, check=False
        ).stdout.strip().splitlines()[0].rsplit(":", 1)[-1]
        url = "http://127.0.0.1:%s%s" % (port, env.container.health_check_path)
        status, body = http_get_until_ok(url, timeout)
        if status != 200:
            logs = subprocess.run(["docker", "logs", "--tail", "30", container], capture_output=True, text=True, check=False)
            raise DeployError("the image %s does not answer %s with 200 (got %s): %s\n%s" % (
                image, url, status, body[:200], (logs.stdout + logs.stderr)[-2000:]))  # fmt: skip
        print("   local Docker: %s answers GET %s -> 200 %s" % (image, env.container.health_check_path, body[:120]), file=log)
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)


def build_and_push(env: EnvironmentConfig, tag: str, registry: str | None, log: TextIO, out: Path = DEFAULT_OUT) -> list[str]:
    """Step 3, through :mod:`ops.image` in-process (what ``make build`` / ``make push`` run). Returns notes."""
    from ops import image

    name = os.environ.get("IMAGE_NAME") or "flask-app"
    if env.emulator and not docker_available():
        notes = [
            "image NOT built or run: no Docker engine answers (`docker info` failed). The emulator deploy"
            " references %s:%s without an image; run `make test-image` to prove the image." % (env.app_name, tag)
        ]
        print("   SKIPPED: %s" % notes[-1], file=log)
        return notes
    image.build(name=name, tag=tag, base_image=os.environ.get("BASE_IMAGE") or None, platform=image.platform_for(env))
    if env.emulator:
        smoke_test_container("%s:%s" % (name, tag), env, log)
        if not registry:
            note = "image not pushed: the emulator's ECR is not a registry; pass REGISTRY=host:port to push"
            print("   %s" % note, file=log)
            return [note]
    target = image.resolve_target(env_name=env.name, name=name, registry=registry, out_dir=out)
    image.push(
        name=name, tag=tag, target=target, env_name=env.name,
        registry_user=os.environ.get("REGISTRY_USER") or None,
        registry_password=os.environ.get("REGISTRY_PASSWORD") or None,
    )  # fmt: skip
    return []


# --------------------------------------------------------------------------------------------
# Step 5: wait.
# --------------------------------------------------------------------------------------------

ROLLBACK_MARKERS = ("rolling back", "circuit breaker", "rolled back")


def _events_since(service: Mapping[str, Any], since: Any) -> list[str]:
    out = []
    for event in service.get("events", []):
        created = event.get("createdAt")
        if since is None or created is None or created >= since:
            out.append(str(event.get("message", "")))
    return out


def check_service(
    service: Mapping[str, Any],
    expected_task_definition: str,
    targets: list[Mapping[str, Any]] | None,
    since: Any = None,
) -> tuple[str, str]:
    """One poll of the rollout: ("done" | "wait" | "failed", a one-line description)."""
    deployments = list(service.get("deployments", []))
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    current = service.get("taskDefinition")
    if current and current != expected_task_definition:
        return "failed", "the service was rolled back to %s (deployed %s)" % (
            current.rsplit("/", 1)[-1], expected_task_definition.rsplit("/", 1)[-1])  # fmt: skip
    for message in _events_since(service, since):
        if any(marker in message.lower() for marker in ROLLBACK_MARKERS):
            return "failed", "circuit breaker: %s" % message
    if primary is None:
        return "wait", "no PRIMARY deployment yet"
    rollout = primary.get("rolloutState")
    if rollout == "FAILED":
        return "failed", "deployment %s FAILED: %s" % (primary.get("id"), primary.get("rolloutStateReason"))
    desired, running = int(primary.get("desiredCount", 0)), int(primary.get("runningCount", 0))
    parts = [
        "rollout %s" % (rollout or "?"),
        "running %d/%d" % (running, desired),
        "pending %d" % int(primary.get("pendingCount", 0)),
        "failed tasks %d" % int(primary.get("failedTasks", 0)),
        "deployments %d" % len(deployments),
    ]
    # A service at desired count 0 (an idle worker) is stable once no deployment is in progress:
    # tasks still counted as running are draining.
    ready = (
        primary.get("taskDefinition") == expected_task_definition
        and len(deployments) == 1
        and (running == desired or desired == 0)
        and rollout in (None, "COMPLETED")
    )
    if targets is not None:
        states = [str(t.get("TargetHealth", {}).get("State")) for t in targets]
        healthy = states.count("healthy")
        parts.append("targets healthy %d/%d" % (healthy, len(states)))
        ready = ready and healthy >= desired and all(s == "healthy" for s in states)
    return ("done" if ready else "wait"), ", ".join(parts)


@dataclass(frozen=True)
class ServiceWait:
    """One service step 5 waits for: the workload it belongs to and the task definition it must run.

    ``target_group_arn`` None: the target groups of the service's own load balancers (none for a
    backend or worker).
    """

    workload: str
    cluster: str
    service: str
    expected_task_definition: str
    target_group_arn: str | None = None


def services_of(env: EnvironmentConfig, outputs: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(workload, cluster, service) of every service of the environment: ``web`` first, then each
    web, backend and worker workload of the ``workloads`` output."""
    cluster = str(outputs["cluster_name"])
    found = [(primary_workload(), cluster, str(outputs["service_name"]))]
    described = outputs.get(WORKLOADS_OUTPUT) or {}
    for name, workload in env.workloads.items():
        entry = described.get(name) or {}
        if workload.kind in SERVICE_KINDS and entry.get("service_name"):
            found.append((name, cluster, str(entry["service_name"])))
    return found


def _describe(ecs: Any, cluster: str, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """DescribeServices, ten names at a time: service name -> description."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(names), 10):
        for svc in ecs.describe_services(cluster=cluster, services=list(names[start : start + 10])).get("services", []):
            found[str(svc.get("serviceName"))] = svc
    return found


def expected_services(client: Callable[[str], Any], env: EnvironmentConfig, outputs: Mapping[str, Any]) -> list[ServiceWait]:
    """After the apply: each service and the task definition it now runs, which step 5 waits for."""
    ecs = client("ecs")
    waits = []
    by_cluster: dict[str, list[tuple[str, str]]] = {}
    for workload, cluster, service in services_of(env, outputs):
        by_cluster.setdefault(cluster, []).append((workload, service))
    for cluster, members in by_cluster.items():
        described = _describe(ecs, cluster, [service for _, service in members])
        for workload, service in members:
            current = str((described.get(service) or {}).get("taskDefinition") or "")
            target_group = outputs.get("target_group_arn") if workload == primary_workload() else None
            waits.append(ServiceWait(workload, cluster, service, current, str(target_group) if target_group else None))
    return waits


def controller_change_problem(env: EnvironmentConfig, outputs_before: Mapping[str, Any]) -> str | None:
    """Why the apply must not run: the deployed web service has another deployment controller than
    ``release.strategy`` asks for, and ``release.allow_controller_change`` is not set; else None.

    The deployed stack says which controller it gave the service: a blue/green stack outputs
    ``codedeploy_deployment_group``, a rolling one does not (nothing deployed: no outputs, no problem).
    ECS cannot change a service's deployment controller in place, so Terraform would replace the
    service: its tasks stop and new ones start, and the load balancer has no target in between.
    """
    if not outputs_before.get("service_name"):
        return None  # nothing deployed yet
    live = "CODE_DEPLOY" if outputs_before.get("codedeploy_deployment_group") else "ECS"
    wanted = env.release.deployment_controller
    if live == wanted or env.release.allow_controller_change:
        return None
    return (
        "service %s runs with the %s deployment controller, and release.strategy=%r needs %s. ECS cannot change a"
        " service's controller in place: the apply would replace the service (its tasks stop and new ones start,"
        " and the load balancer has no target in between). Allowed: keep the service's strategy (%s), or set"
        " release.allow_controller_change = true for the environment %s in the config for this deploy"
        % (outputs_before["service_name"], live, env.release.strategy, wanted,
           "rolling" if live == "ECS" else "a blue/green one", env.name)
    )  # fmt: skip


def release_web(
    env: EnvironmentConfig,
    outputs: Mapping[str, Any],
    client: Callable[[str], Any],
    *,
    timeout: float,
    log: TextIO,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Any:
    """Blue/green: release the revision the apply registered (``task_definition_arn`` output) through CodeDeploy
    (:mod:`ops.release`), unless the web service already runs it (its first deploy, or an apply that changed no
    task); returns the :class:`ops.release.ReleaseResult`, or None when there was nothing to release."""
    from ops import release

    cluster, service = str(outputs.get("cluster_name") or ""), str(outputs.get("service_name") or "")
    new = str(outputs.get("task_definition_arn") or "")
    if not new or not outputs.get("codedeploy_deployment_group"):
        raise OpsError(
            "ENV=%s uses release.strategy=%r but the stack has no task_definition_arn / codedeploy_deployment_group"
            " output; run `make synth` and deploy again" % (env.name, env.release.strategy)
        )
    current = str((_describe(client("ecs"), cluster, [service]).get(service) or {}).get("taskDefinition") or "")
    step(5, "release %s through CodeDeploy (%s)" % (new.rsplit("/", 1)[-1], env.release.strategy), log)
    if current == new:
        print("   web: the service already runs %s; nothing to release" % new.rsplit("/", 1)[-1], file=log)
        return None
    codedeploy = client("codedeploy")
    deployment_id = release.start_release(
        codedeploy, application=str(outputs["codedeploy_application"]),
        deployment_group=str(outputs["codedeploy_deployment_group"]), task_definition_arn=new,
        container_name=APP_CONTAINER_NAME, container_port=env.container.port,
        description="make deploy ENV=%s: %s" % (env.name, new.rsplit("/", 1)[-1]), log=log,
    )  # fmt: skip
    return release.wait_for_release(codedeploy, deployment_id, timeout=timeout, log=log, sleep=sleep, clock=clock)


def _target_health(elbv2: Any, wait: ServiceWait, service: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    groups = [wait.target_group_arn] if wait.target_group_arn else [
        str(lb["targetGroupArn"]) for lb in service.get("loadBalancers", []) if lb.get("targetGroupArn")
    ]  # fmt: skip
    if not groups:
        return None
    targets: list[Mapping[str, Any]] = []
    for group in groups:
        targets += elbv2.describe_target_health(TargetGroupArn=group).get("TargetHealthDescriptions", [])
    return targets


def wait_for_services(
    env: EnvironmentConfig,
    waits: Sequence[ServiceWait],
    timeout: float,
    log: TextIO,
    *,
    client: Callable[[str], Any],
    poll_seconds: float | None = None,
    since: Any = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> WaitResult:
    """Poll every service of ``waits`` until all are stable (:func:`check_service`), one fails, or ``timeout`` passes.

    Each service's state is printed as ``   <workload>: <state>`` whenever it changes. The first
    failure ends the wait (``WaitResult.workload`` names it); a timeout names the first service
    still rolling out and the others.
    """
    ecs, elbv2 = client("ecs"), client("elbv2")
    poll = poll_seconds if poll_seconds is not None else (1.0 if env.emulator else 10.0)
    notes = []
    if env.emulator:
        notes.append(
            "emulator: no task ran; runningCount is moto's MOTO_ECS_SERVICE_RUNNING setting and target health"
            " is not checked (moto registers no targets)"
        )
    deadline = clock() + timeout
    pending = list(waits)
    last: dict[str, str] = {}
    finished: list[str] = []
    while True:
        described: dict[tuple[str, str], dict[str, Any]] = {}
        for cluster in dict.fromkeys(w.cluster for w in pending):
            for name, svc in _describe(ecs, cluster, [w.service for w in pending if w.cluster == cluster]).items():
                described[(cluster, name)] = svc
        for wait in list(pending):
            found = described.get((wait.cluster, wait.service))
            if found is None:
                return WaitResult(False, "service %s not found in cluster %s" % (wait.service, wait.cluster), notes,
                                  wait.workload)  # fmt: skip
            targets = None if env.emulator else _target_health(elbv2, wait, found)
            state, text = check_service(found, wait.expected_task_definition, targets, since)
            if text != last.get(wait.workload):
                print("   %s: %s" % (wait.workload, text), file=log, flush=True)
                last[wait.workload] = text
            if state == "failed":
                return WaitResult(False, text, notes, wait.workload)
            if state == "done":
                pending.remove(wait)
                finished.append("%s: %s" % (wait.workload, text))
        if not pending:
            return WaitResult(True, "; ".join(finished), notes)
        if clock() >= deadline:
            first, others = pending[0], [w.workload for w in pending[1:]]
            reason = "timed out after %.0f s (--timeout); last state: %s%s" % (
                timeout, last[first.workload], "; still rolling out too: %s" % ", ".join(others) if others else "")
            return WaitResult(False, reason, notes, first.workload)
        sleep(min(poll, deadline - clock()))


def wait_for_service(
    env: EnvironmentConfig,
    outputs: Mapping[str, Any],
    expected_task_definition: str,
    timeout: float,
    log: TextIO,
    *,
    client: Callable[[str], Any],
    poll_seconds: float | None = None,
    since: Any = None,
) -> WaitResult:
    """:func:`wait_for_services` for the environment's own web service only."""
    wait = ServiceWait(
        primary_workload(), str(outputs["cluster_name"]), str(outputs["service_name"]), expected_task_definition,
        str(outputs["target_group_arn"]) if outputs.get("target_group_arn") else None,
    )  # fmt: skip
    return wait_for_services(env, [wait], timeout, log, client=client, poll_seconds=poll_seconds, since=since)


def diagnostics(
    env: EnvironmentConfig,
    outputs: Mapping[str, Any],
    log: TextIO,
    *,
    workload: str | None = None,
    client: ClientFactory | None = None,
) -> None:
    """What the troubleshooting flow reads first for ``workload`` (``web`` unless given): events,
    stopped tasks, targets, the log group."""
    workload = workload or primary_workload()
    print("\n--- troubleshooting (%s%s) ---" % (env.name, "" if workload == primary_workload() else ", " + workload),
          file=log)  # fmt: skip
    from ops import context, status

    ref = context.workload_refs(env, outputs).get(workload) if workload != primary_workload() else None
    log_group = ref.log_group if ref is not None else outputs.get("log_group_name")
    try:
        service_ref = ref.service_ref() if ref is not None else context.ServiceRef(
            env=env.name, region=env.region, emulator=env.emulator, cluster=outputs.get("cluster_name"),
            service=outputs.get("service_name"), log_group=log_group, target_group_arn=outputs.get("target_group_arn"),
        )  # fmt: skip
        data = {"workload": workload, "kind": context.workload_kind(env, workload),
                **status.collect_status(service_ref, client or context.client_factory(env))}  # fmt: skip
        print(status.render_status(data), file=log)
    except Exception as exc:
        print("(could not collect the service status: %s)" % exc, file=log)
    group = log_group or "(unknown: the stack has no %s output)" % (
        "log_group_name" if ref is None else "workloads.%s.log_group_name" % workload)  # fmt: skip
    print("Log group: %s%s   (read it with `make logs ENV=%s%s SINCE=30m`)"
          % (group, "" if ref is None else ", streams %s/*" % ref.log_stream_prefix, env.name,
             "" if ref is None else " WORKLOAD=%s" % workload), file=log)  # fmt: skip
    print("Checklist: task stoppedReason / exit codes above; execution role can pull the image and write logs;"
          " image URI exists in the registry; container port = target group port; security groups.", file=log)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Step 6: smoke test.
# --------------------------------------------------------------------------------------------


def http_get(url: str, headers: Mapping[str, str] | None = None, timeout: float = 5.0) -> tuple[int | None, str]:
    """One GET: (status, the start of the body), or (None, the error) when nothing answered."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read(2000).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(2000).decode("utf-8", "replace")
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        return None, str(exc)


def http_get_until(
    url: str,
    timeout: float,
    done: Callable[[int | None], bool],
    *,
    headers: Mapping[str, str] | None = None,
    interval: float = 3.0,
) -> tuple[int | None, str]:
    """GET ``url`` every ``interval`` seconds until ``done(status)`` or ``timeout`` passes; the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = http_get(url, headers)
        if done(status) or time.monotonic() >= deadline:
            return status, body
        time.sleep(interval)


def http_get_until_ok(url: str, timeout: float, interval: float = 3.0) -> tuple[int | None, str]:
    return http_get_until(url, timeout, lambda status: status == 200, interval=interval)


def concrete_path(pattern: str) -> str:
    """A request path an ALB path pattern matches: ``*`` matches nothing, ``?`` an ``x`` (``/api/*`` -> ``/api/``)."""
    return pattern.replace("*", "").replace("?", "x")


def concrete_host(pattern: str) -> str:
    """A host name an ALB host pattern matches: ``*`` -> ``smoke``, ``?`` -> ``x`` (``*.example.com`` -> ``smoke.example.com``)."""
    return pattern.replace("*", "smoke").replace("?", "x")


@dataclass(frozen=True)
class SmokeCheck:
    """One GET through the load balancer; ``strict``: only 200 passes (else any answer below 500 does,
    and a 4xx is a skipped check: the app has no page at that path)."""

    workload: str
    path: str
    host: str | None = None
    strict: bool = True
    base_url: str | None = None
    """The workload's own load balancer (an NLB's ``service_url``); the environment's ALB unless set."""

    def url(self, alb_url: str) -> str:
        return self.base_url or alb_url

    def describe(self, url: str) -> str:
        return "%s: GET %s%s%s" % (self.workload, self.url(url), self.path, " (Host: %s)" % self.host if self.host else "")


def smoke_checks(env: EnvironmentConfig, outputs: Mapping[str, Any] | None = None) -> list[SmokeCheck]:
    """The health check of the web service, then one check per web workload (see the module docstring);
    a web workload behind its own NLB is checked on its health path there (``workloads.<name>.service_url``)."""
    checks = [SmokeCheck(primary_workload(), env.container.health_check_path)]
    workload_outputs = (outputs or {}).get("workloads") or {}
    for name, workload in env.workloads.items():
        if workload.kind != "web":
            continue
        if workload.nlb is not None:
            base = str((workload_outputs.get(name) or {}).get("service_url") or "")
            checks.append(SmokeCheck(name, workload.container.health_check_path, base_url=base or "(no service_url output)"))
            continue
        host = concrete_host(workload.hosts[0]) if workload.hosts else None
        if workload.paths:
            checks.append(SmokeCheck(name, concrete_path(workload.paths[0]), host, strict=False))
        else:
            checks.append(SmokeCheck(name, workload.container.health_check_path, host))
    return checks


def run_smoke_check(check: SmokeCheck, url: str, timeout: float, log: TextIO) -> tuple[bool, str | None]:
    """(passed, a note when the check was skipped); prints one line."""
    headers = {"Host": check.host} if check.host else None
    if not check.url(url).startswith(("http://", "https://")):
        print("   %s -> not requested: the stack has no workloads.%s.service_url output" % (check.describe(url),
              check.workload), file=log)  # fmt: skip
        return False, None
    target = check.url(url) + check.path
    if check.strict:
        status, body = http_get_until(target, timeout, lambda s: s == 200, headers=headers)
    else:
        status, body = http_get_until(target, timeout, lambda s: s is not None and s < 500, headers=headers)
    what = check.describe(url)
    if status is not None and (status == 200 or (not check.strict and status < 400)):
        print("   %s -> %d %s" % (what, status, body[:120]), file=log)
        return True, None
    if status is not None and not check.strict and status < 500:
        note = "%s -> %d: the load balancer answered, but the app has no page at %s; check skipped" % (what, status, check.path)
        print("   SKIPPED: %s" % note, file=log)
        return True, note
    print("   %s -> %s %s" % (what, status, body[:200]), file=log)
    return False, None


# --------------------------------------------------------------------------------------------
# Steps shared with ``make apply`` (ops.apply): the image, then apply <env>, wait, smoke-test.
# --------------------------------------------------------------------------------------------


def image_step(
    env: EnvironmentConfig,
    tag: str,
    *,
    skip_image: bool,
    registry: str | None,
    log: TextIO,
    out: Path = DEFAULT_OUT,
    deployed_tag: str | None = None,
) -> list[str]:
    """Step 3: build and push ``tag``, unless SKIP_IMAGE or ``<env>`` already runs it; returns notes.

    A production environment's new image then passes the scan findings gate (:mod:`ops.image_scan`).
    """
    if deployed_tag == tag:
        step(3, "image: %s already runs tag %s; nothing to build" % (env.name, tag), log)
        return []
    from ops import image_scan

    if skip_image:
        step(3, "image: skipped (SKIP_IMAGE); deploying tag %s, which must already be pushed" % tag, log)
        notes = ["image step skipped: tag %s was not built or pushed by this deploy" % tag]
    else:
        step(3, "build and push the image, tag %s" % tag, log)
        notes = build_and_push(env, tag, registry, log, out)
    return notes + image_scan.before_deploy(env, tag, log=log)  # production: the scan findings gate


@dataclass
class Rollout:
    ok: bool
    url: str
    notes: list[str] = field(default_factory=list)


def roll_out(
    env: EnvironmentConfig,
    service_stack: tf.Stack,
    apply: Callable[[], None],
    *,
    label: str,
    command: str,
    timeout: float,
    smoke_timeout: float,
    log: TextIO,
    client: ClientFactory | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Rollout:
    """Steps 4-6: ``apply`` the ``<env>`` stack, wait for every service, smoke-test the web workloads.

    A failure at step 5 or 6 prints ``<command>: FAILED at step n`` and the diagnostics of the
    workload that failed. ``client`` (boto3 clients of ``env`` unless given), ``sleep`` and
    ``clock`` are what step 5 polls with.
    """
    step(4, label, log)
    service_stack.init()
    if client is None:
        from ops import aws

        client_session = aws.session(env)

        def client(name: str) -> Any:
            return aws.client(env, name, boto_session=client_session)

    import datetime as dt

    problem = controller_change_problem(env, service_stack.outputs())
    if problem:
        print("%s: REFUSED at step 4: %s" % (command, problem), file=log)
        return Rollout(False, "", [])
    applied_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    apply()
    outputs = service_stack.outputs()
    url = str(outputs.get("service_url") or "")

    release_notes: list[str] = []
    if env.release.blue_green:
        released = release_web(env, outputs, client, timeout=timeout, log=log, sleep=sleep, clock=clock)
        if released is not None and not released.ok:
            print("%s: FAILED at step 5: %s: %s" % (command, primary_workload(), released.reason), file=log)
            for line in released.details:
                print("   %s" % line, file=log)
            diagnostics(env, outputs, log, workload=primary_workload(), client=client)
            return Rollout(False, url, [])
        if released is not None and env.emulator:
            release_notes.append(
                "emulator: the release ran at once (the compat layer's CodeDeploy): no canary or linear interval,"
                " no termination wait and no lifecycle hooks were waited for"
            )
    waits = expected_services(client, env, outputs)
    what = "wait for %d service%s to roll out (at most %.0f s)" % (len(waits), "" if len(waits) == 1 else "s", timeout)
    if env.release.blue_green:  # CodeDeploy rolled the web service out (its ECS deployments list stays empty)
        waits = [w for w in waits if w.workload != primary_workload()]
        what = "then wait for the %d other service%s (at most %.0f s)" % (len(waits), "" if len(waits) == 1 else "s",
                                                                            timeout)  # fmt: skip
        print("   %s" % what, file=log)
    else:
        step(5, what, log)
    for wait in waits:
        print("   %s: service %s, task definition %s" % (wait.workload, wait.service,
              wait.expected_task_definition.rsplit("/", 1)[-1] or "?"), file=log)  # fmt: skip
    for name, workload in env.workloads.items():
        if workload.kind == "job":
            print("   %s: a job, no service to wait for (the apply updated its schedule)" % name, file=log)
    result = wait_for_services(env, waits, timeout, log, client=client, since=applied_at, sleep=sleep, clock=clock)
    notes = release_notes + list(result.notes)
    if not result.ok:
        print("%s: FAILED at step 5: %s: %s" % (command, result.workload, result.reason), file=log)
        diagnostics(env, outputs, log, workload=result.workload, client=client)
        return Rollout(False, url, notes)

    checks = smoke_checks(env, outputs)
    step(6, "smoke test %s%s" % (url, checks[0].path) if len(checks) == 1 else "smoke test %s: %s" % (
        url, ", ".join("%s %s%s%s" % (c.workload, c.base_url or "", c.path, " (Host: %s)" % c.host if c.host else "")
                       for c in checks)),
        log)  # fmt: skip
    if env.emulator:
        notes.append(
            "emulator: %s resolves only inside the emulator (a zone it holds, aliased to moto's fake ALB DNS"
            " name); /health was not called through a load balancer" % url
        )
        print("   SKIPPED: %s" % notes[-1], file=log)
        if len(checks) > 1:
            notes.append("emulator: the web workloads' checks were not run either (%s)"
                         % "; ".join(c.describe(url) for c in checks[1:]))  # fmt: skip
            print("   SKIPPED: %s" % notes[-1], file=log)
        return Rollout(True, url, notes)
    for check in checks:
        passed, note = run_smoke_check(check, url, smoke_timeout, log)
        if note:
            notes.append(note)
        if not passed:
            print("%s: FAILED at step 6: %s did not answer %s" % (
                command, check.describe(url), "200" if check.strict else "below 500"), file=log)  # fmt: skip
            diagnostics(env, outputs, log, workload=check.workload, client=client)
            return Rollout(False, url, notes)
    return Rollout(True, url, notes)


def report_up(command: str, env: EnvironmentConfig, url: str, image: str, notes: list[str], started: float, log: TextIO) -> None:
    """The closing lines: what the run did not exercise, then ``<command>: <env> is up at <url> ...``."""
    print("", file=log)
    for note in notes:
        print("NOT EXERCISED: %s" % note, file=log)
    print("%s: %s is up at %s (image %s) in %.0f s" % (command, env.name, url, image, time.monotonic() - started), file=log)


# --------------------------------------------------------------------------------------------
# The whole deploy.
# --------------------------------------------------------------------------------------------


def deploy(
    env: EnvironmentConfig,
    *,
    out: Path = DEFAULT_OUT,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    skip_image: bool = False,
    tag: str | None = None,
    registry: str | None = None,
    smoke_timeout: float = SMOKE_TIMEOUT_SECONDS,
    config: Path | None = None,
    confirmation: str | None = None,
    acknowledged: frozenset[str] = frozenset(),
    plans_dir: Path | None = None,
    log: TextIO = sys.stdout,
) -> int:
    """Deploy ``env``; a production one only through a reviewed plan (``ops.apply.deploy_reviewed``)."""
    if env.production:
        from ops import apply

        return apply.deploy_reviewed(
            env, out=out, plans_dir=plans_dir or apply.DEFAULT_PLANS_DIR, config=config, confirmation=confirmation,
            acknowledged=acknowledged, skip_image=skip_image, tag=tag, registry=registry, timeout=timeout,
            smoke_timeout=smoke_timeout, log=log,
        )  # fmt: skip
    started = time.monotonic()
    step(1, "%s: check access, synth" % env.name, log)
    subprocess_env = access.prepare(env, out, log)
    synth_step.run(out, log, config)
    registry_name, service_name = stack_names(env.name)

    step(2, "apply %s" % registry_name, log)
    registry_stack = tf.Stack(stack_dir(registry_name, out), env=subprocess_env, log=log)
    registry_stack.init()
    registry_stack.apply()
    repository = registry_stack.outputs().get("repository_url", "?")
    print("   repository: %s" % repository, file=log)

    image = image_tag(env, tag)
    notes = image_step(env, image, skip_image=skip_image, registry=registry, log=log, out=out)
    service_stack = tf.Stack(stack_dir(service_name, out), env=subprocess_env, log=log)
    rollout = roll_out(
        env, service_stack, lambda: service_stack.apply({"image_tag": image}),
        label="apply %s with image_tag=%s" % (service_name, image), command="deploy",
        timeout=timeout, smoke_timeout=smoke_timeout, log=log,
    )  # fmt: skip
    if not rollout.ok:
        return 1
    report_up("deploy", env, rollout.url, image, notes + rollout.notes, started, log)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.deploy", description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="local", help="environment name (default: local)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="synth output directory")
    parser.add_argument("--config", type=Path, default=None, help="environments file (default: envconfig/environments.toml)")
    parser.add_argument(
        "--timeout", type=float, default=float(os.environ.get("DEPLOY_TIMEOUT") or DEFAULT_TIMEOUT_SECONDS),
        help="seconds to wait for the deployment (DEPLOY_TIMEOUT; default %d)" % DEFAULT_TIMEOUT_SECONDS,
    )  # fmt: skip
    parser.add_argument("--skip-image", action="store_true", default=truthy(os.environ.get("SKIP_IMAGE")))
    parser.add_argument("--image-tag", default=os.environ.get("IMAGE_TAG") or None)
    parser.add_argument("--registry", default=os.environ.get("REGISTRY") or None, help="push here instead of ECR")
    parser.add_argument("--confirm", default=os.environ.get("CONFIRM") or None, help="production: the environment name")
    parser.add_argument("--ack", default=os.environ.get("ACK") or None, help="production: warning kinds to accept")
    parser.add_argument("--plans-dir", type=Path, default=None, help="production: where plans/<env>/ is written")
    args = parser.parse_args(argv)

    from envconfig import DEFAULT_FILE, ConfigError, load_environment
    from ops import apply
    from ops.confirm import ConfirmationError

    try:
        env = load_environment(args.env, args.config or DEFAULT_FILE)
        return deploy(
            env, out=args.out, timeout=args.timeout, skip_image=args.skip_image, tag=args.image_tag,
            registry=args.registry, config=args.config, confirmation=args.confirm,
            acknowledged=apply.parse_ack(args.ack), plans_dir=args.plans_dir,
        )  # fmt: skip
    except (apply.ApplyError, ConfirmationError) as exc:
        print("deploy: REFUSED: %s" % exc, file=sys.stderr)
        return 1
    except (ConfigError, OpsError) as exc:
        print("deploy: FAILED: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
