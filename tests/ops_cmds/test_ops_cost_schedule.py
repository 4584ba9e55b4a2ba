"""`make cost`: how many times a job's schedule runs in a 30-day month (ops/cost/schedule.py).

Every expected figure is counted by hand: a day has 24 x 60 minutes, a 30-day month 30 days, and
a cron's days are averaged over the calendar (each weekday 30/7 times a month, each date of the
month 12 times in 365.25 days).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from ops import cost
from ops.cost import schedule
from ops.cost.schedule import runs_per_month

D = Decimal


def ratio(numerator: int, denominator: int) -> Decimal:
    """An exact fraction as one Decimal division (rounded once, as the counting rounds it)."""
    return D(numerator) / D(denominator)


# The 1st (or any one date up to the 28th) of every month, in a 30-day month: 12 x 30 / 365.25.
MONTHLY = ratio(12 * 30 * 4, 1461)


@pytest.mark.parametrize(
    ("expression", "runs"),
    [
        ("rate(1 day)", D(30)),
        ("rate(7 days)", D(30) / 7),
        ("rate(1 hour)", D(720)),
        ("rate(12 hours)", D(60)),
        ("rate(1 minute)", D(43200)),
        ("rate(5 minutes)", D(8640)),
        ("rate(7 minutes)", D(43200) / 7),  # not rounded: an average
        ("cron(30 1 * * ? *)", D(30)),  # every day at 01:30
        ("cron(0 */6 * * ? *)", D(120)),  # 00:00, 06:00, 12:00, 18:00
        ("cron(0/15 * * * ? *)", D(30 * 24 * 4)),
        ("cron(0,30 6,18 * * ? *)", D(30 * 4)),
        ("cron(*/5 8-17 * * ? *)", D(30 * 10 * 12)),  # 10 hours of 12 runs
        ("at(2030-01-31T09:30:00)", D(1)),
    ],
)
def test_runs_of_rates_daily_crons_and_one_time_schedules(expression: str, runs: Decimal) -> None:
    assert runs_per_month(expression) == runs


@pytest.mark.parametrize(
    ("expression", "runs"),
    [
        ("cron(0 9 ? * MON-FRI *)", D(30) * 5 / 7),  # 21.43 weekdays in an average 30 days
        ("cron(0 9 ? * 2-6 *)", D(30) * 5 / 7),  # the same days by number: 1 = SUN .. 7 = SAT
        ("cron(*/5 8-17 ? * MON-FRI *)", ratio(30 * 5 * 120, 7)),
        ("cron(0,30 6,18 ? * SUN,SAT *)", ratio(30 * 2 * 4, 7)),
        ("cron(0 18 ? * L *)", D(30) / 7),  # L alone: the last day of the week, Saturday
        ("cron(0 9 ? * FRI-MON *)", D(30) * 4 / 7),  # wraps: FRI, SAT, SUN, MON
        ("cron(0 9 ? * MON/2 *)", D(30) * 3 / 7),  # MON, WED, FRI
    ],
)
def test_weekday_crons_count_each_weekday_30_7_times(expression: str, runs: Decimal) -> None:
    assert runs_per_month(expression) == runs


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 8 1 * ? *)",  # the 1st
        "cron(15 10 L * ? *)",  # the last day
        "cron(0 9 15W * ? *)",  # the weekday nearest the 15th
        "cron(0 0 LW * ? *)",  # the last weekday
        "cron(0 18 ? * 6L *)",  # the last Friday
        "cron(0 18 ? * 2#1 *)",  # the first Monday
        "cron(0 18 ? * MON#4 *)",  # the fourth Monday
        "cron(0 8 1 * ? 2030)",  # the year field is not counted
    ],
)
def test_one_day_a_month_is_twelve_a_year(expression: str) -> None:
    assert runs_per_month(expression) == MONTHLY
    assert round(runs_per_month(expression), 2) == D("0.99")


def test_days_that_not_every_month_has_count_less() -> None:
    # The 31st: 7 months of 12. The 29th: every month but February in 3 years of 4.
    assert runs_per_month("cron(0 0 31 * ? *)") == ratio(7 * 30 * 4, 1461)
    assert runs_per_month("cron(0 0 29 * ? *)") == ratio(30 * (11 * 4 + 1), 1461)
    # The fifth Monday: of the 1,461 Mondays in the 28-year cycle, 28 x 12 x 4 = 1,344 are a month's
    # first to fourth, so 117 are fifth ones.
    assert runs_per_month("cron(0 0 ? * 2#5 *)") == ratio(117 * 30, schedule.CYCLE_DAYS)


def test_month_and_day_ranges_with_increments() -> None:
    # The 1st, 3rd, .. 15th (8 days) of February to November (10 months): 80 days a year.
    assert runs_per_month("cron(0 0 1-15/2 FEB-NOV ? *)") == ratio(80 * 30 * 4, 1461)
    # Twice a year: the first Monday of January and July.
    assert runs_per_month("cron(0 12 ? JAN,JUL 2#1 2030-2035)") == ratio(2 * 30 * 4, 1461)
    # Once a year.
    assert runs_per_month("cron(59 23 31 12 ? *)") == ratio(30 * 4, 1461)


def test_the_calendar_cycle_repeats_weekdays_and_leap_years() -> None:
    assert schedule.CYCLE_DAYS == 28 * 365 + 7 == 1461 * 7


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("rate(5 minute)", r"^'rate\(5 minute\)' uses the unit 'minute' with the value 5; allowed: 'minutes'"),
        ("cron(0 9 * * MON *)", r"day-of-month '\*' and day-of-week 'MON'; allowed: '\?' in exactly one of them"),
        ("cron(0 9 * * ?)", r"has 5 fields; allowed: 6"),
        ("every day", r"is not a schedule expression; allowed: at\(yyyy-mm-ddThh:mm:ss\)"),
        ("${var.schedule}", r"is not a schedule expression"),
    ],
)
def test_expressions_the_scheduler_rejects_are_errors(expression: str, message: str) -> None:
    with pytest.raises(cost.CostError, match=message):
        runs_per_month(expression)
