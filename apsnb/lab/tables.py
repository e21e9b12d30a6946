"""A trigger's next fire times as a pandas table: local time, UTC, weekday, gap, offset.

Columns are built from whole arrays (numpy, then pandas), never row by row, so a table
of 100,000 fire times costs little more than drawing them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from operator import attrgetter
from typing import Any

import numpy as np
import pandas as pd

from .._converters import as_optional_aware_datetime
from .._exceptions import InvalidFireTime
from .._trigger_contract import fire_time_problem
from ..abc import Trigger
from ._subject import as_trigger
from ._warnings import warn_if_cut_short
from .sampling import DEFAULT_TIME_BUDGET, Sample, sample

__all__ = ("COLUMNS", "fire_times")

#: The columns of every table :func:`fire_times` returns, in order.
COLUMNS = ("fire_time", "utc", "weekday", "gap", "utc_offset", "dst_change")
# Monday first, as datetime.weekday() counts: the ordered categories of "weekday".
_WEEKDAYS = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)

_UNIX_EPOCH_ORDINAL = 719_163  # datetime(1970, 1, 1).toordinal()
_UNIX_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday
_MICROSECONDS_PER_DAY = 86_400_000_000

_ONE_MICROSECOND = timedelta(microseconds=1)


def fire_times(
    trigger: Trigger | str,
    n: int | None = 100,
    until: datetime | str | None = None,
    start: datetime | str | None = None,
    *,
    time_budget: float = DEFAULT_TIME_BUDGET,
) -> pd.DataFrame:
    """Tabulate the next fire times of ``trigger``, one row each, without advancing it.

    The trigger is copied first (through its own state), so the trigger you pass keeps
    its place. Columns:

    * ``fire_time`` – the fire time in the zone the trigger returns it in (tz-aware);
    * ``utc`` – the same instant in UTC;
    * ``weekday`` – the local weekday name (ordered categories, Monday first);
    * ``gap`` – time since the previous row (``Timedelta``; ``NaT`` on the first row);
    * ``utc_offset`` – the local offset as text, ``"+03:00"``, as ``isoformat()``
      writes it;
    * ``dst_change`` – ``True`` where the offset differs from the previous row's.

    Drawing stops after ``n`` rows, at the first fire time later than ``until``, when
    the trigger is finished, when ``next()`` raises, or after ``time_budget`` seconds;
    ``df.attrs["stop_reason"]`` says which (``"count"``, ``"until"``, ``"finished"``,
    ``"error"`` or ``"time_budget"``). The last two also warn with
    :class:`~apsnb.lab.LabWarning`; the table then holds what was found before.

    :param trigger: any :class:`apsnb.abc.Trigger`, or a crontab string (``"*/5 * * * *"``, in the local zone)
    :param n: at most this many rows; ``None`` for no limit (then bound the table with
        ``until``, or it runs for ``time_budget``)
    :param until: leave out fire times after this instant (aware datetime or ISO string)
    :param start: leave out fire times before this instant (they are drawn and skipped)
    :param time_budget: seconds to spend drawing at most, even if ``next()`` hangs
    :raises ValueError: if ``n`` is less than 1
    :raises NaiveDatetimeError: if ``until`` or ``start`` has no time zone
    """
    _check_count(n)
    trigger = as_trigger(trigger)
    until = as_optional_aware_datetime(until, "until")
    start = as_optional_aware_datetime(start, "start")
    drawn = sample(trigger, n=n, until=until, start=start, time_budget=time_budget)
    drawn, offsets, one_zone = _valid_fire_times(drawn, trigger)
    warn_if_cut_short(drawn)
    table = _build_table(drawn.times, offsets, one_zone, _zone_of(trigger))
    table.attrs["stop_reason"] = drawn.stop_reason
    if drawn.error is not None:
        table.attrs["error"] = f"{type(drawn.error).__name__}: {drawn.error}"
    return table


def _build_table(
    times: list[datetime],
    offsets: list[timedelta],
    one_zone: bool,
    default_zone: tzinfo,
) -> pd.DataFrame:
    """The table of aware ``times`` (with their UTC ``offsets``; ``one_zone`` if they
    share one ``tzinfo``), shown in the first one's zone; if empty, in ``default_zone``.
    """
    zone = times[0].tzinfo or default_zone if times else default_zone
    offsets_us = _as_microseconds(offsets)
    utc_us = _wall_microseconds(times) - offsets_us
    utc = pd.DatetimeIndex(utc_us.view("datetime64[us]")).tz_localize("UTC")
    local = utc.tz_convert("UTC" if zone is UTC else zone)
    if not one_zone:
        # Fire times in several zones are all shown in the first one's zone, so the
        # offset column must be that zone's offset, not each value's own.
        offsets_us = (local.tz_localize(None) - utc.tz_localize(None)).asi8
    offset_changed = np.zeros(len(times), dtype=bool)
    offset_changed[1:] = offsets_us[1:] != offsets_us[:-1]
    gaps = np.full(len(times), np.timedelta64("NaT"), dtype="timedelta64[us]")
    gaps[1:] = np.diff(utc_us).view("timedelta64[us]")
    local_days = (utc_us + offsets_us) // _MICROSECONDS_PER_DAY
    weekdays = (local_days + _UNIX_EPOCH_WEEKDAY) % 7
    columns: dict[str, Any] = {
        "fire_time": local,
        "utc": utc,
        "weekday": pd.Categorical.from_codes(
            weekdays, categories=list(_WEEKDAYS), ordered=True
        ),
        "gap": pd.TimedeltaIndex(gaps),
        "utc_offset": pd.array(_offset_labels(offsets_us), dtype="str"),
        "dst_change": offset_changed,
    }
    return pd.DataFrame(columns)


def _check_count(n: object) -> None:
    if n is None:
        return
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(
            f"n={n!r} must be a whole number of rows (or None for no limit)"
        )
    if n < 1:
        raise ValueError(
            f"n={n} asks for no fire times; pass n=1 or more (or None, with until=, "
            f"for every fire time up to an instant)"
        )


def _valid_fire_times(
    drawn: Sample, trigger: Trigger
) -> tuple[Sample, list[timedelta], bool]:
    """The sample cut at the first value that is not an aware datetime, the UTC
    offsets of the rest, and whether they all share one ``tzinfo``.

    Such a value breaks the trigger contract; what came before is still worth showing.
    """
    times = drawn.times
    try:
        zones = set(map(attrgetter("tzinfo"), times))
        one_zone = len(zones) <= 1
        if one_zone and set(map(type, times)) <= {datetime}:
            # The zone's own utcoffset is several times faster than the datetime's.
            zone = zones.pop() if zones else None
            # Naive datetimes (zone None) have no offsets: found by the loop below.
            offsets = list(map(zone.utcoffset, times)) if zone else [None] * len(times)
        else:
            offsets = list(map(datetime.utcoffset, times))
        if None not in offsets:
            return drawn, offsets, one_zone
    except (AttributeError, TypeError):  # a value that is not a datetime at all
        pass
    for index, value in enumerate(times):
        problem = fire_time_problem(value)
        if problem is not None:
            error = InvalidFireTime(trigger, *problem)
            return _valid_fire_times(
                drawn._replace(times=times[:index], stop_reason="error", error=error),
                trigger,
            )
    raise AssertionError("unreachable: some value was invalid")


def _zone_of(trigger: Trigger) -> tzinfo:
    """The zone a trigger declares, for the table of one that fires no more."""
    zone = getattr(trigger, "timezone", None)
    return zone if isinstance(zone, tzinfo) else UTC


def _wall_microseconds(times: list[datetime]) -> np.ndarray:
    """Each fire time's wall clock as microseconds since 1970-01-01 (wall time, not UTC).

    Reading the fields one by one through ``map`` costs a fraction of ``timestamp()``.
    """
    count = len(times)

    def field(name: str) -> np.ndarray:
        return np.fromiter(map(attrgetter(name), times), np.int64, count=count)

    days = np.fromiter(map(datetime.toordinal, times), np.int64, count=count)
    seconds = field("hour") * 3600 + field("minute") * 60 + field("second")
    return (
        (days - _UNIX_EPOCH_ORDINAL) * _MICROSECONDS_PER_DAY
        + seconds * 1_000_000
        + field("microsecond")
    )


def _as_microseconds(offsets: list[timedelta]) -> np.ndarray:
    """Offsets in microseconds; there are few distinct ones, so each is converted once."""
    in_us = {offset: offset // _ONE_MICROSECOND for offset in set(offsets)}
    return np.fromiter(map(in_us.__getitem__, offsets), np.int64, count=len(offsets))


def _offset_labels(offsets_us: np.ndarray) -> np.ndarray:
    """``+02:00``-style labels, formatted once per distinct offset."""
    distinct, positions = np.unique(offsets_us, return_inverse=True)
    labels = np.array([_format_offset(int(value)) for value in distinct], dtype=object)
    return labels[positions.reshape(-1)]


def _format_offset(microseconds: int) -> str:
    sign = "-" if microseconds < 0 else "+"
    seconds = abs(microseconds) // 1_000_000
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}"
    return f"{text}:{seconds:02d}" if seconds else text
