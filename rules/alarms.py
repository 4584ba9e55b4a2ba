"""Alarm thresholds, notification targets and the placeholder address: facts shared by config, constructs and ops.

Example::

    from rules.alarms import DEFAULT_THRESHOLDS, threshold_problem, is_placeholder_target
    DEFAULT_THRESHOLDS["target_5xx"]                      # Threshold(threshold=5, evaluation_periods=3, datapoints_to_alarm=2)
    threshold_problem("cpu_high", Threshold(120, 5))      # "threshold=120; allowed: 0 < percent <= 100"
    is_placeholder_target("oncall@example.com")           # True: replace it before the alarms reach anyone

Every alarm of the web service evaluates one-minute periods (``PERIOD_SECONDS``). CloudWatch's
own limits (botocore's ``PutMetricAlarm`` model): ``EvaluationPeriods`` and ``DatapointsToAlarm``
at least 1, at most 5 ``AlarmActions``; the user guide caps an alarm's evaluation range
(periods x period) at one day for periods of a minute or more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Every alarm evaluates one-minute datapoints.
PERIOD_SECONDS = 60
#: CloudWatch evaluates at most one day of datapoints (EvaluationPeriods x Period <= 86400 s).
MAX_EVALUATION_SECONDS = 86400
MAX_EVALUATION_PERIODS = MAX_EVALUATION_SECONDS // PERIOD_SECONDS


@dataclass(frozen=True)
class Threshold:
    """One alarm's trigger: ``threshold`` breached in ``datapoints_to_alarm`` of ``evaluation_periods`` minutes."""

    threshold: float
    evaluation_periods: int
    datapoints_to_alarm: int | None = None
    """M of the "M out of N" alarm; every period (``evaluation_periods``) unless set."""

    @property
    def breaching(self) -> int:
        return self.evaluation_periods if self.datapoints_to_alarm is None else self.datapoints_to_alarm


#: The web service's alarms and what their threshold counts, each with its default.
UNITS: dict[str, str] = {
    "target_5xx": "5xx responses of the targets a minute",
    "elb_5xx": "5xx responses of the load balancer itself a minute",
    "unhealthy_hosts": "unhealthy targets",
    "cpu_high": "percent of the service's CPU",
    "memory_high": "percent of the service's memory",
    "latency_p99": "seconds of p99 target response time",
}
DEFAULT_THRESHOLDS: dict[str, Threshold] = {
    "target_5xx": Threshold(5, 3, 2),
    "elb_5xx": Threshold(5, 3, 2),
    "unhealthy_hosts": Threshold(1, 2),
    "cpu_high": Threshold(85, 5),
    "memory_high": Threshold(85, 5),
    "latency_p99": Threshold(2, 5),
}
_COUNTS = ("target_5xx", "elb_5xx", "unhealthy_hosts")
_PERCENTS = ("cpu_high", "memory_high")


def threshold_problem(alarm: str, t: Threshold) -> str | None:
    """What is wrong with ``t`` for ``alarm`` (a key of ``DEFAULT_THRESHOLDS``), naming value and allowed; else None."""
    if alarm in _COUNTS and (t.threshold < 1 or t.threshold != int(t.threshold)):
        return "threshold=%r; allowed: a whole number >= 1 (%s)" % (t.threshold, UNITS[alarm])
    if alarm in _PERCENTS and not 0 < t.threshold <= 100:
        return "threshold=%r; allowed: 0 < percent <= 100" % t.threshold
    if alarm == "latency_p99" and not t.threshold > 0:
        return "threshold=%r; allowed: seconds > 0" % t.threshold
    if not 1 <= t.evaluation_periods <= MAX_EVALUATION_PERIODS:
        return "evaluation_periods=%r; allowed: 1..%d (one-minute periods, at most one day)" % (
            t.evaluation_periods, MAX_EVALUATION_PERIODS)  # fmt: skip
    if t.datapoints_to_alarm is not None and not 1 <= t.datapoints_to_alarm <= t.evaluation_periods:
        return "datapoints_to_alarm=%r with evaluation_periods=%d; allowed: 1..%d" % (
            t.datapoints_to_alarm, t.evaluation_periods, t.evaluation_periods)  # fmt: skip
    return None


#: Domains reserved for documentation (RFC 2606): an address there reaches no one.
PLACEHOLDER_DOMAINS = ("example.com", "example.net", "example.org")
#: The placeholder the shipped environments carry until the team puts its own address there.
PLACEHOLDER_EMAIL = "oncall@example.com"

_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d{1,5})?(/\S*)?$")
TOPIC_ARN = re.compile(r"^arn:(aws[a-z-]*):sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,251}(\.fifo)?)$")


def _domain(target: str) -> str:
    if "@" in target:
        return target.rsplit("@", 1)[1].lower()
    host = target.removeprefix("https://").split("/", 1)[0].split(":", 1)[0]
    return host.lower()


def is_placeholder_target(target: str) -> bool:
    """True for an e-mail address or HTTPS endpoint at a documentation domain (``example.com`` and below)."""
    domain = _domain(target)
    return any(domain == d or domain.endswith("." + d) for d in PLACEHOLDER_DOMAINS)


def placeholder_warning(env_name: str, targets: tuple[str, ...]) -> str | None:
    """The warning ``make plan`` prints while an environment's alarms go to a placeholder, else None."""
    placeholders = [t for t in targets if is_placeholder_target(t)]
    if not placeholders:
        return None
    return (
        "%s: alarms notify %s, a PLACEHOLDER that reaches no one (alarms.emails / alarms.https_endpoints at %s);"
        ' replace it with your team\'s address in envconfig/environments.toml (README, "Alarms")'
        % (env_name, ", ".join(placeholders), " / ".join(PLACEHOLDER_DOMAINS))
    )


def is_https_endpoint(value: str) -> bool:
    """True for ``https://host[:port][/path]`` (SNS delivers to an https subscription by POST)."""
    return bool(_HTTPS_URL.match(value))


def topic_arn_problem(arn: str, region: str) -> str | None:
    """What is wrong with an existing topic's ARN for alarms of ``region``, else None."""
    match = TOPIC_ARN.match(arn)
    if not match:
        return "is not an SNS topic ARN; allowed: arn:aws:sns:<region>:<12-digit account>:<topic name>"
    if match.group(5):
        return "is a FIFO topic; allowed: a standard topic (CloudWatch alarms cannot publish to FIFO topics)"
    if match.group(2) != region:
        return "is in %s; allowed: a topic in %s (an alarm notifies topics of its own region)" % (
            match.group(2),
            region,
        )
    return None
