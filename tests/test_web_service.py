"""WebService composite: its parts under the stack's own construct IDs, optional parts, defaults, validation.

The wiring itself (listeners, security-group links, deployment alarms, autoscaling labels) is
asserted in test_service / test_load_balancer / test_autoscaling / test_discovery_alarms, which
build their stacks with WebService (tests/service_stack.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import resources, synth_construct
from tests.service_stack import NETWORK


def _props(**overrides: Any) -> Any:
    from modules.web_service import WebServiceProps

    class _Registry:  # any object with the IRegistry attributes, e.g. a repository made elsewhere
        repository_arn = "arn:aws:ecr:us-east-1:123456789012:repository/app-test"
        repository_url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app-test"

    kwargs: dict[str, Any] = dict(
        name="app-test", app_name="app", env_name="dev", region="us-east-1", network=NETWORK,
        registry=_Registry(), image_tag="0a1b2c3",
        log_retention_days=14,
    )  # fmt: skip
    kwargs.update(overrides)
    return WebServiceProps(**kwargs)


def _synth(**overrides: Any) -> dict[str, Any]:
    from modules.web_service import WebService

    return synth_construct(lambda stack: WebService(stack, props=_props(**overrides)))


@pytest.fixture(scope="module")
def defaults() -> dict[str, Any]:
    return _synth()


def test_defaults_only_parts_sit_in_the_callers_scope(defaults: dict[str, Any]) -> None:
    """No scope level of its own: the logical IDs are those of a stack wiring the parts itself."""
    prefixes = {
        "aws_ecs_cluster": "Cluster_",  # Cluster/Cluster: repeated neighbours collapse
        "aws_lb": "LoadBalancer_",
        "aws_ecs_service": "Service_",
        "aws_appautoscaling_target": "Autoscaling_Target_",
        "aws_cloudwatch_metric_alarm": "Alarms_",
    }
    for rtype, prefix in prefixes.items():
        ids = list(resources(defaults, rtype))
        assert ids and all(i.startswith(prefix) for i in ids), (rtype, ids)


def test_defaults_only_creates_a_cluster_and_no_optional_parts(defaults: dict[str, Any]) -> None:
    ((cluster_id, cluster),) = resources(defaults, "aws_ecs_cluster").items()
    assert cluster["name"] == "app-test"
    (service,) = resources(defaults, "aws_ecs_service").values()
    assert service["cluster"] == "${aws_ecs_cluster.%s.arn}" % cluster_id
    assert service["name"] == "app-test-web" and service["desired_count"] == 2
    (alb,) = resources(defaults, "aws_lb").values()
    (tg,) = resources(defaults, "aws_lb_target_group").values()
    assert (alb["name"], tg["name"], tg["port"]) == ("app-test-alb", "app-test-tg", 3000)
    for absent in ("aws_wafv2_web_acl", "aws_service_discovery_service", "aws_sns_topic_subscription"):
        assert absent not in defaults["resource"], absent
    assert len(resources(defaults, "aws_cloudwatch_metric_alarm")) == 6  # with elb-5xx: it created the ALB
    (target,) = resources(defaults, "aws_appautoscaling_target").values()
    assert (target["min_capacity"], target["max_capacity"]) == (2, 4)
    assert target["resource_id"] == "service/${aws_ecs_cluster.%s.name}/${aws_ecs_service.%s.name}" % (
        cluster_id, next(iter(resources(defaults, "aws_ecs_service"))),
    )  # fmt: skip


def test_web_acl_and_discovery_when_set() -> None:
    out = _synth(web_acl_log_retention_days=365, discovery_namespace="internal", alarms=False)
    (acl,) = resources(out, "aws_wafv2_web_acl").values()
    assert acl["name"] == "app-test-web"
    (association,) = resources(out, "aws_wafv2_web_acl_association").values()
    assert "aws_lb.LoadBalancer_" in association["resource_arn"]
    (waf_logs,) = [g for g in resources(out, "aws_cloudwatch_log_group").values() if g["name"].startswith("aws-waf-logs")]
    assert waf_logs["retention_in_days"] == 365
    (registration,) = resources(out, "aws_service_discovery_service").values()
    assert registration["name"] == "app"
    (service,) = resources(out, "aws_ecs_service").values()
    assert "aws_service_discovery_service.Discovery_" in service["service_registries"]["registry_arn"]
    assert "aws_cloudwatch_metric_alarm" not in out["resource"]


def test_desired_count_follows_scaling() -> None:
    from modules.autoscaling import ScalingOptions

    assert _props().desired_count == 2
    assert _props(scaling=ScalingOptions(min_capacity=3, max_capacity=6)).desired_count == 3
    assert _props(scaling=ScalingOptions(min_capacity=3, max_capacity=6, desired_count=5)).desired_count == 5


def test_deployment_alarms_without_alarms_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"WebServiceProps\.deployment_alarms=True needs alarms=True; allowed: alarms=True"):
        _props(deployment_alarms=True, alarms=False)


def test_options_for_a_load_balancer_made_elsewhere_are_rejected() -> None:
    from modules.load_balancer import LoadBalancerOptions

    class _Shared:  # an ILoadBalancer that is never touched: the props check comes first
        pass

    with pytest.raises(ValueError, match=r"WebServiceProps\.load_balancer_options=LoadBalancerOptions\(.*\) with an"
                                         r" existing load_balancer; allowed: None"):  # fmt: skip
        _props(load_balancer=_Shared(), load_balancer_options=LoadBalancerOptions())
    with pytest.raises(ValueError, match=r"WebServiceProps\.web_acl_log_retention_days=30 with an existing"):
        _props(load_balancer=_Shared(), web_acl_log_retention_days=30)


@pytest.fixture(scope="module")
def shared() -> dict[str, Any]:
    """Two web services on one load balancer: the first creates it (default target), the second adds a rule."""
    from constructs import Construct

    from modules.listener_target import TargetOptions
    from modules.web_service import WebService

    def build(stack: Any) -> None:
        web = WebService(stack, props=_props())
        WebService(Construct(stack, "Api"), props=_props(
            name="app-test-api", load_balancer=web.load_balancer, cluster=web.cluster,
            target=TargetOptions(paths=("/api/*",), priority=10)))  # fmt: skip

    return synth_construct(build)


def test_a_second_service_shares_the_load_balancer_through_a_listener_rule(shared: dict[str, Any]) -> None:
    assert len(resources(shared, "aws_lb")) == 1 and len(resources(shared, "aws_ecs_cluster")) == 1
    groups = sorted(resources(shared, "aws_lb_target_group"))
    assert [g.rsplit("_", 1)[0] for g in groups] == ["Api_TargetGroup", "LoadBalancer_TargetGroup"]
    assert groups[1] == "LoadBalancer_TargetGroup_81D27C85"  # the first service's target keeps its address
    api_tg = "${aws_lb_target_group.%s.arn}" % groups[0]
    (rule,) = resources(shared, "aws_lb_listener_rule").values()
    assert rule["priority"] == 10 and rule["condition"] == [{"path_pattern": {"values": ["/api/*"]}}]
    assert rule["action"][0]["target_group_arn"] == api_tg
    (listener,) = resources(shared, "aws_lb_listener").values()
    assert listener["default_action"][0]["target_group_arn"] == "${aws_lb_target_group.%s.arn}" % groups[1]
    (api,) = [s for i, s in resources(shared, "aws_ecs_service").items() if i.startswith("Api_Service_")]
    assert api["name"] == "app-test-api-web" and api["load_balancer"][0]["target_group_arn"] == api_tg
    assert "aws_lb_listener_rule.Api_Rule80_" in " ".join(api["depends_on"])  # ECS needs the rule first
    egress = [r for r in resources(shared, "aws_vpc_security_group_egress_rule").values()
              if "LoadBalancer_SecurityGroup" in r["security_group_id"]]  # fmt: skip
    assert len(egress) == 2  # the ALB reaches each service's tasks, nothing else


def test_only_the_service_that_created_the_load_balancer_alarms_on_its_own_5xx(shared: dict[str, Any]) -> None:
    names = sorted(a["alarm_name"] for a in resources(shared, "aws_cloudwatch_metric_alarm").values())
    assert [n for n in names if n.endswith("-elb-5xx")] == ["app-test-elb-5xx"]  # one ALB, one alarm on its 5xx
    assert [n for n in names if n.startswith("app-test-api-")] == [
        "app-test-api-cpu-high", "app-test-api-latency-p99", "app-test-api-memory-high", "app-test-api-target-5xx",
        "app-test-api-unhealthy-hosts",
    ]  # fmt: skip
