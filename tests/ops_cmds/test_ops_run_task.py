"""`make run-task`: one-off task from the service's definition, waits, prints logs, exits with its code.

The emulator (moto) runs the whole flow except a real container: its tasks always report exit
code 0. The non-zero, never-started and timeout paths use recorded DescribeTasks responses
(tests/fixtures/recorded/) and say so in their names.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from opscmd_support import (
    CLUSTER,
    CONTAINER,
    LOG_GROUP,
    SERVICE,
    Deployment,
    FakeClock,
    StubbedClients,
    put_events,
    recorded,
)

from ops import run_task
from ops.context import OpsError


def no_outputs(cfg: Any, out: Any) -> dict[str, Any]:
    raise AssertionError("stack outputs must not be read when --cluster and --service are given")


def run_main(capsys: pytest.CaptureFixture[str], *args: str, **kwargs: Any) -> tuple[int, str, str]:
    code = run_task.main(list(args), **kwargs)
    out, err = capsys.readouterr()
    return code, out, err


# ---- against the emulator -------------------------------------------------------------------


def test_run_task_against_emulator_uses_service_network_waits_prints_logs_and_exits_0(
    deployment: Deployment, emulator_env: str, capsys: pytest.CaptureFixture[str], clock: FakeClock
) -> None:
    ecs = deployment.client("ecs")

    def sleep(seconds: float) -> None:
        # Stand in for the container: write to the task's awslogs stream while it "runs".
        if not clock.sleeps:
            [arn] = ecs.list_tasks(cluster=CLUSTER, startedBy="ops.run_task")["taskArns"]
            put_events(deployment.url, "web/%s/%s" % (CONTAINER, arn.rsplit("/", 1)[1]),
                       [(dt.datetime.now(dt.UTC), "42")])  # fmt: skip
        clock.sleep(seconds)

    code, out, err = run_main(
        capsys, "--env", "local", "--cluster", CLUSTER, "--service", SERVICE, "--command", "python -c 'print(42)'",
        "--poll-seconds", "2", reader=no_outputs, sleep=sleep, clock=clock,
    )  # fmt: skip
    assert code == 0, err
    assert out.splitlines() == ["42"]
    [arn] = ecs.list_tasks(cluster=CLUSTER, startedBy="ops.run_task")["taskArns"]
    task = ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0]
    assert task["overrides"]["containerOverrides"] == [{"name": CONTAINER, "command": ["python", "-c", "print(42)"]}]
    assert task["launchType"] == "FARGATE"
    assert task["taskDefinitionArn"] == deployment.task_definition_arn
    subnet = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}["subnetId"]
    assert subnet in deployment.subnets
    # Progress: every status change with the elapsed time, then the result line.
    assert "task %s: DEACTIVATING (0 s)" % arn.rsplit("/", 1)[1] in err
    assert "STOPPED (6 s)" in err
    assert clock.sleeps == [2, 2, 2]
    assert "container app exited with 0" in err


def test_run_task_plan_copies_subnets_security_groups_and_public_ip_from_the_service(
    deployment: Deployment, emulator_env: str
) -> None:
    from ops.context import ServiceRef

    ref = ServiceRef("local", "us-east-1", True, CLUSTER, SERVICE, None, None)
    plan = run_task.plan_run(deployment.client("ecs"), ref, ["flask", "db", "upgrade"])
    network = plan.request["networkConfiguration"]["awsvpcConfiguration"]
    assert network == {"subnets": deployment.subnets, "securityGroups": [deployment.security_group], "assignPublicIp": "DISABLED"}
    assert plan.container == CONTAINER  # the load balancer's container
    assert (plan.log_group, plan.log_stream_prefix) == (LOG_GROUP, "web")
    with pytest.raises(OpsError, match=r"container 'worker' is not in task definition flask-app-local:1; allowed: app"):
        run_task.plan_run(deployment.client("ecs"), ref, ["x"], container="worker")


# ---- recorded responses (moto's tasks never run, so they always exit 0) --------------------

TD_ARN = "arn:aws:ecs:ap-southeast-1:111122223333:task-definition/flask-app-prod:8"
TASK_ARN = "arn:aws:ecs:ap-southeast-1:111122223333:task/flask-app-prod/3d4e5f60718293a4b5c6d7e8f90a1b2c"
TASK_DEFINITION = {
    "taskDefinition": {
        "taskDefinitionArn": TD_ARN,
        "family": "flask-app-prod",
        "revision": 8,
        "containerDefinitions": [
            {
                "name": "app",
                "image": "111122223333.dkr.ecr.ap-southeast-1.amazonaws.com/flask-app-prod:5f3c2a1",
                "essential": True,
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": "/ecs/flask-app-prod",
                        "awslogs-region": "ap-southeast-1",
                        "awslogs-stream-prefix": "app",
                    },
                },
            }
        ],
    }
}
STREAM = "app/app/3d4e5f60718293a4b5c6d7e8f90a1b2c"


def stub_start(stubbed: StubbedClients, command: list[str]) -> None:
    service = recorded("ecs_describe_services_rollout.json")
    stubbed.add("ecs", "describe_services", service, {"cluster": "flask-app-prod", "services": ["flask-app-prod"]})
    stubbed.add("ecs", "describe_task_definition", TASK_DEFINITION, {"taskDefinition": TD_ARN})
    expected_request = {
        "cluster": "flask-app-prod",
        "taskDefinition": TD_ARN,
        "count": 1,
        "launchType": "FARGATE",
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": ["subnet-0aaa1111bbbb2222c", "subnet-0ddd3333eeee4444f"],
                "securityGroups": ["sg-0123456789abcdef0"],
                "assignPublicIp": "DISABLED",
            }
        },
        "overrides": {"containerOverrides": [{"name": "app", "command": command}]},
        "startedBy": "ops.run_task",
        "propagateTags": "TASK_DEFINITION",
        "platformVersion": "LATEST",
    }
    started = recorded("ecs_describe_tasks_run_pending.json")
    stubbed.add("ecs", "run_task", {"tasks": started["tasks"], "failures": []}, expected_request)
    stubbed.add("ecs", "describe_tasks", started, {"cluster": "flask-app-prod", "tasks": [TASK_ARN]})


def prod_args(command: str, *extra: str) -> list[str]:
    return ["--env", "prod", "--cluster", "flask-app-prod", "--service", "flask-app-prod", "--command", command, *extra]


def test_run_task_exits_with_the_containers_exit_code_from_recorded_describe_tasks(
    stubbed: StubbedClients, capsys: pytest.CaptureFixture[str], clock: FakeClock
) -> None:
    """Recorded DescribeTasks: the container exits 3, so run-task exits 3 and prints its log."""
    stub_start(stubbed, ["flask", "db", "upgrade"])
    stubbed.add("ecs", "describe_tasks", recorded("ecs_describe_tasks_run_exit_3.json"))
    page = recorded("logs_get_log_events_run.json")
    stubbed.add("logs", "get_log_events", page,
                {"logGroupName": "/ecs/flask-app-prod", "logStreamName": STREAM, "startFromHead": True})  # fmt: skip
    stubbed.add("logs", "get_log_events", {"events": [], "nextForwardToken": page["nextForwardToken"]},
                {"logGroupName": "/ecs/flask-app-prod", "logStreamName": STREAM, "startFromHead": True,
                 "nextToken": page["nextForwardToken"]})  # fmt: skip
    code, out, err = run_main(capsys, *prod_args("flask db upgrade"), client=stubbed, reader=no_outputs,
                              sleep=clock.sleep, clock=clock)  # fmt: skip
    assert code == 3
    stubbed.assert_done()
    assert out.splitlines() == ["running migration 0007_add_orders", 'error: relation "orders" already exists']
    assert "task 3d4e5f60718293a4b5c6d7e8f90a1b2c: PROVISIONING (0 s)" in err
    assert "container app exited with 3 (Essential container in task exited)" in err
    assert "--- /ecs/flask-app-prod " + STREAM in err


def test_run_task_json_summary_from_recorded_describe_tasks(
    stubbed: StubbedClients, capsys: pytest.CaptureFixture[str], clock: FakeClock
) -> None:
    """Recorded DescribeTasks: --json carries the exit code, stop code and log lines."""
    stub_start(stubbed, ["flask", "db", "upgrade"])
    stubbed.add("ecs", "describe_tasks", recorded("ecs_describe_tasks_run_exit_3.json"))
    stubbed.add_error("logs", "get_log_events", "ResourceNotFoundException", "The specified log stream does not exist.")
    code, out, _ = run_main(capsys, *prod_args("flask db upgrade", "--json"), client=stubbed, reader=no_outputs,
                            sleep=clock.sleep, clock=clock)  # fmt: skip
    assert code == 3
    summary = json.loads(out)
    assert summary["exit_code"] == 3 and summary["process_exit_code"] == 3
    assert summary["stop_code"] == "EssentialContainerExited"
    assert summary["task_arn"] == TASK_ARN and summary["log_stream"] == STREAM and summary["log_lines"] == []


def test_run_task_that_never_started_exits_125_with_the_stopped_reason_from_recorded_describe_tasks(
    stubbed: StubbedClients, capsys: pytest.CaptureFixture[str], clock: FakeClock
) -> None:
    """Recorded DescribeTasks: CannotPullContainerError leaves no exit code; run-task says why."""
    stub_start(stubbed, ["true"])
    stubbed.add("ecs", "describe_tasks", recorded("ecs_describe_tasks_run_cannot_pull.json"))
    stubbed.add_error("logs", "get_log_events", "ResourceNotFoundException", "The specified log stream does not exist.")
    code, out, err = run_main(capsys, *prod_args("true"), client=stubbed, reader=no_outputs, sleep=clock.sleep, clock=clock)
    assert code == run_task.EXIT_NO_EXIT_CODE == 125
    stubbed.assert_done()
    assert out == ""
    assert "stopped without an exit code for container app: stopCode=TaskFailedToStart" in err
    assert "stoppedReason=CannotPullContainerError: pull image manifest has been retried 5 time(s)" in err
    assert "no log stream %s in /ecs/flask-app-prod" % STREAM in err


def test_run_task_timeout_stops_the_task_and_exits_124_with_recorded_describe_tasks(
    stubbed: StubbedClients, capsys: pytest.CaptureFixture[str], clock: FakeClock
) -> None:
    """Recorded DescribeTasks that never reaches STOPPED: the wait ends at --timeout and the task is stopped."""
    stub_start(stubbed, ["sleep", "infinity"])  # the first DescribeTasks: PROVISIONING at 0 s
    running = recorded("ecs_describe_tasks_run_pending.json")
    running["tasks"][0]["lastStatus"] = "RUNNING"
    stubbed.add("ecs", "describe_tasks", running)  # 4 s
    stubbed.add("ecs", "describe_tasks", running)  # 8 s
    stubbed.add("ecs", "describe_tasks", running)  # 10 s: no time left
    stubbed.add("ecs", "stop_task", {"task": running["tasks"][0]},
                {"cluster": "flask-app-prod", "task": TASK_ARN, "reason": "ops.run_task: timed out after 10 s"})  # fmt: skip
    stubbed.add_error("logs", "get_log_events", "ResourceNotFoundException", "The specified log stream does not exist.")
    code, _, err = run_main(capsys, *prod_args("sleep infinity", "--timeout", "10", "--poll-seconds", "4"),
                            client=stubbed, reader=no_outputs, sleep=clock.sleep, clock=clock)  # fmt: skip
    assert code == run_task.EXIT_TIMEOUT == 124
    stubbed.assert_done()
    assert clock.sleeps == [4, 4, 2]
    assert "timed out after 10 s: stopped task 3d4e5f60718293a4b5c6d7e8f90a1b2c" in err
    assert "did not stop within 10 s; exit 124" in err


def test_run_task_keep_on_timeout_leaves_the_task_running_with_recorded_describe_tasks(
    stubbed: StubbedClients, capsys: pytest.CaptureFixture[str], clock: FakeClock
) -> None:
    """Recorded DescribeTasks: with --keep-on-timeout no StopTask call is made."""
    stub_start(stubbed, ["sleep", "60"])
    running = recorded("ecs_describe_tasks_run_pending.json")
    running["tasks"][0]["lastStatus"] = "RUNNING"
    stubbed.add("ecs", "describe_tasks", running)
    stubbed.add_error("logs", "get_log_events", "ResourceNotFoundException", "The specified log stream does not exist.")
    code, _, err = run_main(capsys, *prod_args("sleep 60", "--timeout", "5", "--poll-seconds", "5", "--keep-on-timeout"),
                            client=stubbed, reader=no_outputs, sleep=clock.sleep, clock=clock)  # fmt: skip
    assert code == 124
    stubbed.assert_done()
    assert "keeps running (--keep-on-timeout)" in err


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("", r"CMD is empty; allowed: the command to run in the container"),
        ("   ", r"CMD is empty"),
        ("echo 'unbalanced", r"CMD=\"echo 'unbalanced\" cannot be split into arguments \(No closing quotation\)"),
    ],
)
def test_run_task_rejects_bad_commands_naming_them(command: str, message: str) -> None:
    with pytest.raises(OpsError, match=message):
        run_task.split_command(command)


def test_run_task_bad_command_exits_1_before_any_aws_call(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, "--env", "prod", "--command", "", reader=no_outputs,
                            client=lambda service: pytest.fail("no AWS call expected"))  # fmt: skip
    assert code == 1 and "run-task: error: CMD is empty" in err


def test_split_command_follows_shell_quoting() -> None:
    assert run_task.split_command("python -c 'print(\"a b\")' --flag") == ["python", "-c", 'print("a b")', "--flag"]


def test_run_task_on_the_emulator_explains_motos_run_task_gap_with_a_recorded_http_500(
    stubbed: StubbedClients, capsys: pytest.CaptureFixture[str]
) -> None:
    """Recorded HTTP 500 (what moto 5.2.5 answers for a task definition without container memory)."""
    service = recorded("ecs_describe_services_rollout.json")
    stubbed.add("ecs", "describe_services", service)
    stubbed.add("ecs", "describe_task_definition", TASK_DEFINITION)
    stubbed("ecs")
    stubbed.stubbers["ecs"].add_client_error("run_task", service_error_code="500", service_message="Internal Server Error",
                                             http_status_code=500)  # fmt: skip
    code, _, err = run_main(capsys, "--env", "local", "--cluster", "flask-app-prod", "--service", "flask-app-prod",
                            "--command", "true", client=stubbed, reader=no_outputs)  # fmt: skip
    assert code == 1
    assert "run-task: error: ENV=local: RunTask failed: 500" in err
    assert "no container-level memory" in err and "ops/emulator.py" in err


def test_an_ec2_only_task_runs_on_the_clusters_default_strategy() -> None:
    """An environment with ec2.percent = 100 registers EC2-only task definitions: RunTask with launchType FARGATE
    would be refused, so the request names neither a launch type nor a platform version (ECS then uses the
    cluster's default capacity-provider strategy, the EC2 capacity provider)."""
    td = {**TASK_DEFINITION["taskDefinition"], "requiresCompatibilities": ["EC2"]}
    awsvpc = {"subnets": ["subnet-0aaa1111bbbb2222c"], "securityGroups": ["sg-0123456789abcdef0"], "assignPublicIp": "DISABLED"}
    plan = run_task._run_plan("flask-app-staging", td, "app", td["containerDefinitions"][0], awsvpc, ["true"],
                              platform_version="LATEST")  # fmt: skip
    assert "launchType" not in plan.request and "platformVersion" not in plan.request
    assert "capacityProviderStrategy" not in plan.request
    both = {**td, "requiresCompatibilities": ["EC2", "FARGATE"]}
    plan = run_task._run_plan("flask-app-staging", both, "app", td["containerDefinitions"][0], awsvpc, None,
                              platform_version="LATEST")  # fmt: skip
    assert (plan.request["launchType"], plan.request["platformVersion"]) == ("FARGATE", "LATEST")
