"""Small pieces of English shared by describe, explain and check: times, lists, durations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo

from .._converters import timezone_key
from .._exceptions import InvalidTriggerArgumentType

WEEKDAY_NAMES = (
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"
)  # fmt: skip
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)  # fmt: skip

_UNITS = (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60))


def join(items: Sequence[str], conjunction: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def clock(hour: int, minute: int, second: int = 0, *, seconds: bool = False) -> str:
    """``09:00``, or ``09:00:30`` when the second is not 0 (or ``seconds`` is set)."""
    if second or seconds:
        return f"{hour:02d}:{minute:02d}:{second:02d}"
    return f"{hour:02d}:{minute:02d}"


def offset_text(value: datetime) -> str:
    """The UTC offset as ``+02:00`` (empty for a naive datetime)."""
    offset = value.utcoffset()
    if offset is None:
        return ""
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _time_of_day(value: datetime) -> str:
    """``09:00``, or with every field when there is a fraction (``09:00:00.5``:
    a fraction right after the minutes would read as seconds)."""
    if value.microsecond:
        return f"{value:%H:%M:%S}.{value.microsecond:06d}"
    return clock(value.hour, value.minute, value.second)


def wall_time(value: datetime) -> str:
    """``09:00+03:00``: a time of day with its offset, for text about one day."""
    return _time_of_day(value) + offset_text(value)


def instant(value: datetime) -> str:
    """``2026-01-01 09:00 +02:00``: a date, a time and the offset that pins it down."""
    text = f"{value:%Y-%m-%d} {_time_of_day(value)}"
    offset = offset_text(value)
    return f"{text} {offset}" if offset else text


def zone_name(tz: tzinfo) -> str:
    """The zone's IANA name (``Europe/Helsinki``) or its offset (``+02:00``)."""
    try:
        return timezone_key(tz)
    except (InvalidTriggerArgumentType, ValueError):
        return str(tz)


def duration(value: timedelta) -> str:
    """``2 hours 30 minutes``, ``1 minute 30 seconds``, ``1.5 seconds``, ``1 week``."""
    remaining = abs(value)
    parts = []
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, timedelta(seconds=size))
        if count:
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
    seconds = remaining.total_seconds()
    if seconds or not parts:
        shown = f"{seconds:g}" if not seconds.is_integer() else str(int(seconds))
        parts.append(f"{shown} second{'s' if seconds != 1 else ''}")
    return " ".join(parts)


def every(value: timedelta) -> str:
    """``every hour``, ``every 2 hours 30 minutes``: drops a lone ``1``."""
    text = duration(value)
    if text.startswith("1 ") and " " not in text[2:]:
        return f"every {text[2:]}"
    return f"every {text}"


def ordinal(number: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``22nd``."""
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def runs(values: Sequence[int]) -> list[tuple[int, int]]:
    """Group sorted integers into ``(first, last)`` runs of consecutive values."""
    groups: list[tuple[int, int]] = []
    for value in values:
        if groups and value == groups[-1][1] + 1:
            groups[-1] = (groups[-1][0], value)
        else:
            groups.append((value, value))
    return groups
