"""EventBridge Scheduler facts: schedule expressions, time zones, names and the retry policy.

Example::

    from rules.schedules import schedule_expression_problem, timezone_problem
    schedule_expression_problem("cron(0 3 ? * MON-FRI *)")   # None
    schedule_expression_problem("rate(5 minute)")
    # "'rate(5 minute)' uses the unit 'minute' with the value 5; allowed: 'minutes' (the singular only with 1)"
    timezone_problem("Europe/Berlin")   # None

Each ``*_problem`` function returns None for a valid value, else one message that names the value
and says what is allowed (``...; allowed: ...``), as :func:`rules.logs.retention_problem` does; the
caller puts the field in front (``ScheduledTaskProps.schedule_expression=<problem>``).

Sources:

* expressions: EventBridge Scheduler User Guide, "Schedule types on EventBridge Scheduler" (rate,
  cron and at; the cron fields, their values and wildcards; "you can't use ``*`` or a value in both
  day-of-month and day-of-week: one of them must be ``?``"; "if the value is 1 the unit must be
  singular, above 1 it must be plural");
* time zones: the IANA time zone database, as Python's :func:`zoneinfo.available_timezones` reads
  it from this machine (the system database or the ``tzdata`` package);
* lengths and ranges below: the Scheduler API model (``CreateSchedule``), checked against botocore's
  ``scheduler`` service model by ``tests/test_rules_queues_schedules.py``.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from zoneinfo import available_timezones

#: ``CreateSchedule`` ``Name`` (and ``ScheduleGroupName``): 1..64 of ``[0-9a-zA-Z-_.]``.
SCHEDULE_NAME_MAX = 64
SCHEDULE_NAME = re.compile(r"^[0-9a-zA-Z._-]{1,64}$")
#: ``ScheduleExpression`` and ``ScheduleExpressionTimezone`` lengths.
EXPRESSION_MAX = 256
TIMEZONE_MAX = 50
#: ``RetryPolicy``: attempts after the first one, and how long an undelivered invocation is kept.
RETRY_ATTEMPTS = (0, 185)
EVENT_AGE_SECONDS = (60, 86400)
#: ``ScheduleState`` values.
SCHEDULE_STATES = ("ENABLED", "DISABLED")
#: ``EcsParameters``: subnets, security groups, capacity-provider strategy items and their numbers.
SUBNETS = (1, 16)
SECURITY_GROUPS = (1, 5)
STRATEGY_ITEMS_MAX = 6
STRATEGY_WEIGHT = (0, 1000)
STRATEGY_BASE = (0, 100000)
LAUNCH_TYPES = ("EC2", "FARGATE", "EXTERNAL")

EXPRESSION_FORMS = (
    "at(yyyy-mm-ddThh:mm:ss), rate(<n> minute|minutes|hour|hours|day|days) or "
    "cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)"
)

RATE_UNITS = ("minute", "hour", "day")
_RATE = re.compile(r"^rate\((?P<value>\S+) (?P<unit>\S+)\)$")
_AT = re.compile(r"^at\((?P<when>.*)\)$")
_AT_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_CRON = re.compile(r"^cron\((?P<fields>.*)\)$")

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


class _Field:
    """One cron field: its value range, the names it accepts and its special forms."""

    def __init__(
        self, label: str, lo: int, hi: int, names: tuple[str, ...] = (), specials: tuple[str, ...] = ()
    ) -> None:
        self.label = label
        self.lo = lo
        self.hi = hi
        self.names = names
        self.specials = specials

    def allowed(self) -> str:
        named = " or %s-%s" % (self.names[0], self.names[-1]) if self.names else ""
        wildcards = ", - * /" + "".join(" %s" % s for s in self.specials)
        return "%d-%d%s, wildcards %s" % (self.lo, self.hi, named, wildcards)

    def value(self, text: str) -> int | None:
        """The number ``text`` stands for (a number or a name), or None when it is neither."""
        if text.isdigit():
            return int(text)
        if text in self.names:  # upper case, as the Scheduler documentation writes them
            return self.names.index(text) + self.lo
        return None


_FIELDS = (
    _Field("minutes", 0, 59),
    _Field("hours", 0, 23),
    _Field("day-of-month", 1, 31, specials=("?", "L", "W")),
    _Field("month", 1, 12, MONTHS),
    _Field("day-of-week", 1, 7, WEEKDAYS, specials=("?", "L", "#")),
    _Field("year", 1970, 2199),
)


def _item_problem(field: _Field, item: str) -> str | None:
    """Why one comma-separated item of a cron field is not valid, or None."""

    def in_range(text: str) -> str | None:
        number = field.value(text)
        if number is None:
            return "%r is not a value" % text
        if not field.lo <= number <= field.hi:
            return "%s is out of range" % text
        return None

    if item == "*":
        return None
    if field.label == "day-of-month":
        if item in ("L", "LW"):
            return None
        if item.endswith("W") and item[:-1].isdigit():
            return in_range(item[:-1])
    if field.label == "day-of-week":
        if item == "L":
            return None
        if item.endswith("L") and len(item) > 1:
            return in_range(item[:-1])
        if "#" in item:
            day, _, nth = item.partition("#")
            if not (nth.isdigit() and 1 <= int(nth) <= 5):
                return "%r: the week after '#' must be 1-5" % item
            return in_range(day)
    base, slash, step = item.partition("/")
    if slash:
        if not (step.isdigit() and 1 <= int(step) <= field.hi):
            return "%r: the increment after '/' must be 1-%d" % (item, field.hi)
        if base == "*":
            return None
    start, dash, end = base.partition("-")
    if dash:
        return in_range(start) or in_range(end)
    return in_range(base)


def _cron_problem(expression: str, fields: list[str]) -> str | None:
    if len(fields) != 6:
        return "%r has %d fields; allowed: 6 (minutes hours day-of-month month day-of-week year)" % (
            expression,
            len(fields),
        )
    for field, text in zip(_FIELDS, fields, strict=True):
        if text == "?":
            if field.label in ("day-of-month", "day-of-week"):
                continue
            return "%r: '?' in the %s field; allowed: '?' only in day-of-month or day-of-week" % (
                expression,
                field.label,
            )
        for item in text.split(","):
            problem = _item_problem(field, item)
            if problem:
                return "%r: %s field %r: %s; allowed: %s" % (expression, field.label, text, problem, field.allowed())
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        return "%r: day-of-month %r and day-of-week %r; allowed: '?' in exactly one of them" % (
            expression,
            day_of_month,
            day_of_week,
        )
    return None


def _rate_problem(expression: str, value: str, unit: str) -> str | None:
    singular = unit[:-1] if unit.endswith("s") else unit
    if singular not in RATE_UNITS:
        return "%r uses the unit %r; allowed: minute|minutes|hour|hours|day|days" % (expression, unit)
    if not re.fullmatch(r"[1-9]\d*", value):
        return "%r has the value %r; allowed: a whole number >= 1 without leading zeros" % (expression, value)
    number = int(value)
    expected = singular if number == 1 else singular + "s"
    if unit != expected:
        return "%r uses the unit %r with the value %d; allowed: %r (the singular only with 1)" % (
            expression,
            unit,
            number,
            expected,
        )
    return None


def _at_problem(expression: str, when: str) -> str | None:
    allowed = "allowed: at(yyyy-mm-ddThh:mm:ss), e.g. at(2030-01-31T09:30:00)"
    if not _AT_FORMAT.match(when):
        return "%r is not written as a date and time; %s" % (expression, allowed)
    try:
        datetime.strptime(when, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return "%r is not a real date and time; %s" % (expression, allowed)
    return None


def schedule_expression_problem(expression: str) -> str | None:
    """Why ``expression`` is not an EventBridge Scheduler expression (``...; allowed: ...``), or None."""
    if len(expression) > EXPRESSION_MAX:
        return "%r is %d characters; allowed: at most %d" % (expression, len(expression), EXPRESSION_MAX)
    rate = _RATE.match(expression)
    if rate:
        return _rate_problem(expression, rate.group("value"), rate.group("unit"))
    at = _AT.match(expression)
    if at:
        return _at_problem(expression, at.group("when"))
    cron = _CRON.match(expression)
    if cron:
        return _cron_problem(expression, cron.group("fields").split())
    return "%r is not a schedule expression; allowed: %s" % (expression, EXPRESSION_FORMS)


@cache
def iana_timezones() -> frozenset[str]:
    """The IANA time zone names this machine knows (read once)."""
    return frozenset(available_timezones())


def timezone_problem(name: str) -> str | None:
    """Why ``name`` is not an IANA time zone Scheduler accepts (``...; allowed: ...``), or None."""
    zones = iana_timezones()
    if not zones:
        return (
            "%r cannot be checked: this machine has no IANA time zone database; allowed: an IANA name such as"
            " 'UTC' or 'Europe/Berlin', once the tzdata package (or the system zoneinfo) is installed" % name
        )
    if name not in zones or len(name) > TIMEZONE_MAX:
        return (
            "%r is not an IANA time zone; allowed: a name of the IANA tz database such as 'UTC' or 'Europe/Berlin'"
            % (name,)
        )
    return None


def schedule_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a schedule (or a schedule group), or None."""
    if not SCHEDULE_NAME.match(name):
        return "%r is not a schedule name; allowed: 1..%d characters of letters, digits, '-', '_' and '.'" % (
            name,
            SCHEDULE_NAME_MAX,
        )
    return None


#: ECS ``RegisterTaskDefinition`` ``family``: up to 255 letters, digits, ``-`` and ``_`` (ECS API Reference).
TASK_FAMILY = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def task_family_problem(family: str) -> str | None:
    """Why ``family`` cannot name an ECS task definition family, or None."""
    if not TASK_FAMILY.match(family):
        return "%r is not a task definition family; allowed: 1..255 letters, digits, '-' and '_'" % family
    return None
