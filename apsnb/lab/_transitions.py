"""Where a time zone's UTC offset changes within a period (DST starts and ends)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone, tzinfo
from typing import NamedTuple

__all__ = ("Transition", "offset_transitions")

# Offsets change at most a few times a year, never twice within a day, so sampling
# daily finds every change; bisection then pins each one to the second.
_STEP = timedelta(days=1)
# A longer period would take long to scan and has too many changes to draw anyway.
_MAX_PERIOD = timedelta(days=366 * 200)


class Transition(NamedTuple):
    """A change of UTC offset: the first instant of the new offset, old and new offset."""

    instant: datetime
    before: timedelta
    after: timedelta


def offset_transitions(
    zone: tzinfo, start: datetime, end: datetime
) -> list[Transition]:
    """The offset changes of ``zone`` after ``start`` up to ``end`` (aware datetimes).

    A fixed-offset zone has none; a period longer than 200 years is not scanned.
    """
    if isinstance(zone, timezone) or end - start > _MAX_PERIOD or end <= start:
        return []
    found = []
    earlier = start
    earlier_offset = _offset(zone, earlier)
    while earlier < end:
        later = min(earlier + _STEP, end)
        later_offset = _offset(zone, later)
        if later_offset != earlier_offset:
            found.append(_pin(zone, earlier, later, earlier_offset, later_offset))
        earlier, earlier_offset = later, later_offset
    return found


def _offset(zone: tzinfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _pin(
    zone: tzinfo,
    earlier: datetime,
    later: datetime,
    before: timedelta,
    after: timedelta,
) -> Transition:
    """Bisect (earlier, later], whose ends have different offsets, to the whole second
    the new offset starts at."""
    low, high = math.floor(earlier.timestamp()), math.ceil(later.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return Transition(datetime.fromtimestamp(high, zone), before, after)
