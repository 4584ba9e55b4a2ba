"""The dead-letter report, the ``job`` workload: ``python -m app.job`` (`JOB_COMMAND`).

Smallest example::

    QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/flask-app-dev-jobs python -m app.job
    # {"level": "INFO", "logger": "app.job", "message": "dead-letter report", "status": "ok",
    #  "dead_letters": 0, "queue": {"url": ..., "visible": 3, "in_flight": 1, "delayed": 0},
    #  "dead_letter_queue": {"url": ..., "found_from": "RedrivePolicy", "visible": 0, ...}}

Run on a schedule (EventBridge Scheduler -> ECS RunTask) or on demand. It reads the approximate
message counts of the work queue (QUEUE_URL) and of its dead-letter queue (DLQ_URL, else the
queue named in the work queue's RedrivePolicy), and logs them as one JSON line: INFO when the
dead-letter queue is empty, ERROR when it holds messages, i.e. work the worker failed
maxReceiveCount times that needs a look.

Exit codes (the scheduler's failed-run alarm fires on any but 0):

- 0: the dead-letter queue is empty;
- 1: the dead-letter queue holds messages (visible, in flight or delayed);
- 2: the settings are invalid (QUEUE_URL unset, a variable of `app.settings` holds a bad
  value), or DLQ_URL is unset and the work queue has no RedrivePolicy; the reason on stderr;
- 3: a queue cannot be read (no such queue, no permission, endpoint unreachable), logged as JSON.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from app.jsonlog import configure_json_logging
from app.queue import QueueCounts, QueueError, WorkQueue
from app.settings import DLQ_URL_VARIABLE, QUEUE_URL_VARIABLE, Settings, SettingsError, load_settings

EXIT_OK = 0
EXIT_DEAD_LETTERS = 1
EXIT_SETTINGS = 2
EXIT_QUEUE_UNREADABLE = 3

log = logging.getLogger("app.job")


def _counts(counts: QueueCounts) -> dict[str, int]:
    return {"visible": counts.visible, "in_flight": counts.in_flight, "delayed": counts.delayed}


def report(settings: Settings, queue: WorkQueue) -> int:
    """Log the dead-letter report of ``queue`` and return the exit code (module docstring)."""
    try:
        dlq_url, found_from = settings.dlq_url, DLQ_URL_VARIABLE
        if dlq_url is None:
            dlq_url, found_from = queue.dead_letter_queue_url(), "RedrivePolicy"
        if dlq_url is None:
            print(f"app.job: {DLQ_URL_VARIABLE} is not set and {QUEUE_URL_VARIABLE}={queue.url!r} has no"
                  f" RedrivePolicy; allowed: {DLQ_URL_VARIABLE} set to the dead-letter queue's URL, or a work"
                  " queue with a dead-letter queue", file=sys.stderr)
            return EXIT_SETTINGS
        work = queue.counts()
        dead = queue.counts(dlq_url)
    except QueueError as exc:
        log.error("dead-letter report failed", extra={"fields": {
            "queue_url": queue.url, "error": str(exc), "code": exc.code}})
        return EXIT_QUEUE_UNREADABLE
    fields: dict[str, Any] = {
        "status": "ok" if dead.total == 0 else "dead_letters",
        "dead_letters": dead.total,
        "queue": {"url": queue.url, **_counts(work)},
        "dead_letter_queue": {"url": dlq_url, "found_from": found_from, **_counts(dead)},
    }
    log.log(logging.INFO if dead.total == 0 else logging.ERROR, "dead-letter report", extra={"fields": fields})
    return EXIT_OK if dead.total == 0 else EXIT_DEAD_LETTERS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app.job",
        description="Log the dead-letter report of the work queue (QUEUE_URL) as one JSON line. Exit codes:"
                    " 0 dead-letter queue empty, 1 it holds messages, 2 bad settings, 3 a queue cannot be read.",
    )
    parser.parse_args(argv)
    try:
        settings = load_settings()
        queue_url = settings.require_queue_url()
    except SettingsError as exc:
        print(f"app.job: {exc}", file=sys.stderr)
        return EXIT_SETTINGS
    configure_json_logging(logging.getLogger("app"), service=settings.app_name, level=settings.log_level)
    return report(settings, WorkQueue(queue_url, region=settings.aws_region))


if __name__ == "__main__":
    sys.exit(main())
