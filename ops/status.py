"""Status of an environment's workloads: counts, rollouts, events, stopped tasks, targets, image, queues, runs.

Example::

    python -m ops.status --env local                     # every workload in one table, then the web service
    python -m ops.status --env local --workload worker   # one workload in detail
    python -m ops.status --env prod --json               # the same data for machines

Without ``--workload`` (``make status``) it starts with one table of every workload of the
environment: ``web`` (the environment's own web service) and each name of ``env.workloads``,
with its kind, and

* for a service (web, backend, worker): desired, running and pending tasks;
* for a worker, also its queue's visible and in-flight messages and its dead-letter queue's;
* for a job: its schedule (expression, time zone, state; EventBridge Scheduler GetSchedule) and
  its last run (the newest task of its family that ECS still knows: status and exit code).

Then, as with ``--workload web``, the web service in detail. ``--workload <name>`` shows only that
workload in detail: a service as below (a worker with its queue counts), a job with its schedule,
its recent runs and where they log. An unknown name exits 2, naming the allowed ones.

It answers the seed's first troubleshooting questions ("Task status / exit reason"):

* desired, running and pending task counts;
* each deployment with its rollout state (``rolloutState`` / ``rolloutStateReason``);
* the last 10 service events;
* recently stopped tasks with ``stoppedReason``, ``stopCode`` and each container's exit code
  (ECS keeps stopped tasks for about an hour);
* the health of every target in the service's target group;
* the image the service runs (task definition, and the digest the running tasks resolved).

Cluster, service, log group and target group come from the ``<env>`` stack's outputs
(``terraform output -json`` in ``cdktf.out/stacks/<env>``; the ``workloads`` output for the
further workloads), or from ``--cluster`` / ``--service`` / ``--target-group-arn`` (resolved by
:mod:`ops.context`, as for ``ops.logs`` and ``ops.run_task``). ``--service`` without
``--workload`` shows that one service in detail, without the table (and, with ``--cluster``,
without reading the outputs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

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
    resolve_service,
    resolve_workload,
    workload_refs,
)
from ops.render import format_table, jsonable, short_id, short_time

EVENTS_SHOWN = 10
STOPPED_TASKS_SHOWN = 10
RUNS_SHOWN = 10
QUEUE_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


# --------------------------------------------------------------------------------------------
# Status
# --------------------------------------------------------------------------------------------


def _describe_tasks(ecs: Any, cluster: str, arns: Sequence[str]) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = []
    for start in range(0, len(arns), 100):
        tasks += ecs.describe_tasks(cluster=cluster, tasks=list(arns[start : start + 100])).get("tasks", [])
    return tasks


def _service_tasks(ecs: Any, cluster: str, service: str, desired_status: str, limit: int = 100) -> list[dict[str, Any]]:
    """Tasks of ``service`` with ``desired_status`` (at most ``limit`` ARNs are described)."""
    arns: list[str] = []
    for page in ecs.get_paginator("list_tasks").paginate(
        cluster=cluster, serviceName=service, desiredStatus=desired_status
    ):
        arns += page.get("taskArns", [])
        if len(arns) >= limit:
            break
    tasks = _describe_tasks(ecs, cluster, arns[:limit]) if arns else []
    # A service's tasks are in group "service:<name>"; the filter also keeps out one-off tasks
    # (and works around emulators that ignore ListTasks' serviceName).
    return [t for t in tasks if t.get("group") in (None, "service:%s" % service)]


def _task_summary(task: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "task_id": short_id(task.get("taskArn")),
        "task_arn": task.get("taskArn"),
        "task_definition": short_id(task.get("taskDefinitionArn")),
        "last_status": task.get("lastStatus"),
        "desired_status": task.get("desiredStatus"),
        "stop_code": task.get("stopCode"),
        "stopped_reason": task.get("stoppedReason"),
        "started_at": task.get("startedAt"),
        "stopped_at": task.get("stoppedAt"),
        "containers": [
            {
                "name": c.get("name"),
                "exit_code": c.get("exitCode"),
                "reason": c.get("reason"),
                "last_status": c.get("lastStatus"),
                "image": c.get("image"),
                "image_digest": c.get("imageDigest"),
            }
            for c in task.get("containers", [])
        ],
    }


def collect_status(ref: ServiceRef, client: ClientFactory) -> dict[str, Any]:
    """Everything ``make status`` shows, as plain data (datetimes left as objects)."""
    assert ref.cluster and ref.service
    ecs = client("ecs")
    described = ecs.describe_services(cluster=ref.cluster, services=[ref.service])
    services = [s for s in described.get("services", []) if s.get("status") != "INACTIVE"]
    if not services:
        reasons = ", ".join("%s: %s" % (f.get("arn"), f.get("reason")) for f in described.get("failures", []))
        raise OpsError(
            "service %r is not active in cluster %r (ENV=%s%s); deploy it with `make deploy ENV=%s`"
            % (ref.service, ref.cluster, ref.env, "; " + reasons if reasons else "", ref.env)
        )
    svc = services[0]

    deployments = [
        {
            "id": d.get("id"),
            "status": d.get("status"),
            "rollout_state": d.get("rolloutState"),
            "rollout_state_reason": d.get("rolloutStateReason"),
            "task_definition": short_id(d.get("taskDefinition")),
            "desired": d.get("desiredCount"),
            "running": d.get("runningCount"),
            "pending": d.get("pendingCount"),
            "failed": d.get("failedTasks"),
            "created_at": d.get("createdAt"),
            "updated_at": d.get("updatedAt"),
        }
        for d in svc.get("deployments", [])
    ]
    events = sorted(svc.get("events", []), key=lambda e: e.get("createdAt") or dt.datetime.min.replace(tzinfo=dt.UTC), reverse=True)
    last_events = [{"created_at": e.get("createdAt"), "message": e.get("message")} for e in events[:EVENTS_SHOWN]]

    stopped = _service_tasks(ecs, ref.cluster, ref.service, "STOPPED")
    far_past = dt.datetime.min.replace(tzinfo=dt.UTC)
    stopped.sort(key=lambda t: t.get("stoppedAt") or t.get("stoppingAt") or far_past, reverse=True)
    running = _service_tasks(ecs, ref.cluster, ref.service, "RUNNING")

    task_definition = svc.get("taskDefinition")
    td = ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"] if task_definition else {}
    configured = [{"container": c.get("name"), "image": c.get("image")} for c in td.get("containerDefinitions", [])]
    seen: dict[tuple[str, str, str], int] = {}
    for task in running:
        for c in task.get("containers", []):
            key = (str(c.get("name")), str(c.get("image")), str(c.get("imageDigest") or ""))
            seen[key] = seen.get(key, 0) + 1
    in_use = [{"container": k[0], "image": k[1], "digest": k[2] or None, "tasks": n} for k, n in sorted(seen.items())]

    target_group = ref.target_group_arn or next(
        (lb.get("targetGroupArn") for lb in svc.get("loadBalancers", []) if lb.get("targetGroupArn")), None
    )
    targets: list[dict[str, Any]] = []
    if target_group:
        health = client("elbv2").describe_target_health(TargetGroupArn=target_group)
        for t in health.get("TargetHealthDescriptions", []):
            target, state = t.get("Target", {}), t.get("TargetHealth", {})
            targets.append(
                {
                    "id": target.get("Id"),
                    "port": target.get("Port"),
                    "availability_zone": target.get("AvailabilityZone"),
                    "state": state.get("State"),
                    "reason": state.get("Reason"),
                    "description": state.get("Description"),
                }
            )

    notes = []
    if ref.emulator:
        notes.append(
            "emulator: no containers run; task counts are what the emulator reports"
            " (MOTO_ECS_SERVICE_RUNNING), events and exit codes are not produced by it"
        )
    return {
        "environment": ref.env,
        "region": ref.region,
        "cluster": ref.cluster,
        "service": ref.service,
        "service_status": svc.get("status"),
        "counts": {
            "desired": svc.get("desiredCount"),
            "running": svc.get("runningCount"),
            "pending": svc.get("pendingCount"),
        },
        "task_definition": short_id(task_definition),
        "images": {"configured": configured, "running": in_use},
        "deployments": deployments,
        "events": last_events,
        "stopped_tasks": [_task_summary(t) for t in stopped[:STOPPED_TASKS_SHOWN]],
        "target_group_arn": target_group,
        "targets": targets,
        "notes": notes,
    }


def render_status(data: Mapping[str, Any]) -> str:
    counts = data["counts"]
    workload = data.get("workload")
    out = [
        "%sService %s in cluster %s (ENV=%s, %s): %s"
        % ("Workload %s (%s): " % (workload, data.get("kind")) if workload and workload != primary_workload() else "",
           data["service"], data["cluster"], data["environment"], data["region"], data["service_status"]),
        "Tasks: desired %s, running %s, pending %s" % (counts["desired"], counts["running"], counts["pending"]),
        "Task definition: %s" % data["task_definition"],
    ]  # fmt: skip
    if data.get("queue"):
        out.append(_queue_line("Queue" if data.get("kind") == "worker" else "Sends to queue", data["queue"]))
    for image in data["images"]["configured"]:
        out.append("Image (%s): %s" % (image["container"], image["image"]))
    for image in data["images"]["running"]:
        out.append(
            "Running image (%s, %d task%s): %s%s"
            % (image["container"], image["tasks"], "" if image["tasks"] == 1 else "s", image["image"],
               " @ " + image["digest"] if image["digest"] else "")
        )  # fmt: skip

    out += ["", "Deployments"]
    deployments = [
        [d["status"], d["rollout_state"], d["task_definition"], d["desired"], d["running"], d["pending"], d["failed"],
         short_time(d["updated_at"]), d["rollout_state_reason"]]
        for d in data["deployments"]
    ]  # fmt: skip
    headers = ["STATUS", "ROLLOUT", "TASK DEF", "DESIRED", "RUNNING", "PENDING", "FAILED", "UPDATED", "REASON"]
    out.append(format_table(headers, deployments) if deployments else "  (none)")

    out += ["", "Last %d service events" % EVENTS_SHOWN]
    out.append(
        format_table(["TIME", "MESSAGE"], [[short_time(e["created_at"]), e["message"]] for e in data["events"]])
        if data["events"]
        else "  (none)"
    )

    out += ["", "Recently stopped tasks (ECS keeps them about an hour)"]
    rows = []
    for t in data["stopped_tasks"]:
        exits = ", ".join(
            "%s=%s%s" % (c["name"], "-" if c["exit_code"] is None else c["exit_code"], " (%s)" % c["reason"] if c["reason"] else "")
            for c in t["containers"]
        )
        rows.append([t["task_id"][:12], short_time(t["stopped_at"]), t["stop_code"] or "", exits, t["stopped_reason"] or ""])
    out.append(format_table(["TASK", "STOPPED", "STOP CODE", "EXIT CODES", "STOPPED REASON"], rows) if rows else "  (none)")

    tg_arn = data["target_group_arn"]
    out += ["", "Target health (%s)" % (tg_arn.split(":")[-1] if tg_arn else "no target group")]
    targets = [
        [t["id"], t["port"], t["availability_zone"] or "", t["state"], t["reason"] or "", t["description"] or ""]
        for t in data["targets"]
    ]
    headers = ["TARGET", "PORT", "AZ", "STATE", "REASON", "DESCRIPTION"]
    out.append(format_table(headers, targets) if targets else "  (no registered targets)")
    for note in data["notes"]:
        out += ["", "note: " + note]
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Queues, schedules and job runs
# --------------------------------------------------------------------------------------------


def queue_counts(sqs: Any, queue_url: str, dlq_url: str | None) -> dict[str, Any]:
    """Visible, in-flight and delayed messages of the queue, and the visible ones of its dead-letter queue."""

    def attributes(url: str) -> Mapping[str, str]:
        response = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(QUEUE_ATTRIBUTES))
        attributes: Mapping[str, str] = response.get("Attributes", {})
        return attributes

    queue = attributes(queue_url)
    counts: dict[str, Any] = {
        "queue_url": queue_url,
        "visible": int(queue.get("ApproximateNumberOfMessages", 0)),
        "in_flight": int(queue.get("ApproximateNumberOfMessagesNotVisible", 0)),
        "delayed": int(queue.get("ApproximateNumberOfMessagesDelayed", 0)),
        "dlq_url": dlq_url,
        "dlq_visible": None,
    }
    if dlq_url:
        counts["dlq_visible"] = int(attributes(dlq_url).get("ApproximateNumberOfMessages", 0))
    return counts


def schedule_of(scheduler: Any, name: str) -> dict[str, Any]:
    """Expression, time zone, state and task definition of an EventBridge Scheduler schedule (default group)."""
    schedule = scheduler.get_schedule(Name=name)
    target = schedule.get("Target") or {}
    return {
        "name": name,
        "expression": schedule.get("ScheduleExpression"),
        "timezone": schedule.get("ScheduleExpressionTimezone") or "UTC",
        "state": schedule.get("State"),
        "task_definition": short_id((target.get("EcsParameters") or {}).get("TaskDefinitionArn")) or None,
    }


def family_tasks(ecs: Any, cluster: str, family: str, limit: int = 100) -> list[dict[str, Any]]:
    """Running and stopped tasks of task definition ``family``, newest first (ECS keeps stopped ones about an hour)."""
    arns: list[str] = []
    for desired_status in ("RUNNING", "STOPPED"):
        for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster, family=family, desiredStatus=desired_status):
            arns += [a for a in page.get("taskArns", []) if a not in arns]
            if len(arns) >= limit:
                break
    # ListTasks has no order: the newest are found among the (at most ``limit``) tasks described.
    tasks = _describe_tasks(ecs, cluster, arns[:limit]) if arns else []
    far_past = dt.datetime.min.replace(tzinfo=dt.UTC)
    tasks.sort(key=lambda t: t.get("createdAt") or t.get("startedAt") or far_past, reverse=True)
    return tasks


def run_summary(task: Mapping[str, Any]) -> dict[str, Any]:
    """One task of a job: :func:`_task_summary` plus who started it and the exit code of its first container
    (a job's task has one, ``app``)."""
    summary = _task_summary(task)
    containers = summary["containers"]
    summary["started_by"] = task.get("startedBy")
    summary["exit_code"] = containers[0]["exit_code"] if containers else None
    return summary


def describe_run(run: Mapping[str, Any] | None) -> str:
    """``STOPPED, exit 1 at 2025-06-01 01:30:40Z`` / ``RUNNING since ...`` / ``none in the last hour``."""
    if run is None:
        return "none in the last hour"
    if run["last_status"] != "STOPPED":
        return "%s since %s" % (run["last_status"], short_time(run["started_at"]) or "?")
    outcome = "exit %s" % run["exit_code"] if run["exit_code"] is not None else "no exit code (%s)" % (run["stop_code"] or "?")
    return "STOPPED, %s%s" % (outcome, " at %s" % short_time(run["stopped_at"]) if run["stopped_at"] else "")


def describe_schedule(schedule: Mapping[str, Any] | None) -> str:
    if not schedule:
        return ""
    return "%s %s, %s" % (schedule["expression"], schedule["timezone"], schedule["state"])


# --------------------------------------------------------------------------------------------
# Every workload in one table
# --------------------------------------------------------------------------------------------


def _services_by_name(ecs: Any, refs: Sequence[WorkloadRef]) -> dict[tuple[str, str], dict[str, Any]]:
    """DescribeServices for every (cluster, service) of ``refs``, ten at a time."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    wanted: dict[str, list[str]] = {}
    for ref in refs:
        if ref.cluster and ref.service:
            wanted.setdefault(ref.cluster, []).append(ref.service)
    for cluster, names in wanted.items():
        for start in range(0, len(names), 10):
            described = ecs.describe_services(cluster=cluster, services=names[start : start + 10])
            for svc in described.get("services", []):
                if svc.get("status") != "INACTIVE":
                    found[(cluster, str(svc.get("serviceName")))] = svc
    return found


def collect_overview(refs: Mapping[str, WorkloadRef], client: ClientFactory) -> list[dict[str, Any]]:
    """One row per workload (see the module docstring); AWS errors of one workload go into its ``note``."""
    from botocore.exceptions import BotoCoreError, ClientError

    ecs = client("ecs")
    services = _services_by_name(ecs, [r for r in refs.values() if r.runs_as_service])
    rows = []
    for name, ref in refs.items():
        row: dict[str, Any] = {
            "workload": name, "kind": ref.kind, "service": ref.service, "desired": None, "running": None,
            "pending": None, "queue": None, "schedule": None, "last_run": None, "note": None,
        }  # fmt: skip
        rows.append(row)
        try:
            if ref.runs_as_service:
                if not (ref.cluster and ref.service):
                    row["note"] = "not in the stack's outputs; deploy it with `make deploy ENV=%s`" % ref.env
                    continue
                svc = services.get((ref.cluster, ref.service))
                if svc is None:
                    row["note"] = "service %s is not active in cluster %s" % (ref.service, ref.cluster)
                else:
                    row.update(desired=svc.get("desiredCount"), running=svc.get("runningCount"),
                               pending=svc.get("pendingCount"))  # fmt: skip
                if ref.kind == "worker" and ref.queue_url:
                    row["queue"] = queue_counts(client("sqs"), ref.queue_url, ref.dlq_url)
            elif ref.kind == "job":
                if not (ref.cluster and ref.task_definition_family and ref.schedule_name):
                    row["note"] = "not in the stack's outputs; deploy it with `make deploy ENV=%s`" % ref.env
                    continue
                row["schedule"] = schedule_of(client("scheduler"), ref.schedule_name)
                runs = family_tasks(ecs, ref.cluster, ref.task_definition_family)
                row["last_run"] = run_summary(runs[0]) if runs else None
        except (ClientError, BotoCoreError) as exc:
            row["note"] = aws_error(exc)
    return rows


def render_overview(env: str, rows: Sequence[Mapping[str, Any]]) -> str:
    table = []
    for row in rows:
        queue = row["queue"]
        table.append([
            row["workload"], row["kind"], row["desired"], row["running"], row["pending"],
            "%d / %d" % (queue["visible"], queue["in_flight"]) if queue else "",
            queue["dlq_visible"] if queue else "",
            describe_schedule(row["schedule"]),
            describe_run(row["last_run"]) if row["kind"] == "job" and row["schedule"] else "",
            row["note"] or "",
        ])  # fmt: skip
    headers = ["WORKLOAD", "KIND", "DESIRED", "RUNNING", "PENDING", "QUEUE VISIBLE / IN FLIGHT", "DLQ", "SCHEDULE",
               "LAST RUN", "NOTE"]  # fmt: skip
    if not any(row["note"] for row in rows):
        headers, table = headers[:-1], [line[:-1] for line in table]
    return "Workloads (ENV=%s)\n%s" % (env, format_table(headers, table))


# --------------------------------------------------------------------------------------------
# One job in detail
# --------------------------------------------------------------------------------------------


def collect_job_status(ref: WorkloadRef, client: ClientFactory) -> dict[str, Any]:
    """Schedule, recent runs, log group and (when it sends to a worker) the queue of a job."""
    assert ref.cluster and ref.task_definition_family
    runs = [run_summary(t) for t in family_tasks(client("ecs"), ref.cluster, ref.task_definition_family)[:RUNS_SHOWN]]
    notes = []
    if ref.emulator:
        notes.append("emulator: no containers run; its tasks report exit code 0 and write no logs")
    return {
        "environment": ref.env,
        "region": ref.region,
        "workload": ref.name,
        "kind": ref.kind,
        "cluster": ref.cluster,
        "task_definition_family": ref.task_definition_family,
        "schedule": schedule_of(client("scheduler"), ref.schedule_name) if ref.schedule_name else None,
        "runs": runs,
        "log_group": ref.log_group,
        "log_stream_prefix": ref.log_stream_prefix,
        "queue": queue_counts(client("sqs"), ref.queue_url, ref.dlq_url) if ref.queue_url else None,
        "notes": notes,
    }


def _queue_line(label: str, queue: Mapping[str, Any]) -> str:
    dlq = "" if queue["dlq_visible"] is None else "; dead-letter queue: %d visible" % queue["dlq_visible"]
    return "%s: %d visible, %d in flight, %d delayed%s" % (label, queue["visible"], queue["in_flight"], queue["delayed"], dlq)


def render_job_status(data: Mapping[str, Any]) -> str:
    out = [
        "Job %s in cluster %s (ENV=%s, %s): task definition family %s"
        % (data["workload"], data["cluster"], data["environment"], data["region"], data["task_definition_family"])
    ]
    schedule = data["schedule"]
    if schedule:
        out.append("Schedule %s: %s in %s, %s, runs %s" % (schedule["name"], schedule["expression"], schedule["timezone"],
                                                          schedule["state"], schedule["task_definition"] or "?"))  # fmt: skip
    if data["queue"]:
        out.append(_queue_line("Sends to queue", data["queue"]))
    out.append("Log group: %s (streams %s/app/<task-id>; make logs ENV=%s WORKLOAD=%s)"
               % (data["log_group"] or "?", data["log_stream_prefix"], data["environment"], data["workload"]))  # fmt: skip
    out += ["", "Recent runs, newest first (ECS keeps stopped tasks about an hour)"]
    rows = [
        [r["task_id"][:12], r["started_by"] or "", r["last_status"], short_time(r["started_at"]), short_time(r["stopped_at"]),
         r["stop_code"] or "", "-" if r["exit_code"] is None else r["exit_code"], r["stopped_reason"] or ""]
        for r in data["runs"]
    ]  # fmt: skip
    headers = ["TASK", "STARTED BY", "STATUS", "STARTED", "STOPPED", "STOP CODE", "EXIT", "STOPPED REASON"]
    out.append(format_table(headers, rows) if rows else "  (none)")
    for note in data["notes"]:
        out += ["", "note: " + note]
    return "\n".join(out)


def collect_workload(
    cfg: Any, name: str, args: argparse.Namespace, client: ClientFactory | None, reader: OutputsReader
) -> tuple[dict[str, Any], str]:
    """``--workload <name>``: the data of one workload and its rendering."""
    kind = "web" if name == primary_workload() else cfg.workloads[name].kind
    if kind == "job":
        ref = resolve_workload(cfg, name, need=("cluster", "task_definition_family"),
                               given={"cluster": args.cluster}, out=args.out, reader=reader)  # fmt: skip
        data = collect_job_status(ref, client or client_factory(cfg))
        return data, render_job_status(data)
    given = {"cluster": args.cluster, "service": args.service, "target_group_arn": args.target_group_arn}
    ref = resolve_workload(cfg, name, need=("cluster", "service"), given=given, out=args.out, reader=reader)
    factory = client or client_factory(cfg)
    data = {"workload": name, "kind": kind, **collect_status(ref.service_ref(), factory)}
    if ref.queue_url and name != primary_workload():
        data["queue"] = queue_counts(factory("sqs"), ref.queue_url, ref.dlq_url)
    return data, render_status(data)


def main(argv: list[str] | None = None, *, client: ClientFactory | None = None, reader: OutputsReader = read_outputs) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.status", description=__doc__.split("\n")[0])
    add_target_args(parser)
    add_workload_arg(parser, default=None)
    parser.add_argument("--target-group-arn", help="target group (default: output target_group_arn, else the service's)")
    parser.add_argument("--json", action="store_true", help="machine-readable output (same data)")
    parser.add_argument("--format", choices=("table", "json"), default=None, help="table (default) or json")
    args = parser.parse_args(argv)
    as_json = args.json or args.format == "json"
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        cfg = load_config(args.env, args.config)
        if args.workload is not None:
            data, text = collect_workload(cfg, check_workload(cfg, args.workload), args, client, reader)
        else:
            given = {"cluster": args.cluster, "service": args.service, "target_group_arn": args.target_group_arn}
            overview = not args.service
            # The table needs the outputs anyway: read them once, for the web service too.
            outputs = reader(cfg, args.out) if overview else None
            ref = resolve_service(
                cfg, need=("cluster", "service"), given=given, out=args.out,
                reader=(lambda *_: outputs) if outputs is not None else reader,
            )  # fmt: skip
            factory = client or client_factory(cfg)
            data = {"workload": primary_workload(), "kind": "web", **collect_status(ref, factory)}
            text = render_status(data)
            if outputs is not None:
                refs = {n: replace(r, cluster=ref.cluster) for n, r in workload_refs(cfg, outputs).items()}
                data["workloads"] = collect_overview(refs, factory)
                text = render_overview(cfg.name, data["workloads"]) + "\n\n" + text
    except UsageError as exc:
        print("status: error: %s" % exc, file=sys.stderr)
        return exc.exit_code
    except OpsError as exc:
        print("status: error: %s" % exc, file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as exc:
        print("status: error: ENV=%s: %s" % (args.env, aws_error(exc)), file=sys.stderr)
        return 1
    print(json.dumps(jsonable(data), indent=2) if as_json else text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
