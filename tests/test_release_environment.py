"""Blue/green releases of an environment's web service (``[environments.<env>.release]``): the config's rules
and what the stack wires (CodeDeploy controller, listeners left to CodeDeploy, the deployment group, outputs).

The constructs are tested in tests/test_blue_green.py; here the environment's table is translated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from envconfig.model import ReleaseConfig
from tests.conftest import resources, run_terraform

CANARY = {"strategy": "canary", "percent": 10, "minutes": 5, "test_ingress_cidrs": ["203.0.113.0/24"]}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"percent": 10}, r"percent=10 with strategy='rolling'; allowed: unset \(a blue/green setting\)"),
        ({"test_ingress_cidrs": ["10.0.0.0/8"]}, r"test_ingress_cidrs=\('10\.0\.0\.0/8',\) with strategy='rolling'"),
        ({"strategy": "blue"}, r"strategy\s+Input should be 'rolling', 'all-at-once', 'linear' or 'canary'"),
        ({**CANARY, "percent": None}, r"percent=None, minutes=5 with strategy='canary'; allowed: both set"),
        ({**CANARY, "percent": 100}, r"percent=100; allowed: 1\.\.99 %"),
        ({"strategy": "all-at-once", "percent": 10, "test_ingress_cidrs": ["10.0.0.0/8"]},
         r"percent=10 with strategy='all-at-once'; allowed: None"),
        ({**CANARY, "test_ingress_cidrs": []}, r"test_ingress_cidrs=\(\) is empty; allowed: the IPv4 blocks of the testers"),
        ({**CANARY, "test_ingress_cidrs": ["0.0.0.0/0"]}, r"test_ingress_cidrs=.*must not be open to the internet"),
        ({**CANARY, "test_listener_port": 443}, r"test_listener_port=443 is a production listener's port"),
        ({**CANARY, "termination_wait_minutes": 3000}, r"termination_wait_minutes=3000; allowed: 0\.\.2880 minutes"),
        ({**CANARY, "approval_wait_minutes": 0}, r"approval_wait_minutes=0; allowed: 1\.\.2880 minutes"),
    ],
)  # fmt: skip
def test_release_rules(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ReleaseConfig.model_validate(values)


def test_rolling_is_the_default() -> None:
    release = ReleaseConfig()
    assert (release.strategy, release.blue_green, release.deployment_controller) == ("rolling", False, "ECS")
    assert ReleaseConfig.model_validate(CANARY).deployment_controller == "CODE_DEPLOY"
    assert ReleaseConfig().allow_controller_change is False


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import main
    from envconfig import DEFAULT_FILE

    work = tmp_path_factory.mktemp("release")
    config = work / "environments.toml"
    config.write_text(DEFAULT_FILE.read_text() + """
[environments.prod.release]
strategy = "canary"
percent = 10
minutes = 5
test_ingress_cidrs = ["203.0.113.0/24"]
""")  # fmt: skip
    main.build(str(work / "out"), config=config, only=["prod"])
    return dict(json.loads((work / "out" / "stacks" / "prod" / "cdk.tf.json").read_text()))


def test_the_web_service_is_released_by_codedeploy(stack: dict[str, Any]) -> None:
    web = resources(stack, "aws_ecs_service")["Service_D69D759B"]
    assert web["deployment_controller"] == {"type": "CODE_DEPLOY"}
    assert web["lifecycle"]["ignore_changes"] == ["desired_count", "task_definition", "load_balancer"]
    assert "deployment_circuit_breaker" not in web and "alarms" not in web
    worker = next(s for n, s in resources(stack, "aws_ecs_service").items() if n.startswith("Workload-worker_"))
    assert worker["deployment_controller"] == {"type": "ECS"}  # only the web service
    listeners = resources(stack, "aws_lb_listener")
    assert listeners["LoadBalancer_HttpsListener_5C546BDA"]["lifecycle"] == {"ignore_changes": ["default_action"]}
    assert "lifecycle" not in listeners["LoadBalancer_HttpListener_154E9E2C"]  # it only redirects
    ((_, group),) = resources(stack, "aws_codedeploy_deployment_group").items()
    assert group["deployment_config_name"] == "CodeDeployDefault.ECSCanary10Percent5Minutes"
    pair = group["load_balancer_info"]["target_group_pair_info"]
    assert pair["prod_traffic_route"]["listener_arns"] == ["${aws_lb_listener.LoadBalancer_HttpsListener_5C546BDA.arn}"]
    names = [tg["name"] for tg in pair["target_group"]]
    assert names == ["flask-app-prod-tg", "${aws_lb_target_group.BlueGreen_GreenTargetGroup_FE470E4E.name}"]
    # prod's deployment alarms move from the service to the deployment group
    alarms = resources(stack, "aws_cloudwatch_metric_alarm")
    assert [alarms[a.split(".")[1]]["alarm_name"] for a in group["alarm_configuration"]["alarms"]] == [
        "flask-app-prod-target-5xx", "flask-app-prod-unhealthy-hosts"
    ]  # fmt: skip
    assert set(group["auto_rollback_configuration"]["events"]) == {"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"}
    outputs = stack["output"]
    assert outputs["task_definition_arn"]["value"] == "${aws_ecs_task_definition.Service_TaskDefinition_4B51B9EA.arn}"
    assert outputs["test_listener_port"]["value"] == 8443
    assert "codedeploy_application" in outputs and "codedeploy_deployment_group" in outputs


def test_terraform_validates_a_blue_green_environment(stack: dict[str, Any], terraform: str, tmp_path: Path) -> None:
    doc = json.loads(json.dumps(stack))
    doc["terraform"].pop("backend", None)
    (tmp_path / "main.tf.json").write_text(json.dumps(doc))
    assert run_terraform(terraform, tmp_path, "init", "-backend=false", "-input=false").returncode == 0
    result = run_terraform(terraform, tmp_path, "validate", "-json")
    assert json.loads(result.stdout)["valid"] is True, result.stdout
