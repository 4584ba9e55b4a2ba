"""Amazon SQS facts: queue names, the attribute ranges a queue accepts, and the backlog a worker can hold.

Example::

    from rules.queues import backlog_per_task, queue_name_problem, range_problem, VISIBILITY_TIMEOUT_SECONDS
    queue_name_problem("flask-app-dev-jobs")                            # None
    range_problem(50000, VISIBILITY_TIMEOUT_SECONDS, "visibility timeout")
    # "50000 is outside the SQS visibility timeout range; allowed: 0..43200 seconds"
    backlog_per_task(latency_seconds=300, seconds_per_message=2)      # 150

Sources: the SQS API Reference, ``CreateQueue`` (``QueueName``: up to 80 characters of letters,
digits, ``-`` and ``_``; a FIFO queue's name ends in ``.fifo``) and ``SetQueueAttributes``
(``VisibilityTimeout`` 0..43,200 s, ``MessageRetentionPeriod`` 60..1,209,600 s,
``ReceiveMessageWaitTimeSeconds`` 0..20 s, ``DelaySeconds`` 0..900 s). botocore's ``sqs`` model
carries these only as documentation text, not as limits; ``tests/test_rules_queues_schedules.py``
reads them from that text. ``maxReceiveCount`` (1..1,000) is in neither: SQS Developer Guide,
"Using dead-letter queues" / "Amazon SQS message quotas".
"""

from __future__ import annotations

import math
import re

QUEUE_NAME_MAX = 80
FIFO_SUFFIX = ".fifo"
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")

#: Inclusive ranges, in seconds unless the name says otherwise.
VISIBILITY_TIMEOUT_SECONDS = (0, 43200)
MESSAGE_RETENTION_SECONDS = (60, 1209600)
RECEIVE_WAIT_SECONDS = (0, 20)
DELAY_SECONDS = (0, 900)
MAX_RECEIVE_COUNT = (1, 1000)

#: SQS publishes ``ApproximateAgeOfOldestMessage`` and the message counts once a minute; an alarm
#: on them cannot look at less than this.
METRIC_PERIOD_SECONDS = 60


def queue_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a standard queue (``...; allowed: ...``), or None."""
    if name.endswith(FIFO_SUFFIX):
        return "%r ends in %r, which names a FIFO queue; allowed: a standard queue name without it" % (
            name,
            FIFO_SUFFIX,
        )
    if len(name) > QUEUE_NAME_MAX:
        return "%r is %d characters; allowed: at most %d" % (name, len(name), QUEUE_NAME_MAX)
    if not _QUEUE_NAME.match(name):
        return "%r is not a queue name; allowed: letters, digits, '-' and '_'" % name
    return None


def range_problem(value: int, bounds: tuple[int, int], what: str, unit: str = "seconds") -> str | None:
    """``<value> is outside the SQS <what> range; allowed: lo..hi <unit>`` when ``value`` is outside, else None."""
    lo, hi = bounds
    if lo <= value <= hi:
        return None
    return "%r is outside the SQS %s range; allowed: %d..%d%s" % (value, what, lo, hi, " " + unit if unit else "")


def age_threshold_problem(threshold_seconds: int, retention_seconds: int) -> str | None:
    """Why an ``ApproximateAgeOfOldestMessage`` threshold could never (or always) fire, or None.

    A message is deleted when it reaches the retention period, so the oldest message is never
    older than that: a threshold at or above it can never fire. Below one metric period it
    fires on every message that waits a minute.
    """
    if METRIC_PERIOD_SECONDS <= threshold_seconds < retention_seconds:
        return None
    return "%r is not between the metric period and the message retention; allowed: %d..%d seconds" % (
        threshold_seconds,
        METRIC_PERIOD_SECONDS,
        retention_seconds - 1,
    )


def backlog_per_task(*, latency_seconds: float, seconds_per_message: float) -> int:
    """Messages one task can have waiting and still finish them within ``latency_seconds``.

    ``latency_seconds / seconds_per_message``, rounded down, at least 1: the acceptable backlog per
    task of AWS's "scaling based on Amazon SQS" (e.g. 300 s acceptable latency / 2 s a message = 150).
    A task that works on several messages at once divides ``seconds_per_message`` by that number.
    """
    if latency_seconds <= 0 or seconds_per_message <= 0:
        raise ValueError(
            "backlog_per_task(latency_seconds=%r, seconds_per_message=%r); allowed: both > 0"
            % (latency_seconds, seconds_per_message)
        )
    return max(1, math.floor(latency_seconds / seconds_per_message))
