"""ops.deploy: the rollout check on DescribeServices / DescribeTargetHealth shapes, and the waiter
against the project's emulator."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest

from envconfig import load_environment
from ops.deploy import ServiceWait, check_service, diagnostics, wait_for_service, wait_for_services

NEW = "arn:aws:ecs:us-east-1:123456789012:task-definition/flask-app-prod-web:8"
OLD = "arn:aws:ecs:us-east-1:123456789012:task-definition/flask-app-prod-web:7"
T0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


def deployment(td: str, *, status: str = "PRIMARY", running: int = 2, desired: int = 2,
               rollout: str | None = "COMPLETED", reason: str = "") -> dict[str, Any]:  # fmt: skip
    return {
        "id": "ecs-svc/%s" % td[-1], "status": status, "taskDefinition": td, "desiredCount": desired,
        "runningCount": running, "pendingCount": desired - running, "failedTasks": 0,
        "rolloutState": rollout, "rolloutStateReason": reason,
    }  # fmt: skip


def service(*deployments: dict[str, Any], td: str = NEW, events: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"taskDefinition": td, "deployments": list(deployments), "events": events or []}


def healthy(n: int) -> list[dict[str, Any]]:
    return [{"Target": {"Id": "10.0.0.%d" % i}, "TargetHealth": {"State": "healthy"}} for i in range(n)]


def test_done_when_one_completed_deployment_runs_the_new_revision_with_healthy_targets() -> None:
    state, text = check_service(service(deployment(NEW)), NEW, healthy(2))
    assert state == "done"
    assert text == "rollout COMPLETED, running 2/2, pending 0, failed tasks 0, deployments 1, targets healthy 2/2"


def test_waits_while_the_old_deployment_still_runs() -> None:
    state, _ = check_service(service(deployment(NEW, running=1, rollout="IN_PROGRESS"), deployment(OLD, status="ACTIVE")), NEW, healthy(2))
    assert state == "wait"


def test_waits_until_every_target_is_healthy() -> None:
    targets = [*healthy(1), {"Target": {"Id": "10.0.0.9"}, "TargetHealth": {"State": "initial"}}]
    state, text = check_service(service(deployment(NEW)), NEW, targets)
    assert state == "wait"
    assert text.endswith("targets healthy 1/2")


def test_waits_for_enough_healthy_targets() -> None:
    assert check_service(service(deployment(NEW)), NEW, healthy(1))[0] == "wait"


def test_failed_rollout_is_a_failure() -> None:
    state, text = check_service(service(deployment(NEW, rollout="FAILED", reason="tasks failed to start")), NEW, [])
    assert state == "failed"
    assert "FAILED: tasks failed to start" in text


def test_circuit_breaker_rollback_is_a_failure() -> None:
    rolled_back = service(deployment(OLD, rollout="IN_PROGRESS"), deployment(NEW, status="ACTIVE", rollout="FAILED"), td=OLD)
    state, text = check_service(rolled_back, NEW, healthy(2))
    assert state == "failed"
    assert text == "the service was rolled back to flask-app-prod-web:7 (deployed flask-app-prod-web:8)"


def test_rollback_event_after_the_deploy_is_a_failure_but_an_older_one_is_not() -> None:
    event = {"createdAt": T0, "message": "(service web) deployment ecs-svc/8 deployment failed: tasks failed to start. Rolling back"}
    svc = service(deployment(NEW, running=0, rollout="IN_PROGRESS"), events=[event])
    assert check_service(svc, NEW, [], since=T0 - dt.timedelta(seconds=1))[0] == "failed"
    assert check_service(svc, NEW, [], since=T0 + dt.timedelta(seconds=1))[0] == "wait"


def test_without_target_health_only_the_deployment_counts() -> None:
    assert check_service(service(deployment(NEW)), NEW, None)[0] == "done"


def test_wait_for_service_against_the_emulator(client_for: Callable[[str], Any]) -> None:
    ecs = client_for("ecs")
    ecs.create_cluster(clusterName="wait")
    td = {"containerDefinitions": [{"name": "a", "image": "x", "memory": 128}]}
    first = ecs.register_task_definition(family="wait", **td)["taskDefinition"]["taskDefinitionArn"]
    second = ecs.register_task_definition(family="wait", **td)["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="wait", serviceName="web", taskDefinition=first, desiredCount=1)
    ecs.update_service(cluster="wait", service="web", taskDefinition=second)
    log = io.StringIO()
    outputs = {"cluster_name": "wait", "service_name": "web", "target_group_arn": None}
    result = wait_for_service(load_environment("local"), outputs, second, 10, log, client=client_for, poll_seconds=0.1)
    assert result.ok, log.getvalue()
    assert "running 1/1" in result.reason
    assert any("target health is not checked" in note for note in result.notes)
    # A deploy that expects a revision the service does not run is reported as a rollback.
    result = wait_for_service(load_environment("local"), outputs, first, 10, log, client=client_for, poll_seconds=0.1)
    assert not result.ok
    assert result.reason.startswith("the service was rolled back to wait:2")


def test_every_service_is_waited_for_and_an_idle_worker_counts_as_stable_on_the_emulator(
    client_for: Callable[[str], Any],
) -> None:
    """The emulator reports MOTO_ECS_SERVICE_RUNNING (1 here) running tasks even for a service at desired count 0."""
    ecs = client_for("ecs")
    ecs.create_cluster(clusterName="many")
    td = {"containerDefinitions": [{"name": "a", "image": "x", "memory": 128}]}
    web = ecs.register_task_definition(family="many-web", **td)["taskDefinition"]["taskDefinitionArn"]
    worker = ecs.register_task_definition(family="many-worker", **td)["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="many", serviceName="web", taskDefinition=web, desiredCount=1)
    ecs.create_service(cluster="many", serviceName="worker", taskDefinition=worker, desiredCount=0)
    log = io.StringIO()
    waits = [ServiceWait("web", "many", "web", web), ServiceWait("worker", "many", "worker", worker)]
    result = wait_for_services(load_environment("local"), waits, 10, log, client=client_for, poll_seconds=0.1)
    assert result.ok, log.getvalue()
    assert log.getvalue().splitlines() == [
        "   web: rollout COMPLETED, running 1/1, pending 0, failed tasks 0, deployments 1",
        "   worker: rollout COMPLETED, running 1/0, pending -1, failed tasks 0, deployments 1",
    ]


def test_timeout_then_diagnostics_name_what_to_look_up(
    client_for: Callable[[str], Any], patched: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rollout that never completes times out; the diagnostics show events, tasks, targets, log group."""
    monkeypatch.setenv("EMULATOR_PORT", patched.rsplit(":", 1)[1])
    ecs, elbv2, ec2 = client_for("ecs"), client_for("elbv2"), client_for("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    tg = elbv2.create_target_group(Name="stuck-tg", Protocol="HTTP", Port=3000, VpcId=vpc, TargetType="ip")
    tg_arn = tg["TargetGroups"][0]["TargetGroupArn"]
    ecs.create_cluster(clusterName="stuck")
    td = ecs.register_task_definition(family="stuck", containerDefinitions=[{"name": "a", "image": "x", "memory": 128}])
    arn = td["taskDefinition"]["taskDefinitionArn"]
    # desired 2, but the emulator reports 1 running (MOTO_ECS_SERVICE_RUNNING=1): never completes.
    ecs.create_service(cluster="stuck", serviceName="web", taskDefinition=arn, desiredCount=2)
    env = load_environment("local")
    outputs = {"cluster_name": "stuck", "service_name": "web", "target_group_arn": tg_arn,
               "log_group_name": "/ecs/flask-app-local/web"}  # fmt: skip
    log = io.StringIO()
    result = wait_for_service(env, outputs, arn, 0.5, log, client=client_for, poll_seconds=0.1)
    assert not result.ok
    assert result.reason.startswith("timed out after 0 s (--timeout); last state: rollout IN_PROGRESS, running 1/2")
    diagnostics(env, outputs, log)
    text = log.getvalue()
    assert "--- troubleshooting (local) ---" in text
    assert "Service web in cluster stuck (ENV=local" in text
    assert "Last 10 service events" in text
    assert "Log group: /ecs/flask-app-local/web   (read it with `make logs ENV=local SINCE=30m`)" in text
    assert "could not collect" not in text, text
