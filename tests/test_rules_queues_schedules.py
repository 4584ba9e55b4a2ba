"""rules/queues.py and rules/schedules.py: SQS and EventBridge Scheduler facts, checked against botocore's
models where those carry them, and every problem message (value named, allowed form given)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from rules import queues, schedules
from rules.queues import age_threshold_problem, backlog_per_task, queue_name_problem, range_problem
from rules.schedules import (
    schedule_expression_problem,
    schedule_name_problem,
    task_family_problem,
    timezone_problem,
)

# ---- the facts against AWS's API models ---------------------------------------------------------


@pytest.fixture(scope="module")
def scheduler_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("scheduler")


@pytest.fixture(scope="module")
def sqs_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("sqs")


def _range(model: Any, shape: str) -> tuple[int, int]:
    meta = model.shape_for(shape).metadata
    return meta["min"], meta["max"]


def test_scheduler_limits_are_the_api_model(scheduler_model: Any) -> None:
    name = scheduler_model.shape_for("Name").metadata
    assert (name["min"], name["max"]) == (1, schedules.SCHEDULE_NAME_MAX)
    assert name["pattern"] == "[0-9a-zA-Z-_.]+"  # what SCHEDULE_NAME spells as [0-9a-zA-Z._-]
    assert scheduler_model.shape_for("ScheduleGroupName").metadata == name
    assert _range(scheduler_model, "ScheduleExpression")[1] == schedules.EXPRESSION_MAX
    assert _range(scheduler_model, "ScheduleExpressionTimezone")[1] == schedules.TIMEZONE_MAX
    assert _range(scheduler_model, "MaximumRetryAttempts") == schedules.RETRY_ATTEMPTS
    assert _range(scheduler_model, "MaximumEventAgeInSeconds") == schedules.EVENT_AGE_SECONDS
    assert _range(scheduler_model, "Subnets") == schedules.SUBNETS
    assert _range(scheduler_model, "SecurityGroups") == schedules.SECURITY_GROUPS
    assert _range(scheduler_model, "CapacityProviderStrategy")[1] == schedules.STRATEGY_ITEMS_MAX
    assert _range(scheduler_model, "CapacityProviderStrategyItemWeight") == schedules.STRATEGY_WEIGHT
    assert _range(scheduler_model, "CapacityProviderStrategyItemBase") == schedules.STRATEGY_BASE
    assert tuple(scheduler_model.shape_for("ScheduleState").enum) == schedules.SCHEDULE_STATES
    assert tuple(scheduler_model.shape_for("LaunchType").enum) == schedules.LAUNCH_TYPES


def _documented_range(text: str, attribute: str) -> tuple[int, int]:
    """``<attribute>`` – ... Valid values: An integer from <lo> ... to <hi> ... in the SetQueueAttributes docs."""
    plain = re.sub(r"<[^>]+>", "", text)
    section = plain[plain.index(attribute + " –") :]
    match = re.search(r"Valid values: An integer (?:representing seconds, )?from ([\d,]+)[^.]*? to ([\d,]+)", section)
    assert match, section[:300]
    return int(match.group(1).replace(",", "")), int(match.group(2).replace(",", ""))


def test_sqs_ranges_are_the_api_documentation(sqs_model: Any) -> None:
    """botocore's SQS model has no min/max for queue attributes; its SetQueueAttributes text does."""
    text = sqs_model.shape_for("SetQueueAttributesRequest").members["Attributes"].documentation
    assert _documented_range(text, "VisibilityTimeout") == queues.VISIBILITY_TIMEOUT_SECONDS
    assert _documented_range(text, "MessageRetentionPeriod") == queues.MESSAGE_RETENTION_SECONDS
    assert _documented_range(text, "ReceiveMessageWaitTimeSeconds") == queues.RECEIVE_WAIT_SECONDS
    assert _documented_range(text, "DelaySeconds") == queues.DELAY_SECONDS


def test_queue_name_rule_is_the_api_documentation(sqs_model: Any) -> None:
    text = sqs_model.shape_for("CreateQueueRequest").members["QueueName"].documentation
    assert "up to %d characters" % queues.QUEUE_NAME_MAX in text
    assert "alphanumeric characters, hyphens (<code>-</code>), and underscores (<code>_</code>)" in text
    assert "<code>%s</code> suffix" % queues.FIFO_SUFFIX in text


# ---- rules/queues.py ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["jobs", "flask-app-dev-jobs", "A_b-9", "q" * 80])
def test_queue_names_that_are_valid(name: str) -> None:
    assert queue_name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("q" * 81, r"^'q{81}' is 81 characters; allowed: at most 80$"),
        ("jobs.fifo", r"^'jobs\.fifo' ends in '\.fifo', which names a FIFO queue; allowed: a standard queue name"),
        ("my jobs", r"^'my jobs' is not a queue name; allowed: letters, digits, '-' and '_'$"),
        ("jobs.dev", r"^'jobs\.dev' is not a queue name; allowed: letters, digits, '-' and '_'$"),
        ("", r"^'' is not a queue name"),
    ],
    ids=["too-long", "fifo-suffix", "space", "dot", "empty"],
)
def test_queue_name_problems(name: str, message: str) -> None:
    problem = queue_name_problem(name)
    assert problem is not None and re.search(message, problem), problem


def test_range_problem_names_value_range_and_unit() -> None:
    assert range_problem(43200, queues.VISIBILITY_TIMEOUT_SECONDS, "visibility timeout") is None
    assert range_problem(0, queues.VISIBILITY_TIMEOUT_SECONDS, "visibility timeout") is None
    assert range_problem(43201, queues.VISIBILITY_TIMEOUT_SECONDS, "visibility timeout") == (
        "43201 is outside the SQS visibility timeout range; allowed: 0..43200 seconds"
    )
    assert range_problem(0, queues.MAX_RECEIVE_COUNT, "maxReceiveCount", "receives") == (
        "0 is outside the SQS maxReceiveCount range; allowed: 1..1000 receives"
    )


@pytest.mark.parametrize(
    ("threshold", "retention", "problem"),
    [
        (60, 345600, None),
        (345599, 345600, None),
        (
            345600,
            345600,
            "345600 is not between the metric period and the message retention; allowed: 60..345599 seconds",
        ),
        (59, 345600, "59 is not between the metric period and the message retention; allowed: 60..345599 seconds"),
    ],
)
def test_age_threshold_must_be_able_to_fire(threshold: int, retention: int, problem: str | None) -> None:
    assert age_threshold_problem(threshold, retention) == problem


def test_backlog_per_task_is_latency_over_processing_time() -> None:
    assert backlog_per_task(latency_seconds=300, seconds_per_message=2) == 150
    assert backlog_per_task(latency_seconds=100, seconds_per_message=3) == 33  # rounded down
    assert backlog_per_task(latency_seconds=1, seconds_per_message=5) == 1  # at least one message
    with pytest.raises(
        ValueError, match=r"backlog_per_task\(latency_seconds=0, seconds_per_message=2\); allowed: both > 0"
    ):
        backlog_per_task(latency_seconds=0, seconds_per_message=2)
    with pytest.raises(ValueError, match=r"seconds_per_message=-1\); allowed: both > 0"):
        backlog_per_task(latency_seconds=60, seconds_per_message=-1)


# ---- rules/schedules.py: expressions -------------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(12 hours)",
        "rate(1 day)",
        "rate(7 days)",
        "at(2030-01-31T09:30:00)",
        "at(2028-02-29T23:59:59)",
        "cron(0 3 * * ? *)",
        "cron(0/15 * * * ? *)",
        "cron(*/5 8-17 ? * MON-FRI *)",
        "cron(0 12 ? JAN,JUL 2#1 2030-2035)",
        "cron(15 10 L * ? *)",
        "cron(0 9 15W * ? *)",
        "cron(0 0 LW * ? *)",
        "cron(0 18 ? * 6L *)",
        "cron(0 18 ? * L *)",
        "cron(0 8 1 * ? 2030)",
        "cron(59 23 31 12 ? 2199)",
        "cron(0 0 1-15/2 FEB-NOV ? *)",
        "cron(0,30 6,18 ? * SUN,SAT *)",
    ],
)
def test_valid_schedule_expressions(expression: str) -> None:
    assert schedule_expression_problem(expression) is None


RATE_FORM = r"allowed: at\(yyyy-mm-ddThh:mm:ss\), rate\(<n> minute\|minutes\|hour\|hours\|day\|days\) or cron\("


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        # the three forms
        ("every 5 minutes", r"^'every 5 minutes' is not a schedule expression; " + RATE_FORM),
        ("rate(5minutes)", r"^'rate\(5minutes\)' is not a schedule expression; " + RATE_FORM),
        ("cron 0 3 * * ? *", r"is not a schedule expression; " + RATE_FORM),
        ("cron(0 3 * * ? *" + " " * 250 + ")", r"is 267 characters; allowed: at most 256$"),
        # rate
        (
            "rate(5 minute)",
            r"^'rate\(5 minute\)' uses the unit 'minute' with the value 5; allowed: 'minutes' \(the singular only with 1\)$",
        ),
        ("rate(1 hours)", r"^'rate\(1 hours\)' uses the unit 'hours' with the value 1; allowed: 'hour'"),
        (
            "rate(2 weeks)",
            r"^'rate\(2 weeks\)' uses the unit 'weeks'; allowed: minute\|minutes\|hour\|hours\|day\|days$",
        ),
        ("rate(30 seconds)", r"uses the unit 'seconds'; allowed: minute\|minutes"),
        (
            "rate(0 minutes)",
            r"^'rate\(0 minutes\)' has the value '0'; allowed: a whole number >= 1 without leading zeros$",
        ),
        ("rate(-1 minutes)", r"has the value '-1'; allowed: a whole number >= 1"),
        ("rate(05 minutes)", r"has the value '05'; allowed: a whole number >= 1 without leading zeros"),
        ("rate(1.5 hours)", r"has the value '1\.5'; allowed: a whole number >= 1"),
        # at
        (
            "at(2030-01-31 09:30:00)",
            r"^'at\(2030-01-31 09:30:00\)' is not written as a date and time; allowed: at\(yyyy-mm-ddThh:mm:ss\)",
        ),
        ("at(2030-01-31T09:30)", r"is not written as a date and time; allowed: at\(yyyy-mm-ddThh:mm:ss\)"),
        (
            "at(2030-02-30T09:30:00)",
            r"^'at\(2030-02-30T09:30:00\)' is not a real date and time; allowed: at\(yyyy-mm-ddThh:mm:ss\)",
        ),
        ("at(2030-01-31T24:00:00)", r"is not a real date and time"),
        # cron: shape
        (
            "cron(0 3 * * ?)",
            r"^'cron\(0 3 \* \* \?\)' has 5 fields; allowed: 6 \(minutes hours day-of-month month day-of-week year\)$",
        ),
        ("cron(0 0 3 * * ? *)", r"has 7 fields; allowed: 6"),
        ("cron(? 3 * * ? *)", r"'\?' in the minutes field; allowed: '\?' only in day-of-month or day-of-week$"),
        ("cron(0 3 * * * *)", r"day-of-month '\*' and day-of-week '\*'; allowed: '\?' in exactly one of them$"),
        ("cron(0 3 1 * MON *)", r"day-of-month '1' and day-of-week 'MON'; allowed: '\?' in exactly one of them$"),
        ("cron(0 3 ? * ? *)", r"day-of-month '\?' and day-of-week '\?'; allowed: '\?' in exactly one of them$"),
        # cron: values, names, wildcards
        ("cron(60 3 * * ? *)", r"minutes field '60': 60 is out of range; allowed: 0-59, wildcards , - \* /$"),
        ("cron(0 24 * * ? *)", r"hours field '24': 24 is out of range; allowed: 0-23"),
        (
            "cron(0 3 32 * ? *)",
            r"day-of-month field '32': 32 is out of range; allowed: 1-31, wildcards , - \* / \? L W$",
        ),
        ("cron(0 3 0 * ? *)", r"day-of-month field '0': 0 is out of range"),
        ("cron(0 3 * 13 ? *)", r"month field '13': 13 is out of range; allowed: 1-12 or JAN-DEC, wildcards , - \* /$"),
        (
            "cron(0 3 ? * 8 *)",
            r"day-of-week field '8': 8 is out of range; allowed: 1-7 or SUN-SAT, wildcards , - \* / \? L #$",
        ),
        ("cron(0 3 * * ? 1969)", r"year field '1969': 1969 is out of range; allowed: 1970-2199"),
        ("cron(0 3 * * ? 2200)", r"year field '2200': 2200 is out of range"),
        ("cron(0 3 * MON ? *)", r"month field 'MON': 'MON' is not a value; allowed: 1-12 or JAN-DEC"),
        ("cron(0 3 ? * JAN *)", r"day-of-week field 'JAN': 'JAN' is not a value; allowed: 1-7 or SUN-SAT"),
        ("cron(0 3 ? * mon *)", r"day-of-week field 'mon': 'mon' is not a value"),
        ("cron(0 3 ? * MONDAY *)", r"day-of-week field 'MONDAY': 'MONDAY' is not a value"),
        ("cron(0/0 * * * ? *)", r"minutes field '0/0': '0/0': the increment after '/' must be 1-59; allowed: 0-59"),
        ("cron(0/60 * * * ? *)", r"'0/60': the increment after '/' must be 1-59"),
        ("cron(0 8-25 * * ? *)", r"hours field '8-25': 25 is out of range"),
        ("cron(0 3 ? * 2#6 *)", r"day-of-week field '2#6': '2#6': the week after '#' must be 1-5; allowed: 1-7"),
        ("cron(0 3 ? * 9#1 *)", r"day-of-week field '9#1': 9 is out of range"),
        ("cron(0 3 32W * ? *)", r"day-of-month field '32W': 32 is out of range"),
        ("cron(0 3 W * ? *)", r"day-of-month field 'W': 'W' is not a value"),
        ("cron(0 3 ? * 8L *)", r"day-of-week field '8L': 8 is out of range"),
        ("cron(0 3 15L * ? *)", r"day-of-month field '15L': '15L' is not a value"),
        ("cron(0 3 * * L *)", r"day-of-month '\*' and day-of-week 'L'; allowed: '\?' in exactly one of them"),
        ("cron(0,,5 3 * * ? *)", r"minutes field '0,,5': '' is not a value"),
        ("cron(0 3 * * ? #)", r"year field '#': '#' is not a value; allowed: 1970-2199"),
    ],
)
def test_invalid_schedule_expressions_name_the_value_and_the_allowed_form(expression: str, message: str) -> None:
    problem = schedule_expression_problem(expression)
    assert problem is not None, expression
    assert re.search(message, problem), problem
    assert "allowed: " in problem and repr(expression)[:20] in problem


# ---- rules/schedules.py: time zones, names --------------------------------------------------------


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Etc/GMT+5"])
def test_iana_time_zones(zone: str) -> None:
    if not schedules.iana_timezones():
        pytest.skip("this machine has no IANA time zone database (system zoneinfo or the tzdata package)")
    assert timezone_problem(zone) is None


@pytest.mark.parametrize("zone", ["CEST", "Europe/Atlantis", "utc+2", "", "europe/berlin"])
def test_unknown_time_zones(zone: str) -> None:
    if not schedules.iana_timezones():
        pytest.skip("this machine has no IANA time zone database (system zoneinfo or the tzdata package)")
    assert timezone_problem(zone) == (
        "%r is not an IANA time zone; allowed: a name of the IANA tz database such as 'UTC' or 'Europe/Berlin'" % zone
    )


def test_a_machine_without_a_zone_database_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schedules, "iana_timezones", lambda: frozenset())
    problem = timezone_problem("UTC")
    assert problem is not None
    assert problem.startswith("'UTC' cannot be checked: this machine has no IANA time zone database; allowed:")


@pytest.mark.parametrize(
    ("name", "ok"),
    [("flask-app-dev-nightly", True), ("a.b_c-1", True), ("x" * 64, True), ("x" * 65, False), ("", False),
     ("nightly job", False), ("nightly/job", False)],
)  # fmt: skip
def test_schedule_names(name: str, ok: bool) -> None:
    problem = schedule_name_problem(name)
    if ok:
        assert problem is None
    else:
        assert (
            problem
            == "%r is not a schedule name; allowed: 1..64 characters of letters, digits, '-', '_' and '.'" % name
        )


@pytest.mark.parametrize(
    ("family", "ok"),
    [("flask-app-dev-nightly", True), ("A_b-9", True), ("f" * 255, True), ("f" * 256, False), ("", False),
     ("nightly.job", False), ("nightly:3", False)],
)  # fmt: skip
def test_task_families(family: str, ok: bool) -> None:
    problem = task_family_problem(family)
    if ok:
        assert problem is None
    else:
        assert problem == "%r is not a task definition family; allowed: 1..255 letters, digits, '-' and '_'" % family
