"""WebService composite: its parts under the stack's own construct IDs, optional parts, defaults, validation.

The wiring itself (listeners, security-group links, deployment alarms, autoscaling labels) is
asserted in test_service / test_load_balancer / test_autoscaling / test_discovery_alarms, which
build their stacks with WebService (tests/service_stack.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import resources, synth_construct
from tests.service_stack import SUBNETS, VPC_ID


def _props(**overrides: Any) -> Any:
    from modules.web_service import WebServiceProps

    class _Registry:  # any object with the IRegistry attributes, e.g. a repository made elsewhere
        repository_arn = "arn:aws:ecr:us-east-1:123456789012:repository/app-test"
        repository_url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app-test"

    kwargs: dict[str, Any] = dict(
        name="app-test", app_name="app", env_name="dev", region="us-east-1", vpc_id=VPC_ID,
        public_subnet_ids=SUBNETS, task_subnet_ids=SUBNETS, registry=_Registry(), image_tag="0a1b2c3",
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
    assert len(resources(defaults, "aws_cloudwatch_metric_alarm")) == 4
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
