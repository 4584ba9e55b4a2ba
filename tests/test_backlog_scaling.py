"""BacklogScaling: the scalable target, backlog-per-task target tracking, the wake-up from zero, validation,
and validity through the real Terraform provider schema.

One synthesized stack holds three cases: ``WorkerScaling`` with defaults only (0..4 tasks, so with the
wake-up), ``SteadyScaling`` with every option set (a floor of 2, so without it) and ``QuickWakeUp``
(defaults but the wake-up cooldown).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import synth_construct
from tests.construct_validate import assert_valid
from tests.service_stack import by_id

CLUSTER, SERVICE, QUEUE = "flask-app-dev", "flask-app-dev-worker", "flask-app-dev-jobs"
FULL = {
    "min_capacity": 2,
    "max_capacity": 10,
    "backlog_per_task": 37.5,
    "scale_in_cooldown_seconds": 600,
    "scale_out_cooldown_seconds": 30,
    "wake_up_cooldown_seconds": 900,
}


@pytest.fixture(scope="module")
def built() -> tuple[dict[str, Any], dict[str, Any]]:
    """(stack, constructs by id), synthesized once for this module."""
    from modules.backlog_scaling import BacklogScaling, BacklogScalingProps

    base = {"cluster_name": CLUSTER, "service_name": SERVICE, "queue_name": QUEUE}
    made: dict[str, Any] = {}

    def build(stack: Any) -> None:
        made["WorkerScaling"] = BacklogScaling(stack, "WorkerScaling", props=BacklogScalingProps(
            name="flask-app-dev-worker", max_capacity=4, backlog_per_task=150, **base))  # fmt: skip
        made["SteadyScaling"] = BacklogScaling(stack, "SteadyScaling", props=BacklogScalingProps(
            name="flask-app-dev-steady", **base, **FULL))  # fmt: skip
        made["QuickWakeUp"] = BacklogScaling(stack, "QuickWakeUp", props=BacklogScalingProps(
            name="flask-app-dev-quick", max_capacity=2, backlog_per_task=10, wake_up_cooldown_seconds=120, **base))  # fmt: skip

    return synth_construct(build), made


@pytest.fixture(scope="module")
def stack(built: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    return built[0]


def _policy(stack: dict[str, Any], path: str) -> dict[str, Any]:
    return by_id(stack, "aws_appautoscaling_policy", path)


# ---- properties: defaults (0..N, with the wake-up) --------------------------------------------------


def test_defaults_scalable_target_allows_zero_tasks(stack: dict[str, Any]) -> None:
    target = by_id(stack, "aws_appautoscaling_target", "WorkerScaling/Target")
    assert (target["min_capacity"], target["max_capacity"]) == (0, 4)
    assert target["resource_id"] == "service/flask-app-dev/flask-app-dev-worker"
    assert (target["service_namespace"], target["scalable_dimension"]) == ("ecs", "ecs:service:DesiredCount")


def test_defaults_track_backlog_per_running_task(stack: dict[str, Any]) -> None:
    policy = _policy(stack, "WorkerScaling/BacklogTracking")
    assert (policy["name"], policy["policy_type"]) == ("flask-app-dev-worker-backlog", "TargetTrackingScaling")
    assert policy["resource_id"] == "${aws_appautoscaling_target.WorkerScaling_Target_EAC26F09.resource_id}"
    config = policy["target_tracking_scaling_policy_configuration"]
    assert (config["target_value"], config["scale_in_cooldown"], config["scale_out_cooldown"]) == (150, 300, 60)
    assert "predefined_metric_specification" not in config
    metrics = {m["id"]: m for m in config["customized_metric_specification"]["metrics"]}
    assert list(metrics) == ["visible", "in_flight", "running", "backlog_per_task"]

    def stat(id_: str) -> tuple[str, str, dict[str, str], str]:
        s = metrics[id_]["metric_stat"]
        dims = {d["name"]: d["value"] for d in s["metric"]["dimensions"]}
        return s["metric"]["namespace"], s["metric"]["metric_name"], dims, s["stat"]

    assert stat("visible") == ("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": QUEUE}, "Maximum")
    assert stat("in_flight") == ("AWS/SQS", "ApproximateNumberOfMessagesNotVisible", {"QueueName": QUEUE}, "Maximum")
    assert stat("running") == (
        "ECS/ContainerInsights", "RunningTaskCount", {"ClusterName": CLUSTER, "ServiceName": SERVICE}, "Average",
    )  # fmt: skip
    assert metrics["backlog_per_task"]["expression"] == "(visible + in_flight) / running"
    assert [m["id"] for m in metrics.values() if m["return_data"]] == ["backlog_per_task"]


def test_defaults_wake_up_adds_one_task_and_never_sets_a_capacity(stack: dict[str, Any]) -> None:
    policy = _policy(stack, "WorkerScaling/WakeUpPolicy")
    assert (policy["name"], policy["policy_type"]) == ("flask-app-dev-worker-wake-up", "StepScaling")
    assert policy["resource_id"] == "${aws_appautoscaling_target.WorkerScaling_Target_EAC26F09.resource_id}"
    config = policy["step_scaling_policy_configuration"]
    assert (config["adjustment_type"], config["cooldown"], config["metric_aggregation_type"]) == (
        "ChangeInCapacity", 300, "Maximum",
    )  # fmt: skip
    assert config["step_adjustment"] == [{"metric_interval_lower_bound": "0", "scaling_adjustment": 1}]
    # one change at a time on the scalable target
    assert policy["depends_on"] == ["aws_appautoscaling_policy.WorkerScaling_BacklogTracking_D17B291D"]


def test_defaults_wake_up_alarm_watches_messages_without_running_tasks(stack: dict[str, Any]) -> None:
    alarm = by_id(stack, "aws_cloudwatch_metric_alarm", "WorkerScaling/WakeUpAlarm")
    assert alarm["alarm_name"] == "flask-app-dev-worker-wake-up"
    queries = {q["id"]: q for q in alarm["metric_query"]}
    assert queries["visible"]["metric"] == {
        "namespace": "AWS/SQS", "metric_name": "ApproximateNumberOfMessagesVisible", "dimensions": {"QueueName": QUEUE},
        "stat": "Maximum", "period": 60,
    }  # fmt: skip
    # AWS/ECS metrics exist only while tasks run: no Container Insights needed for the zero test
    assert queries["tasks"]["metric"] == {
        "namespace": "AWS/ECS", "metric_name": "CPUUtilization", "dimensions": {"ClusterName": CLUSTER, "ServiceName": SERVICE},
        "stat": "SampleCount", "period": 60,
    }  # fmt: skip
    assert queries["wake_up"]["expression"] == "(visible >= 1) > tasks"
    assert [q["id"] for q in alarm["metric_query"] if q.get("return_data")] == ["wake_up"]
    assert (alarm["comparison_operator"], alarm["threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    assert (alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (3, 3)
    assert alarm["treat_missing_data"] == "notBreaching"
    assert alarm["alarm_actions"] == ["${aws_appautoscaling_policy.WorkerScaling_WakeUpPolicy_30C66BA6.arn}"]
    assert "ok_actions" not in alarm and "insufficient_data_actions" not in alarm


def _wake_up(visible: list[float | None], tasks: list[float | None]) -> list[float | None]:
    """``(visible >= 1) > tasks`` under CloudWatch's documented metric-math rules ("Using metric math"):
    a comparison with a scalar keeps the series' gaps; a comparison of two series counts a value missing
    in one of them as 0, and has no value where both are missing."""
    left = [None if v is None else float(v >= 1) for v in visible]
    out: list[float | None] = []
    for a, b in zip(left, tasks, strict=True):
        out.append(None if a is None and b is None else float((a or 0) > (b or 0)))
    return out


def test_the_wake_up_expression_is_1_only_for_messages_and_no_running_task() -> None:
    # minute by minute: idle, messages arrive (no task), the task runs, the queue drains, metrics stop
    visible: list[float | None] = [0, 5, 5, 5, 3, 0, None]
    tasks: list[float | None] = [None, None, None, None, 1, 1, None]
    assert _wake_up(visible, tasks) == [0.0, 1.0, 1.0, 1.0, 0.0, 0.0, None]


def test_defaults_attributes(built: tuple[dict[str, Any], dict[str, Any]]) -> None:
    from cdktf import Token

    scaling = built[1]["WorkerScaling"]
    assert scaling.policy_names == ["flask-app-dev-worker-backlog", "flask-app-dev-worker-wake-up"]
    assert Token.is_unresolved(scaling.wake_up_alarm_name) and Token.is_unresolved(scaling.resource_id)


# ---- properties: every option set (a floor above zero: no wake-up) ------------------------------------


def test_every_option_set(stack: dict[str, Any], built: tuple[dict[str, Any], dict[str, Any]]) -> None:
    target = by_id(stack, "aws_appautoscaling_target", "SteadyScaling/Target")
    assert (target["min_capacity"], target["max_capacity"]) == (2, 10)
    config = _policy(stack, "SteadyScaling/BacklogTracking")["target_tracking_scaling_policy_configuration"]
    assert (config["target_value"], config["scale_in_cooldown"], config["scale_out_cooldown"]) == (37.5, 600, 30)
    steady = [k for t in ("aws_appautoscaling_policy", "aws_cloudwatch_metric_alarm")
              for k in stack["resource"][t] if k.startswith("SteadyScaling_")]  # fmt: skip
    assert [k.rsplit("_", 1)[0] for k in steady] == ["SteadyScaling_BacklogTracking"]  # no wake-up with a floor of 2
    scaling = built[1]["SteadyScaling"]
    assert scaling.policy_names == ["flask-app-dev-steady-backlog"] and scaling.wake_up_alarm_name is None


def test_wake_up_cooldown(stack: dict[str, Any]) -> None:
    config = _policy(stack, "QuickWakeUp/WakeUpPolicy")["step_scaling_policy_configuration"]
    assert config["cooldown"] == 120


# ---- validation: one test per rule ----------------------------------------------------------------


def _props(**overrides: Any) -> Any:
    from modules.backlog_scaling import BacklogScalingProps

    kwargs: dict[str, Any] = {"name": "app-dev-worker", "cluster_name": "c", "service_name": "s", "queue_name": "q",
                              "max_capacity": 4, "backlog_per_task": 100}  # fmt: skip
    return BacklogScalingProps(**{**kwargs, **overrides})


@pytest.mark.parametrize("value", [0, -1])
def test_rejects_a_ceiling_below_one(value: int) -> None:
    with pytest.raises(ValueError, match=r"BacklogScalingProps\.max_capacity=%d; allowed: >= 1$" % value):
        _props(max_capacity=value, min_capacity=0)


@pytest.mark.parametrize(("low", "high"), [(5, 4), (-1, 4)], ids=["above-max", "negative"])
def test_rejects_a_floor_outside_zero_to_max(low: int, high: int) -> None:
    with pytest.raises(ValueError, match=r"BacklogScalingProps\.min_capacity=%d with max_capacity=%d; allowed: 0\.\.%d$"
                                         % (low, high, high)):  # fmt: skip
        _props(min_capacity=low, max_capacity=high)


@pytest.mark.parametrize("value", [0, -3.5])
def test_rejects_a_backlog_target_that_is_not_positive(value: float) -> None:
    with pytest.raises(ValueError, match=r"BacklogScalingProps\.backlog_per_task=%r; allowed: > 0 \(acceptable latency"
                                         % value):  # fmt: skip
        _props(backlog_per_task=value)


@pytest.mark.parametrize(
    "field", ["scale_in_cooldown_seconds", "scale_out_cooldown_seconds", "wake_up_cooldown_seconds"]
)
@pytest.mark.parametrize("value", [-1, 86401])
def test_rejects_a_cooldown_out_of_range(field: str, value: int) -> None:
    with pytest.raises(ValueError, match=r"BacklogScalingProps\.%s=%d; allowed: 0\.\.86400$" % (field, value)):
        _props(**{field: value})


# ---- validity through the real provider schema ------------------------------------------------------


def test_terraform_validate(terraform: str, tmp_path: Path, stack: dict[str, Any]) -> None:
    assert_valid(terraform, tmp_path, stack)
