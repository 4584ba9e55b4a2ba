"""Run a one-off task from a workload's task definition, wait for it, print its logs.

Example::

    python -m ops.run_task --env local --command "python -c 'print(42)'"
    python -m ops.run_task --env prod --command "flask db upgrade" --timeout 1800
    python -m ops.run_task --env prod --workload report     # the nightly job, once, now

This is the seed's "Task Definition -> Actions -> Run Task", done the way a one-off job should
be: the task uses the service's current task definition, runs in the service's subnets with the
service's security groups (and its public-IP setting), and its container's command is replaced by
``--command`` (split like a shell would; the image's ENTRYPOINT stays). It runs on On-Demand
FARGATE, even when the service uses Fargate Spot, so a Spot interruption cannot cut a migration
short; a task definition that is EC2-only (an environment with ``ec2.percent = 100``) runs on the
cluster's default capacity-provider strategy instead, its EC2 capacity.

The command waits, polling DescribeTasks every ``--poll-seconds`` and printing each status change,
for at most ``--timeout`` seconds; on timeout it stops the task (unless ``--keep-on-timeout``) so it
does not go on costing money. Then it prints the task's log stream and exits with the container's
exit code. Exit codes of its own:

* 124 - the task did not stop within ``--timeout``;
* 125 - the task stopped without a container exit code (it never started: image pull, ENI or
  secrets failures); ``stoppedReason`` is printed;
* 130 - interrupted (the task is stopped first);
* 1   - a configuration or AWS error, named on stderr;
* 2   - ``--workload`` names no workload of the environment (the allowed names are listed).

``make run-task`` reports any non-zero exit as make's own exit 2; call ``python -m ops.run_task``
when a script needs the container's exact code.

``--workload`` (``WORKLOAD=``) picks the task definition: ``web`` (the default, the environment's
own web service) or a workload of the environment's config. A service workload (web, backend,
worker) works as above: its service's current task definition, subnets and security groups, and
``--command`` is required. A job (``WORKLOAD=report``) runs its own task definition (the latest
ACTIVE revision of the family in the stack's ``workloads`` output) the way its schedule does:
in the environment's task subnets (private, or public with a public IP when the environment sets
``network.tasks_in_public_subnets``) with the job's task security group from that output, and
with its own command unless ``--command`` replaces it. It runs on On-Demand FARGATE too. An
unknown workload exits 2, naming the allowed ones. The last line says where the task logged
(``<workload>/app/<task-id>`` in the workload's log group; ``make logs WORKLOAD=<name>`` reads it).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from ops.context import (
    ClientFactory,
    OpsError,
    OutputsReader,
    ServiceRef,
    UsageError,
    WorkloadRef,
    add_target_args,
    add_workload_arg,
    aws_error,
    check_workload,
    client_factory,
    load_config,
    primary_workload,
    read_outputs,
    resolve_workload,
    workload_kind,
)
from ops.render import short_id

EXIT_TIMEOUT = 124
EXIT_NO_EXIT_CODE = 125
EXIT_INTERRUPTED = 130
DEFAULT_TIMEOUT_SECONDS = 900.0
DEFAULT_POLL_SECONDS = 5.0
HEARTBEAT_SECONDS = 30.0
STARTED_BY = "ops.run_task"
MAX_LOG_PAGES = 50
# moto 5.2.5 sums container-level memory in RunTask and fails (HTTP 500) on a Fargate task
# definition that sets memory only on the task, as this project's does.
EMULATOR_RUN_TASK_HINT = (
    "moto 5.2.5's RunTask fails with HTTP 500 when a container definition has no container-level memory"
    " (moto/ecs/models.py _calculate_task_resource_requirements); the emulator needs the compatibility"
    " patch for it in ops/emulator.py. Details in the emulator log (.state/emulator.log)."
)


@dataclass(frozen=True)
class RunPlan:
    """The RunTask request and where the container logs."""

    request: dict[str, Any]
    container: str
    log_group: str | None
    log_stream_prefix: str | None


@dataclass
class RunResult:
    task_arn: str
    container: str
    last_status: str | None = None
    exit_code: int | None = None
    container_reason: str | None = None
    stop_code: str | None = None
    stopped_reason: str | None = None
    log_group: str | None = None
    log_stream: str | None = None
    log_lines: list[str] = field(default_factory=list)
    timed_out: bool = False

    @property
    def process_exit_code(self) -> int:
        if self.timed_out:
            return EXIT_TIMEOUT
        if self.exit_code is None:
            return EXIT_NO_EXIT_CODE
        return self.exit_code


def empty_command() -> OpsError:
    return OpsError(
        "CMD is empty; allowed: the command to run in the container, e.g."
        " make run-task ENV=local CMD=\"python -c 'print(42)'\" (a job runs without one: WORKLOAD=<job>)"
    )


def split_command(command: str) -> list[str]:
    if not command.strip():
        raise empty_command()
    try:
        return shlex.split(command)
    except ValueError as exc:
        raise OpsError("CMD=%r cannot be split into arguments (%s); allowed: shell-style quoting" % (command, exc)) from None


def plan_run(ecs: Any, ref: ServiceRef, command: Sequence[str], container: str | None = None) -> RunPlan:
    """Build the RunTask request from the live service: task definition, subnets, security groups."""
    assert ref.cluster and ref.service
    described = ecs.describe_services(cluster=ref.cluster, services=[ref.service])
    services = [s for s in described.get("services", []) if s.get("status") != "INACTIVE"]
    if not services:
        raise OpsError(
            "service %r is not active in cluster %r (ENV=%s); deploy it with `make deploy ENV=%s`"
            % (ref.service, ref.cluster, ref.env, ref.env)
        )
    svc = services[0]
    network = svc.get("networkConfiguration", {}).get("awsvpcConfiguration")
    if not network or not network.get("subnets"):
        raise OpsError("service %r has no awsvpc network configuration to copy; allowed: a Fargate service" % ref.service)
    td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
    lb_container = next((lb.get("containerName") for lb in svc.get("loadBalancers", []) if lb.get("containerName")), None)
    container, definition = _container_plan(td, container, lb_container)
    awsvpc = {
        "subnets": list(network["subnets"]),
        "securityGroups": list(network.get("securityGroups", [])),
        "assignPublicIp": network.get("assignPublicIp", "DISABLED"),
    }
    return _run_plan(ref.cluster, td, container, definition, awsvpc, command, platform_version=svc.get("platformVersion"))


def _run_plan(
    cluster: str,
    td: Mapping[str, Any],
    container: str,
    definition: Mapping[str, Any],
    awsvpc: dict[str, Any],
    command: Sequence[str] | None,
    *,
    platform_version: str | None = None,
    log_group: str | None = None,
) -> RunPlan:
    """One RunTask request on On-Demand FARGATE (``command`` replaces ``container``'s when given), and where it
    logs: the container's awslogs group (``log_group`` when it names none) and stream prefix."""
    log_config = definition.get("logConfiguration") or {}
    options = log_config.get("options") or {}
    awslogs = log_config.get("logDriver") == "awslogs"
    fargate = "FARGATE" in td.get("requiresCompatibilities", ["FARGATE"])
    request: dict[str, Any] = {
        "cluster": cluster,
        "taskDefinition": td["taskDefinitionArn"],
        "count": 1,
        "networkConfiguration": {"awsvpcConfiguration": awsvpc},
        "startedBy": STARTED_BY,
        "propagateTags": "TASK_DEFINITION",
    }
    if fargate:
        request["launchType"] = "FARGATE"
    # else: neither launchType nor a strategy, so ECS uses the cluster's default strategy (its EC2 capacity)
    if command is not None:
        request["overrides"] = {"containerOverrides": [{"name": container, "command": list(command)}]}
    if platform_version and fargate:
        request["platformVersion"] = platform_version
    return RunPlan(
        request=request,
        container=container,
        log_group=(options.get("awslogs-group") or log_group) if awslogs else None,
        log_stream_prefix=options.get("awslogs-stream-prefix") if awslogs else None,
    )


def _container_plan(td: Mapping[str, Any], container: str | None, default: str | None) -> tuple[str, dict[str, Any]]:
    """The container to run (``container``, else ``default``, else the first essential one) and its definition."""
    definitions = td.get("containerDefinitions", [])
    names = [c.get("name") for c in definitions]
    if container is None:
        essential = next((c.get("name") for c in definitions if c.get("essential", True)), None)
        container = default or essential or (names[0] if names else None)
    if container is None or container not in names:
        raise OpsError(
            "container %r is not in task definition %s; allowed: %s"
            % (container, short_id(td.get("taskDefinitionArn")), ", ".join(map(str, names)) or "(none)")
        )
    return container, definitions[names.index(container)]


def plan_job_run(ecs: Any, ref: WorkloadRef, command: Sequence[str] | None, container: str | None = None) -> RunPlan:
    """The RunTask request of a job: its family's latest revision, the schedule's subnets and security group."""
    assert ref.cluster and ref.task_definition_family and ref.task_security_group_id
    td = ecs.describe_task_definition(taskDefinition=ref.task_definition_family)["taskDefinition"]
    container, definition = _container_plan(td, container, None)
    awsvpc = {
        "subnets": list(ref.subnet_ids),
        "securityGroups": [ref.task_security_group_id],
        "assignPublicIp": "ENABLED" if ref.assign_public_ip else "DISABLED",
    }
    return _run_plan(ref.cluster, td, container, definition, awsvpc, command, log_group=ref.log_group)


def start_task(ecs: Any, plan: RunPlan) -> str:
    response = ecs.run_task(**plan.request)
    failures = response.get("failures", [])
    tasks = response.get("tasks", [])
    if failures or not tasks:
        detail = "; ".join("%s: %s %s" % (f.get("arn", ""), f.get("reason", ""), f.get("detail", "")) for f in failures)
        raise OpsError("RunTask started no task in cluster %r: %s" % (plan.request["cluster"], detail or "no task returned"))
    return str(tasks[0]["taskArn"])


def wait_for_stop(
    ecs: Any,
    cluster: str,
    task_arn: str,
    *,
    timeout_seconds: float,
    poll_seconds: float,
    progress: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any] | None:
    """Poll until the task is STOPPED; the last description, or None on timeout."""
    progress = progress or sys.stderr
    started = clock()
    last_status = None
    last_said = started
    task_id = short_id(task_arn)
    while True:
        described = ecs.describe_tasks(cluster=cluster, tasks=[task_arn])
        tasks = described.get("tasks", [])
        if not tasks:
            reasons = "; ".join("%s" % f.get("reason") for f in described.get("failures", []))
            raise OpsError("task %s is not known to cluster %r (%s)" % (task_id, cluster, reasons or "no description"))
        task = tasks[0]
        status = task.get("lastStatus")
        now = clock()
        if status != last_status or now - last_said >= HEARTBEAT_SECONDS:
            print("   task %s: %s (%.0f s)" % (task_id, status, now - started), file=progress, flush=True)
            last_status, last_said = status, now
        if status == "STOPPED":
            return dict(task)
        remaining = timeout_seconds - (now - started)
        if remaining <= 0:
            return None
        sleep(min(poll_seconds, remaining))


def read_stream(logs: Any, group: str, stream: str) -> list[str] | None:
    """The messages of one log stream from its start (None when the stream does not exist)."""
    lines: list[str] = []
    request: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
    for _ in range(MAX_LOG_PAGES):
        try:
            page = logs.get_log_events(**request)
        except Exception as exc:
            if getattr(exc, "response", {}).get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise
        lines += [str(e.get("message", "")).rstrip("\n") for e in page.get("events", [])]
        token = page.get("nextForwardToken")
        if not token or token == request.get("nextToken"):
            break
        request["nextToken"] = token
    return lines


def summarize(task: Mapping[str, Any], container: str) -> dict[str, Any]:
    for c in task.get("containers", []):
        if c.get("name") == container:
            return {"exit_code": c.get("exitCode"), "container_reason": c.get("reason")}
    return {"exit_code": None, "container_reason": None}


def run(
    ref: ServiceRef,
    client: ClientFactory,
    command: Sequence[str] | None,
    *,
    container: str | None = None,
    plan: RunPlan | None = None,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    stop_on_timeout: bool = True,
    progress: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> RunResult:
    """Start the one-off task (``plan``, else one from ``ref``'s service), wait for it, read its logs.

    Does not exit the process. ``command`` None keeps the task definition's own command.
    """
    progress = progress or sys.stderr
    assert ref.cluster
    ecs = client("ecs")
    if plan is None:
        assert command is not None, "a one-off task from a service's definition needs a command"
        plan = plan_run(ecs, ref, command, container)
    print(
        "run-task: ENV=%s cluster %s, task definition %s, container %s, command %s"
        % (ref.env, ref.cluster, short_id(plan.request["taskDefinition"]), plan.container,
           shlex.join(command) if command is not None else "(the task definition's)"),
        file=progress,
        flush=True,
    )  # fmt: skip
    task_arn = start_task(ecs, plan)
    result = RunResult(task_arn=task_arn, container=plan.container, log_group=plan.log_group)
    print("   started %s; waiting up to %g s" % (task_arn, timeout_seconds), file=progress, flush=True)
    try:
        task = wait_for_stop(ecs, ref.cluster, task_arn, timeout_seconds=timeout_seconds, poll_seconds=poll_seconds,
                             progress=progress, sleep=sleep, clock=clock)  # fmt: skip
    except KeyboardInterrupt:
        ecs.stop_task(cluster=ref.cluster, task=task_arn, reason="%s: interrupted by the operator" % STARTED_BY)
        print("   interrupted: stopped task %s" % short_id(task_arn), file=progress, flush=True)
        raise
    if task is None:
        result.timed_out = True
        if stop_on_timeout:
            ecs.stop_task(cluster=ref.cluster, task=task_arn, reason="%s: timed out after %g s" % (STARTED_BY, timeout_seconds))
            print("   timed out after %g s: stopped task %s" % (timeout_seconds, short_id(task_arn)), file=progress, flush=True)
        else:
            print("   timed out after %g s: task %s keeps running (--keep-on-timeout)" % (timeout_seconds, task_arn),
                  file=progress, flush=True)  # fmt: skip
    else:
        result.last_status = task.get("lastStatus")
        result.stop_code = task.get("stopCode")
        result.stopped_reason = task.get("stoppedReason")
        info = summarize(task, plan.container)
        result.exit_code = info["exit_code"]
        result.container_reason = info["container_reason"]
    if plan.log_group and plan.log_stream_prefix:
        result.log_stream = "%s/%s/%s" % (plan.log_stream_prefix, plan.container, short_id(task_arn))
        lines = read_stream(client("logs"), plan.log_group, result.log_stream)
        result.log_lines = lines or []
        if lines is None:
            print("   no log stream %s in %s (the container wrote nothing, or never started)"
                  % (result.log_stream, plan.log_group), file=progress, flush=True)  # fmt: skip
    return result


def main(
    argv: list[str] | None = None,
    *,
    client: ClientFactory | None = None,
    reader: OutputsReader = read_outputs,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.run_task", description=__doc__.split("\n")[0])
    add_target_args(parser)
    add_workload_arg(parser, default=primary_workload())
    parser.add_argument("--command", help="command line for the container (shell-style quoting); a job's own without it")
    parser.add_argument("--container", help="container to run the command in (default: the service's app container)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS, help="most seconds to wait (default 900)")
    parser.add_argument("--poll-seconds", type=float, default=DEFAULT_POLL_SECONDS, help="DescribeTasks interval (default 5)")
    parser.add_argument("--keep-on-timeout", action="store_true", help="leave the task running when --timeout passes")
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead of the log lines")
    args = parser.parse_args(argv)
    if args.timeout <= 0 or args.poll_seconds <= 0:
        print("run-task: error: --timeout=%g and --poll-seconds=%g must be > 0; allowed: positive numbers"
              % (args.timeout, args.poll_seconds), file=sys.stderr)  # fmt: skip
        return 1
    from botocore.exceptions import BotoCoreError, ClientError

    cfg = None
    try:
        command = split_command(args.command) if args.command is not None else None
        cfg = load_config(args.env, args.config)
        workload = check_workload(cfg, args.workload)
        kind = workload_kind(cfg, workload)
        plan = None
        if kind == "job":
            ref = resolve_workload(
                cfg, workload, need=("cluster", "task_definition_family", "task_security_group_id", "subnet_ids"),
                given={"cluster": args.cluster}, out=args.out, reader=reader,
            )  # fmt: skip
            factory = client or client_factory(cfg)
            plan = plan_job_run(factory("ecs"), ref, command, args.container)
        else:
            if command is None:  # a service's own command is its server: a one-off task needs CMD
                raise empty_command()
            ref = resolve_workload(
                cfg, workload, need=("cluster", "service"), given={"cluster": args.cluster, "service": args.service},
                out=args.out, reader=reader,
            )  # fmt: skip
            factory = client or client_factory(cfg)
        result = run(ref.service_ref(), factory, command, container=args.container, plan=plan,
                     timeout_seconds=args.timeout, poll_seconds=args.poll_seconds,
                     stop_on_timeout=not args.keep_on_timeout, sleep=sleep, clock=clock)  # fmt: skip
    except UsageError as exc:
        print("run-task: error: %s" % exc, file=sys.stderr)
        return exc.exit_code
    except OpsError as exc:
        print("run-task: error: %s" % exc, file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as exc:
        print("run-task: error: ENV=%s: %s" % (args.env, aws_error(exc)), file=sys.stderr)
        if cfg is not None and cfg.emulator and getattr(exc, "operation_name", "") == "RunTask":
            print("run-task: note: %s" % EMULATOR_RUN_TASK_HINT, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    code = result.process_exit_code
    if result.log_group and result.log_stream:
        print("run-task: logs: log group %s, stream %s (make logs ENV=%s WORKLOAD=%s SINCE=1h)"
              % (result.log_group, result.log_stream, args.env, workload), file=sys.stderr)  # fmt: skip
    if args.json:
        print(json.dumps({**asdict(result), "process_exit_code": code}, indent=2))
    else:
        if result.log_lines:
            print("--- %s %s" % (result.log_group, result.log_stream), file=sys.stderr)
        for line in result.log_lines:
            print(line)
    if result.timed_out:
        print("run-task: task %s did not stop within %g s; exit %d" % (short_id(result.task_arn), args.timeout, code),
              file=sys.stderr)  # fmt: skip
    elif result.exit_code is None:
        print(
            "run-task: task %s stopped without an exit code for container %s: stopCode=%s, stoppedReason=%s%s; exit %d"
            % (short_id(result.task_arn), result.container, result.stop_code, result.stopped_reason,
               ", container reason=%s" % result.container_reason if result.container_reason else "", code),
            file=sys.stderr,
        )  # fmt: skip
    else:
        print(
            "run-task: task %s stopped: container %s exited with %d%s"
            % (short_id(result.task_arn), result.container, result.exit_code,
               " (%s)" % result.stopped_reason if result.stopped_reason else ""),
            file=sys.stderr,
        )  # fmt: skip
    return code


if __name__ == "__main__":
    raise SystemExit(main())
