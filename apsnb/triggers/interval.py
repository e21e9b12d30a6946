"""A trigger that fires at a fixed interval of real (elapsed) time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .._converters import (
    as_aware_datetime,
    as_number,
    as_optional_aware_datetime,
    as_timezone,
    require_zone_key,
)
from .._exceptions import InvalidTriggerArgument
from .._state import (
    dump_zoned_datetime,
    load_zoned_datetime,
    require_version,
    restoring,
)
from ..abc import Trigger

__all__ = ("IntervalTrigger",)

_UNITS = ("weeks", "days", "hours", "minutes", "seconds", "microseconds")


class IntervalTrigger(Trigger):
    """Fires at ``start_time`` and then every time the interval has elapsed.

    The interval is *absolute* time: fire times are always exactly the interval apart,
    also across DST changes, and are shown in ``start_time``'s time zone. An hourly
    trigger in ``Europe/Helsinki`` fires at 02:00+02:00 and then 04:00+03:00 on the
    spring-forward night, and at both 03:00+03:00 and 03:00+02:00 on the fall-back
    night. (APScheduler 4.0.0a6 adds the interval to the wall time instead.) For
    "every day at 09:00 local time" use ``CalendarIntervalTrigger`` or ``CronTrigger``.

    :param weeks: number of weeks to wait
    :param days: number of days to wait
    :param hours: number of hours to wait
    :param minutes: number of minutes to wait
    :param seconds: number of seconds to wait
    :param microseconds: number of microseconds to wait
    :param start_time: the first fire time, an aware datetime or an ISO string with an
        offset (default: now, in the local time zone)
    :param end_time: the latest possible fire time (inclusive)
    """

    __slots__ = ("_end_utc", "_interval", "_next_utc", "_tz", "end_time", "start_time")
    __slots__ += _UNITS

    weeks: float
    days: float
    hours: float
    minutes: float
    seconds: float
    microseconds: float
    start_time: datetime
    end_time: datetime | None
    _interval: timedelta
    _tz: Any
    _end_utc: datetime | None
    # The next fire time, in UTC so that adding the interval adds elapsed time;
    # None once the trigger is finished.
    _next_utc: datetime | None

    def __init__(
        self,
        *,
        weeks: float = 0,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
        microseconds: float = 0,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
    ) -> None:
        values = (weeks, days, hours, minutes, seconds, microseconds)
        for unit, value in zip(_UNITS, values, strict=True):
            setattr(self, unit, as_number(value, unit))
        if start_time is None:
            start = datetime.now(as_timezone(None))
        else:
            start = as_aware_datetime(start_time, "start_time")
        self.start_time = require_zone_key(start, "start_time")
        self.end_time = as_optional_aware_datetime(end_time, "end_time")
        try:
            self._setup()
        except (OverflowError, ValueError):  # inf, nan or more than 999999999 days
            raise InvalidTriggerArgument(
                "IntervalTrigger",
                "interval",
                dict(zip(_UNITS, values, strict=True)),
                "the interval must be a finite length below 999999999 days",
            ) from None
        if self._interval <= timedelta(0):
            # Name what was given: a negative timedelta's repr (days=-1,
            # seconds=86100) hides the -5 minutes it came from.
            given = {u: v for u, v in zip(_UNITS, values, strict=True) if v}
            argument, value = (
                next(iter(given.items()))
                if len(given) == 1
                else ("interval", f"{self._interval.total_seconds():g} seconds")
            )
            raise InvalidTriggerArgument(
                "IntervalTrigger",
                argument,
                value,
                "the interval must be positive; give at least one of weeks, days, "
                "hours, minutes, seconds or microseconds a value above 0",
            )
        assert self._next_utc is not None
        if self._end_utc is not None and self._end_utc < self._next_utc:
            raise InvalidTriggerArgument(
                "IntervalTrigger",
                "end_time",
                self.end_time,
                f"end_time must not be earlier than start_time ({self.start_time})",
            )

    def _setup(self) -> None:
        """Derive the values ``next()`` uses (shared by ``__init__`` and restoring)."""
        self._interval = timedelta(
            weeks=self.weeks,
            days=self.days,
            hours=self.hours,
            minutes=self.minutes,
            seconds=self.seconds,
            microseconds=self.microseconds,
        )
        self._tz = self.start_time.tzinfo
        self._next_utc = self.start_time.astimezone(UTC)
        self._end_utc = None if self.end_time is None else self.end_time.astimezone(UTC)

    def next(self) -> datetime | None:
        fire_time = self._next_utc
        if fire_time is None:
            return None
        if self._end_utc is not None and fire_time > self._end_utc:
            self._next_utc = None
            return None
        try:
            self._next_utc = fire_time + self._interval
        except OverflowError:  # past datetime.max: this was the last one
            self._next_utc = None
        return fire_time.astimezone(self._tz)

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 1,
            "interval": {unit: getattr(self, unit) for unit in _UNITS},
            "start_time": dump_zoned_datetime(self.start_time),
            "end_time": dump_zoned_datetime(self.end_time),
            "next_fire_time": dump_zoned_datetime(self._next_utc),
        }

    def __setstate__(self, state: Any) -> None:
        state = require_version(self, state, 1)
        with restoring(self):
            interval = state["interval"]
            for unit in _UNITS:
                setattr(self, unit, as_number(interval[unit], unit))
            start_time = load_zoned_datetime(state["start_time"])
            if start_time is None:
                raise ValueError("start_time is missing")
            self.start_time = start_time
            self.end_time = load_zoned_datetime(state["end_time"])
            self._setup()
            if self._interval <= timedelta(0):
                raise ValueError("the interval must be positive")
            next_fire_time = load_zoned_datetime(state["next_fire_time"])
            self._next_utc = next_fire_time and next_fire_time.astimezone(UTC)

    def __repr__(self) -> str:
        values = [(unit, getattr(self, unit)) for unit in _UNITS]
        fields = [f"{unit}={value!r}" for unit, value in values if value]
        fields.append(f"start_time={self.start_time.isoformat()!r}")
        if self.end_time is not None:
            fields.append(f"end_time={self.end_time.isoformat()!r}")
        return f"{type(self).__name__}({', '.join(fields)})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, IntervalTrigger)
        return self._config() == other._config()

    def _config(self) -> tuple[object, ...]:
        # The same interval, zone and instants make the same fire times, however the
        # interval was spelled (weeks=1 or days=7).
        return (
            self._interval,
            dump_zoned_datetime(self.start_time),
            self._end_utc,
        )
