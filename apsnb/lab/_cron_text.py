"""A cron trigger's fields in English: times of day, then the days they apply to."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta

from ..triggers.cron import CronTrigger
from ..triggers.cron.expressions import LastDay, NearestWeekday, NthWeekday
from ..triggers.cron.fields import parse
from ._text import (
    MONTH_NAMES,
    WEEKDAY_NAMES,
    clock,
    every,
    instant,
    join,
    ordinal,
    runs,
    zone_name,
)

_DAY = 86400
# Days in each month of a common year (index 0 unused): who lacks day 29, 30, 31.
_MONTH_LENGTHS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def describe_cron(trigger: CronTrigger) -> str:
    """The sentence for a cron trigger, built from its field expressions."""
    hours = sorted(parse("hour", trigger.hour).values)
    minutes = sorted(parse("minute", trigger.minute).values)
    seconds = sorted(parse("second", trigger.second).values)
    parts = [times_of_day(hours, minutes, seconds)]
    days = _days(trigger)
    if days:
        parts.append(days)
    elif parts[0].startswith("at "):
        parts.append("every day")
    parts.extend(_calendar(trigger))
    text = f"{' '.join(parts)} ({zone_name(trigger.timezone)})"
    if trigger.end_time is not None:
        text += f", until {instant(trigger.end_time)}"
    return text


def times_of_day(hours: list[int], minutes: list[int], seconds: list[int]) -> str:
    """``at 09:00``, ``every 5 minutes``, ``every hour from 09:00 through 17:00``."""
    with_seconds = seconds != [0]

    def show(moment: int) -> str:
        hour, rest = divmod(moment, 3600)
        return clock(hour, *divmod(rest, 60), seconds=with_seconds)

    count = len(hours) * len(minutes) * len(seconds)
    if count <= 4:
        return "at " + join([show(t) for t in _moments(hours, minutes, seconds)])
    moments = _moments(hours, minutes, seconds)
    step = Counter(b - a for a, b in itertools.pairwise(moments))
    step_size = step.most_common(1)[0][0]
    if _DAY % step_size == 0 and moments[0] < step_size and count == _DAY // step_size:
        if moments[0] == 0:
            return every_seconds(step_size)
        if step_size == 3600:
            minute, second = divmod(moments[0], 60)
            return f"every hour at minute {minute}" + (
                f", second {second}" if second else ""
            )
    groups = _arithmetic_runs(moments, step_size)
    if len(groups) <= 3 and all(first != last for first, last in groups):
        spans = [f"from {show(first)} through {show(last)}" for first, last in groups]
        return f"{every_seconds(step_size)} {join(spans)}"
    if count <= 8:
        return "at " + join([show(t) for t in moments])
    return _field_by_field(hours, minutes, seconds)


def every_seconds(seconds: int) -> str:
    """``every 5 minutes`` for a step given in seconds."""
    return every(timedelta(seconds=seconds))


def _moments(hours: list[int], minutes: list[int], seconds: list[int]) -> list[int]:
    """Every allowed time of day, as seconds since midnight, in order."""
    return [h * 3600 + m * 60 + s for h in hours for m in minutes for s in seconds]


def _arithmetic_runs(moments: list[int], step: int) -> list[tuple[int, int]]:
    groups = [(moments[0], moments[0])]
    for moment in moments[1:]:
        if moment - groups[-1][1] == step:
            groups[-1] = (groups[-1][0], moment)
        else:
            groups.append((moment, moment))
    return groups


def _field_by_field(hours: list[int], minutes: list[int], seconds: list[int]) -> str:
    """The always-correct fallback: each field's allowed values."""
    conditions = []
    for name, values, size in (
        ("hour", hours, 24),
        ("minute", minutes, 60),
        ("second", seconds, 60),
    ):
        if len(values) < size:
            conditions.append(f"the {name} is {numbers(values, 'or')}")
    if len(seconds) == 60:
        return f"every second when {join(conditions)}"
    return f"whenever {join(conditions)}"


def numbers(
    values: Sequence[int],
    conjunction: str = "and",
    name: Callable[[int], str] = str,
) -> str:
    """``1 through 5 and 10``: runs of three or more become ranges."""
    items: list[str] = []
    for first, last in runs(values):
        if last - first >= 2:
            items.append(f"{name(first)} through {name(last)}")
        else:
            items.extend(name(value) for value in range(first, last + 1))
    return join(items, conjunction)


def _weekdays(values: Sequence[int], conjunction: str) -> str:
    """Weekday names; a run that wraps past Sunday (``sat-mon``) stays one range."""
    ordered = sorted(values)
    if 0 < len(ordered) < 7 and 0 in ordered and 6 in ordered:
        # Rotate so that the run through Sunday comes first.
        gap = next(
            i for i in range(1, len(ordered)) if ordered[i] != ordered[i - 1] + 1
        )
        ordered = ordered[gap:] + ordered[:gap]
    items: list[str] = []
    group: list[int] = []
    for value in [*ordered, None]:
        if group and value is not None and value == (group[-1] + 1) % 7:
            group.append(value)
            continue
        if len(group) >= 3:
            items.append(
                f"{WEEKDAY_NAMES[group[0]]} through {WEEKDAY_NAMES[group[-1]]}"
            )
        else:
            items.extend(WEEKDAY_NAMES[day] for day in group)
        group = [] if value is None else [value]
    return join(items, conjunction)


def _rule_text(rule: object) -> str:
    if isinstance(rule, LastDay):
        return (
            "the last weekday of the month"
            if rule.weekday_only
            else ("the last day of the month")
        )
    if isinstance(rule, NearestWeekday):
        return f"the weekday nearest day {rule.day}"
    assert isinstance(rule, NthWeekday)
    nth = "last" if rule.nth == -1 else ordinal(rule.nth)
    return f"the {nth} {WEEKDAY_NAMES[rule.weekday]} of the month"


def _day_of_month(trigger: CronTrigger) -> str | None:
    field = parse("day", trigger.day)
    if field.unrestricted:
        return None
    items = []
    values = sorted(field.values)
    if values:
        steps = {b - a for a, b in itertools.pairwise(values)}
        if len(values) >= 4 and len(steps) == 1 and steps != {1}:
            step = steps.pop()
            items.append(
                f"every {ordinal(step)} day from day {values[0]} through {values[-1]}"
            )
        else:
            label = "day" if len(values) == 1 else "days"
            items.append(f"{label} {numbers(values)}")
    items.extend(_rule_text(rule) for rule in field.rules)
    text = join(items)
    months = sorted(parse("month", trigger.month).values)
    if len(months) == 1 and len(values) == 1 and not field.rules:
        text = f"{MONTH_NAMES[months[0] - 1]} {values[0]}"
        if (months[0], values[0]) == (2, 29):
            text += " of leap years"
    elif (
        values
        and not field.rules
        and values[0] > 28
        and any(_MONTH_LENGTHS[month] < values[-1] for month in months)
    ):
        text += f", in the months that have {'it' if len(values) == 1 else 'them'}"
    return text


def _day_of_week(trigger: CronTrigger, conjunction: str) -> str | None:
    field = parse("day_of_week", trigger.day_of_week)
    if field.unrestricted:
        return None
    items = []
    if field.values:
        items.append(_weekdays(sorted(field.values), conjunction))
    items.extend(_rule_text(rule) for rule in field.rules)
    return join(items, conjunction)


def _days(trigger: CronTrigger) -> str:
    by_day = _day_of_month(trigger)
    if trigger._or_days and by_day is not None:
        by_weekday = _day_of_week(trigger, "and")
        if by_weekday is not None:
            return f"on {by_day} or on {by_weekday}"
    if by_day is None:
        by_weekday = _day_of_week(trigger, "and")
        return "" if by_weekday is None else f"on {by_weekday}"
    by_weekday = _day_of_week(trigger, "or")
    if by_weekday is None:
        return f"on {by_day}"
    return f"on {by_day}, only when the weekday is {by_weekday}"


def _calendar(trigger: CronTrigger) -> list[str]:
    parts = []
    month = parse("month", trigger.month)
    day = parse("day", trigger.day)
    single_date = len(month.values) == 1 and len(day.values) == 1 and not day.rules
    if not month.unrestricted and not single_date:
        names = numbers(sorted(month.values), name=lambda m: MONTH_NAMES[m - 1])
        parts.append(f"in {names}")
    week = parse("week", trigger.week)
    if not week.unrestricted:
        values = sorted(week.values)
        parts.append(f"in ISO week{'s' if len(values) > 1 else ''} {numbers(values)}")
    year = parse("year", trigger.year)
    if not year.unrestricted:
        parts.append(f"in {numbers(sorted(year.values))}")
    return parts
