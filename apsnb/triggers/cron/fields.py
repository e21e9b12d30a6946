"""The eight cron fields, and the days of a month that the day fields allow together."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Mapping
from datetime import date
from functools import lru_cache

from .expressions import (
    CRON_WEEKDAY_NUMBERS,
    MONTH_NAMES,
    FieldKind,
    LastDay,
    NearestWeekday,
    NthWeekday,
    ParsedField,
    parse_field,
)

FIELD_NAMES = (
    "year",
    "month",
    "day",
    "week",
    "day_of_week",
    "hour",
    "minute",
    "second",
)

FIELD_KINDS: Mapping[str, FieldKind] = {
    "year": FieldKind("year", 1970, 9999),
    "month": FieldKind(
        "month",
        1,
        12,
        names={name: number for number, name in enumerate(MONTH_NAMES, 1)},
    ),
    "day": FieldKind(
        "day",
        1,
        31,
        extra_forms="'last' or 'L' (last day), 'LW' (last weekday), 'nW' (weekday "
        "nearest day n), '1st'-'5th' or 'last' followed by a weekday ('2nd fri')",
    ),
    "week": FieldKind("week", 1, 53),
    "day_of_week": FieldKind(
        "day_of_week",
        0,
        7,
        names=CRON_WEEKDAY_NUMBERS,
        extra_forms="0 and 7 for Sunday, 'nL' (last weekday n of the month, '5L' or "
        "'friL') and 'n#k' (k-th weekday n, '5#2')",
        # Cron numbers Sunday 0 (or 7), Monday 1; datetime.weekday() has Monday 0.
        normalize=lambda number: (number - 1) % 7,
    ),
    "hour": FieldKind("hour", 0, 23),
    "minute": FieldKind("minute", 0, 59),
    "second": FieldKind("second", 0, 59),
}

#: What a field left out means when it is less significant than every field given.
DEFAULT_EXPRESSIONS = {
    "year": "*", "month": "1", "day": "1", "week": "*", "day_of_week": "*",
    "hour": "0", "minute": "0", "second": "0",
}  # fmt: skip


def normalize_expression(value: int | str) -> str:
    """The canonical text of a field: stripped, no spaces around commas."""
    return ",".join(part.strip() for part in str(value).strip().split(","))


@lru_cache(maxsize=1024)
def parse(name: str, text: str) -> ParsedField:
    """Parse a field's text (cached: stores restore the same triggers over and over,
    and a ParsedField is immutable)."""
    return parse_field(FIELD_KINDS[name], text)


def days_in_month(year: int, month: int) -> int:
    return monthrange(year, month)[1]


def _rule_days(rule: object, first_weekday: int, length: int) -> list[int]:
    """The days of the month (1-based) a month-dependent rule picks."""
    if isinstance(rule, NthWeekday):
        first = 1 + (rule.weekday - first_weekday) % 7
        if rule.nth == -1:
            return [first + (length - first) // 7 * 7]
        day = first + (rule.nth - 1) * 7
        return [day] if day <= length else []
    if isinstance(rule, LastDay):
        if not rule.weekday_only:
            return [length]
        weekday = (first_weekday + length - 1) % 7
        return [length - max(0, weekday - 4)]
    if isinstance(rule, NearestWeekday):
        # cron's nW: the weekday nearest day n, never crossing into another month;
        # a month without day n has no such weekday, as plain n would not fire.
        day = rule.day
        if day > length:
            return []
        weekday = (first_weekday + day - 1) % 7
        if weekday == 5:  # Saturday: Friday before, or Monday after the 1st
            return [day - 1] if day > 1 else [day + 2]
        if weekday == 6:  # Sunday: Monday after, or Friday before the last day
            return [day + 1] if day < length else [day - 2]
        return [day]
    raise TypeError(rule)


class DaySelector:
    """Finds the days of a month allowed by the day, day_of_week and week fields.

    With ``either=True`` (crontab strings where neither day field starts with ``*``)
    a day matches if it matches the day field *or* the day_of_week field, as cron
    does; otherwise it must match both, as in APScheduler's keyword form.
    """

    __slots__ = ("_day", "_either", "_weekday", "_weeks")

    def __init__(
        self, day: ParsedField, weekday: ParsedField, week: ParsedField, either: bool
    ) -> None:
        self._day = None if day.unrestricted else day
        self._weekday = None if weekday.unrestricted else weekday
        self._weeks = None if week.unrestricted else week.values
        self._either = either

    def days(self, year: int, month: int) -> list[int]:
        """The allowed days of the month, in ascending order."""
        first_weekday, length = monthrange(year, month)
        by_day = by_weekday = None
        if self._day is not None:
            by_day = {day for day in self._day.values if day <= length}
            for rule in self._day.rules:
                by_day.update(_rule_days(rule, first_weekday, length))
        if self._weekday is not None:
            by_weekday = set()
            for weekday in self._weekday.values:
                by_weekday.update(
                    range(1 + (weekday - first_weekday) % 7, length + 1, 7)
                )
            for rule in self._weekday.rules:
                by_weekday.update(_rule_days(rule, first_weekday, length))
        if by_day is None and by_weekday is None:
            days: set[int] | range = range(1, length + 1)
        elif by_day is None:
            days = by_weekday  # type: ignore[assignment]
        elif by_weekday is None:
            days = by_day
        else:
            days = by_day | by_weekday if self._either else by_day & by_weekday
        if self._weeks is not None:
            weeks = self._weeks
            days = [d for d in days if date(year, month, d).isocalendar()[1] in weeks]
        return sorted(days)
