"""ops.release: the blue/green release step, against stubbed CodeDeploy answers and a fake clock.

CodeDeploy answers come from ``botocore.stub.Stubber`` (the emulator has no CodeDeploy): every
stubbed answer is validated against botocore's ``codedeploy`` output shapes, every request
against its input shapes, and the expected parameters are asserted. The model tests below check
the field names and values the module reads, so a typo in either cannot pass.
"""

from __future__ import annotations

import io
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber

from ops import release
from ops.release import ReleaseError, start_release, stop_release, wait_for_release
from rules.releases import appspec, appspec_text
from tests.ops_cmds.opscmd_support import FakeClock

REGION = "ap-southeast-1"
TD = "arn:aws:ecs:ap-southeast-1:777788889999:task-definition/flask-app-prod-web:8"
APP = "flask-app-prod"
GROUP = "flask-app-prod"
ID = "d-4TQ8XJ2LB"
TARGET = "flask-app-prod:flask-app-prod"
ECS_EVENTS = ("BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic",
              "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic")  # fmt: skip
STOP = "aws deploy stop-deployment --deployment-id %s --auto-rollback-enabled --region %s" % (ID, REGION)


@pytest.fixture()
def codedeploy() -> Any:
    import boto3

    return boto3.client("codedeploy", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")


@pytest.fixture()
def stub(codedeploy: Any) -> Any:
    with Stubber(codedeploy) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


def model() -> Any:
    return botocore.session.get_session().get_service_model("codedeploy")


# ---- answers ---------------------------------------------------------------------------------------


def info(status: str, **extra: Any) -> dict[str, Any]:
    return {"deploymentInfo": {"deploymentId": ID, "applicationName": APP, "deploymentGroupName": GROUP,
                               "computePlatform": "ECS", "status": status, **extra}}  # fmt: skip


def events(**statuses: str) -> list[dict[str, Any]]:
    """Every ECS lifecycle event, Pending unless given (``Install="InProgress"``)."""
    return [{"lifecycleEventName": name, "status": statuses.get(name, "Pending")} for name in ECS_EVENTS]


def target(lifecycle: list[dict[str, Any]], green: float | None = None, blue: float | None = None) -> dict[str, Any]:
    task_sets = []
    if blue is not None:
        task_sets.append({"identifer": "ecs-svc/1", "taskSetLabel": "Blue", "trafficWeight": blue, "desiredCount": 2})
    if green is not None:
        task_sets.append({"identifer": "ecs-svc/2", "taskSetLabel": "Green", "trafficWeight": green, "desiredCount": 2})
    return {"deploymentTargets": [{"deploymentTargetType": "ECSTarget", "ecsTarget": {
        "deploymentId": ID, "targetId": TARGET, "status": "InProgress", "lifecycleEvents": lifecycle,
        "taskSetsInfo": task_sets}}]}  # fmt: skip


def poll(
    stub: Any, status: str, ecs_target: dict[str, Any] | None = None, *, first: bool = False, **extra: Any
) -> None:
    """One poll: GetDeployment, then (``first``: ListDeploymentTargets and) BatchGetDeploymentTargets."""
    stub.add_response("get_deployment", info(status, **extra), {"deploymentId": ID})
    if ecs_target is None:
        return
    if first:
        stub.add_response("list_deployment_targets", {"targetIds": [TARGET]}, {"deploymentId": ID})
    stub.add_response("batch_get_deployment_targets", ecs_target, {"deploymentId": ID, "targetIds": [TARGET]})


# ---- start -----------------------------------------------------------------------------------------


def test_start_sends_the_appspec_of_the_given_values_and_prints_what_it_started(codedeploy: Any, stub: Any) -> None:
    content = appspec_text(appspec(task_definition_arn=TD, container_name="app", container_port=3000))
    stub.add_response("create_deployment", {"deploymentId": ID}, {
        "applicationName": APP, "deploymentGroupName": GROUP, "description": "deploy image abc1234",
        "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": content}},
    })  # fmt: skip
    log = io.StringIO()
    deployment_id = start_release(
        codedeploy, application=APP, deployment_group=GROUP, task_definition_arn=TD, container_name="app",
        container_port=3000, description="deploy image abc1234", log=log,
    )  # fmt: skip
    assert deployment_id == ID
    assert log.getvalue().splitlines() == [
        "   release d-4TQ8XJ2LB: started for deployment group flask-app-prod (application flask-app-prod),"
        " task definition flask-app-prod-web:8"
    ]
    import yaml

    assert yaml.safe_load(content)["Resources"][0]["TargetService"]["Properties"] == {
        "TaskDefinition": TD, "LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 3000}}  # fmt: skip


def test_start_passes_platform_version_and_hooks_to_the_appspec(codedeploy: Any, stub: Any) -> None:
    hooks = {"AfterAllowTestTraffic": "flask-app-prod-smoke"}
    content = appspec_text(appspec(task_definition_arn=TD, container_name="app", container_port=3000,
                                   platform_version="1.4.0", hooks=hooks))  # fmt: skip
    stub.add_response("create_deployment", {"deploymentId": ID}, {
        "applicationName": APP, "deploymentGroupName": GROUP, "description": "d",
        "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": content}},
    })  # fmt: skip
    start_release(codedeploy, application=APP, deployment_group=GROUP, task_definition_arn=TD, container_name="app",
                  container_port=3000, description="d", log=io.StringIO(), platform_version="1.4.0", hooks=hooks)  # fmt: skip


def test_start_refuses_while_a_release_of_the_service_is_in_progress(codedeploy: Any, stub: Any) -> None:
    stub.add_client_error(
        "create_deployment", service_error_code="DeploymentLimitExceededException",
        service_message="The Deployment Group 'flask-app-prod' already has an active Deployment 'd-7QWERTY12'",
    )  # fmt: skip
    log = io.StringIO()
    with pytest.raises(ReleaseError) as raised:
        start_release(codedeploy, application=APP, deployment_group=GROUP, task_definition_arn=TD,
                      container_name="app", container_port=3000, description="d", log=log)  # fmt: skip
    message = str(raised.value)
    assert message.startswith("a release of service flask-app-prod is already in progress (deployment d-7QWERTY12)")
    assert "`aws deploy get-deployment --deployment-id d-7QWERTY12` or the CodeDeploy console" in message
    assert "`make status` shows the service" in message
    assert message.endswith(
        "stop it and roll the service back with"
        " `aws deploy stop-deployment --deployment-id d-7QWERTY12 --auto-rollback-enabled --region ap-southeast-1`"
    )
    assert log.getvalue() == ""


def test_start_refusal_without_a_deployment_id_in_the_answer_lists_the_group_deployments(
    codedeploy: Any, stub: Any
) -> None:
    stub.add_client_error("create_deployment", service_error_code="DeploymentLimitExceededException",
                          service_message="The number of allowed deployments was exceeded.")  # fmt: skip
    with pytest.raises(ReleaseError, match=r"a release of service flask-app-prod is already in progress \(CodeDeploy:"
                       r" The number of allowed deployments was exceeded.\).*`aws deploy list-deployments"
                       r" --application-name flask-app-prod --deployment-group-name flask-app-prod"):  # fmt: skip
        start_release(codedeploy, application=APP, deployment_group=GROUP, task_definition_arn=TD,
                      container_name="app", container_port=3000, description="d", log=io.StringIO())  # fmt: skip


def test_start_reports_any_other_refusal_with_its_code(codedeploy: Any, stub: Any) -> None:
    stub.add_client_error("create_deployment", service_error_code="DeploymentGroupDoesNotExistException",
                          service_message="No Deployment Group found for name: flask-app-prod")  # fmt: skip
    with pytest.raises(ReleaseError, match=r"^cannot release service flask-app-prod \(CodeDeploy application"
                       r" flask-app-prod, deployment group flask-app-prod\): DeploymentGroupDoesNotExistException:"
                       r" No Deployment Group found for name: flask-app-prod$"):  # fmt: skip
        start_release(codedeploy, application=APP, deployment_group=GROUP, task_definition_arn=TD,
                      container_name="app", container_port=3000, description="d", log=io.StringIO())  # fmt: skip


def test_start_refuses_a_task_definition_family_without_revision_before_calling_codedeploy(
    codedeploy: Any, stub: Any
) -> None:
    with pytest.raises(ReleaseError, match=r"cannot release service flask-app-prod: appspec.task_definition_arn="
                       r"'arn:aws:ecs:ap-southeast-1:777788889999:task-definition/flask-app-prod-web'; allowed:"):  # fmt: skip
        start_release(codedeploy, application=APP, deployment_group=GROUP, task_definition_arn=TD.rsplit(":", 1)[0],
                      container_name="app", container_port=3000, description="d", log=io.StringIO())  # fmt: skip


# ---- wait ------------------------------------------------------------------------------------------


def test_success_prints_each_phase_once(codedeploy: Any, stub: Any, clock: FakeClock) -> None:
    installing = target(events(BeforeInstall="Succeeded", Install="InProgress"), blue=100)
    done_before = {name: "Succeeded" for name in ECS_EVENTS[:6]}
    shifting = target(events(**done_before, AllowTraffic="InProgress"), green=10, blue=90)
    succeeded = target(events(**{name: "Succeeded" for name in ECS_EVENTS}), green=100, blue=0)
    poll(stub, "InProgress", installing, first=True)
    poll(stub, "InProgress", installing)
    poll(stub, "InProgress", shifting)
    poll(stub, "InProgress", shifting)
    poll(stub, "Succeeded", succeeded)
    log = io.StringIO()
    result = wait_for_release(codedeploy, ID, timeout=900, log=log, sleep=clock.sleep, clock=clock)
    assert result.ok
    assert (result.status, result.reason, result.details) == ("Succeeded", "release d-4TQ8XJ2LB Succeeded", [])
    assert clock.sleeps == [10.0] * 4
    assert log.getvalue().splitlines() == [
        "   release d-4TQ8XJ2LB: InProgress: BeforeInstall Succeeded, Install InProgress ... traffic blue 100%",
        "   release d-4TQ8XJ2LB: InProgress: BeforeInstall Succeeded, Install Succeeded, AfterInstall Succeeded,"
        " AllowTestTraffic Succeeded, AfterAllowTestTraffic Succeeded, BeforeAllowTraffic Succeeded,"
        " AllowTraffic InProgress ... traffic green 10% / blue 90%",
        "   release d-4TQ8XJ2LB: Succeeded: BeforeInstall Succeeded, Install Succeeded, AfterInstall Succeeded,"
        " AllowTestTraffic Succeeded, AfterAllowTestTraffic Succeeded, BeforeAllowTraffic Succeeded,"
        " AllowTraffic Succeeded, AfterAllowTraffic Succeeded ... traffic green 100% / blue 0%",
    ]


def test_failed_release_returns_the_error_and_the_failed_lifecycle_event(
    codedeploy: Any, stub: Any, clock: FakeClock
) -> None:
    testing = target(events(BeforeInstall="Succeeded", Install="Succeeded", AfterInstall="Succeeded",
                            AllowTestTraffic="Succeeded", AfterAllowTestTraffic="InProgress"), green=0, blue=100)  # fmt: skip
    failed_events = events(BeforeInstall="Succeeded", Install="Succeeded", AfterInstall="Succeeded",
                           AllowTestTraffic="Succeeded", AfterAllowTestTraffic="Failed")  # fmt: skip
    failed_events[4]["diagnostics"] = {"errorCode": "ScriptFailed", "message": "smoke check GET /health answered 503",
                                       "logTail": "GET /health -> 503\nGET /health -> 503\n"}  # fmt: skip
    poll(stub, "InProgress", testing, first=True)
    poll(stub, "Failed", target(failed_events, green=0, blue=100), errorInformation={
        "code": "HOOK_EXECUTION_FAILURE", "message": "One or more lifecycle events did not succeed"},
        rollbackInfo={"rollbackMessage": "Rolled back by d-9ZZZZZZZZ"})  # fmt: skip
    log = io.StringIO()
    result = wait_for_release(codedeploy, ID, timeout=900, log=log, sleep=clock.sleep, clock=clock)
    assert not result.ok
    assert result.status == "Failed"
    assert (
        result.reason
        == "release d-4TQ8XJ2LB Failed: HOOK_EXECUTION_FAILURE: One or more lifecycle events did not succeed"
    )
    assert (result.error_code, result.error_message) == (
        "HOOK_EXECUTION_FAILURE",
        "One or more lifecycle events did not succeed",
    )
    assert result.failed_events == [release.FailedEvent("AfterAllowTestTraffic", "ScriptFailed",
                                                        "smoke check GET /health answered 503",
                                                        "GET /health -> 503\nGET /health -> 503\n")]  # fmt: skip
    assert result.details == [
        "CodeDeploy error HOOK_EXECUTION_FAILURE: One or more lifecycle events did not succeed",
        "lifecycle event AfterAllowTestTraffic Failed: ScriptFailed: smoke check GET /health answered 503",
        "    GET /health -> 503",
        "    GET /health -> 503",
        "rollback: Rolled back by d-9ZZZZZZZZ",
    ]
    assert log.getvalue().splitlines()[-1] == (
        "   release d-4TQ8XJ2LB: Failed: BeforeInstall Succeeded, Install Succeeded, AfterInstall Succeeded,"
        " AllowTestTraffic Succeeded, AfterAllowTestTraffic Failed ... traffic green 0% / blue 100%"
    )
    assert clock.sleeps == [10.0]


def test_stopped_release_is_a_failure_with_the_stop_reason(codedeploy: Any, stub: Any, clock: FakeClock) -> None:
    shifting = target(
        events(**{name: "Succeeded" for name in ECS_EVENTS[:6]}, AllowTraffic="InProgress"), green=20, blue=80
    )
    poll(stub, "InProgress", shifting, first=True)
    poll(stub, "Stopped", target(events(**{name: "Succeeded" for name in ECS_EVENTS[:6]}, AllowTraffic="Skipped"),
                                 green=0, blue=100),
         errorInformation={"code": "MANUAL_STOP", "message": "The deployment was stopped by a user"})  # fmt: skip
    log = io.StringIO()
    result = wait_for_release(codedeploy, ID, timeout=900, log=log, sleep=clock.sleep, clock=clock)
    assert not result.ok
    assert (result.status, result.timed_out, result.failed_events) == ("Stopped", False, [])
    assert result.reason == "release d-4TQ8XJ2LB Stopped: MANUAL_STOP: The deployment was stopped by a user"
    assert result.details == ["CodeDeploy error MANUAL_STOP: The deployment was stopped by a user"]
    assert log.getvalue().splitlines()[-1].endswith("AllowTraffic Skipped ... traffic green 0% / blue 100%")


def test_timeout_says_how_to_stop_the_release_that_keeps_running(codedeploy: Any, stub: Any, clock: FakeClock) -> None:
    installing = target(events(BeforeInstall="InProgress"), blue=100)
    poll(stub, "Created")  # no target before the deployment starts: no ListDeploymentTargets call
    poll(stub, "InProgress", installing, first=True)
    poll(stub, "InProgress", installing)
    poll(stub, "InProgress", installing)
    log = io.StringIO()
    result = wait_for_release(codedeploy, ID, timeout=25, log=log, sleep=clock.sleep, clock=clock)
    assert not result.ok
    assert result.timed_out
    assert result.status == "InProgress"
    assert clock.sleeps == [10.0, 10.0, 5.0]
    assert result.reason == ("release d-4TQ8XJ2LB timed out after 25 s (--timeout); last state:"
                             " InProgress: BeforeInstall InProgress ... traffic blue 100%")  # fmt: skip
    assert result.details == ["the deployment keeps running on AWS; to stop it and roll the service back: %s" % STOP]
    assert log.getvalue().splitlines() == [
        "   release d-4TQ8XJ2LB: Created",
        "   release d-4TQ8XJ2LB: InProgress: BeforeInstall InProgress ... traffic blue 100%",
    ]


def test_a_target_not_yet_started_is_asked_for_again_on_the_next_poll(
    codedeploy: Any, stub: Any, clock: FakeClock
) -> None:
    stub.add_response("get_deployment", info("InProgress"), {"deploymentId": ID})
    stub.add_client_error("list_deployment_targets", service_error_code="DeploymentNotStartedException",
                          service_message="The deployment has not started", expected_params={"deploymentId": ID})  # fmt: skip
    poll(stub, "Succeeded", target(events(**{name: "Succeeded" for name in ECS_EVENTS}), green=100, blue=0), first=True)
    log = io.StringIO()
    result = wait_for_release(codedeploy, ID, timeout=900, log=log, sleep=clock.sleep, clock=clock)
    assert result.ok
    assert log.getvalue().splitlines()[0] == "   release d-4TQ8XJ2LB: InProgress"


# ---- stop ------------------------------------------------------------------------------------------


def test_stop_rolls_back_by_default(codedeploy: Any, stub: Any) -> None:
    stub.add_response("stop_deployment", {"status": "Pending", "statusMessage": "Stopping Pending. Stopping to be retried"},
                      {"deploymentId": ID, "autoRollbackEnabled": True})  # fmt: skip
    log = io.StringIO()
    assert stop_release(codedeploy, ID, log=log) == "Pending"
    assert log.getvalue() == (
        "   release d-4TQ8XJ2LB: stop requested (auto rollback): Pending, Stopping Pending. Stopping to be retried\n"
    )


def test_stop_without_rollback_says_so(codedeploy: Any, stub: Any) -> None:
    stub.add_response("stop_deployment", {"status": "Succeeded"}, {"deploymentId": ID, "autoRollbackEnabled": False})
    log = io.StringIO()
    assert stop_release(codedeploy, ID, log=log, auto_rollback=False) == "Succeeded"
    assert log.getvalue() == "   release d-4TQ8XJ2LB: stop requested (no rollback): Succeeded\n"


def test_stop_of_an_ended_release_is_refused(codedeploy: Any, stub: Any) -> None:
    stub.add_client_error("stop_deployment", service_error_code="DeploymentAlreadyCompletedException",
                          service_message="Deployment d-4TQ8XJ2LB has already completed",
                          expected_params={"deploymentId": ID, "autoRollbackEnabled": True})  # fmt: skip
    with pytest.raises(ReleaseError, match=r"^release d-4TQ8XJ2LB has already ended; nothing was stopped"):
        stop_release(codedeploy, ID, log=io.StringIO())


# ---- the codedeploy model --------------------------------------------------------------------------


def members(shape: str) -> set[str]:
    return set(model().shape_for(shape).members)


def test_requests_use_fields_of_the_model() -> None:
    assert {"applicationName", "deploymentGroupName", "revision", "description"} <= members("CreateDeploymentInput")
    assert {"revisionType", "appSpecContent"} <= members("RevisionLocation")
    assert "AppSpecContent" in model().shape_for("RevisionLocationType").enum
    assert "content" in members("AppSpecContent")
    assert members("GetDeploymentInput") == {"deploymentId"}
    assert {"deploymentId", "nextToken"} <= members("ListDeploymentTargetsInput")
    assert {"deploymentId", "targetIds"} <= members("BatchGetDeploymentTargetsInput")
    assert {"deploymentId", "autoRollbackEnabled"} == members("StopDeploymentInput")


def test_answers_are_read_by_fields_of_the_model() -> None:
    assert "deploymentId" in members("CreateDeploymentOutput")
    assert "deploymentInfo" in members("GetDeploymentOutput")
    assert {"status", "errorInformation", "rollbackInfo"} <= members("DeploymentInfo")
    assert {"code", "message"} <= members("ErrorInformation")
    assert "rollbackMessage" in members("RollbackInfo")
    assert {"targetIds", "nextToken"} <= members("ListDeploymentTargetsOutput")
    assert "deploymentTargets" in members("BatchGetDeploymentTargetsOutput")
    assert "ecsTarget" in members("DeploymentTarget")
    assert {"lifecycleEvents", "taskSetsInfo"} <= members("ECSTarget")
    assert {"lifecycleEventName", "status", "diagnostics"} <= members("LifecycleEvent")
    assert {"errorCode", "message", "logTail"} <= members("Diagnostics")
    assert {"taskSetLabel", "trafficWeight"} <= members("ECSTaskSet")
    assert {"status", "statusMessage"} <= members("StopDeploymentOutput")


def test_status_values_and_error_codes_are_those_of_the_model() -> None:
    m = model()
    assert set(release.FINAL_STATUSES) | set(release.NOT_STARTED_STATUSES) <= set(m.shape_for("DeploymentStatus").enum)
    assert {release.EVENT_PENDING, release.EVENT_FAILED} <= set(m.shape_for("LifecycleEventStatus").enum)
    assert set(release.TASK_SET_LABELS) == set(m.shape_for("TargetLabel").enum)

    def errors(operation: str) -> set[str]:
        return {shape.name for shape in m.operation_model(operation).error_shapes}

    assert release.IN_PROGRESS_ERROR in errors("CreateDeployment")
    assert "DeploymentAlreadyCompletedException" in errors("StopDeployment")
    assert "DeploymentNotStartedException" in errors("ListDeploymentTargets")


def test_an_unexpected_error_describing_the_target_is_a_release_error(codedeploy: Any, stub: Any, clock: FakeClock) -> None:
    """Not a traceback: make deploy prints one line saying the deployment goes on and how to follow it."""
    stub.add_response("get_deployment", info("InProgress"), {"deploymentId": ID})
    stub.add_client_error("list_deployment_targets", service_error_code="InternalFailure", service_message="boom",
                          http_status_code=500)  # fmt: skip
    with pytest.raises(ReleaseError, match=r"could not describe the deployment's target \(InternalFailure: boom\);"
                                           r" the deployment goes on: follow it with `aws deploy get-deployment"):  # fmt: skip
        wait_for_release(codedeploy, ID, timeout=60, log=io.StringIO(), sleep=clock.sleep, clock=clock)
