"""What ``Trigger.next()`` may return, worded once for the scheduler and the lab."""

from __future__ import annotations

from datetime import datetime

from ._exceptions import InvalidFireTime, with_article


def fire_time_problem(
    value: object, example_zone: str = "Europe/Helsinki"
) -> tuple[str, str] | None:
    """What is wrong with a value ``next()`` returned, and how to fix it, as
    ``(what, fix)``; ``None`` for an aware datetime or ``None``."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        return (
            f"next() returned {value!r}, {with_article(type(value).__name__)}",
            "return a datetime with tzinfo (or None when there are no more fire "
            "times), e.g. datetime.fromisoformat(text) for a string",
        )
    if value.utcoffset() is None:
        return (
            f"next() returned {value.isoformat(sep=' ')} without tzinfo",
            f"return aware datetimes, e.g. datetime(..., "
            f"tzinfo=ZoneInfo({example_zone!r}))",
        )
    return None


def checked_fire_time(trigger: object, value: object) -> datetime | None:
    """``value`` if ``next()`` may return it, else :class:`InvalidFireTime`."""
    if value is None or (type(value) is datetime and value.tzinfo is not None):
        return value  # the common case, on the scheduler's hot path
    problem = fire_time_problem(value)
    if problem is not None:
        raise InvalidFireTime(trigger, *problem)
    return value  # type: ignore[return-value]


def check_later(trigger: object, fire_time: datetime, previous_stamp: float) -> None:
    """Raise :class:`InvalidFireTime` unless ``fire_time`` is later than the fire
    time before it (``previous_stamp``, a POSIX timestamp): a trigger that repeats a
    fire time or goes back would otherwise fire forever."""
    if fire_time.timestamp() <= previous_stamp:
        previous = datetime.fromtimestamp(previous_stamp, fire_time.tzinfo)
        raise InvalidFireTime(
            trigger,
            f"next() returned {fire_time.isoformat(sep=' ')}, not later than the "
            f"fire time before it ({previous.isoformat(sep=' ')})",
            "return fire times that strictly increase: search strictly after the "
            "last one returned",
        )
