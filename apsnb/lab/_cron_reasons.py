"""Why a cron trigger accepts or rejects a local time: its fields and the DST rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .._wallclock import end_of_gap
from ..triggers.cron import CronTrigger
from ..triggers.cron.fields import DaySelector, parse
from ._text import MONTH_NAMES, WEEKDAY_NAMES, clock, wall_time, zone_name

_ONE_MICROSECOND = timedelta(microseconds=1)
_ONE_SECOND = timedelta(seconds=1)


def gap_of(at: datetime) -> tuple[timedelta, datetime] | None:
    """For a wall time that does not exist in its own zone: (gap length, gap end)."""
    tz = at.tzinfo
    assert tz is not None
    round_trip = at.astimezone(UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) == at.replace(tzinfo=None):
        return None
    wall = at.replace(fold=0)
    length = wall.replace(fold=1).utcoffset() - wall.utcoffset()  # type: ignore[operator]
    return abs(length), end_of_gap(wall)


def nonexistent_wall_reasons(at: datetime, trigger: CronTrigger | None) -> list[str]:
    """Say so when ``at`` names a wall time skipped by spring-forward, and what fires."""
    gap = gap_of(at)
    if gap is None:
        return []
    length, end = gap
    end_wall = end.replace(tzinfo=None)
    reasons = [
        f"{clock(at.hour, at.minute, at.second)} does not exist on {at:%Y-%m-%d} in "
        f"{zone_name(at.tzinfo)}: the clocks jump from "
        f"{(end_wall - length):%H:%M} to {end_wall:%H:%M}"  # type: ignore[arg-type]
    ]
    same_zone = trigger is not None and zone_name(trigger.timezone) == zone_name(
        at.tzinfo  # type: ignore[arg-type]
    )
    if trigger is not None and same_zone and not rejections(trigger, at):
        if trigger.fixed_time:
            reasons.append(
                f"as a fixed-time trigger it fires at {wall_time(end)} instead"
            )
        else:
            reasons.append("as a wildcard trigger it fires at no wall time in the gap")
    return reasons


def rejections(trigger: CronTrigger, local: datetime) -> list[str]:
    """The fields that reject the wall time of ``local`` (read in the trigger's zone)."""
    found = []
    for name, value, shown in (
        ("year", local.year, str(local.year)),
        ("month", local.month, f"{local.month} ({MONTH_NAMES[local.month - 1]})"),
    ):
        if value not in parse(name, getattr(trigger, name)).values:
            found.append(f"{name} {shown} is not in {getattr(trigger, name)!r}")
    found.extend(_day_rejections(trigger, local))
    for name in ("hour", "minute", "second"):
        value = getattr(local, name)
        if value not in parse(name, getattr(trigger, name)).values:
            found.append(f"{name} {value:02d} is not in {getattr(trigger, name)!r}")
    if local.microsecond:
        found.append(
            f"fire times are whole seconds, and this one has {local.microsecond} "
            f"microseconds"
        )
    return found


def _day_rejections(trigger: CronTrigger, local: datetime) -> list[str]:
    if local.day in trigger._plan.days.days(local.year, local.month):
        return []

    def allows(day: str, weekday: str, week: str) -> bool:
        selector = DaySelector(
            parse("day", day), parse("day_of_week", weekday), parse("week", week), False
        )
        return local.day in selector.days(local.year, local.month)

    weekday_name = WEEKDAY_NAMES[local.weekday()]
    by_day = allows(trigger.day, "*", "*")
    by_weekday = allows("*", trigger.day_of_week, "*")
    in_week = allows("*", "*", trigger.week)
    found = []
    day_text = f"day {local.day} is not in {trigger.day!r}"
    weekday_text = f"{weekday_name} is not in day_of_week {trigger.day_of_week!r}"
    if trigger._or_days:
        if not by_day and not by_weekday:
            found.append(
                f"{day_text} and {weekday_text} (a crontab day matches if either does)"
            )
    else:
        if not by_day:
            found.append(day_text)
        if not by_weekday:
            found.append(weekday_text)
    if not in_week:
        week = local.isocalendar()[1]
        found.append(f"ISO week {week} is not in {trigger.week!r}")
    return found


def cron_reasons(trigger: CronTrigger, at: datetime, *, fires: bool) -> list[str]:
    """Why the cron trigger fires at ``at`` or not: fields, then the DST rules."""
    tz = trigger.timezone
    local = at.astimezone(tz)
    zone = zone_name(tz)
    rejected = rejections(trigger, local)
    if rejected and fires:
        return _gap_end_reasons(trigger, local, zone)
    if rejected:
        return rejected
    reasons = [f"the local time {local.isoformat(sep=' ')} matches every field"]
    first, second = local.replace(fold=0), local.replace(fold=1)
    if first.utcoffset() != second.utcoffset() and not _is_gap(local):
        when = (
            f"{clock(local.hour, local.minute, local.second)} happens twice on "
            f"{local:%Y-%m-%d} in {zone} ({wall_time(first)}, then {wall_time(second)})"
        )
        if not trigger.fixed_time:
            reasons.append(f"{when}; as a wildcard trigger it fires at both")
        elif local.fold:
            reasons.append(
                f"{when}; as a fixed-time trigger it fires only at the first, "
                f"{wall_time(first)}"
            )
        else:
            reasons.append(
                f"{when}; as a fixed-time trigger it fires at this first one"
            )
    return reasons


def _is_gap(local: datetime) -> bool:
    round_trip = local.astimezone(UTC).astimezone(local.tzinfo)
    return round_trip.replace(tzinfo=None) != local.replace(tzinfo=None)


def _gap_end_reasons(trigger: CronTrigger, local: datetime, zone: str) -> list[str]:
    """``local`` is the end of a gap, where a fixed-time trigger's gap times fire."""
    # Aware arithmetic is wall-clock arithmetic: step back one real microsecond in UTC.
    before = (
        (local.astimezone(UTC) - _ONE_MICROSECOND).astimezone(local.tzinfo).utcoffset()
    )
    after = local.utcoffset()
    if before is None or after is None or before >= after:
        return ["its fields do not match this local time, yet the search fires here"]
    wall = local.replace(tzinfo=None)
    moment = wall - (after - before)
    while moment < wall:
        if not rejections(trigger, moment.replace(tzinfo=local.tzinfo)):
            shown = clock(moment.hour, moment.minute, moment.second)
            return [
                f"{shown} does not exist on {moment:%Y-%m-%d} in {zone}; as a "
                f"fixed-time trigger it fires at {wall_time(local)} instead"
            ]
        moment += _ONE_SECOND
    return ["its fields do not match this local time, yet the search fires here"]
