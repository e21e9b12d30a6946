"""Finding cron fire times: walk the calendar field by field, never second by second.

The search is a generator that visits only the allowed years, months, days and times of
day, in order, so one ``next()`` costs a few hundred nanoseconds on an ordinary day and
a month's worth of work when whole months or years are skipped (``0 0 29 2 *``).

Days whose UTC offset does not change take a fast path: their wall times map one to one
onto instants. Other days (DST transitions), and the day the search starts on, go
through :func:`apsnb._wallclock.resolve`, which applies the DST rules.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from datetime import date, datetime, tzinfo
from itertools import product
from typing import NamedTuple

from ..._wallclock import has_fixed_offset, is_uniform_day, resolve, scan_start
from .fields import DaySelector

MAX_YEAR = 9999


class CronPlan(NamedTuple):
    """The allowed values of every field, sorted, ready to be walked."""

    years: Sequence[int] | None  # None: every year
    months: Sequence[int]
    days: DaySelector
    hours: Sequence[int]
    minutes: Sequence[int]
    seconds: Sequence[int]
    timezone: tzinfo
    fixed_time: bool


def fire_times(plan: CronPlan, after: datetime, inclusive: bool) -> Iterator[datetime]:
    """Yield the fire times later than ``after`` (or equal, if ``inclusive``)."""
    tz = plan.timezone
    start = scan_start(after, tz)
    start_day = start.date()
    bound = after.timestamp()
    constant_offset = has_fixed_offset(tz)
    hours, minutes, seconds = plan.hours, plan.minutes, plan.seconds
    for year, month, day in _days_from(plan, start_day):
        if (year, month, day) == (start_day.year, start_day.month, start_day.day):
            times: Iterator[tuple[int, int, int]] = _times_from(
                plan, start.hour, start.minute, start.second
            )
        elif constant_offset or is_uniform_day(tz, date(year, month, day)):
            for hour, minute, second in product(hours, minutes, seconds):
                yield datetime(year, month, day, hour, minute, second, tzinfo=tz)
            continue
        else:
            times = product(hours, minutes, seconds)
        for fire_time in _resolved(plan, year, month, day, times, bound, inclusive):
            inclusive = False
            bound = fire_time.timestamp()
            yield fire_time


def _resolved(
    plan: CronPlan,
    year: int,
    month: int,
    day: int,
    times: Iterator[tuple[int, int, int]],
    bound: float,
    inclusive: bool,
) -> Iterator[datetime]:
    """Yield the instants of one day's wall times, in real-time order, after ``bound``.

    In a fall-back overlap a wildcard trigger fires each wall time twice. The first
    occurrences come before the transition and the second ones after it, so the
    second occurrences wait in ``repeats`` until the wall clock leaves the overlap.
    """
    tz, fixed = plan.timezone, plan.fixed_time
    repeats: list[datetime] = []
    for hour, minute, second in times:
        instants = resolve(
            datetime(year, month, day, hour, minute, second, tzinfo=tz), fixed
        )
        if len(instants) == 2:
            repeats.append(instants[1])
            instants = instants[:1]
        elif repeats:
            instants = (*repeats, *instants)
            repeats = []
        for instant in instants:
            timestamp = instant.timestamp()
            # Several gap times collapse into one instant: emit it once.
            if timestamp > bound or (inclusive and timestamp == bound):
                bound, inclusive = timestamp, False
                yield instant
    for instant in repeats:
        timestamp = instant.timestamp()
        if timestamp > bound or (inclusive and timestamp == bound):
            bound, inclusive = timestamp, False
            yield instant


def matches_some_date(plan: CronPlan) -> bool:
    """True if some date has every date field's approval, in any year the plan allows.

    The Gregorian calendar repeats every 400 years, weekdays and ISO weeks included,
    so one year of each remainder mod 400 decides it. An expression that can fire
    finds its first date in the first year or so; one that cannot costs a few ms.
    """
    years = range(2000, 2400) if plan.years is None else plan.years
    seen: set[int] = set()
    for year in years:
        if year % 400 in seen:
            continue
        seen.add(year % 400)
        if any(plan.days.days(year, month) for month in plan.months):
            return True
    return False


def _days_from(plan: CronPlan, start: date) -> Iterator[tuple[int, int, int]]:
    """Yield the allowed (year, month, day) from ``start`` on, in order."""
    years = range(start.year, MAX_YEAR + 1) if plan.years is None else plan.years
    for year in years[bisect_left(years, start.year) :]:
        first_month = start.month if year == start.year else 1
        for month in plan.months[bisect_left(plan.months, first_month) :]:
            days = plan.days.days(year, month)
            if year == start.year and month == start.month:
                days = days[bisect_left(days, start.day) :]
            for day in days:
                yield year, month, day


def _times_from(
    plan: CronPlan, hour: int, minute: int, second: int
) -> Iterator[tuple[int, int, int]]:
    """Yield the allowed times of day at or after ``hour:minute:second``."""
    hours, minutes, seconds = plan.hours, plan.minutes, plan.seconds
    for h in hours[bisect_left(hours, hour) :]:
        later_hour = h > hour
        for m in minutes if later_hour else minutes[bisect_left(minutes, minute) :]:
            if later_hour or m > minute:
                for s in seconds:
                    yield h, m, s
            else:
                for s in seconds[bisect_left(seconds, second) :]:
                    yield h, m, s
