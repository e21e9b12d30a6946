"""A trigger that fires at one wall-clock time of day, every so many calendar units."""

from __future__ import annotations

from datetime import MAXYEAR, date, datetime, timedelta, tzinfo
from typing import Any

from .._converters import (
    as_date,
    as_int,
    as_timezone,
    parse_timezone_key,
    timezone_key,
)
from .._exceptions import InvalidTriggerArgument
from .._state import dump_date, load_date, require_version, restoring
from .._wallclock import has_fixed_offset, resolve
from ..abc import Trigger

__all__ = ("CalendarIntervalTrigger",)

_NAME = "CalendarIntervalTrigger"
_UNITS = ("years", "months", "weeks", "days")
_TIME_FIELDS = (("hour", 23), ("minute", 59), ("second", 59))
# Days in each month of a common year; index 0 is unused.
_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in_month(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _MONTH_DAYS[month]


class CalendarIntervalTrigger(Trigger):
    """Fires at the same wall-clock time of day, every so many years, months, weeks
    and days.

    The next date is found as in APScheduler 4: ``years`` and ``months`` are added to
    the previous date keeping its day of the month, skipping the months (or years)
    where that day does not exist, so a monthly trigger from January 31 fires on
    January 31, March 31, May 31… and a yearly one from February 29 only in leap
    years. Then ``weeks`` and ``days`` are added.

    The time of day follows apsnb's fixed-time DST rule: a time that falls in a
    spring-forward gap fires at the first instant after the gap (Helsinki 03:30 on
    2026-03-29 fires at 04:00+03:00); a time that occurs twice in a fall-back overlap
    fires once, at its first occurrence. (APScheduler 4.0.0a6 skips the day instead.)

    :param years: number of years to wait
    :param months: number of months to wait
    :param weeks: number of weeks to wait
    :param days: number of days to wait
    :param hour: hour of the day to fire at (0–23)
    :param minute: minute to fire at (0–59)
    :param second: second to fire at (0–59)
    :param start_date: the first date to fire on, a date or an ISO date string
        (default: today in ``timezone``)
    :param end_date: the last possible date to fire on (inclusive)
    :param timezone: the time zone of the wall-clock time, an IANA name or a tzinfo
        (default: the local time zone)
    """

    __slots__ = (
        "_day_step",
        "_fixed_offset",
        "_last_fire_date",
        "_month_step",
        "days",
        "end_date",
        "hour",
        "minute",
        "months",
        "second",
        "start_date",
        "timezone",
        "weeks",
        "years",
    )

    years: int
    months: int
    weeks: int
    days: int
    hour: int
    minute: int
    second: int
    start_date: date
    end_date: date | None
    timezone: tzinfo
    _month_step: int
    _day_step: timedelta
    _fixed_offset: bool
    _last_fire_date: date | None

    def __init__(
        self,
        *,
        years: int = 0,
        months: int = 0,
        weeks: int = 0,
        days: int = 0,
        hour: int = 0,
        minute: int = 0,
        second: int = 0,
        start_date: date | str | None = None,
        end_date: date | str | None = None,
        timezone: tzinfo | str | None = None,
    ) -> None:
        for unit, value in zip(_UNITS, (years, months, weeks, days), strict=True):
            number = as_int(value, unit)
            if number < 0:
                raise InvalidTriggerArgument(
                    _NAME, unit, value, f"{unit} must be 0 or more"
                )
            setattr(self, unit, number)
        for (field, highest), value in zip(
            _TIME_FIELDS, (hour, minute, second), strict=True
        ):
            number = as_int(value, field)
            if not 0 <= number <= highest:
                raise InvalidTriggerArgument(
                    _NAME, field, value, f"{field} must be between 0 and {highest}"
                )
            setattr(self, field, number)
        if not (self.years or self.months or self.weeks or self.days):
            raise InvalidTriggerArgument(
                _NAME,
                "interval",
                0,
                "the interval must be at least one day: give years, months, weeks "
                "or days a value above 0",
            )
        self.timezone = as_timezone(timezone)
        timezone_key(self.timezone)  # the state names the zone: refuse what it can't
        if start_date is None:
            self.start_date = datetime.now(self.timezone).date()
        else:
            self.start_date = as_date(start_date, "start_date")
        self.end_date = None if end_date is None else as_date(end_date, "end_date")
        if self.end_date is not None and self.end_date < self.start_date:
            raise InvalidTriggerArgument(
                _NAME,
                "end_date",
                self.end_date.isoformat(),
                f"end_date must not be earlier than start_date "
                f"({self.start_date.isoformat()})",
            )
        self._last_fire_date = None
        try:
            self._setup()
        except OverflowError:
            raise InvalidTriggerArgument(
                _NAME, "interval", (weeks, days), "weeks and days are too large"
            ) from None

    def _setup(self) -> None:
        """Derive the values ``next()`` uses (shared by ``__init__`` and restoring)."""
        self._month_step = self.years * 12 + self.months
        self._day_step = timedelta(weeks=self.weeks, days=self.days)
        self._fixed_offset = has_fixed_offset(self.timezone)

    def _next_date(self, previous: date) -> date | None:
        year, month, day = previous.year, previous.month, previous.day
        if self._month_step:
            # Keep the day of the month; skip months (Feb 29: years) that lack it.
            while True:
                month += self._month_step
                year += (month - 1) // 12
                month = (month - 1) % 12 + 1
                if year > MAXYEAR:
                    return None
                if day <= 28 or day <= _days_in_month(year, month):
                    break
            previous = date(year, month, day)
        try:
            return previous + self._day_step
        except OverflowError:
            return None

    def next(self) -> datetime | None:
        last = self._last_fire_date
        fire_date = self.start_date if last is None else self._next_date(last)
        if fire_date is None or (
            self.end_date is not None and fire_date > self.end_date
        ):
            return None
        self._last_fire_date = fire_date
        wall = datetime(
            fire_date.year,
            fire_date.month,
            fire_date.day,
            self.hour,
            self.minute,
            self.second,
            tzinfo=self.timezone,
        )
        if self._fixed_offset:
            return wall
        # A cheap gap test (replace(fold=1) costs three times as much): read with
        # fold=0, only a wall time in a spring-forward gap does not survive the round
        # trip through UTC. In an overlap fold=0 is the first occurrence, as wanted.
        if self.timezone.fromutc(wall - wall.utcoffset()) == wall:  # type: ignore[operator]
            return wall
        return resolve(wall, fixed=True)[0]

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 1,
            "interval": {unit: getattr(self, unit) for unit in _UNITS},
            "time": [self.hour, self.minute, self.second],
            "start_date": dump_date(self.start_date),
            "end_date": dump_date(self.end_date),
            "timezone": timezone_key(self.timezone),
            "last_fire_date": dump_date(self._last_fire_date),
        }

    def __setstate__(self, state: Any) -> None:
        state = require_version(self, state, 1)
        with restoring(self):
            interval = state["interval"]
            for unit in _UNITS:
                number = as_int(interval[unit], unit)
                if number < 0:
                    raise ValueError(f"{unit} is negative")
                setattr(self, unit, number)
            if not self.years + self.months + self.weeks + self.days:
                raise ValueError("the interval is empty")
            hour, minute, second = state["time"]
            for (field, highest), value in zip(
                _TIME_FIELDS, (hour, minute, second), strict=True
            ):
                number = as_int(value, field)
                if not 0 <= number <= highest:
                    raise ValueError(f"{field}={value!r} is out of range")
                setattr(self, field, number)
            start_date = load_date(state["start_date"])
            if start_date is None:
                raise ValueError("start_date is missing")
            self.start_date = start_date
            self.end_date = load_date(state["end_date"])
            self.timezone = parse_timezone_key(state["timezone"])
            self._last_fire_date = load_date(state["last_fire_date"])
            self._setup()

    def __repr__(self) -> str:
        fields = [
            f"{name}={value}"
            for name in (*_UNITS, "hour", "minute", "second")
            if (value := getattr(self, name))
        ]
        fields.append(f"start_date={self.start_date.isoformat()!r}")
        if self.end_date is not None:
            fields.append(f"end_date={self.end_date.isoformat()!r}")
        fields.append(f"timezone={timezone_key(self.timezone)!r}")
        return f"{type(self).__name__}({', '.join(fields)})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, CalendarIntervalTrigger)
        return self._config() == other._config()

    def _config(self) -> tuple[object, ...]:
        # years=1 and months=12 (or weeks=1 and days=7) make the same fire times.
        return (
            self._month_step,
            self._day_step,
            (self.hour, self.minute, self.second),
            self.start_date,
            self.end_date,
            timezone_key(self.timezone),
        )
