"""`make deploy` of a blue/green environment: the controller guard before the apply, then the web service
released through CodeDeploy (step 5) before the other services are waited for.

ECS and CodeDeploy answers are stubbed (``botocore.stub.Stubber``, each answer checked against the
model) and time is a fake clock; the release module itself is tested in tests/ops/test_release.py.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from opscmd_support import FakeClock, StubbedClients

from envconfig import load_environment
from envconfig.model import EnvironmentConfig
from ops import deploy
from rules.releases import appspec, appspec_text

TD = "arn:aws:ecs:ap-southeast-1:777788889999:task-definition/flask-app-prod:%d"
CLUSTER = "flask-app-prod"
CANARY = {"strategy": "canary", "percent": 10, "minutes": 5, "test_ingress_cidrs": ["203.0.113.0/24"]}


def prod(**release: Any) -> EnvironmentConfig:
    data = load_environment("prod").model_dump(exclude_unset=True)
    data["workloads"] = {}
    data["queue"] = None
    if release:
        data["release"] = release
    return EnvironmentConfig.model_validate(data)


def outputs(*, blue_green: bool, revision: int = 9) -> dict[str, Any]:
    out: dict[str, Any] = {"cluster_name": CLUSTER, "service_name": "flask-app-prod", "service_url": "https://x.test",
                           "log_group_name": "/ecs/flask-app-prod/web"}  # fmt: skip
    if blue_green:
        out.update(task_definition_arn=TD % revision, codedeploy_application="flask-app-prod",
                   codedeploy_deployment_group="flask-app-prod", test_listener_port=8443)  # fmt: skip
    return out


class FakeStack:
    """outputs() answers ``before`` until apply was called, then ``after``."""

    def __init__(self, before: dict[str, Any], after: dict[str, Any]) -> None:
        self.before, self.after, self.applied = before, after, False

    def init(self) -> None:
        pass

    def outputs(self) -> dict[str, Any]:
        return self.after if self.applied else self.before


@pytest.mark.parametrize(
    ("env", "before", "refused"),
    [
        (prod(**CANARY), outputs(blue_green=False), "runs with the ECS deployment controller, and release.strategy="
                                                    "'canary' needs CODE_DEPLOY"),
        (prod(), outputs(blue_green=True), "runs with the CODE_DEPLOY deployment controller, and release.strategy="
                                           "'rolling' needs ECS"),
        (prod(**CANARY, allow_controller_change=True), outputs(blue_green=False), None),
        (prod(**CANARY), outputs(blue_green=True), None),
        (prod(**CANARY), {}, None),  # nothing deployed yet
        (prod(), outputs(blue_green=False), None),
    ],
)  # fmt: skip
def test_the_controller_guard(env: EnvironmentConfig, before: dict[str, Any], refused: str | None) -> None:
    problem = deploy.controller_change_problem(env, before)
    if refused is None:
        assert problem is None
    else:
        assert problem is not None and refused in problem
        assert "the apply would replace the service" in problem and "release.allow_controller_change = true" in problem


def test_a_switch_is_refused_before_anything_is_applied() -> None:
    stack = FakeStack(outputs(blue_green=False), outputs(blue_green=True))
    applied: list[bool] = []
    log = io.StringIO()
    rollout = deploy.roll_out(
        prod(**CANARY), stack, lambda: applied.append(True), label="apply prod", command="deploy", timeout=60,
        smoke_timeout=0, log=log, client=StubbedClients(),
    )  # fmt: skip
    assert not rollout.ok and applied == []
    assert "deploy: REFUSED at step 4: service flask-app-prod runs with the ECS deployment controller" in log.getvalue()


def test_the_web_service_is_released_through_codedeploy_then_smoke_tested(monkeypatch: pytest.MonkeyPatch) -> None:
    stubbed, clock = StubbedClients(), FakeClock()
    env = prod(**CANARY)
    stack = FakeStack(outputs(blue_green=True, revision=8), outputs(blue_green=True, revision=9))
    # After the apply, the service still runs revision 8 (Terraform ignores its task definition).
    stubbed.add("ecs", "describe_services", {"services": [{"serviceName": "flask-app-prod", "taskDefinition": TD % 8}],
                                            "failures": []}, {"cluster": CLUSTER, "services": ["flask-app-prod"]})  # fmt: skip
    content = appspec_text(appspec(task_definition_arn=TD % 9, container_name="app", container_port=3000))
    stubbed.add("codedeploy", "create_deployment", {"deploymentId": "d-ABCDEFGH1"}, {
        "applicationName": "flask-app-prod", "deploymentGroupName": "flask-app-prod",
        "description": "make deploy ENV=prod: flask-app-prod:9",
        "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": content}},
    })  # fmt: skip
    stubbed.add("codedeploy", "get_deployment", {"deploymentInfo": {
        "deploymentId": "d-ABCDEFGH1", "status": "Succeeded", "computePlatform": "ECS"}}, {"deploymentId": "d-ABCDEFGH1"})  # fmt: skip
    stubbed.add("codedeploy", "list_deployment_targets", {"targetIds": ["flask-app-prod:flask-app-prod"]},
                {"deploymentId": "d-ABCDEFGH1"})  # fmt: skip
    stubbed.add("codedeploy", "batch_get_deployment_targets", {"deploymentTargets": [{
        "deploymentTargetType": "ECSTarget", "ecsTarget": {"deploymentId": "d-ABCDEFGH1", "status": "Succeeded",
        "lifecycleEvents": [{"lifecycleEventName": "AllowTraffic", "status": "Succeeded"}],
        "taskSetsInfo": [{"taskSetLabel": "Green", "trafficWeight": 100.0}]}}]},
        {"deploymentId": "d-ABCDEFGH1", "targetIds": ["flask-app-prod:flask-app-prod"]})  # fmt: skip
    # Then the other services: none here but the web service, which CodeDeploy rolled out.
    stubbed.add("ecs", "describe_services", {"services": [{"serviceName": "flask-app-prod", "taskDefinition": TD % 9}],
                                            "failures": []}, {"cluster": CLUSTER, "services": ["flask-app-prod"]})  # fmt: skip
    checked: list[str] = []
    monkeypatch.setattr(deploy, "run_smoke_check", lambda check, url, timeout, log: (checked.append(url + check.path),
                                                                                    (True, None))[1])  # fmt: skip
    log = io.StringIO()

    def apply() -> None:
        stack.applied = True

    rollout = deploy.roll_out(env, stack, apply, label="apply prod", command="deploy", timeout=600, smoke_timeout=0,
                              log=log, client=stubbed, sleep=clock.sleep, clock=clock)  # fmt: skip
    text = log.getvalue()
    assert rollout.ok, text
    stubbed.assert_done()
    lines = text.splitlines()
    assert "==> [5/6] release flask-app-prod:9 through CodeDeploy (canary)" in lines
    assert any(line.startswith("   release d-ABCDEFGH1: started for deployment group flask-app-prod") for line in lines)
    assert "   then wait for the 0 other services (at most 600 s)" in lines
    assert checked == ["https://x.test/health"]


def test_nothing_is_released_when_the_service_already_runs_the_revision() -> None:
    stubbed = StubbedClients()
    same = {"services": [{"serviceName": "flask-app-prod", "taskDefinition": TD % 9}], "failures": []}
    stubbed.add("ecs", "describe_services", same, {"cluster": CLUSTER, "services": ["flask-app-prod"]})
    log = io.StringIO()
    result = deploy.release_web(prod(**CANARY), outputs(blue_green=True), stubbed, timeout=60, log=log)
    assert result is None
    assert "   web: the service already runs flask-app-prod:9; nothing to release" in log.getvalue()
    stubbed.assert_done()  # no CodeDeploy call


def test_a_failed_release_fails_step_5_with_codedeploys_reason() -> None:
    stubbed, clock = StubbedClients(), FakeClock()
    stubbed.add("ecs", "describe_services", {"services": [{"serviceName": "flask-app-prod", "taskDefinition": TD % 8}],
                                            "failures": []})  # fmt: skip
    stubbed.add("codedeploy", "create_deployment", {"deploymentId": "d-FAILED001"})
    stubbed.add("codedeploy", "get_deployment", {"deploymentInfo": {
        "deploymentId": "d-FAILED001", "status": "Failed", "computePlatform": "ECS",
        "errorInformation": {"code": "ECS_UPDATE_ERROR", "message": "The ECS service cannot reach a steady state"}}})  # fmt: skip
    stubbed.add("codedeploy", "list_deployment_targets", {"targetIds": ["t"]})
    stubbed.add("codedeploy", "batch_get_deployment_targets", {"deploymentTargets": []})
    log = io.StringIO()
    result = deploy.release_web(prod(**CANARY), outputs(blue_green=True), stubbed, timeout=60, log=log,
                                sleep=clock.sleep, clock=clock)  # fmt: skip
    assert result is not None and not result.ok
    assert "ECS_UPDATE_ERROR" in result.reason + " ".join(result.details)
