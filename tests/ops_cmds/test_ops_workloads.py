"""Operating one workload: `make status|logs|run-task WORKLOAD=<name>` on the shipped `local` config.

The `local` environment runs a queue worker (`worker`) and a nightly job (`report`) beside its web
service (envconfig/environments.toml). Their resources are created in moto directly
(``opscmd_support.deploy_workloads``) and the stack's ``workloads`` output is handed to the commands
as a reader, so no Terraform runs. Where moto cannot answer (a job run that exits non-zero), the
responses are stubbed and the tests say so in their names.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from opscmd_support import (
    CLUSTER,
    REPORT_FAMILY,
    WORKER_SERVICE,
    Deployment,
    FakeClock,
    StubbedClients,
    Workloads,
    deploy_workloads,
    put_events,
)

from envconfig import load_environment
from ops import context, logs, run_task, status

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def workloads(deployment: Deployment) -> Workloads:
    return deploy_workloads(deployment)


def reader_of(workloads: Workloads) -> Any:
    outputs = workloads.outputs()
    return lambda cfg, out: outputs


def no_outputs(cfg: Any, out: Any) -> dict[str, Any]:
    raise AssertionError("the stack outputs must not be read")


def no_client(service: str) -> Any:
    raise AssertionError("no AWS call expected, got a %s client" % service)


# ---- the workload name ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "argv", "prefix"),
    [
        (status.main, ["--workload", "nope"], "status"),
        (logs.main, ["--workload", "nope"], "logs"),
        (run_task.main, ["--workload", "nope", "--command", "true"], "run-task"),
    ],
)
def test_unknown_workload_exits_2_naming_it_and_the_allowed_names(
    command: Any, argv: list[str], prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = command(["--env", "local", *argv], reader=no_outputs, client=no_client)
    _, err = capsys.readouterr()
    assert code == 2
    assert err == "%s: error: WORKLOAD='nope' is not a workload of ENV=local; allowed: web, worker, report\n" % prefix


def test_check_workload_allows_web_and_the_configs_workloads_only() -> None:
    local, dev = load_environment("local"), load_environment("dev")
    assert context.workload_names(local) == ["web", "worker", "report"]
    assert context.check_workload(local, "report") == "report"
    assert context.check_workload(dev, "web") == "web"
    with pytest.raises(context.UsageError, match=r"^WORKLOAD='worker' is not a workload of ENV=dev; allowed: web$"):
        context.check_workload(dev, "worker")
    with pytest.raises(context.UsageError, match=r"WORKLOAD='Web' is not a workload of ENV=local; allowed: web, worker, report"):
        context.check_workload(local, "Web")


def test_workload_refs_read_the_workloads_output_and_the_task_subnets(workloads: Workloads) -> None:
    local = load_environment("local")
    refs = context.workload_refs(local, workloads.outputs())
    assert list(refs) == ["web", "worker", "report"]
    assert (refs["web"].service, refs["web"].log_group, refs["web"].log_stream_prefix) == (
        "flask-app-local", "/ecs/flask-app-local", "web")  # fmt: skip
    worker, report = refs["worker"], refs["report"]
    assert (worker.kind, worker.service, worker.queue_url, worker.log_stream_prefix) == (
        "worker", WORKER_SERVICE, workloads.queue_url, "worker")  # fmt: skip
    assert (report.kind, report.service, report.task_definition_family, report.task_security_group_id) == (
        "job", None, REPORT_FAMILY, workloads.report_security_group)  # fmt: skip
    assert report.subnet_ids == tuple(workloads.deployment.subnets) and not report.assign_public_ip
    # An environment that runs its tasks in public subnets runs its jobs there, with a public IP.
    public = local.model_copy(update={"network": local.network.model_copy(update={"tasks_in_public_subnets": True})})
    job = context.workload_refs(public, workloads.outputs())["report"]
    assert (job.subnet_ids, job.assign_public_ip) == (("subnet-public-a", "subnet-public-b"), True)


def test_a_workload_missing_from_the_outputs_names_the_output(workloads: Workloads) -> None:
    outputs = {k: v for k, v in workloads.outputs().items() if k != "workloads"}
    with pytest.raises(context.OpsError, match=r"stack 'local' has no output workloads\.report\.task_definition_family, "
                       r"workloads\.report\.task_security_group_id \(outputs present: cluster_name, "):  # fmt: skip
        context.resolve_workload(load_environment("local"), "report", need=("cluster", "task_definition_family",
                                 "task_security_group_id"), reader=lambda cfg, out: outputs)  # fmt: skip


# ---- make status ------------------------------------------------------------------------------


def test_status_without_workload_shows_every_workload_in_one_table_then_the_web_service(
    workloads: Workloads, emulator_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = status.main(["--env", "local"], reader=reader_of(workloads))
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Workloads (ENV=local)"
    table = lines[1 : lines.index("")]
    assert [line.split()[:2] for line in table] == [
        ["WORKLOAD", "KIND"], ["--------", "------"], ["web", "web"], ["worker", "worker"], ["report", "job"]]  # fmt: skip
    web, worker, report = table[2:]
    # moto reports no running task of a service (MOTO_ECS_SERVICE_RUNNING unset in the tests).
    assert web.split() == ["web", "web", "2", "0", "2"]
    assert worker.split() == ["worker", "worker", "0", "0", "0", "3", "/", "1", "0"]
    assert report.split()[:2] == ["report", "job"]
    assert report.split(None, 2)[2] == "cron(30 1 * * ? *) Asia/Ho_Chi_Minh, ENABLED  STOPPED, exit 0"
    # Then the web service in detail, as with --workload web.
    assert "Service flask-app-local in cluster flask-app-local (ENV=local, us-east-1): ACTIVE" in out
    assert "Target health (" in out


def test_status_json_has_one_row_per_workload(workloads: Workloads, emulator_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = status.main(["--env", "local", "--json"], reader=reader_of(workloads))
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (data["workload"], data["service"]) == ("web", "flask-app-local")  # the web service's data, as before
    rows = {row["workload"]: row for row in data["workloads"]}
    assert list(rows) == ["web", "worker", "report"]
    assert (rows["worker"]["desired"], rows["worker"]["queue"]["visible"], rows["worker"]["queue"]["in_flight"],
            rows["worker"]["queue"]["dlq_visible"]) == (0, 3, 1, 0)  # fmt: skip
    assert rows["report"]["schedule"] == {
        "name": "flask-app-local-report", "expression": "cron(30 1 * * ? *)", "timezone": "Asia/Ho_Chi_Minh",
        "state": "ENABLED", "task_definition": "flask-app-local-report:1",
    }  # fmt: skip
    last = rows["report"]["last_run"]
    assert (last["task_arn"], last["last_status"], last["exit_code"], last["started_by"]) == (
        workloads.report_run_arn, "STOPPED", 0, "scheduler-nightly")  # fmt: skip
    assert all(row["note"] is None for row in rows.values())


def test_status_of_a_worker_adds_its_queue_to_the_service_detail(
    workloads: Workloads, emulator_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = status.main(["--env", "local", "--workload", "worker"], reader=reader_of(workloads))
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Workload worker (worker): Service %s in cluster %s (ENV=local, us-east-1): ACTIVE" % (
        WORKER_SERVICE, CLUSTER)  # fmt: skip
    assert lines[1:4] == [
        "Tasks: desired 0, running 0, pending 0",
        "Task definition: flask-app-local-worker:1",
        "Queue: 3 visible, 1 in flight, 0 delayed; dead-letter queue: 0 visible",
    ]
    assert "Workloads (ENV=local)" not in out


def test_status_of_a_job_shows_its_schedule_runs_and_log_group(
    workloads: Workloads, emulator_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = status.main(["--env", "local", "--workload", "report"], reader=reader_of(workloads))
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:4] == [
        "Job report in cluster flask-app-local (ENV=local, us-east-1): task definition family flask-app-local-report",
        "Schedule flask-app-local-report: cron(30 1 * * ? *) in Asia/Ho_Chi_Minh, ENABLED, runs flask-app-local-report:1",
        "Sends to queue: 3 visible, 1 in flight, 0 delayed; dead-letter queue: 0 visible",
        "Log group: /ecs/flask-app-local (streams report/app/<task-id>; make logs ENV=local WORKLOAD=report)",
    ]
    [run] = [line for line in lines if line.startswith(workloads.report_run_arn.rsplit("/", 1)[1][:12])]
    assert run.split()[1:3] == ["scheduler-nightly", "STOPPED"]
    assert run.endswith("0     Essential container in task exited")


def test_status_table_notes_a_workload_the_outputs_do_not_describe_yet(
    workloads: Workloads, emulator_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stack deployed before its workloads were added has no `workloads` output: the rows say so."""
    outputs = {k: v for k, v in workloads.outputs().items() if k != "workloads"}
    code = status.main(["--env", "local", "--json"], reader=lambda cfg, out: outputs)
    rows = {row["workload"]: row for row in json.loads(capsys.readouterr().out)["workloads"]}
    assert code == 0
    assert rows["web"]["note"] is None
    for name in ("worker", "report"):
        assert rows[name]["note"] == "not in the stack's outputs; deploy it with `make deploy ENV=local`"


def test_describe_run_of_a_failed_and_a_never_started_job_run() -> None:
    run = {"last_status": "STOPPED", "exit_code": 1, "stop_code": "EssentialContainerExited",
           "stopped_at": dt.datetime(2025, 6, 1, 18, 30, 40, tzinfo=dt.UTC), "started_at": None}  # fmt: skip
    assert status.describe_run(run) == "STOPPED, exit 1 at 2025-06-01 18:30:40Z"
    assert status.describe_run({**run, "exit_code": None, "stop_code": "TaskFailedToStart"}) == (
        "STOPPED, no exit code (TaskFailedToStart) at 2025-06-01 18:30:40Z")  # fmt: skip
    assert status.describe_run(None) == "none in the last hour"


# ---- make logs --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def written(workloads: Workloads) -> Workloads:
    """Events of the web service, the worker and the job, in the environment's one log group."""
    put_events(workloads.deployment.url, "web/app/t1", [(NOW - dt.timedelta(minutes=3), "GET /health 200")])
    put_events(workloads.deployment.url, "worker/app/t2", [(NOW - dt.timedelta(minutes=2), "processed job 7")])
    put_events(workloads.deployment.url, "report/app/t3", [(NOW - dt.timedelta(minutes=1), "dead-letter queue: 0")])
    return workloads


@pytest.mark.parametrize(
    ("argv", "streams", "summary"),
    [
        ([], ["web/app/t1"], "1 event(s) in /ecs/flask-app-local streams web/* since"),
        (["--workload", "worker"], ["worker/app/t2"], "1 event(s) in /ecs/flask-app-local streams worker/* since"),
        (["--workload", "report"], ["report/app/t3"], "1 event(s) in /ecs/flask-app-local streams report/* since"),
        (["--stream-prefix", ""], ["web/app/t1", "worker/app/t2", "report/app/t3"], "3 event(s) in /ecs/flask-app-local since"),
    ],
)
def test_logs_of_a_workload_read_its_own_streams_of_the_shared_log_group(
    written: Workloads, emulator_env: str, capsys: pytest.CaptureFixture[str], argv: list[str], streams: list[str],
    summary: str,
) -> None:  # fmt: skip
    code = logs.main(["--env", "local", *argv], reader=reader_of(written), now=lambda: NOW)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert [line.split("  ", 2)[1] for line in out.splitlines()] == streams
    assert summary in err


def test_logs_of_a_job_without_the_output_fall_back_to_its_task_definition(
    workloads: Workloads, emulator_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = workloads.outputs()
    del outputs["workloads"]["report"]["log_group_name"]
    code = logs.main(["--env", "local", "--workload", "report", "--since", "1h"], reader=lambda cfg, out: outputs,
                     now=lambda: NOW)  # fmt: skip
    _, err = capsys.readouterr()
    assert code == 0, err
    assert "event(s) in /ecs/flask-app-local streams report/* since" in err


# ---- make run-task WORKLOAD=<job> ---------------------------------------------------------------


def test_run_task_of_a_job_runs_its_task_definition_in_the_schedules_network(
    workloads: Workloads, emulator_env: str, capsys: pytest.CaptureFixture[str], clock: FakeClock
) -> None:
    ecs = workloads.deployment.client("ecs")
    code = run_task.main(["--env", "local", "--workload", "report", "--poll-seconds", "2"], reader=reader_of(workloads),
                         sleep=clock.sleep, clock=clock)  # fmt: skip
    _, err = capsys.readouterr()
    assert code == 0, err
    [arn] = ecs.list_tasks(cluster=CLUSTER, startedBy="ops.run_task")["taskArns"]
    task = ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0]
    assert task["taskDefinitionArn"] == workloads.report_task_definition_arn
    assert task["launchType"] == "FARGATE"
    assert not task["overrides"].get("containerOverrides")  # the job's own command
    subnet = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}["subnetId"]
    assert subnet in workloads.deployment.subnets
    task_id = arn.rsplit("/", 1)[1]
    assert "task definition flask-app-local-report:1, container app, command (the task definition's)" in err
    assert "container app exited with 0" in err
    assert ("run-task: logs: log group /ecs/flask-app-local, stream report/app/%s"
            " (make logs ENV=local WORKLOAD=report SINCE=1h)" % task_id) in err  # fmt: skip


REPORT_TD = "arn:aws:ecs:ap-southeast-1:777788889999:task-definition/flask-app-prod-report:4"
REPORT_TASK = "arn:aws:ecs:ap-southeast-1:777788889999:task/flask-app-prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0"
PROD_OUTPUTS = {
    "cluster_name": "flask-app-prod", "service_name": "flask-app-prod", "log_group_name": "/ecs/flask-app-prod/web",
    "private_subnet_ids": ["subnet-0aaa1111bbbb2222c", "subnet-0ddd3333eeee4444f", "subnet-0fff5555aaaa6666b"],
    "public_subnet_ids": ["subnet-0public0000000001", "subnet-0public0000000002", "subnet-0public0000000003"],
    "workloads": {"report": {"kind": "job", "log_group_name": "/ecs/flask-app-prod/web", "log_stream_prefix": "report",
                             "task_definition_family": "flask-app-prod-report",
                             "task_security_group_id": "sg-0badc0ffee0123456", "schedule_name": "flask-app-prod-report"}},
}  # fmt: skip


def report_task(last_status: str, exit_code: int | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "lastStatus": last_status}
    task: dict[str, Any] = {"taskArn": REPORT_TASK, "taskDefinitionArn": REPORT_TD, "lastStatus": last_status,
                            "containers": [container]}  # fmt: skip
    if exit_code is not None:
        container["exitCode"] = exit_code
        task.update(stopCode="EssentialContainerExited", stoppedReason="Essential container in task exited")
    return task


def test_run_task_of_a_failing_job_exits_with_its_code_using_stubbed_responses(
    stubbed: StubbedClients, capsys: pytest.CaptureFixture[str], clock: FakeClock
) -> None:
    """Stubbed ECS and Logs (moto's tasks always exit 0): the exact RunTask request, and exit 1 passed on."""
    stubbed.add("ecs", "describe_task_definition", {"taskDefinition": {
        "taskDefinitionArn": REPORT_TD, "family": "flask-app-prod-report", "revision": 4,
        "containerDefinitions": [{"name": "app", "image": "x", "essential": True, "logConfiguration": {
            "logDriver": "awslogs", "options": {"awslogs-group": "/ecs/flask-app-prod/web",
                                                "awslogs-stream-prefix": "report"}}}],
    }}, {"taskDefinition": "flask-app-prod-report"})  # fmt: skip
    stubbed.add("ecs", "run_task", {"tasks": [report_task("PROVISIONING")], "failures": []}, {
        "cluster": "flask-app-prod", "taskDefinition": REPORT_TD, "count": 1, "launchType": "FARGATE",
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": PROD_OUTPUTS["private_subnet_ids"], "securityGroups": ["sg-0badc0ffee0123456"],
            "assignPublicIp": "DISABLED"}},
        "startedBy": "ops.run_task", "propagateTags": "TASK_DEFINITION",
    })  # fmt: skip
    stubbed.add("ecs", "describe_tasks", {"tasks": [report_task("RUNNING")]}, {"cluster": "flask-app-prod", "tasks": [REPORT_TASK]})
    stubbed.add("ecs", "describe_tasks", {"tasks": [report_task("STOPPED", exit_code=1)]})
    stream = "report/app/0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    page = {"events": [{"timestamp": 1, "message": "dead-letter queue holds 2 message(s)"}], "nextForwardToken": "f/1"}
    stubbed.add("logs", "get_log_events", page, {"logGroupName": "/ecs/flask-app-prod/web", "logStreamName": stream,
                                                 "startFromHead": True})  # fmt: skip
    stubbed.add("logs", "get_log_events", {"events": [], "nextForwardToken": "f/1"})
    code = run_task.main(["--env", "prod", "--workload", "report", "--poll-seconds", "5"], client=stubbed,
                         reader=lambda cfg, out: PROD_OUTPUTS, sleep=clock.sleep, clock=clock)  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 1
    stubbed.assert_done()
    assert clock.sleeps == [5]
    assert out.splitlines() == ["dead-letter queue holds 2 message(s)"]
    assert "container app exited with 1 (Essential container in task exited)" in err
    assert "run-task: logs: log group /ecs/flask-app-prod/web, stream %s" % stream in err


def test_run_task_of_a_job_with_cmd_overrides_its_command(workloads: Workloads) -> None:
    ref = context.resolve_workload(load_environment("local"), "report", need=("task_definition_family",),
                                   reader=reader_of(workloads))  # fmt: skip
    plan = run_task.plan_job_run(workloads.deployment.client("ecs"), ref, ["python", "-m", "app.job", "--dry-run"])
    assert plan.request["overrides"] == {"containerOverrides": [{"name": "app", "command": ["python", "-m", "app.job",
                                                                                           "--dry-run"]}]}  # fmt: skip
    assert plan.request["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [workloads.report_security_group]
    assert (plan.log_group, plan.log_stream_prefix) == ("/ecs/flask-app-local", "report")


def test_run_task_of_a_service_workload_still_needs_cmd(capsys: pytest.CaptureFixture[str]) -> None:
    code = run_task.main(["--env", "local", "--workload", "worker"], reader=no_outputs, client=no_client)
    assert code == 1
    assert "run-task: error: CMD is empty; allowed: the command to run in the container" in capsys.readouterr().err
