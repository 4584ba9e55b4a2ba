"""CloudWatch logs of an environment's service.

Example::

    python -m ops.logs --env local                       # the last 15 minutes
    python -m ops.logs --env prod --since 2h --filter ERROR
    python -m ops.logs --env prod --follow --timeout 600 # poll for new events for up to 10 min
    python -m ops.logs --env prod --json                 # one JSON object per line
    python -m ops.logs --env prod --workload worker      # the queue worker's log group

``--workload`` (``WORKLOAD=``) picks whose logs: ``web`` (the default, the environment's own web
service) or a workload of the environment's config; an unknown name exits 2, naming the allowed
ones. The workloads write to the environment's log group, each under a stream prefix of its own
(``web/app/<task-id>``, ``worker/app/<task-id>``): only the streams under ``<prefix>/`` are read
(``--stream-prefix`` sets another prefix; ``--stream-prefix ''`` reads every stream of the group).

The log group is the ``<env>`` stack's output ``log_group_name`` (``workloads.<name>.log_group_name``
for another workload, and its ``log_stream_prefix``); without it, the ``awslogs-group`` of the
service's task definition (a job's: its task definition family's); ``--log-group`` overrides both. ``--since`` takes a duration
(``30s``, ``15m``, ``2h``, ``1d``, ``1w``) or an ISO-8601 time. ``--filter`` is a CloudWatch Logs
filter pattern (``ERROR``, ``"exact phrase"``, ``{ $.level = "error" }``).

Following polls FilterLogEvents every ``--poll-seconds`` and stops after ``--timeout`` seconds
(or Ctrl-C): no wait in this project is unbounded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TextIO

from ops.context import (
    ClientFactory,
    OpsError,
    OutputsReader,
    ServiceRef,
    UsageError,
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
    workload_kind,
)

if TYPE_CHECKING:
    from envconfig import EnvironmentConfig

DEFAULT_SINCE = "15m"
DEFAULT_LIMIT = 1000
DEFAULT_FOLLOW_TIMEOUT_SECONDS = 600.0
DEFAULT_POLL_SECONDS = 5.0
DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str, now: dt.datetime) -> dt.datetime:
    """``15m`` -> now minus 15 minutes; an ISO-8601 time is taken as is (UTC when naive)."""
    match = DURATION.match(text)
    if match:
        return now - dt.timedelta(seconds=int(match.group(1)) * UNIT_SECONDS[match.group(2)])
    try:
        when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise OpsError(
            "SINCE=%r is not a duration or a time; allowed: <number><s|m|h|d|w> such as 15m or 2h,"
            " or an ISO-8601 time such as 2025-06-01T08:00:00Z" % text
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    if when > now:
        raise OpsError("SINCE=%r is in the future; allowed: a time before now (%s)" % (text, now.isoformat(timespec="seconds")))
    return when


def to_millis(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def log_group_of_service(ecs: Any, cluster: str, service: str) -> str:
    """The ``awslogs-group`` of the service's first container that logs with awslogs."""
    described = ecs.describe_services(cluster=cluster, services=[service]).get("services", [])
    if not described:
        raise OpsError("service %r not found in cluster %r; pass --log-group" % (service, cluster))
    return log_group_of_task_definition(ecs, described[0]["taskDefinition"])


def log_group_of_task_definition(ecs: Any, task_definition: str) -> str:
    """The ``awslogs-group`` of the first container of ``task_definition`` (ARN or family) that logs with awslogs."""
    td = ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
    for container in td.get("containerDefinitions", []):
        options = (container.get("logConfiguration") or {}).get("options") or {}
        if (container.get("logConfiguration") or {}).get("logDriver") == "awslogs" and options.get("awslogs-group"):
            return str(options["awslogs-group"])
    raise OpsError("task definition %s has no awslogs log configuration; pass --log-group" % td.get("taskDefinitionArn"))


def fetch_events(
    logs: Any,
    group: str,
    start_ms: int,
    *,
    end_ms: int | None = None,
    pattern: str | None = None,
    limit: int = DEFAULT_LIMIT,
    stream_prefix: str | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Events of ``group`` from ``start_ms`` in time order (only streams starting with ``stream_prefix``
    when given); (events, truncated at ``limit``)."""
    request: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
    if end_ms is not None:
        request["endTime"] = end_ms
    if pattern:
        request["filterPattern"] = pattern
    if stream_prefix:
        request["logStreamNamePrefix"] = stream_prefix
    events: list[dict[str, Any]] = []
    try:
        while True:
            page = logs.filter_log_events(**request)
            # CloudWatch applies logStreamNamePrefix; the emulator (moto) ignores it, so check again.
            events += [e for e in page.get("events", []) if str(e.get("logStreamName", "")).startswith(stream_prefix or "")]
            token = page.get("nextToken")
            if len(events) >= limit or not token or token == request.get("nextToken"):
                break
            request["nextToken"] = token
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code")
        if code == "ResourceNotFoundException":
            raise OpsError("log group %r does not exist; is the service deployed? (%s)" % (group, aws_error(exc))) from None
        if code == "InvalidParameterException" and pattern:
            raise OpsError(
                "FILTER=%r is not a valid CloudWatch Logs filter pattern (%s); allowed: e.g. ERROR, \"exact phrase\","
                " { $.level = \"error\" }" % (pattern, aws_error(exc))
            ) from None
        raise
    events.sort(key=lambda e: (e.get("timestamp", 0), e.get("eventId", "")))
    return events[:limit], len(events) > limit


def format_event(event: Mapping[str, Any]) -> str:
    when = dt.datetime.fromtimestamp(event.get("timestamp", 0) / 1000, tz=dt.UTC)
    return "%s  %s  %s" % (when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", event.get("logStreamName", ""),
                           str(event.get("message", "")).rstrip("\n"))  # fmt: skip


def event_json(event: Mapping[str, Any]) -> str:
    when = dt.datetime.fromtimestamp(event.get("timestamp", 0) / 1000, tz=dt.UTC)
    return json.dumps(
        {
            "timestamp": when.isoformat(timespec="milliseconds"),
            "stream": event.get("logStreamName"),
            "message": str(event.get("message", "")).rstrip("\n"),
            "event_id": event.get("eventId"),
        }
    )


def follow(
    logs: Any,
    group: str,
    start_ms: int,
    *,
    emit: Callable[[Mapping[str, Any]], None],
    pattern: str | None = None,
    stream_prefix: str | None = None,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    timeout_seconds: float = DEFAULT_FOLLOW_TIMEOUT_SECONDS,
    progress: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Emit events as they arrive until ``timeout_seconds`` pass; returns the number emitted."""
    progress = progress or sys.stderr
    print(
        "following %s%s (new events every %g s; stops after %g s or Ctrl-C)"
        % (group, " streams %s*" % stream_prefix if stream_prefix else "", poll_seconds, timeout_seconds),
        file=progress,
        flush=True,
    )
    deadline = clock() + timeout_seconds
    seen: set[str] = set()
    cursor = start_ms
    emitted = 0
    while True:
        events, _ = fetch_events(logs, group, cursor, pattern=pattern, limit=10_000, stream_prefix=stream_prefix)
        for event in events:
            event_id = str(event.get("eventId"))
            if event_id in seen:
                continue
            seen.add(event_id)
            emit(event)
            emitted += 1
            cursor = max(cursor, int(event.get("timestamp", cursor)))
        # Events at the cursor's millisecond are fetched again next time; forget older ids.
        seen = {str(e.get("eventId")) for e in events if int(e.get("timestamp", 0)) >= cursor}
        remaining = deadline - clock()
        if remaining <= 0:
            break
        sleep(min(poll_seconds, remaining))
    print("stopped following %s after %g s (--timeout); %d event(s) shown" % (group, timeout_seconds, emitted),
          file=progress, flush=True)  # fmt: skip
    return emitted


def resolve_log_group(
    cfg: EnvironmentConfig, args: argparse.Namespace, reader: OutputsReader, client: ClientFactory | None
) -> tuple[ServiceRef, str, ClientFactory]:
    """The log group of ``--workload``, the stream prefix of its tasks (``<prefix>/``) and the client factory."""
    workload = check_workload(cfg, args.workload)
    given = {"cluster": args.cluster, "service": args.service, "log_group": args.log_group}
    if workload != primary_workload():
        return _workload_log_group(cfg, workload, given, args, reader, client)
    prefix = "%s/" % workload
    try:
        ref = resolve_service(cfg, need=("log_group",), given=given, out=args.out, reader=reader)
        return ref, prefix, client or client_factory(cfg)
    except OpsError as missing:
        try:
            ref = resolve_service(cfg, need=("cluster", "service"), given=given, out=args.out, reader=reader)
        except OpsError:
            raise missing from None
    factory = client or client_factory(cfg)
    assert ref.cluster and ref.service
    return replace(ref, log_group=log_group_of_service(factory("ecs"), ref.cluster, ref.service)), prefix, factory


def _workload_log_group(
    cfg: EnvironmentConfig, workload: str, given: Mapping[str, str | None], args: argparse.Namespace,
    reader: OutputsReader, client: ClientFactory | None,
) -> tuple[ServiceRef, str, ClientFactory]:  # fmt: skip
    """The log group of a workload other than ``web`` (its output, else its task definition's) and its stream prefix."""
    try:
        ref = resolve_workload(cfg, workload, need=("log_group",), given=given, out=args.out, reader=reader)
        return ref.service_ref(), "%s/" % ref.log_stream_prefix, client or client_factory(cfg)
    except OpsError as missing:
        job = workload_kind(cfg, workload) == "job"
        try:
            ref = resolve_workload(cfg, workload, need=("task_definition_family",) if job else ("cluster", "service"),
                                   given=given, out=args.out, reader=reader)  # fmt: skip
        except OpsError:
            raise missing from None
    factory = client or client_factory(cfg)
    ecs = factory("ecs")
    if job:
        assert ref.task_definition_family
        group = log_group_of_task_definition(ecs, ref.task_definition_family)
    else:
        assert ref.cluster and ref.service
        group = log_group_of_service(ecs, ref.cluster, ref.service)
    return replace(ref.service_ref(), log_group=group), "%s/" % ref.log_stream_prefix, factory


def main(
    argv: list[str] | None = None,
    *,
    client: ClientFactory | None = None,
    reader: OutputsReader = read_outputs,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.logs", description=__doc__.split("\n")[0])
    add_target_args(parser)
    add_workload_arg(parser, default=primary_workload())
    parser.add_argument("--log-group", help="log group (default: output log_group_name, else the task definition's)")
    parser.add_argument("--stream-prefix", default=None,
                        help="read only streams starting with this (default: '<workload>/'; '' for every stream)")  # fmt: skip
    parser.add_argument("--since", default=DEFAULT_SINCE, help="duration (15m, 2h, 1d) or ISO-8601 time; default 15m")
    parser.add_argument("--filter", default=None, help="CloudWatch Logs filter pattern")
    parser.add_argument("--follow", action="store_true", help="keep polling for new events")
    parser.add_argument("--timeout", type=float, default=DEFAULT_FOLLOW_TIMEOUT_SECONDS,
                        help="stop following after this many seconds (default 600)")  # fmt: skip
    parser.add_argument("--poll-seconds", type=float, default=DEFAULT_POLL_SECONDS, help="follow poll interval")
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="most events shown without --follow")
    parser.add_argument("--json", action="store_true", help="one JSON object per event")
    args = parser.parse_args(argv)
    if args.timeout <= 0 or args.poll_seconds <= 0 or args.limit <= 0:
        print("logs: error: --timeout=%g, --poll-seconds=%g and --limit=%d must be > 0; allowed: positive numbers"
              % (args.timeout, args.poll_seconds, args.limit), file=sys.stderr)  # fmt: skip
        return 2
    from botocore.exceptions import BotoCoreError, ClientError

    def emit(event: Mapping[str, Any]) -> None:
        print(event_json(event) if args.json else format_event(event), flush=True)

    try:
        start = parse_since(args.since, now())
        cfg = load_config(args.env, args.config)
        ref, prefix, factory = resolve_log_group(cfg, args, reader, client)
        prefix = prefix if args.stream_prefix is None else args.stream_prefix
        assert ref.log_group
        logs = factory("logs")
        if args.follow:
            follow(logs, ref.log_group, to_millis(start), emit=emit, pattern=args.filter, stream_prefix=prefix,
                   poll_seconds=args.poll_seconds, timeout_seconds=args.timeout, sleep=sleep)  # fmt: skip
            return 0
        events, truncated = fetch_events(logs, ref.log_group, to_millis(start), pattern=args.filter, limit=args.limit,
                                         stream_prefix=prefix)  # fmt: skip
    except UsageError as exc:
        print("logs: error: %s" % exc, file=sys.stderr)
        return exc.exit_code
    except OpsError as exc:
        print("logs: error: %s" % exc, file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as exc:
        print("logs: error: ENV=%s: %s" % (args.env, aws_error(exc)), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("logs: interrupted", file=sys.stderr)
        return 130
    for event in events:
        emit(event)
    summary = "%d event(s) in %s%s since %s%s" % (
        len(events), ref.log_group, " streams %s*" % prefix if prefix else "", start.isoformat(timespec="seconds"),
        " matching %r" % args.filter if args.filter else "",
    )  # fmt: skip
    if truncated:
        summary += "; showing the first %d (narrow with --since/--filter or raise --limit)" % args.limit
    if ref.emulator:
        summary += "; emulator: only events written to it are here (no containers run)"
    print(summary, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
