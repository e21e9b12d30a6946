"""Turning what users pass (strings, numbers, tzinfo objects) into checked values."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from enum import Enum
from functools import cache
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ._exceptions import (
    InvalidChoice,
    InvalidTriggerArgument,
    InvalidTriggerArgumentType,
    NaiveDatetimeError,
    UnknownTimeZone,
)
from .abc import Trigger

_E = TypeVar("_E", bound=Enum)


def as_choice(kind: type[_E], value: _E | str, setting: str) -> _E:
    """The member of ``kind`` that ``value`` is or names, else :class:`InvalidChoice`
    listing the names it takes."""
    try:
        return kind(value)
    except ValueError:
        raise InvalidChoice(setting, value, [member.value for member in kind]) from None


@cache
def _zone(name: str) -> tzinfo:
    if name == "local":
        from tzlocal import get_localzone

        return get_localzone()
    if name.upper() in ("UTC", "Z"):
        return ZoneInfo("UTC")
    if name[:1] in "+-" and len(name) == 6 and name[3] == ":":
        # A fixed offset, as timezone_key() names one.
        try:
            return parse_timezone_key(name)
        except ValueError:
            raise UnknownTimeZone(name) from None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnknownTimeZone(name) from None


def as_timezone(value: tzinfo | str | None, argument: str = "timezone") -> tzinfo:
    """Return a tzinfo for an IANA name, ``"local"``, ``None`` (local) or a tzinfo."""
    if value is None:
        return _zone("local")
    if isinstance(value, str):
        return _zone(value.strip())
    if value is UTC:
        return ZoneInfo("UTC")
    if isinstance(value, tzinfo):
        return value
    raise InvalidTriggerArgumentType(argument, value, "a time zone name or a tzinfo")


def timezone_key(tz: tzinfo) -> str:
    """Name a time zone so that :func:`as_timezone` gives it back (used in state)."""
    key = getattr(tz, "key", None)
    if isinstance(key, str):
        return key
    if isinstance(tz, timezone):
        offset = tz.utcoffset(None)
        if not offset:
            return "UTC"
        sign = "-" if offset < timedelta(0) else "+"
        minutes = abs(offset) // timedelta(minutes=1)
        return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    raise InvalidTriggerArgumentType(
        "timezone", tz, "a ZoneInfo, a fixed-offset datetime.timezone or a zone name"
    )


def parse_timezone_key(key: str) -> tzinfo:
    """The inverse of :func:`timezone_key`."""
    if key[:1] in "+-" and len(key) == 6:
        sign = -1 if key[0] == "-" else 1
        hours, minutes = int(key[1:3]), int(key[4:6])
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    return as_timezone(key)


def as_aware_datetime(value: datetime | str, argument: str) -> datetime:
    """Return an aware datetime; naive ones are refused, ISO strings are parsed."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidTriggerArgumentType(
                argument,
                value,
                "an aware datetime or an ISO 8601 string with an offset",
            ) from None
        if parsed.tzinfo is None:
            raise NaiveDatetimeError(argument, value)
        return parsed
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveDatetimeError(argument, value)
        return value
    raise InvalidTriggerArgumentType(argument, value, "an aware datetime")


def as_optional_aware_datetime(
    value: datetime | str | None, argument: str
) -> datetime | None:
    return None if value is None else as_aware_datetime(value, argument)


def as_date(value: date | str, argument: str) -> date:
    """Return a date; a datetime gives its date, an ISO string is parsed."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidTriggerArgumentType(argument, value, "a date or an ISO date string")


def as_timedelta(value: timedelta | float, argument: str) -> timedelta:
    """Return a timedelta; numbers are seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return timedelta(seconds=value)
        except (ValueError, OverflowError):  # nan, inf, beyond 999999999 days
            pass
    raise InvalidTriggerArgumentType(
        argument, value, "a timedelta or a finite number of seconds"
    )


def as_int(value: object, argument: str) -> int:
    """Return an int; floats with a fraction and bools are refused."""
    if isinstance(value, bool):
        raise InvalidTriggerArgumentType(argument, value, "an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise InvalidTriggerArgumentType(argument, value, "an integer")


def as_number(value: object, argument: str) -> int | float:
    """Return an int or a float; bools and other types are refused."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    raise InvalidTriggerArgumentType(argument, value, "a number")


def require_zone_key(value: datetime, argument: str) -> datetime:
    """Return ``value`` if its time zone can be saved by name, else raise.

    A trigger's state names its zones (see :func:`timezone_key`); a tzinfo that has
    no name (pytz, dateutil, ``ZoneInfo.from_file``) could not be restored.
    """
    try:
        timezone_key(value.tzinfo)  # type: ignore[arg-type]
    except InvalidTriggerArgumentType:
        raise InvalidTriggerArgumentType(
            argument,
            value,
            "a datetime whose tzinfo is a ZoneInfo or a fixed-offset datetime.timezone",
        ) from None
    return value


def as_trigger_list(
    value: object, owner: str, argument: str = "triggers", *, allow_empty: bool = False
) -> list[Trigger]:
    """Return triggers as a list (non-empty unless allowed), refusing non-triggers."""
    if isinstance(value, Trigger) or not isinstance(value, Iterable):
        raise InvalidTriggerArgumentType(argument, value, "a list of triggers")
    triggers = list(value)
    for trigger in triggers:
        if not isinstance(trigger, Trigger):
            raise InvalidTriggerArgumentType(
                argument, trigger, "an apsnb.abc.Trigger in the list"
            )
    if not triggers and not allow_empty:
        raise InvalidTriggerArgument(
            owner, argument, triggers, "give at least one trigger to combine"
        )
    return triggers
