"""Blue/green releases through CodeDeploy: the rules (strategies, deployment configs, AppSpec), the
``BlueGreen`` construct, the service's ``CODE_DEPLOY`` controller, validation, and validity through the real
Terraform provider schema.

One synthesized stack holds both construct cases: ``BlueGreen`` with defaults only, next to a load balancer,
its blue target and a ``Service`` with ``deployment_controller="CODE_DEPLOY"``; ``Canary`` with every option
set and literal ARNs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import resources, synth_construct
from tests.construct_validate import assert_valid
from tests.service_stack import by_id

VPC_ID = "vpc-0123456789abcdef0"
SUBNETS = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
ACCOUNT = "123456789012"
ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:%s:loadbalancer/app/app-full-alb/0123456789abcdef" % ACCOUNT
LISTENER_ARNS = (
    "arn:aws:elasticloadbalancing:us-east-1:%s:listener/app/app-full-alb/0123456789abcdef/0a1b2c3d" % ACCOUNT,
    "arn:aws:elasticloadbalancing:us-east-1:%s:listener/app/app-full-alb/0123456789abcdef/4e5f6a7b" % ACCOUNT,
)
BLUE_ARN = "arn:aws:elasticloadbalancing:us-east-1:%s:targetgroup/app-full-tg/0123456789abcdef" % ACCOUNT
CERT_ARN = "arn:aws:acm:us-east-1:%s:certificate/0a1b2c3d-0000-1111-2222-333344445555" % ACCOUNT
TASK_DEF_ARN = "arn:aws:ecs:us-east-1:%s:task-definition/flask-app-prod-web:42" % ACCOUNT
ALARMS = ("app-full-5xx", "app-full-unhealthy-hosts")


def _target_props(**overrides: Any) -> Any:
    from modules.listener_target import TargetProps

    kwargs: dict[str, Any] = dict(target_group_name="app-test-tg", port=3000, health_check_path="/health",
                                  health_check_interval_seconds=15, healthy_threshold_count=3,
                                  deregistration_delay_seconds=20)  # fmt: skip
    kwargs.update(overrides)
    return TargetProps(**kwargs)


def _props(**overrides: Any) -> Any:
    """Full-option props with literal values (for the validation tests)."""
    from modules.blue_green import BlueGreenProps

    kwargs: dict[str, Any] = dict(
        name="app-full", cluster_name="app-full", service_name="app-full-web", vpc_id=VPC_ID, alb_arn=ALB_ARN,
        alb_security_group_id="sg-0123456789abcdef0", production_listener_arns=LISTENER_ARNS,
        blue_target_group_arn=BLUE_ARN, blue_target=_target_props(target_group_name="app-full-tg", port=8080),
        test_listener_port=9443, test_ingress_cidrs=("10.0.0.0/8", "192.168.1.0/24"),
    )  # fmt: skip
    kwargs.update(overrides)
    return BlueGreenProps(**kwargs)


@pytest.fixture(scope="module")
def built() -> tuple[dict[str, Any], Any, Any]:
    """(stack, defaults construct, full construct), synthesized once for this module."""
    from modules.blue_green import BlueGreen, BlueGreenProps
    from modules.listener_target import ListenerTarget
    from modules.load_balancer import LoadBalancer, LoadBalancerProps
    from modules.registry import Registry, RegistryProps
    from modules.service import Service, ServiceOptions, ServiceProps
    from rules.releases import TrafficShift

    made: dict[str, Any] = {}

    def build(stack: Any) -> None:
        registry = Registry(stack, "Registry", props=RegistryProps(name="app-test"))
        lb = LoadBalancer(stack, "LoadBalancer", props=LoadBalancerProps(
            name="app-test", alb_name="app-test-alb", vpc_id=VPC_ID, public_subnet_ids=SUBNETS))  # fmt: skip
        blue = _target_props()
        target = ListenerTarget(lb, load_balancer=lb, props=blue)
        lb.leave_targets_to_codedeploy()
        service = Service(stack, "Service", props=ServiceProps(
            name="app-test", service_name="app-test-web", app_name="app", env_name="dev", region="us-east-1",
            desired_count=2, log_retention_days=30, registry=registry, image_tag="abc", vpc_id=VPC_ID,
            subnet_ids=SUBNETS, alb_security_group_id=lb.security_group_id, target_group_arn=target.target_group_arn,
            listeners=lb.listeners, service=ServiceOptions(deployment_controller="CODE_DEPLOY")))  # fmt: skip
        made["defaults"] = BlueGreen(stack, "BlueGreen", props=BlueGreenProps(
            name="app-test", cluster_name=service.cluster.cluster_name, service_name=service.service_name,
            vpc_id=VPC_ID, alb_arn=lb.alb_arn, alb_security_group_id=lb.security_group_id,
            production_listener_arns=tuple(ref.arn for ref in lb.forwarding_refs),
            blue_target_group_arn=target.target_group_arn, blue_target=blue, test_listener_port=8080,
            test_ingress_cidrs=("10.20.0.0/16",)))  # fmt: skip
        made["full"] = BlueGreen(stack, "Canary", props=_props(
            certificate_arn=CERT_ARN, traffic=TrafficShift("canary", percent=25, minutes=10),
            termination_wait_minutes=60, approval_wait_minutes=30, alarm_names=ALARMS))  # fmt: skip

    return synth_construct(build), made["defaults"], made["full"]


@pytest.fixture(scope="module")
def stack(built: tuple[dict[str, Any], Any, Any]) -> dict[str, Any]:
    return built[0]


def _ref(stack: dict[str, Any], rtype: str, construct_path: str, attribute: str) -> str:
    """``${<rtype>.<logical id>.<attribute>}`` of the resource at ``construct_path``."""
    section = stack["resource"][rtype]
    parts = construct_path.split("/")
    collapsed = [p for i, p in enumerate(parts) if i == 0 or p != parts[i - 1]]
    (logical,) = [k for k in section if re.match("^%s_[0-9A-F]{8}$" % re.escape("_".join(collapsed)), k)]
    return "${%s.%s.%s}" % (rtype, logical, attribute)


# ---- rules: strategies and deployment configs -------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "percent", "minutes", "name"),
    [
        ("all-at-once", None, None, "CodeDeployDefault.ECSAllAtOnce"),
        ("linear", 10, 1, "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"),
        ("linear", 10, 3, "CodeDeployDefault.ECSLinear10PercentEvery3Minutes"),
        ("canary", 10, 5, "CodeDeployDefault.ECSCanary10Percent5Minutes"),
        ("canary", 10, 15, "CodeDeployDefault.ECSCanary10Percent15Minutes"),
    ],
)
def test_matching_numbers_use_the_predefined_config(strategy: str, percent: int | None, minutes: int | None,
                                                    name: str) -> None:  # fmt: skip
    from rules.releases import TrafficShift

    shift = TrafficShift(strategy, percent, minutes)
    assert shift.predefined_config_name == name
    assert shift.config_name("flask-app-prod") == name


@pytest.mark.parametrize(
    ("strategy", "percent", "minutes", "name", "routing"),
    [
        ("linear", 20, 2, "flask-app-prod-ECSLinear20PercentEvery2Minutes", "TimeBasedLinear"),
        ("linear", 10, 2, "flask-app-prod-ECSLinear10PercentEvery2Minutes", "TimeBasedLinear"),
        ("canary", 10, 10, "flask-app-prod-ECSCanary10Percent10Minutes", "TimeBasedCanary"),
        ("canary", 15, 5, "flask-app-prod-ECSCanary15Percent5Minutes", "TimeBasedCanary"),
    ],
)
def test_other_numbers_need_a_custom_config_named_from_them(strategy: str, percent: int, minutes: int, name: str,
                                                            routing: str) -> None:  # fmt: skip
    from rules.releases import TrafficShift

    shift = TrafficShift(strategy, percent, minutes)
    assert shift.predefined_config_name is None
    assert shift.config_name("flask-app-prod") == shift.custom_config_name("flask-app-prod") == name
    assert shift.routing_type == routing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("blue-green", None, None), r"TrafficShift\.strategy='blue-green'; allowed: 'all-at-once', 'linear', 'canary'"),
        (("all-at-once", 10, None), r"TrafficShift\.percent=10 with strategy='all-at-once'; allowed: None"),
        (("all-at-once", None, 5), r"TrafficShift\.minutes=5 with strategy='all-at-once'; allowed: None"),
        (("linear", 10, None), r"TrafficShift\.percent=10, minutes=None with strategy='linear'; allowed: both set"),
        (("canary", None, 5), r"TrafficShift\.percent=None, minutes=5 with strategy='canary'; allowed: both set"),
        (("linear", 0, 1), r"TrafficShift\.percent=0; allowed: 1\.\.99 %"),
        (("canary", 100, 1), r"TrafficShift\.percent=100; allowed: 1\.\.99 %"),
        (("linear", 10, 0), r"TrafficShift\.minutes=0; allowed: 1\.\.2880 minutes"),
        (("canary", 10, 2881), r"TrafficShift\.minutes=2881; allowed: 1\.\.2880 minutes"),
    ],
    ids=["strategy", "all-at-once-percent", "all-at-once-minutes", "linear-no-minutes", "canary-no-percent",
         "percent-0", "percent-100", "minutes-0", "minutes-2881"],
)  # fmt: skip
def test_rejects_a_shift_codedeploy_cannot_run(args: tuple[Any, ...], message: str) -> None:
    from rules.releases import TrafficShift

    with pytest.raises(ValueError, match=message):
        TrafficShift(*args)


def test_accepts_the_range_ends() -> None:
    from rules.releases import TrafficShift

    assert TrafficShift("linear", 1, 1).config_name("x") == "x-ECSLinear1PercentEvery1Minutes"
    assert TrafficShift("canary", 99, 2880).config_name("x") == "x-ECSCanary99Percent2880Minutes"


def test_rejects_a_custom_config_name_codedeploy_would_refuse() -> None:
    from rules.releases import TrafficShift

    shift = TrafficShift("linear", 20, 2)
    with pytest.raises(ValueError, match=r"custom config name '.*' is 101 characters; allowed: 1\.\.100"):
        shift.custom_config_name("p" * 69)
    with pytest.raises(
        ValueError, match=r"custom config name 'my app-ECSLinear20PercentEvery2Minutes'; allowed: letters"
    ):
        shift.custom_config_name("my app")


# ---- rules: the facts against botocore's codedeploy model ----------------------------------------------


@pytest.fixture(scope="module")
def codedeploy_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("codedeploy")


def test_the_model_still_states_no_range_for_percent_and_interval(codedeploy_model: Any) -> None:
    """The ranges of rules/releases.py are the project's while the model has none; when it gains some,
    this fails and the rules should read them from it."""
    for structure, members in (("TimeBasedCanary", ("canaryPercentage", "canaryInterval")),
                               ("TimeBasedLinear", ("linearPercentage", "linearInterval"))):  # fmt: skip
        shape = codedeploy_model.shape_for(structure)
        for member in members:
            metadata = shape.members[member].metadata
            assert "min" not in metadata and "max" not in metadata, (structure, member, metadata)


def test_termination_wait_maximum_is_the_models(codedeploy_model: Any) -> None:
    from rules.releases import INTERVAL_MINUTES, TERMINATION_WAIT_MINUTES

    doc = (
        codedeploy_model.shape_for("BlueInstanceTerminationOption")
        .members["terminationWaitTimeInMinutes"]
        .documentation
    )
    (maximum,) = re.findall(r"maximum setting is (\d+) minutes", doc)
    assert int(maximum) == TERMINATION_WAIT_MINUTES[1] == INTERVAL_MINUTES[1]


def test_alarm_limit_and_config_name_are_the_models(codedeploy_model: Any) -> None:
    from rules.releases import CONFIG_NAME_MAX, MAX_ALARMS

    doc = codedeploy_model.shape_for("AlarmConfiguration").members["alarms"].documentation
    (maximum,) = re.findall(r"maximum of (\d+) alarms", doc)
    assert int(maximum) == MAX_ALARMS
    name = codedeploy_model.shape_for("DeploymentConfigName").metadata
    assert (name["min"], name["max"], name["pattern"]) == (1, CONFIG_NAME_MAX, "[A-Za-z0-9+=,.@_-]*")


def test_the_values_the_construct_writes_are_in_the_models_enums(codedeploy_model: Any) -> None:
    from modules.blue_green import ROLLBACK_ON_ALARM, ROLLBACK_ON_FAILURE
    from rules.releases import ROUTING_TYPES

    assert set(ROUTING_TYPES.values()) == set(codedeploy_model.shape_for("TrafficRoutingType").enum)
    assert {ROLLBACK_ON_FAILURE, ROLLBACK_ON_ALARM} <= set(codedeploy_model.shape_for("AutoRollbackEvent").enum)
    assert {"CONTINUE_DEPLOYMENT", "STOP_DEPLOYMENT"} == set(codedeploy_model.shape_for("DeploymentReadyAction").enum)


# ---- rules: the AppSpec --------------------------------------------------------------------------------


def test_appspec_content() -> None:
    from rules.releases import appspec

    assert appspec(task_definition_arn=TASK_DEF_ARN, container_name="app", container_port=3000) == {
        "version": 0.0,
        "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {
            "TaskDefinition": TASK_DEF_ARN,
            "LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 3000},
        }}}],
    }  # fmt: skip


def test_appspec_platform_version_and_hooks_in_lifecycle_order() -> None:
    from rules.releases import appspec

    spec = appspec(task_definition_arn=TASK_DEF_ARN, container_name="app", container_port=8080,
                   platform_version="1.4.0", hooks={"AfterAllowTraffic": "smoke", "AfterAllowTestTraffic": "test-port",
                                                    "BeforeInstall": "pre"})  # fmt: skip
    properties = spec["Resources"][0]["TargetService"]["Properties"]
    assert properties["PlatformVersion"] == "1.4.0"
    assert spec["Hooks"] == [{"BeforeInstall": "pre"}, {"AfterAllowTestTraffic": "test-port"},
                             {"AfterAllowTraffic": "smoke"}]  # fmt: skip


def test_appspec_text_is_yaml_and_json_of_the_same_document() -> None:
    import yaml

    from rules.releases import appspec, appspec_text

    spec = appspec(task_definition_arn=TASK_DEF_ARN, container_name="app", container_port=3000,
                   platform_version="LATEST", hooks={"BeforeAllowTraffic": "check"})  # fmt: skip
    text = appspec_text(spec)
    assert text.startswith('version: 0.0\nResources:\n  - TargetService:\n      Type: "AWS::ECS::Service"\n')
    assert yaml.safe_load(text) == spec
    assert json.loads(appspec_text(spec, "json")) == spec
    with pytest.raises(ValueError, match=r"appspec_text fmt='toml'; allowed: 'json', 'yaml'"):
        appspec_text(spec, "toml")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"task_definition_arn": "flask-app-prod-web:42"}, r"appspec\.task_definition_arn='flask-app-prod-web:42'; allowed: a task definition revision ARN"),
        ({"task_definition_arn": TASK_DEF_ARN.rsplit(":", 1)[0]}, r"appspec\.task_definition_arn=.*; allowed: a task definition revision ARN"),
        ({"container_name": ""}, r"appspec\.container_name=''; allowed: the name of the container"),
        ({"container_port": 0}, r"appspec\.container_port=0; allowed: 1\.\.65535"),
        ({"platform_version": "1.4"}, r"appspec\.platform_version='1\.4'; allowed: 'LATEST' or a version"),
        ({"hooks": {"BeforeTraffic": "x"}}, r"appspec\.hooks has BeforeTraffic; allowed: BeforeInstall, AfterInstall"),
    ],
    ids=["not-an-arn", "no-revision", "container-name", "port", "platform-version", "hook"],
)  # fmt: skip
def test_appspec_rejects_what_codedeploy_would(overrides: dict[str, Any], message: str) -> None:
    from rules.releases import appspec

    kwargs: dict[str, Any] = {"task_definition_arn": TASK_DEF_ARN, "container_name": "app", "container_port": 3000}
    with pytest.raises(ValueError, match=message):
        appspec(**{**kwargs, **overrides})


# ---- construct validation: one test per rule -----------------------------------------------------------


def test_valid_props_pass() -> None:
    assert _props().green_target_group_name == "app-full-tg2"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "a" * 29}, r"BlueGreenProps\.name='a{29}' makes the green target group name 'a{29}-tg2' is 33 characters; allowed: at most 32"),
        ({"production_listener_arns": ()}, r"BlueGreenProps\.production_listener_arns=\(\); allowed: the ARNs of the listeners"),
        ({"test_listener_port": 80}, r"BlueGreenProps\.test_listener_port=80 is a production listener's port; allowed: 1\.\.65535 except 80 and 443"),
        ({"test_listener_port": 443}, r"BlueGreenProps\.test_listener_port=443 is a production listener's port"),
        ({"test_listener_port": 0}, r"BlueGreenProps\.test_listener_port=0; allowed: 1\.\.65535"),
        ({"test_listener_port": 65536}, r"BlueGreenProps\.test_listener_port=65536; allowed: 1\.\.65535"),
        ({"test_ingress_cidrs": ()}, r"BlueGreenProps\.test_ingress_cidrs=\(\) is empty; allowed: the IPv4 blocks"),
        ({"test_ingress_cidrs": ("10.0.0.0/8", "0.0.0.0/0")}, r"BlueGreenProps\.test_ingress_cidrs=\('10\.0\.0\.0/8', '0\.0\.0\.0/0'\) contains '0\.0\.0\.0/0': the test listener serves the new version before it is released or checked, so it must not be open to the internet; allowed"),
        ({"test_ingress_cidrs": ("10.0.0.0/33",)}, r"contains '10\.0\.0\.0/33', not an IPv4 CIDR block; allowed"),
        ({"test_ingress_cidrs": ("::/0",)}, r"contains '::/0', not an IPv4 CIDR block"),
        ({"termination_wait_minutes": -1}, r"BlueGreenProps\.termination_wait_minutes=-1; allowed: 0\.\.2880 minutes"),
        ({"termination_wait_minutes": 2881}, r"BlueGreenProps\.termination_wait_minutes=2881; allowed: 0\.\.2880 minutes"),
        ({"approval_wait_minutes": 0}, r"BlueGreenProps\.approval_wait_minutes=0; allowed: 1\.\.2880 minutes"),
        ({"approval_wait_minutes": 2881}, r"BlueGreenProps\.approval_wait_minutes=2881; allowed: 1\.\.2880 minutes"),
        ({"alarm_names": tuple("a%d" % i for i in range(11))}, r"BlueGreenProps\.alarm_names has 11 alarms; allowed: at most 10"),
    ],
    ids=["green-name", "no-listener", "port-80", "port-443", "port-0", "port-65536", "no-cidrs", "world",
         "bad-cidr", "ipv6", "termination-negative", "termination-over", "approval-0", "approval-over", "alarms"],
)  # fmt: skip
def test_props_reject(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _props(**overrides)


def test_props_reject_a_routed_blue_target() -> None:
    routed = _target_props(paths=("/api/*",), priority=10)
    with pytest.raises(ValueError, match=r"BlueGreenProps\.blue_target has hosts=\[\], paths=\['/api/\*'\]; allowed: the"
                                         r" listeners' default target"):  # fmt: skip
        _props(blue_target=routed)


def test_props_reject_a_name_codedeploy_refuses_in_a_custom_config() -> None:
    from rules.releases import TrafficShift

    with pytest.raises(ValueError, match=r"TrafficShift custom config name .* allowed: letters"):
        _props(name="App Full", traffic=TrafficShift("linear", 20, 2))


# ---- the service with CODE_DEPLOY --------------------------------------------------------------------------


def test_code_deploy_service_leaves_task_definition_and_load_balancer_to_codedeploy(stack: dict[str, Any]) -> None:
    service = by_id(stack, "aws_ecs_service", "Service/Service")
    assert service["lifecycle"] == {"ignore_changes": ["desired_count", "task_definition", "load_balancer"]}
    assert service["deployment_controller"] == {"type": "CODE_DEPLOY"}
    assert "deployment_circuit_breaker" not in service  # ECS refuses it with CODE_DEPLOY
    assert "alarms" not in service
    # it still registers with the blue target group at first
    assert service["load_balancer"] == [{"target_group_arn": _ref(stack, "aws_lb_target_group", "LoadBalancer/TargetGroup", "arn"),
                                         "container_name": "app", "container_port": 3000}]  # fmt: skip


def test_ecs_is_the_default_controller() -> None:
    from modules.service import ServiceOptions

    assert ServiceOptions().deployment_controller == "ECS"


def _service_props(**overrides: Any) -> Any:
    from modules.cluster import Cluster, ClusterProps
    from modules.registry import Registry, RegistryProps
    from modules.service import ServiceProps

    stack = _bare_stack()
    kwargs: dict[str, Any] = dict(
        name="app-test", service_name="app-test-web", app_name="app", env_name="dev", region="us-east-1",
        desired_count=2, log_retention_days=30, cluster=Cluster(stack, "Cluster", props=ClusterProps(name="app-test")),
        registry=Registry(stack, "Registry", props=RegistryProps(name="app-test")), image_tag="abc", vpc_id=VPC_ID,
        subnet_ids=SUBNETS, alb_security_group_id="sg-1", target_group_arn="arn:tg",
    )  # fmt: skip
    kwargs.update(overrides)
    return ServiceProps(**kwargs)


def _bare_stack() -> Any:
    from cdktf import TerraformStack, Testing

    return TerraformStack(Testing.app(), "props")


def test_service_rejects_an_unknown_controller() -> None:
    from modules.service import ServiceOptions

    with pytest.raises(
        ValueError, match=r"ServiceProps\.service\.deployment_controller='EXTERNAL'; allowed: 'ECS', 'CODE_DEPLOY'"
    ):
        _service_props(service=ServiceOptions(deployment_controller="EXTERNAL"))


def test_service_rejects_code_deploy_without_a_load_balancer() -> None:
    from modules.service import ServiceOptions

    with pytest.raises(ValueError, match=r"deployment_controller='CODE_DEPLOY' without target_group_arn: CodeDeploy moves"
                                         r" traffic between two target groups"):  # fmt: skip
        _service_props(service=ServiceOptions(deployment_controller="CODE_DEPLOY"), alb_security_group_id=None,
                       target_group_arn=None)  # fmt: skip


def test_service_rejects_ecs_deployment_alarms_with_code_deploy() -> None:
    from modules.service import ServiceOptions

    with pytest.raises(ValueError, match=r"ServiceProps\.deployment_alarm_names=\['app-5xx'\] with"
                                         r" service\.deployment_controller='CODE_DEPLOY'.*BlueGreenProps\.alarm_names"):  # fmt: skip
        _service_props(service=ServiceOptions(deployment_controller="CODE_DEPLOY"), deployment_alarm_names=("app-5xx",))


# ---- the construct: target groups and the test listener ------------------------------------------------------


def test_green_target_group_has_the_blue_ones_shape(stack: dict[str, Any]) -> None:
    blue = by_id(stack, "aws_lb_target_group", "LoadBalancer/TargetGroup")
    green = by_id(stack, "aws_lb_target_group", "BlueGreen/GreenTargetGroup")
    assert green["name"] == "app-test-tg2" and green["tags"] == {"Name": "app-test-tg2"}
    same = ("port", "protocol", "target_type", "vpc_id", "deregistration_delay", "health_check")
    assert {k: green[k] for k in same} == {k: blue[k] for k in same}
    assert green["health_check"]["path"] == "/health" and green["health_check"]["interval"] == 15
    assert (green["port"], green["target_type"], green["deregistration_delay"]) == (3000, "ip", "20")


def test_test_listener_forwards_to_green_and_leaves_its_action_to_codedeploy(stack: dict[str, Any]) -> None:
    listener = by_id(stack, "aws_lb_listener", "BlueGreen/TestListener")
    assert (listener["port"], listener["protocol"]) == (8080, "HTTP")
    assert "ssl_policy" not in listener and "certificate_arn" not in listener
    assert listener["load_balancer_arn"] == _ref(stack, "aws_lb", "LoadBalancer/LoadBalancer", "arn")
    assert listener["default_action"] == [
        {"type": "forward", "target_group_arn": _ref(stack, "aws_lb_target_group", "BlueGreen/GreenTargetGroup", "arn")}
    ]
    assert listener["lifecycle"] == {"ignore_changes": ["default_action"]}


def test_test_listener_speaks_https_with_a_certificate(stack: dict[str, Any]) -> None:
    from modules.load_balancer import TLS_POLICY

    listener = by_id(stack, "aws_lb_listener", "Canary/TestListener")
    assert (listener["port"], listener["protocol"], listener["ssl_policy"], listener["certificate_arn"]) == (
        9443, "HTTPS", TLS_POLICY, CERT_ARN,
    )  # fmt: skip
    green = _ref(stack, "aws_lb_target_group", "Canary/GreenTargetGroup", "arn")
    assert listener["default_action"] == [{"type": "forward", "target_group_arn": green}]
    assert listener["lifecycle"] == {"ignore_changes": ["default_action"]}


def test_production_listener_leaves_its_action_to_codedeploy(stack: dict[str, Any]) -> None:
    http = by_id(stack, "aws_lb_listener", "LoadBalancer/HttpListener")
    assert http["lifecycle"] == {"ignore_changes": ["default_action"]}
    assert http["default_action"][0]["type"] == "forward"


def test_test_port_is_open_only_to_the_listed_blocks(stack: dict[str, Any]) -> None:
    alb_sg = _ref(stack, "aws_security_group", "LoadBalancer/SecurityGroup", "id")
    on_port = {name: r for name, r in resources(stack, "aws_vpc_security_group_ingress_rule").items()
               if r["from_port"] in (8080, 9443)}  # fmt: skip
    assert sorted((r["security_group_id"], r["from_port"], r["to_port"], r["cidr_ipv4"]) for r in on_port.values()) == [
        (alb_sg, 8080, 8080, "10.20.0.0/16"),
        ("sg-0123456789abcdef0", 9443, 9443, "10.0.0.0/8"),
        ("sg-0123456789abcdef0", 9443, 9443, "192.168.1.0/24"),
    ]
    assert all(r["ip_protocol"] == "tcp" for r in on_port.values())
    listener = by_id(stack, "aws_lb_listener", "BlueGreen/TestListener")
    assert listener["depends_on"] == [
        "aws_vpc_security_group_ingress_rule.%s" % n for n in on_port if n.startswith("BlueGreen_")
    ]


# ---- the construct: CodeDeploy -------------------------------------------------------------------------------


def test_application_and_service_role(stack: dict[str, Any]) -> None:
    app = by_id(stack, "aws_codedeploy_app", "BlueGreen/Application")
    assert (app["name"], app["compute_platform"]) == ("app-test", "ECS")
    role = by_id(stack, "aws_iam_role", "BlueGreen/ServiceRole")
    assert role["name"] == "app-test-codedeploy"
    trust = by_id(stack, "aws_iam_policy_document", "BlueGreen/RoleTrust", data=True)
    (statement,) = trust["statement"]
    assert statement["principals"] == [{"type": "Service", "identifiers": ["codedeploy.amazonaws.com"]}]
    assert statement["condition"] == [{"test": "StringEquals", "variable": "aws:SourceAccount",
                                       "values": ["${data.aws_caller_identity.BlueGreen_CallerIdentity_16C957E1.account_id}"]}]  # fmt: skip
    attachment = by_id(stack, "aws_iam_role_policy_attachment", "BlueGreen/ServiceRolePolicy")
    assert attachment["role"] == _ref(stack, "aws_iam_role", "BlueGreen/ServiceRole", "name")
    assert re.fullmatch(
        r"arn:\$\{data\.aws_partition\.[^}]+\}:iam::aws:policy/AWSCodeDeployRoleForECS", attachment["policy_arn"]
    )


def test_defaults_use_the_predefined_all_at_once_config(stack: dict[str, Any]) -> None:
    group = by_id(stack, "aws_codedeploy_deployment_group", "BlueGreen/DeploymentGroup")
    assert group["deployment_config_name"] == "CodeDeployDefault.ECSAllAtOnce"
    configs = resources(stack, "aws_codedeploy_deployment_config")
    assert [k for k in configs if k.startswith("BlueGreen_")] == []


def test_custom_canary_config_is_created_and_used(stack: dict[str, Any]) -> None:
    config = by_id(stack, "aws_codedeploy_deployment_config", "Canary/DeploymentConfig")
    assert config["deployment_config_name"] == "app-full-ECSCanary25Percent10Minutes"
    assert config["compute_platform"] == "ECS"
    assert config["traffic_routing_config"] == {"type": "TimeBasedCanary",
                                                "time_based_canary": {"percentage": 25, "interval": 10}}  # fmt: skip
    group = by_id(stack, "aws_codedeploy_deployment_group", "Canary/DeploymentGroup")
    assert group["deployment_config_name"] == _ref(stack, "aws_codedeploy_deployment_config", "Canary/DeploymentConfig",
                                                   "deployment_config_name")  # fmt: skip


def test_deployment_group_wiring_with_both_listeners_and_both_target_groups(stack: dict[str, Any]) -> None:
    group = by_id(stack, "aws_codedeploy_deployment_group", "BlueGreen/DeploymentGroup")
    assert group["app_name"] == _ref(stack, "aws_codedeploy_app", "BlueGreen/Application", "name")
    assert group["deployment_group_name"] == _ref(stack, "aws_ecs_service", "Service/Service", "name")
    assert group["service_role_arn"] == _ref(stack, "aws_iam_role", "BlueGreen/ServiceRole", "arn")
    assert group["deployment_style"] == {"deployment_option": "WITH_TRAFFIC_CONTROL", "deployment_type": "BLUE_GREEN"}
    assert group["ecs_service"] == {"cluster_name": _ref(stack, "aws_ecs_cluster", "Service/Cluster", "name"),
                                    "service_name": _ref(stack, "aws_ecs_service", "Service/Service", "name")}  # fmt: skip
    pair = group["load_balancer_info"]["target_group_pair_info"]
    assert pair["prod_traffic_route"] == {
        "listener_arns": [_ref(stack, "aws_lb_listener", "LoadBalancer/HttpListener", "arn")]
    }
    assert pair["test_traffic_route"] == {
        "listener_arns": [_ref(stack, "aws_lb_listener", "BlueGreen/TestListener", "arn")]
    }
    assert pair["target_group"] == [{"name": "app-test-tg"},
                                    {"name": _ref(stack, "aws_lb_target_group", "BlueGreen/GreenTargetGroup", "name")}]  # fmt: skip
    attachment = _ref(stack, "aws_iam_role_policy_attachment", "BlueGreen/ServiceRolePolicy", "id")
    assert group["depends_on"] == [attachment.removeprefix("${").removesuffix(".id}")]  # the role has its policy first


def test_full_group_names_every_production_listener(stack: dict[str, Any]) -> None:
    group = by_id(stack, "aws_codedeploy_deployment_group", "Canary/DeploymentGroup")
    pair = group["load_balancer_info"]["target_group_pair_info"]
    assert pair["prod_traffic_route"] == {"listener_arns": list(LISTENER_ARNS)}
    assert pair["target_group"][0] == {"name": "app-full-tg"}
    assert group["ecs_service"] == {"cluster_name": "app-full", "service_name": "app-full-web"}


def test_defaults_continue_at_once_keep_blue_five_minutes_and_roll_back_on_failure(stack: dict[str, Any]) -> None:
    group = by_id(stack, "aws_codedeploy_deployment_group", "BlueGreen/DeploymentGroup")
    assert group["blue_green_deployment_config"] == {
        "deployment_ready_option": {"action_on_timeout": "CONTINUE_DEPLOYMENT"},
        "terminate_blue_instances_on_deployment_success": {
            "action": "TERMINATE",
            "termination_wait_time_in_minutes": 5,
        },
    }
    assert group["auto_rollback_configuration"] == {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]}
    assert "alarm_configuration" not in group


def test_full_waits_for_approval_and_rolls_back_on_its_alarms(stack: dict[str, Any]) -> None:
    group = by_id(stack, "aws_codedeploy_deployment_group", "Canary/DeploymentGroup")
    assert group["blue_green_deployment_config"] == {
        "deployment_ready_option": {"action_on_timeout": "STOP_DEPLOYMENT", "wait_time_in_minutes": 30},
        "terminate_blue_instances_on_deployment_success": {
            "action": "TERMINATE",
            "termination_wait_time_in_minutes": 60,
        },
    }
    assert group["auto_rollback_configuration"] == {"enabled": True,
                                                    "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]}  # fmt: skip
    assert group["alarm_configuration"] == {"alarms": list(ALARMS), "enabled": True}


def test_attributes_are_references_to_the_resources(built: tuple[dict[str, Any], Any, Any]) -> None:
    from cdktf import Token

    _, defaults, full = built
    for attribute in ("application_name", "deployment_group_name", "green_target_group_arn",
                      "green_target_group_arn_suffix", "green_target_group_name", "test_listener_arn",
                      "service_role_arn"):  # fmt: skip
        assert Token.is_unresolved(getattr(defaults, attribute)), attribute
    assert defaults.deployment_config_name == "CodeDeployDefault.ECSAllAtOnce"
    assert Token.is_unresolved(full.deployment_config_name)


def test_construct_ids_are_stable(stack: dict[str, Any]) -> None:
    """Renaming these IDs would replace the green target group (while CodeDeploy may route to it) or the group."""
    assert sorted(k for k in resources(stack, "aws_lb_target_group") if k.startswith("BlueGreen_")) == [
        "BlueGreen_GreenTargetGroup_FE470E4E"
    ]
    assert sorted(k for k in resources(stack, "aws_codedeploy_deployment_group")) == [
        "BlueGreen_DeploymentGroup_B27BBAD8", "Canary_DeploymentGroup_97F38B86",
    ]  # fmt: skip


# ---- validity through the real provider schema ------------------------------------------------------------


def test_terraform_validate(terraform: str, tmp_path: Path, stack: dict[str, Any]) -> None:
    assert_valid(terraform, tmp_path, stack)
