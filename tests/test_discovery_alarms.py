"""Discovery (Cloud Map) and Alarms (CloudWatch) constructs, and their wiring per environment."""

from __future__ import annotations

from typing import Any

import pytest

from tests.service_stack import all_of, by_id, defaults_stack, full_stack, web_of


@pytest.fixture(scope="module")
def defaults() -> dict[str, Any]:
    return defaults_stack()


@pytest.fixture(scope="module")
def full() -> dict[str, Any]:
    return full_stack()


# ---- discovery -------------------------------------------------------------------------------


def test_no_discovery_unless_a_namespace_is_configured(defaults: dict[str, Any]) -> None:
    assert "aws_service_discovery_private_dns_namespace" not in defaults["resource"]
    assert "aws_service_discovery_service" not in defaults["resource"]


def test_private_namespace_and_registration(full: dict[str, Any]) -> None:
    ns = by_id(full, "aws_service_discovery_private_dns_namespace", "Discovery/Namespace")
    assert ns["name"] == "internal" and ns["vpc"] == "vpc-0123456789abcdef0"
    svc = by_id(full, "aws_service_discovery_service", "Discovery/Service")
    assert svc["name"] == "app"
    dns = svc["dns_config"]
    assert dns["routing_policy"] == "MULTIVALUE"
    assert dns["dns_records"] == [{"ttl": 10, "type": "A"}]
    assert "aws_service_discovery_private_dns_namespace.Discovery_Namespace" in dns["namespace_id"]
    assert "health_check_custom_config" in svc  # ECS reports task health to Cloud Map


def test_registration_uses_the_custom_health_check_with_failure_threshold_1(full: dict[str, Any]) -> None:
    """An empty block is never sent by the provider: no custom health check, and a replacement on every plan."""
    svc = by_id(full, "aws_service_discovery_service", "Discovery/Service")
    assert svc["health_check_custom_config"] == {"failure_threshold": 1}


def test_discovery_creates_no_security_group(full: dict[str, Any]) -> None:
    groups = [name for name in full["resource"]["aws_security_group"] if name.startswith("Discovery_")]
    assert groups == []
    assert not [n for n in full["resource"].get("aws_vpc_security_group_egress_rule", {}) if n.startswith("Discovery_")]


def test_configured_client_groups_reach_the_tasks_on_the_container_port(full: dict[str, Any]) -> None:
    from tests.service_stack import CLIENT_SGS

    rules = [by_id(full, "aws_vpc_security_group_ingress_rule", "Service/TaskIngressFromClient%d" % i) for i in (0, 1)]
    assert [r["referenced_security_group_id"] for r in rules] == list(CLIENT_SGS)
    assert {(r["from_port"], r["to_port"], r["ip_protocol"]) for r in rules} == {(8080, 8080, "tcp")}
    assert all("Service_TaskSecurityGroup" in r["security_group_id"] for r in rules)


def _discovery_props(**overrides: Any) -> Any:
    from modules.discovery import DiscoveryProps

    kwargs: dict[str, Any] = dict(name="app-test", namespace="internal", service="app", vpc_id="vpc-1")
    kwargs.update(overrides)
    return DiscoveryProps(**kwargs)


def test_discovery_endpoint_is_service_dot_namespace() -> None:
    from cdktf import TerraformStack, Testing

    from modules.discovery import Discovery

    stack = TerraformStack(Testing.app(), "test")
    assert Discovery(stack, "Discovery", props=_discovery_props(namespace="svc.internal")).endpoint == "app.svc.internal"


@pytest.mark.parametrize("bad", ["Internal", "-internal", "in ternal", "a" * 64])
def test_discovery_rejects_a_namespace_that_is_not_a_dns_name(bad: str) -> None:
    with pytest.raises(ValueError, match=r"DiscoveryProps\.namespace=.* is not a DNS name; allowed: lowercase"):
        _discovery_props(namespace=bad)


def test_discovery_rejects_a_dotted_service_name() -> None:
    with pytest.raises(ValueError, match=r"DiscoveryProps\.service='a\.b'; allowed: a single DNS label"):
        _discovery_props(service="a.b")


def test_discovery_rejects_a_negative_ttl() -> None:
    with pytest.raises(ValueError, match=r"dns_ttl_seconds=-1; allowed: 0\.\.2147483647"):
        _discovery_props(dns_ttl_seconds=-1)



# ---- alarms ----------------------------------------------------------------------------------


def test_defaults_six_alarms_without_notifications(defaults: dict[str, Any]) -> None:
    alarms = {a["alarm_name"]: a for a in all_of(defaults, "aws_cloudwatch_metric_alarm")}
    assert sorted(alarms) == [
        "app-test-cpu-high", "app-test-elb-5xx", "app-test-latency-p99", "app-test-memory-high", "app-test-target-5xx",
        "app-test-unhealthy-hosts",
    ]  # fmt: skip
    assert all(a["alarm_actions"] == [] and a["ok_actions"] == [] for a in alarms.values())
    assert "aws_sns_topic" not in defaults["resource"]

    five = alarms["app-test-target-5xx"]
    assert (five["namespace"], five["metric_name"], five["statistic"]) == (
        "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum",
    )  # fmt: skip
    assert (five["threshold"], five["evaluation_periods"], five["datapoints_to_alarm"], five["period"]) == (5, 3, 2, 60)
    assert set(five["dimensions"]) == {"LoadBalancer", "TargetGroup"}
    assert five["dimensions"]["LoadBalancer"].endswith(".arn_suffix}")
    assert five["treat_missing_data"] == "notBreaching"

    elb = alarms["app-test-elb-5xx"]
    assert (elb["metric_name"], elb["statistic"], elb["threshold"], elb["evaluation_periods"], elb["datapoints_to_alarm"]) == (
        "HTTPCode_ELB_5XX_Count", "Sum", 5, 3, 2)  # fmt: skip
    assert set(elb["dimensions"]) == {"LoadBalancer"}  # the load balancer's own metric has no target group

    latency = alarms["app-test-latency-p99"]
    assert (latency["metric_name"], latency["extended_statistic"], latency["threshold"]) == ("TargetResponseTime", "p99", 2)
    assert "statistic" not in latency  # CloudWatch takes one of statistic / extended_statistic
    assert (latency["evaluation_periods"], latency["comparison_operator"]) == (5, "GreaterThanThreshold")
    assert "datapoints_to_alarm" not in latency

    unhealthy = alarms["app-test-unhealthy-hosts"]
    assert (unhealthy["metric_name"], unhealthy["statistic"], unhealthy["threshold"]) == ("UnHealthyHostCount", "Maximum", 1)
    assert unhealthy["evaluation_periods"] == 2

    for name, metric in (("app-test-cpu-high", "CPUUtilization"), ("app-test-memory-high", "MemoryUtilization")):
        alarm = alarms[name]
        assert (alarm["namespace"], alarm["metric_name"], alarm["threshold"]) == ("AWS/ECS", metric, 85)
        assert alarm["evaluation_periods"] == 5
        # the service name is a literal: no alarm -> service -> alarm cycle
        assert alarm["dimensions"]["ServiceName"] == "app-test-web"
        assert alarm["dimensions"]["ClusterName"].startswith("${aws_ecs_cluster.")


def test_every_alarm_notifies_the_topic_given(full: dict[str, Any]) -> None:
    from tests.service_stack import FULL_TOPIC_ARN

    alarms = all_of(full, "aws_cloudwatch_metric_alarm")
    assert len(alarms) == 6
    for alarm in alarms:
        assert alarm["alarm_actions"] == alarm["ok_actions"] == [FULL_TOPIC_ARN]
    assert "aws_sns_topic" not in full["resource"]  # the topic is modules.alarm_topic's, not the alarms'


def test_deployment_alarms_are_the_release_health_alarms(full: dict[str, Any]) -> None:
    svc = by_id(full, "aws_ecs_service", "Service/Service")
    names = svc["alarms"]["alarm_names"]
    assert any("Alarms_Target5xx" in n for n in names) and any("Alarms_UnhealthyHosts" in n for n in names)
    assert not any("CpuHigh" in n or "MemoryHigh" in n for n in names)


def _alarms_props(**overrides: Any) -> Any:
    from modules.alarms import AlarmsProps

    kwargs: dict[str, Any] = dict(name="app-test", cluster_name="c", service_name="s", alb_arn_suffix="app/a/1",
                                  target_group_arn_suffix="targetgroup/t/2")  # fmt: skip
    kwargs.update(overrides)
    return AlarmsProps(**kwargs)


def test_alarms_reject_a_zero_5xx_threshold() -> None:
    from rules.alarms import Threshold

    with pytest.raises(ValueError, match=r"AlarmsProps\.target_5xx\.threshold=0; allowed: a whole number >= 1"):
        _alarms_props(target_5xx=Threshold(0, 3, 2))


@pytest.mark.parametrize("field", ["cpu_high", "memory_high"])
def test_alarms_reject_a_percentage_out_of_range(field: str) -> None:
    from rules.alarms import Threshold

    with pytest.raises(ValueError, match=r"AlarmsProps\.%s\.threshold=120; allowed: 0 < percent <= 100" % field):
        _alarms_props(**{field: Threshold(120, 5)})


def test_alarms_reject_more_datapoints_than_periods() -> None:
    from rules.alarms import Threshold

    with pytest.raises(ValueError, match=r"AlarmsProps\.latency_p99\.datapoints_to_alarm=4 with evaluation_periods=3;"
                       r" allowed: 1\.\.3"):  # fmt: skip
        _alarms_props(latency_p99=Threshold(1, 3, 4))


# ---- wiring per environment --------------------------------------------------------------------


@pytest.mark.parametrize(("env", "wired"), [("local", True), ("dev", False), ("staging", False), ("prod", True)])
def test_deployment_alarms_follow_the_environment_config(synth_all: dict[str, dict[str, Any]], env: str, wired: bool) -> None:
    (svc,) = web_of(synth_all[env], "aws_ecs_service")
    assert ("alarms" in svc) is wired
    assert len(web_of(synth_all[env], "aws_cloudwatch_metric_alarm")) == 6


@pytest.mark.parametrize(("env", "registered"), [("local", True), ("dev", False), ("staging", True), ("prod", True)])
def test_discovery_follows_the_environment_config(synth_all: dict[str, dict[str, Any]], env: str, registered: bool) -> None:
    (svc,) = web_of(synth_all[env], "aws_ecs_service")
    assert ("service_registries" in svc) is registered
    outputs = synth_all[env]["output"]
    assert ("discovery_endpoint" in outputs) is registered
    if registered:
        assert outputs["discovery_endpoint"]["value"] == "flask-app.internal"
