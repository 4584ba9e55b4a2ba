"""Status of an environment's ECS service: counts, rollouts, events, stopped tasks, targets, image.

Example::

    python -m ops.status --env local            # human-readable tables
    python -m ops.status --env prod --json      # the same data for machines

It answers the seed's first troubleshooting questions ("Task status / exit reason"):

* desired, running and pending task counts;
* each deployment with its rollout state (``rolloutState`` / ``rolloutStateReason``);
* the last 10 service events;
* recently stopped tasks with ``stoppedReason``, ``stopCode`` and each container's exit code
  (ECS keeps stopped tasks for about an hour);
* the health of every target in the service's target group;
* the image the service runs (task definition, and the digest the running tasks resolved).

Cluster, service, log group and target group come from the ``<env>`` stack's outputs
(``terraform output -json`` in ``cdktf.out/stacks/<env>``), or from ``--cluster`` / ``--service``
/ ``--target-group-arn`` (resolved by :mod:`ops.context`, as for ``ops.logs`` and ``ops.run_task``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from ops.context import (
    ClientFactory,
    OpsError,
    OutputsReader,
    ServiceRef,
    add_target_args,
    aws_error,
    client_factory,
    load_config,
    read_outputs,
    resolve_service,
)
from ops.render import format_table, jsonable, short_id, short_time

EVENTS_SHOWN = 10
STOPPED_TASKS_SHOWN = 10


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
    out = [
        "Service %s in cluster %s (ENV=%s, %s): %s"
        % (data["service"], data["cluster"], data["environment"], data["region"], data["service_status"]),
        "Tasks: desired %s, running %s, pending %s" % (counts["desired"], counts["running"], counts["pending"]),
        "Task definition: %s" % data["task_definition"],
    ]
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


def main(argv: list[str] | None = None, *, client: ClientFactory | None = None, reader: OutputsReader = read_outputs) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.status", description=__doc__.split("\n")[0])
    add_target_args(parser)
    parser.add_argument("--target-group-arn", help="target group (default: output target_group_arn, else the service's)")
    parser.add_argument("--json", action="store_true", help="machine-readable output (same data)")
    parser.add_argument("--format", choices=("table", "json"), default=None, help="table (default) or json")
    args = parser.parse_args(argv)
    as_json = args.json or args.format == "json"
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        cfg = load_config(args.env, args.config)
        ref = resolve_service(
            cfg,
            need=("cluster", "service"),
            given={"cluster": args.cluster, "service": args.service, "target_group_arn": args.target_group_arn},
            out=args.out,
            reader=reader,
        )
        data = collect_status(ref, client or client_factory(cfg))
    except OpsError as exc:
        print("status: error: %s" % exc, file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as exc:
        print("status: error: ENV=%s: %s" % (args.env, aws_error(exc)), file=sys.stderr)
        return 1
    print(json.dumps(jsonable(data), indent=2) if as_json else render_status(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
