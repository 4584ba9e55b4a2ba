"""`make status`: against the emulator (moto) where it can answer, recorded responses where not."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opscmd_support import CLUSTER, CONTAINER, IMAGE, SERVICE, Deployment, StubbedClients, recorded

from envconfig import environment_names
from ops import render, status


def run_status(capsys: pytest.CaptureFixture[str], *args: str, **kwargs: Any) -> tuple[int, str, str]:
    code = status.main(list(args), **kwargs)
    out, err = capsys.readouterr()
    return code, out, err


def no_outputs(cfg: Any, out: Any) -> dict[str, Any]:
    raise AssertionError("stack outputs must not be read when --cluster and --service are given")


# ---- against the emulator -------------------------------------------------------------------


def test_status_against_emulator_reports_counts_rollout_stopped_tasks_targets_and_image(
    deployment: Deployment, emulator_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_status(capsys, "--env", "local", "--cluster", CLUSTER, "--service", SERVICE, "--json", reader=no_outputs)
    assert code == 0, err
    data = json.loads(out)
    assert data["environment"] == "local" and data["cluster"] == CLUSTER and data["service"] == SERVICE
    assert data["counts"]["desired"] == 2
    assert data["counts"]["running"] + data["counts"]["pending"] == 2
    [deployment_row] = data["deployments"]
    assert deployment_row["status"] == "PRIMARY"
    assert deployment_row["rollout_state"] in ("IN_PROGRESS", "COMPLETED")
    assert deployment_row["task_definition"] == "flask-app-local:1"
    assert data["images"]["configured"] == [{"container": CONTAINER, "image": IMAGE}]
    # Only the service's stopped task; the one-off task in the same cluster is left out.
    assert [t["task_arn"] for t in data["stopped_tasks"]] == [deployment.stopped_task_arn]
    assert data["stopped_tasks"][0]["stopped_reason"] == "Scaling activity initiated by (deployment ecs-svc/1234567890)"
    assert data["stopped_tasks"][0]["containers"][0]["name"] == CONTAINER
    # The target group comes from the service's load balancer when no output names it.
    assert data["target_group_arn"] == deployment.target_group_arn
    assert sorted(t["id"] for t in data["targets"]) == ["10.40.128.10", "10.40.144.20"]
    assert {t["state"] for t in data["targets"]} == {"healthy"}
    assert any("emulator" in note for note in data["notes"])


def test_status_table_is_the_default_and_format_json_matches_json_flag(
    deployment: Deployment, emulator_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("--env", "local", "--cluster", CLUSTER, "--service", SERVICE)
    code, table, _ = run_status(capsys, *args, reader=no_outputs)
    assert code == 0
    for heading in ("Tasks: desired 2", "Deployments", "Last 10 service events", "Recently stopped tasks", "Target health"):
        assert heading in table
    assert "Image (app): " + IMAGE in table
    assert "10.40.128.10" in table and "healthy" in table
    _, as_flag, _ = run_status(capsys, *args, "--json", reader=no_outputs)
    _, as_format, _ = run_status(capsys, *args, "--format", "json", reader=no_outputs)
    first, second = json.loads(as_flag), json.loads(as_format)
    for data in (first, second):  # event and deployment times differ only by when they were read
        data.pop("deployments")
    assert first == second


def test_status_reads_cluster_service_and_target_group_from_stack_outputs(
    deployment: Deployment, emulator_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seen = []

    def reader(cfg: Any, out: Any) -> dict[str, Any]:
        seen.append(cfg.name)
        return {"cluster_name": CLUSTER, "service_name": SERVICE, "target_group_arn": deployment.target_group_arn,
                "log_group_name": "/ecs/flask-app-local"}  # fmt: skip

    code, out, err = run_status(capsys, "--env", "local", "--json", reader=reader)
    assert code == 0, err
    assert seen == ["local"]
    assert json.loads(out)["target_group_arn"] == deployment.target_group_arn


def test_status_missing_outputs_name_the_output_and_the_flag(emulator_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_status(capsys, "--env", "local", reader=lambda cfg, out: {"vpc_id": "vpc-1"})
    assert code == 1
    assert "stack 'local' has no output cluster_name, service_name (outputs present: vpc_id)" in err
    assert "make deploy ENV=local" in err and "--cluster --service" in err


def test_status_unknown_service_names_service_cluster_and_env(
    deployment: Deployment, emulator_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_status(capsys, "--env", "local", "--cluster", CLUSTER, "--service", "nope", reader=no_outputs)
    assert code == 1
    assert "service 'nope' is not active in cluster 'flask-app-local' (ENV=local" in err


def test_status_unknown_environment_lists_the_allowed_ones(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_status(capsys, "--env", "qa", "--cluster", "c", "--service", "s", reader=no_outputs)
    assert code == 1
    assert "environment 'qa' is not defined; allowed: %s" % ", ".join(environment_names()) in err


def test_status_says_when_the_emulator_does_not_answer(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from opscmd_support import free_port

    port = free_port()  # nothing listens there
    monkeypatch.setenv("EMULATOR_PORT", str(port))
    code, _, err = run_status(capsys, "--env", "local", "--cluster", "c", "--service", "s", reader=no_outputs)
    assert code == 1
    assert "the emulator at http://127.0.0.1:%d, which does not answer" % port in err
    assert "python -m ops.emulator start" in err


# ---- recorded responses (the emulator has no events, exit codes or unhealthy targets) -----


TASK_DEFINITION = {
    "taskDefinition": {
        "taskDefinitionArn": "arn:aws:ecs:ap-southeast-1:111122223333:task-definition/flask-app-prod:8",
        "family": "flask-app-prod",
        "revision": 8,
        "containerDefinitions": [
            {"name": "app", "image": "111122223333.dkr.ecr.ap-southeast-1.amazonaws.com/flask-app-prod:5f3c2a1"}
        ],
    }
}


def stub_status_calls(stubbed: StubbedClients) -> None:
    described = recorded("ecs_describe_services_rollout.json")
    stopped = recorded("ecs_describe_tasks_service_stopped.json")
    running = recorded("ecs_describe_tasks_service_running.json")
    stubbed.add("ecs", "describe_services", described, {"cluster": "flask-app-prod", "services": ["flask-app-prod"]})
    stubbed.add("ecs", "list_tasks", {"taskArns": [t["taskArn"] for t in stopped["tasks"]]},
                {"cluster": "flask-app-prod", "serviceName": "flask-app-prod", "desiredStatus": "STOPPED"})  # fmt: skip
    stubbed.add("ecs", "describe_tasks", stopped)
    stubbed.add("ecs", "list_tasks", {"taskArns": [t["taskArn"] for t in running["tasks"]]},
                {"cluster": "flask-app-prod", "serviceName": "flask-app-prod", "desiredStatus": "RUNNING"})  # fmt: skip
    stubbed.add("ecs", "describe_tasks", running)
    stubbed.add("ecs", "describe_task_definition", TASK_DEFINITION,
                {"taskDefinition": described["services"][0]["taskDefinition"]})  # fmt: skip
    stubbed.add("elbv2", "describe_target_health", recorded("elbv2_describe_target_health.json"),
                {"TargetGroupArn": described["services"][0]["loadBalancers"][0]["targetGroupArn"]})  # fmt: skip


def test_status_with_recorded_responses_shows_events_exit_codes_and_unhealthy_targets(
    stubbed: StubbedClients, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Recorded responses: moto 5.2.5 has no service events, stop codes, exit codes or unhealthy targets."""
    stub_status_calls(stubbed)
    code, out, err = run_status(capsys, "--env", "prod", "--cluster", "flask-app-prod", "--service", "flask-app-prod",
                                "--json", client=stubbed, reader=no_outputs)  # fmt: skip
    assert code == 0, err
    stubbed.assert_done()
    data = json.loads(out)
    assert data["counts"] == {"desired": 3, "running": 2, "pending": 1}
    assert [(d["status"], d["rollout_state"], d["task_definition"], d["failed"]) for d in data["deployments"]] == [
        ("PRIMARY", "IN_PROGRESS", "flask-app-prod:8", 2),
        ("ACTIVE", "COMPLETED", "flask-app-prod:7", 0),
    ]
    # The last 10 of 12 events, newest first.
    assert len(data["events"]) == 10
    assert data["events"][0]["message"].endswith("deployment failed: tasks failed to start.")
    assert data["events"][0]["created_at"] == "2025-06-01T08:06:00+00:00"
    assert data["events"][-1]["message"] == "(service flask-app-prod) event 03"
    # Stopped service tasks, newest first, with stop code, reason and exit codes; the one-off
    # task (group family:...) is not the service's and is left out.
    assert [(t["stop_code"], t["containers"][0]["exit_code"]) for t in data["stopped_tasks"]] == [
        ("ServiceSchedulerInitiated", 143),
        ("EssentialContainerExited", 137),
    ]
    assert data["stopped_tasks"][1]["containers"][0]["reason"] == "OutOfMemoryError: Container killed due to memory usage"
    assert data["stopped_tasks"][0]["stopped_reason"].startswith("Task failed ELB health checks")
    assert [(t["id"], t["state"], t["reason"]) for t in data["targets"]] == [
        ("10.30.128.10", "healthy", None),
        ("10.30.144.22", "unhealthy", "Target.ResponseCodeMismatch"),
        ("10.30.160.31", "draining", "Target.DeregistrationInProgress"),
    ]
    assert data["images"]["configured"][0]["image"].endswith("flask-app-prod:5f3c2a1")
    assert data["images"]["running"] == [
        {
            "container": "app",
            "image": "111122223333.dkr.ecr.ap-southeast-1.amazonaws.com/flask-app-prod:4e2b1f0",
            "digest": "sha256:4e2b1f0aa11bb22cc33dd44ee55ff66778899aabbccddeeff00112233445566",
            "tasks": 2,
        }
    ]
    assert data["notes"] == []


def test_status_table_with_recorded_responses_shows_reasons_and_exit_codes(
    stubbed: StubbedClients, capsys: pytest.CaptureFixture[str]
) -> None:
    """Recorded responses: the human table carries the same facts as --json."""
    stub_status_calls(stubbed)
    code, out, err = run_status(capsys, "--env", "prod", "--cluster", "flask-app-prod", "--service", "flask-app-prod",
                                client=stubbed, reader=no_outputs)  # fmt: skip
    assert code == 0, err
    assert "Tasks: desired 3, running 2, pending 1" in out
    assert "app=137 (OutOfMemoryError: Container killed due to memory usage)" in out
    assert "EssentialContainerExited" in out and "ServiceSchedulerInitiated" in out
    [unhealthy] = [line for line in out.splitlines() if line.startswith("10.30.144.22")]
    assert unhealthy.split()[:4] == ["10.30.144.22", "3000", "ap-southeast-1b", "unhealthy"]
    assert "Target.ResponseCodeMismatch" in unhealthy and unhealthy.endswith("Health checks failed with these codes: [500]")
    assert "2025-06-01 08:06:00Z" in out
    assert "@ sha256:4e2b1f0a" in out


def test_format_table_aligns_columns() -> None:
    table = render.format_table(["A", "LONG HEADER"], [["xx", 1], ["y", None]])
    assert table.splitlines() == ["A   LONG HEADER", "--  -----------", "xx  1", "y"]
