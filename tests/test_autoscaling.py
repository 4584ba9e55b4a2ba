"""Autoscaling construct: scalable target, target tracking, cooldowns, scheduled actions, validation."""

from __future__ import annotations

from typing import Any

import pytest

from envconfig.model import ScalingConfig
from tests.service_stack import all_of, by_id, defaults_stack, full_stack


@pytest.fixture(scope="module")
def defaults() -> dict[str, Any]:
    return defaults_stack()


@pytest.fixture(scope="module")
def full() -> dict[str, Any]:
    return full_stack()


def test_defaults_only_scalable_target(defaults: dict[str, Any]) -> None:
    target = by_id(defaults, "aws_appautoscaling_target", "Autoscaling/Target")
    assert (target["min_capacity"], target["max_capacity"]) == (2, 4)
    assert target["service_namespace"] == "ecs" and target["scalable_dimension"] == "ecs:service:DesiredCount"
    # service/<cluster>/<service>, from the attributes, so the target waits for the service
    assert target["resource_id"].startswith("service/${aws_ecs_cluster.Cluster_")
    assert target["resource_id"].endswith("/${aws_ecs_service.Service_D69D759B.name}")


def test_defaults_only_track_cpu_and_memory_not_requests(defaults: dict[str, Any]) -> None:
    policies = {p["name"]: p for p in all_of(defaults, "aws_appautoscaling_policy")}
    assert sorted(policies) == ["app-test-cpu", "app-test-memory"]
    cpu = policies["app-test-cpu"]["target_tracking_scaling_policy_configuration"]
    assert cpu["target_value"] == 60
    assert cpu["predefined_metric_specification"]["predefined_metric_type"] == "ECSServiceAverageCPUUtilization"
    assert (cpu["scale_in_cooldown"], cpu["scale_out_cooldown"]) == (300, 60)
    mem = policies["app-test-memory"]["target_tracking_scaling_policy_configuration"]
    assert mem["target_value"] == 75
    assert mem["predefined_metric_specification"]["predefined_metric_type"] == "ECSServiceAverageMemoryUtilization"
    assert all(p["policy_type"] == "TargetTrackingScaling" for p in policies.values())
    assert "aws_appautoscaling_scheduled_action" not in defaults["resource"]


def test_each_tracker_is_optional_and_requests_use_the_alb_label(full: dict[str, Any]) -> None:
    policies = {p["name"]: p for p in all_of(full, "aws_appautoscaling_policy")}
    assert sorted(policies) == ["app-test-memory", "app-test-requests"]  # cpu_target_percent=None
    req = policies["app-test-requests"]["target_tracking_scaling_policy_configuration"]
    assert req["target_value"] == 500
    spec = req["predefined_metric_specification"]
    assert spec["predefined_metric_type"] == "ALBRequestCountPerTarget"
    label = spec["resource_label"]
    assert label.startswith("${aws_lb.LoadBalancer_") and ".arn_suffix}/${aws_lb_target_group." in label
    assert (req["scale_in_cooldown"], req["scale_out_cooldown"]) == (120, 30)
    target = by_id(full, "aws_appautoscaling_target", "Autoscaling/Target")
    assert (target["min_capacity"], target["max_capacity"]) == (2, 10)


def test_scheduled_actions_are_created_one_after_another(full: dict[str, Any]) -> None:
    first = by_id(full, "aws_appautoscaling_scheduled_action", "Autoscaling/Scheduled0")
    second = by_id(full, "aws_appautoscaling_scheduled_action", "Autoscaling/Scheduled1")
    assert first["name"] == "app-test-peak-start" and first["schedule"] == "cron(0 0 1 2 ? *)"
    assert first["scalable_target_action"] == {"min_capacity": "6", "max_capacity": "24"}
    assert first["timezone"] == "UTC"
    assert second["scalable_target_action"] == {"min_capacity": "2", "max_capacity": "10"}
    assert any(d.startswith("aws_appautoscaling_policy.") for d in first["depends_on"])
    assert second["depends_on"] == [d for d in second["depends_on"] if "Scheduled0" in d] and second["depends_on"]


def test_festival_peak_raises_the_floor_in_prod(synth_all: dict[str, dict[str, Any]]) -> None:
    """The seed's 100 -> 10,000 requests a day: prod raises min/max ahead of the peak and restores them."""
    actions = {a["name"]: a["scalable_target_action"]
               for a in all_of(synth_all["prod"], "aws_appautoscaling_scheduled_action")}  # fmt: skip
    assert actions == {
        "flask-app-prod-festival-peak-start": {"min_capacity": "6", "max_capacity": "24"},
        "flask-app-prod-festival-peak-end": {"min_capacity": "3", "max_capacity": "12"},
    }


# ---- validation: one test per rule -----------------------------------------------------------


def _props(**overrides: Any) -> Any:
    from modules.autoscaling import AutoscalingProps

    kwargs: dict[str, Any] = dict(name="app-test", cluster_name="c", service_name="s", desired_count=2,
                                  resource_label="app/x/1/targetgroup/y/2")  # fmt: skip
    kwargs.update(overrides)
    return AutoscalingProps(**kwargs)


def test_props_defaults_are_the_config_defaults() -> None:
    from modules.autoscaling import AutoscalingProps, ScalingOptions
    from stacks.props import scaling_options

    plain = AutoscalingProps(name="app-test", cluster_name="c", service_name="s", desired_count=2)
    assert ScalingOptions(**{f: getattr(plain, f) for f in ScalingOptions.__dataclass_fields__}) == scaling_options(
        ScalingConfig())  # fmt: skip


def test_desired_above_max_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"desired_count=9 is outside min_capacity\.\.max_capacity; allowed: 2\.\.4"):
        _props(desired_count=9)


def test_desired_below_min_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"desired_count=1 is outside min_capacity\.\.max_capacity; allowed: 2\.\.4"):
        _props(desired_count=1)


def test_min_above_max_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"desired_count=5 is outside min_capacity\.\.max_capacity; allowed: 5\.\.4"):
        _props(min_capacity=5, desired_count=5)


def test_request_tracking_without_a_resource_label_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"requests_per_target=100 needs resource_label"):
        _props(requests_per_target=100, resource_label=None)


def test_config_model_rejects_the_same_ranges() -> None:
    with pytest.raises(ValueError, match=r"desired_count=9 is outside the scaling range; allowed: 2\.\.4"):
        ScalingConfig(desired_count=9)
