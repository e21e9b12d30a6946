"""Turning local wall-clock times into instants, with apsnb's DST rules.

The rules (the Debian cron rules, also followed by cronsim):

* A *fixed-time* trigger (calendar interval, or cron without a wildcard in hour, minute
  or second) fires once for each wall time. A wall time that falls in a spring-forward
  gap fires at the first instant after the gap; one that happens twice in a fall-back
  overlap fires at its first occurrence.
* A *wildcard* trigger fires at every real instant whose wall time matches: nothing in
  a gap, both occurrences in an overlap.

Python tells a gap from an overlap through PEP 495's ``fold``: for a wall time in an
overlap, ``fold=0`` gives the earlier (larger) offset; in a gap, ``fold=0`` gives the
offset from before the gap, which is the smaller one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_ONE_MICROSECOND = timedelta(microseconds=1)


def has_fixed_offset(tz: tzinfo) -> bool:
    """True when ``tz`` never changes its offset (UTC, ``timezone(timedelta(...))``)."""
    return isinstance(tz, timezone) or getattr(tz, "key", None) in ("UTC", "Etc/UTC")


def is_uniform_day(tz: tzinfo, day: date) -> bool:
    """True when the UTC offset does not change during the local calendar day.

    Compares the offsets at this midnight and the next. A zone that changed its offset
    twice within one day, back to the same value, would slip through; tzdata has no
    such day.
    """
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    return start.utcoffset() == (start + _ONE_DAY).utcoffset()


def resolve(wall: datetime, fixed: bool) -> tuple[datetime, ...]:
    """Return the fire instants for an aware wall time (``fold=0``) under the DST rules.

    Returns one instant, none (a wildcard time in a gap) or two (a wildcard time in an
    overlap, earliest first).
    """
    later = wall.replace(fold=1)
    offset, later_offset = wall.utcoffset(), later.utcoffset()
    if offset == later_offset:
        return (wall,)
    if offset > later_offset:  # type: ignore[operator]  # overlap: it happens twice
        return (wall,) if fixed else (wall, later)
    # A gap: the wall time never happens.
    if not fixed:
        return ()
    return (end_of_gap(wall),)


def end_of_gap(wall: datetime) -> datetime:
    """Return the first instant after the gap that contains the wall time ``wall``."""
    tz = wall.tzinfo
    assert tz is not None
    before = wall.utcoffset()
    after = wall.replace(fold=1).utcoffset()
    assert before is not None and after is not None
    naive = wall.replace(tzinfo=None)
    # The transition instant lies between these two readings of the wall time.
    low = (naive - after).replace(tzinfo=UTC)
    high = (naive - before).replace(tzinfo=UTC)
    while high - low > _ONE_SECOND:
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(tz).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high.astimezone(tz)


def scan_start(instant: datetime, tz: tzinfo) -> datetime:
    """Return the naive wall time from which to scan for fire times after ``instant``.

    Usually the local wall time of ``instant``. If ``instant`` is the first occurrence
    of a wall time in an overlap, the second occurrences of the earlier wall times of
    that overlap are still to come, so the scan starts at the beginning of the overlap.
    If ``instant`` is the end of a gap, the gap's wall times fire at ``instant`` itself
    (fixed-time rule), so the scan starts at the beginning of the gap.
    """
    local = instant.astimezone(tz)
    wall = local.replace(tzinfo=None, fold=0)
    if local.fold == 0:
        first, second = local.utcoffset(), local.replace(fold=1).utcoffset()
        if first is not None and second is not None and first > second:
            return wall - (first - second)
    before = (instant - _ONE_MICROSECOND).astimezone(tz).utcoffset()
    after = local.utcoffset()
    if before is not None and after is not None and before < after:
        return wall - (after - before)
    return wall
