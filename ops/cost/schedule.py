"""How many times a job's EventBridge Scheduler expression runs in a 30-day month.

Example::

    from ops.cost.schedule import runs_per_month
    runs_per_month("cron(30 1 * * ? *)")        # Decimal('30'): every day at 01:30
    runs_per_month("rate(5 minutes)")           # Decimal('8640')
    runs_per_month("cron(0 9 ? * MON-FRI *)")   # 150/7 = 21.43: weekdays, on average

The method, for every form of expression (``rules.schedules`` validates them first):

* ``rate(n minutes|hours|days)``: a 30-day month divided by the interval (43,200 minutes, 720 hours
  or 30 days, divided by n; not rounded).
* ``cron(minutes hours day-of-month month day-of-week year)``: the minutes and hours it names give
  the runs a day; the days it names are counted over a whole 28-year calendar cycle (2001-01-01 to
  2028-12-31, 10,227 days: every weekday and leap-year position occurs equally often in it) and
  scaled to 30 days, so the result is the average over all months of the year. A daily cron gives
  30, a weekday cron 30 x 5/7, the 1st of every month 12 x 30 / 365.25 = 0.99 and Saturdays and
  Sundays 30 x 2/7. ``L``, ``LW``, ``nW``, ``nL`` and ``n#k`` name the days the Scheduler User Guide
  describes (last day of the month, last weekday, nearest weekday, last n-day, k-th n-day; ``L``
  alone in day-of-week is Saturday, the last day of the week). A range whose start is after its end
  wraps around (``FRI-MON``). The year field is not counted: the figure is for a month in which
  the schedule is active. Time zones and daylight-saving shifts are not counted.
* ``at(yyyy-mm-ddThh:mm:ss)``: 1, the one run of a one-time schedule (in the month it falls in).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

from ops.cost import CostError
from rules.schedules import MONTHS, WEEKDAYS, schedule_expression_problem

#: The month the runs are counted in.
MONTH_DAYS = 30
#: The calendar cycle a cron's days are averaged over: 28 years of 1901..2099 repeat exactly
#: (7 leap years, 10,227 days = 1,461 weeks).
CYCLE_START = date(2001, 1, 1)
CYCLE_DAYS = 10227
RATE_MONTH = {"minute": Decimal(MONTH_DAYS * 24 * 60), "hour": Decimal(MONTH_DAYS * 24), "day": Decimal(MONTH_DAYS)}

# Field ranges (Scheduler cron): minutes, hours, day-of-month, month (JAN-DEC), day-of-week (1 = SUN .. 7 = SAT).
_MINUTES = (0, 59, ())
_HOURS = (0, 23, ())
_DAYS = (1, 31, ())
_MONTHS = (1, 12, MONTHS)
_WEEKDAYS = (1, 7, WEEKDAYS)


def _number(text: str, names: tuple[str, ...], lo: int) -> int:
    return names.index(text) + lo if text in names else int(text)


def _values(text: str, spec: tuple[int, int, tuple[str, ...]]) -> set[int]:
    """The numbers a plain cron field (``*``, lists, ranges, ``/`` increments) names."""
    lo, hi, names = spec
    found: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = lo, hi
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _number(first, names, lo), _number(last, names, lo)
        else:
            start = _number(base, names, lo)
            end = hi if step_text else start
        span = list(range(start, hi + 1)) + list(range(lo, end + 1)) if start > end else list(range(start, end + 1))
        found.update(span[::step])
    return found


def _weekday(day: date) -> int:
    """The cron day-of-week of ``day``: 1 = Sunday .. 7 = Saturday."""
    return (day.weekday() + 1) % 7 + 1


def _nearest_weekday(day: date, target: int) -> bool:
    """``<target>W``: the weekday nearest to the target day, within its month."""
    last = calendar.monthrange(day.year, day.month)[1]
    if target > last:
        return False
    when = day.replace(day=target)
    if when.weekday() == 5:  # Saturday: the Friday before, or the Monday after on the 1st
        when = when - timedelta(days=1) if target > 1 else when + timedelta(days=2)
    elif when.weekday() == 6:  # Sunday: the Monday after, or the Friday before on the last day
        when = when + timedelta(days=1) if target < last else when - timedelta(days=2)
    return when == day


def _nearest_weekday_rule(target: int) -> Callable[[date], bool]:
    return lambda day: _nearest_weekday(day, target)


def _last_of_month_rule(weekday: int) -> Callable[[date], bool]:
    """``<weekday>L``: the last such weekday of the month."""
    return lambda day: _weekday(day) == weekday and day.day + 7 > calendar.monthrange(day.year, day.month)[1]


def _nth_of_month_rule(weekday: int, week: int) -> Callable[[date], bool]:
    """``<weekday>#<week>``: the week-th such weekday of the month (none when the month has fewer)."""
    return lambda day: _weekday(day) == weekday and (day.day - 1) // 7 + 1 == week


def _day_of_month_rule(text: str) -> Callable[[date], bool]:
    plain: list[str] = []
    special: list[Callable[[date], bool]] = []
    for item in text.split(","):
        if item == "L":
            special.append(lambda d: d.day == calendar.monthrange(d.year, d.month)[1])
        elif item == "LW":
            special.append(_last_weekday)
        elif item.endswith("W"):
            special.append(_nearest_weekday_rule(int(item[:-1])))
        else:
            plain.append(item)
    days = _values(",".join(plain), _DAYS) if plain else set()
    return lambda d: d.day in days or any(rule(d) for rule in special)


def _last_weekday(day: date) -> bool:
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    while last.weekday() >= 5:
        last -= timedelta(days=1)
    return day == last


def _day_of_week_rule(text: str) -> Callable[[date], bool]:
    plain: list[str] = []
    special: list[Callable[[date], bool]] = []
    for item in text.split(","):
        if item == "L":
            plain.append("7")
        elif item.endswith("L"):
            special.append(_last_of_month_rule(_number(item[:-1], WEEKDAYS, 1)))
        elif "#" in item:
            first, _, nth = item.partition("#")
            special.append(_nth_of_month_rule(_number(first, WEEKDAYS, 1), int(nth)))
        else:
            plain.append(item)
    weekdays = _values(",".join(plain), _WEEKDAYS) if plain else set()
    return lambda d: _weekday(d) in weekdays or any(rule(d) for rule in special)


def _cron_runs(fields: list[str]) -> Decimal:
    minutes, hours, day_of_month, month, day_of_week, _year = fields
    per_day = len(_values(minutes, _MINUTES)) * len(_values(hours, _HOURS))
    months = _values(month, _MONTHS)
    day_rule = _day_of_week_rule(day_of_week) if day_of_month == "?" else _day_of_month_rule(day_of_month)
    days = 0
    for offset in range(CYCLE_DAYS):
        day = CYCLE_START + timedelta(days=offset)
        if day.month in months and day_rule(day):
            days += 1
    return Decimal(days * per_day * MONTH_DAYS) / CYCLE_DAYS


@cache
def runs_per_month(expression: str) -> Decimal:
    """Runs of ``expression`` in a 30-day month (see the module docstring for the method)."""
    problem = schedule_expression_problem(expression)
    if problem:
        raise CostError(problem)
    if expression.startswith("at("):
        return Decimal(1)
    if expression.startswith("rate("):
        value, unit = expression[len("rate(") : -1].split()
        return RATE_MONTH[unit.rstrip("s")] / int(value)
    return _cron_runs(expression[len("cron(") : -1].split())
