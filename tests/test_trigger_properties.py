"""Property tests for the triggers over random fields, zones and start times.

For ``CronTrigger``: fire times are aware and strictly increasing; each one's local
wall time matches the fields (or, for a fixed-time trigger, it is the end of a DST gap
that swallowed a matching wall time); near DST transitions the fire times are exactly
the ones DESIGN.md's rules call for, checked against a brute-force scan; and a trigger
restored from its state at a random point continues identically.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from apsnb.triggers.cron import CronTrigger
from tests.helpers import assert_continues_after_restore, take, transitions

ZONES = (
    "UTC",
    "Europe/Helsinki",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Santiago",
)
ONE_SECOND = timedelta(seconds=1)
ONE_MINUTE = timedelta(minutes=1)
SETTINGS = settings(max_examples=100, deadline=None, derandomize=True)


# --- zones and start times -------------------------------------------------------------


@st.composite
def moments(draw: st.DrawFn, tz: ZoneInfo) -> datetime:
    """A whole-second instant, usually within a day of one of the zone's DST changes."""
    year = draw(st.integers(2000, 2037))
    changes = transitions(tz.key, year)
    if changes and draw(st.integers(0, 3)):
        moment = draw(st.sampled_from(changes))
        return (
            moment + timedelta(seconds=draw(st.integers(-86400, 86400)))
        ).astimezone(tz)
    start = datetime(year, 1, 1, tzinfo=UTC).timestamp()
    return datetime.fromtimestamp(start + draw(st.integers(0, 365 * 86400)), tz)


def exists(wall: datetime) -> bool:
    """Whether an aware wall time (fold=0) happens at all (is not in a DST gap)."""
    back = wall.astimezone(UTC).astimezone(wall.tzinfo)
    return back.replace(tzinfo=None) == wall.replace(tzinfo=None, fold=0)


def wall_of(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None, fold=0)


# --- cron fields -----------------------------------------------------------------------


@st.composite
def fields(
    draw: st.DrawFn, low: int, high: int, *, star: bool = True
) -> tuple[str, frozenset[int]]:
    """An expression and the values it allows: ``*``, ``*/n``, ``a``, ``a-b``,
    ``a-b/n``, ``a/n`` and lists of them (with ``star=False``, none starting with
    ``*``)."""
    if star and draw(st.integers(0, 3)) == 0:
        return "*", frozenset(range(low, high + 1))
    parts, values = [], set()
    kinds = ("value", "range", "star_step", "range_step")
    for index in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(kinds if star or index else kinds[:2]))
        if kind == "value":
            value = draw(st.integers(low, high))
            parts.append(str(value))
            values.add(value)
        elif kind == "star_step":
            step = draw(st.integers(1, high - low))
            parts.append(f"*/{step}")
            values.update(range(low, high + 1, step))
        else:
            first = draw(st.integers(low, high - 1))
            last = draw(st.integers(first + 1, high))
            step = draw(st.integers(1, last - first)) if kind == "range_step" else 1
            parts.append(f"{first}-{last}" + (f"/{step}" if step > 1 else ""))
            values.update(range(first, last + 1, step))
    return ",".join(parts), frozenset(values)


def _values(text: str) -> tuple[str, frozenset[int]]:
    """The hour values of one of the ``DST_HOURS`` expressions."""
    values: set[int] = set()
    for part in text.split(","):
        span, _, step = part.partition("/")
        first, _, last = span.partition("-")
        values.update(range(int(first), int(last or first) + 1, int(step or 1)))
    return text, frozenset(values)


@dataclass(frozen=True)
class Spec:
    """A cron trigger's fields, as text and as the sets of values they allow."""

    texts: dict[str, str]
    months: frozenset[int]
    days: frozenset[int]
    weekdays: frozenset[int]  # cron numbers, 0 = Sunday (7 folded onto 0)
    hours: frozenset[int]
    minutes: frozenset[int]
    seconds: frozenset[int]
    crontab: bool  # built with from_crontab (days OR-ed unless one starts with *)

    @property
    def days_or(self) -> bool:
        texts = self.texts
        return self.crontab and not (
            texts["day"].startswith("*") or texts["day_of_week"].startswith("*")
        )

    @property
    def fixed_time(self) -> bool:
        return not any(
            self.texts[name].startswith("*") for name in ("hour", "minute", "second")
        )

    def day_matches(self, wall: datetime) -> bool:
        by_day = wall.day in self.days
        by_weekday = wall.isoweekday() % 7 in self.weekdays
        return (by_day or by_weekday) if self.days_or else (by_day and by_weekday)

    def matches(self, wall: datetime) -> bool:
        return (
            wall.month in self.months
            and self.day_matches(wall)
            and wall.hour in self.hours
            and wall.minute in self.minutes
            and wall.second in self.seconds
        )

    def trigger(self, tz: ZoneInfo, start: datetime) -> CronTrigger:
        texts = self.texts
        if self.crontab:
            expr = " ".join(
                texts[name]
                for name in ("second", "minute", "hour", "day", "month", "day_of_week")
            )
            return CronTrigger.from_crontab(expr, tz, start_time=start)
        return CronTrigger(**texts, timezone=tz, start_time=start)


#: Hours in which the zones change their clocks (Santiago at midnight).
DST_HOURS = st.sampled_from(("0", "2", "3", "1-3", "0,2", "2-4/2", "0-3"))


@st.composite
def specs(
    draw: st.DrawFn,
    *,
    second: st.SearchStrategy[tuple[str, frozenset[int]]] | None = None,
    wildcard: bool | None = None,
    any_day: bool = False,
) -> Spec:
    """Cron fields; ``wildcard`` forces a wildcard (True) or fixed-time (False)
    trigger; ``any_day`` (sometimes) leaves month and days open."""
    time_star = wildcard is not False
    if wildcard is None or wildcard is False:
        hour = draw(st.one_of(fields(0, 23, star=time_star), DST_HOURS.map(_values)))
    else:
        hour = draw(fields(0, 23))
    drawn = {
        "month": draw(fields(1, 12)),
        "day": draw(fields(1, 31)),
        "day_of_week": draw(fields(0, 7)),
        "hour": hour,
        "minute": draw(fields(0, 59, star=time_star)),
        "second": draw(second if second is not None else fields(0, 59, star=time_star)),
    }
    if any_day and draw(st.integers(0, 2)):
        for name, high in (("month", 12), ("day", 31), ("day_of_week", 7)):
            drawn[name] = ("*", frozenset(range(0 if high == 7 else 1, high + 1)))
    spec = Spec(
        texts={name: text for name, (text, _) in drawn.items()},
        months=drawn["month"][1],
        days=drawn["day"][1],
        weekdays=frozenset(value % 7 for value in drawn["day_of_week"][1]),
        hours=drawn["hour"][1],
        minutes=drawn["minute"][1],
        seconds=drawn["second"][1],
        crontab=draw(st.booleans()),
    )
    if wildcard is not None:
        assume(spec.fixed_time != wildcard)
    # The day fields must be able to match in one of the months (``31`` AND ``2``
    # cannot); with the weekday AND-ed any day of the month will do, given years.
    assume(
        spec.days_or
        or any(
            day <= (29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31)
            for day in spec.days
            for month in spec.months
        )
    )
    return spec


@st.composite
def cron_cases(draw: st.DrawFn, **kwargs: object) -> tuple[Spec, ZoneInfo, datetime]:
    spec = draw(specs(**kwargs))  # type: ignore[arg-type]
    tz = ZoneInfo(draw(st.sampled_from(ZONES)))
    return spec, tz, draw(moments(tz))


# --- CronTrigger -----------------------------------------------------------------------


@SETTINGS
@given(case=cron_cases())
def test_cron_fire_times_are_aware_and_increasing(
    case: tuple[Spec, ZoneInfo, datetime],
) -> None:
    spec, tz, start = case
    times = take(spec.trigger(tz, start), 30)
    assert times, "a possible schedule fires"
    assert all(t.tzinfo is not None and t.utcoffset() is not None for t in times)
    assert times[0].timestamp() >= start.timestamp()
    stamps = [t.timestamp() for t in times]
    assert all(a < b for a, b in itertools.pairwise(stamps))


@SETTINGS
@given(case=cron_cases())
def test_cron_fire_times_match_the_fields(
    case: tuple[Spec, ZoneInfo, datetime],
) -> None:
    spec, tz, start = case
    for fire_time in take(spec.trigger(tz, start), 30):
        wall = wall_of(fire_time, tz)
        if spec.matches(wall):
            continue
        # Only a fixed-time trigger fires off its fields: at the end of a DST gap,
        # for a matching wall time inside the gap.
        assert spec.fixed_time, fire_time
        assert not exists((wall - ONE_SECOND).replace(tzinfo=tz)), fire_time
        gap = (
            fire_time.utcoffset() - (fire_time - ONE_SECOND).astimezone(tz).utcoffset()
        )
        in_gap = (wall - gap + n * ONE_SECOND for n in range(int(gap.total_seconds())))
        assert any(spec.matches(w) for w in in_gap), fire_time
        event("a fire time at the end of a gap")


def fire_times_between(trigger: CronTrigger, end: datetime) -> list[datetime]:
    times = []
    for fire_time in trigger:
        if fire_time >= end:
            break
        times.append(fire_time)
    return times


@st.composite
def windows(draw: st.DrawFn, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """About two days of real time around one of the zone's DST changes (or anywhere,
    for a zone without them), starting on a whole minute."""
    year = draw(st.integers(2000, 2037))
    changes = transitions(tz.key, year)
    if changes:
        middle = draw(st.sampled_from(changes))
    else:
        middle = datetime(year, 1, 1, tzinfo=UTC) + timedelta(
            days=draw(st.integers(0, 364))
        )
    start = (middle - timedelta(hours=draw(st.integers(1, 26)))).replace(second=0)
    return start.astimezone(tz), (middle + timedelta(hours=26)).astimezone(tz)


@SETTINGS
@given(data=st.data())
def test_cron_wildcard_fires_at_every_matching_instant(data: st.DataObject) -> None:
    # A wildcard trigger fires at every real instant whose wall time matches: none in
    # a gap, both occurrences in an overlap. Scan every minute of the window.
    second = st.integers(0, 59).map(lambda s: (str(s), frozenset({s})))
    spec = data.draw(specs(second=second, wildcard=True, any_day=True), label="spec")
    tz = ZoneInfo(data.draw(st.sampled_from(ZONES), label="zone"))
    start, end = data.draw(windows(tz), label="window")
    (second_value,) = spec.seconds
    expected = []
    instant = start.astimezone(UTC) + timedelta(seconds=second_value)
    while instant < end:
        if spec.matches(wall_of(instant, tz)):
            expected.append(instant.timestamp())
        instant += ONE_MINUTE
    actual = fire_times_between(spec.trigger(tz, start), end)
    assert [t.timestamp() for t in actual] == expected
    event("fires in the window" if expected else "no fire in the window")
    if len({t.utcoffset() for t in actual}) > 1:
        event("fires on both sides of a DST change")


def fixed_time_instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """Where DESIGN.md's fixed-time rule puts a wall time: itself, its first
    occurrence in an overlap, or the end of the gap it falls in."""
    aware = wall.replace(tzinfo=tz, fold=0)
    if exists(aware):
        return aware  # fold=0 is the first occurrence in an overlap
    # In a gap, fold=0 reads the wall time with the offset from before the change:
    # that instant lies after the change; fold=1 (the offset after) lies before it.
    late = aware.astimezone(UTC)
    early = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    (change,) = (t for t in transitions(tz.key, wall.year) if early < t <= late)
    return change.astimezone(tz)


@SETTINGS
@given(data=st.data())
def test_cron_fixed_time_fires_every_wall_time_once(data: st.DataObject) -> None:
    spec = data.draw(specs(wildcard=False, any_day=True), label="spec")
    assume(len(spec.hours) * len(spec.minutes) * len(spec.seconds) <= 2000)
    tz = ZoneInfo(data.draw(st.sampled_from(ZONES), label="zone"))
    start, end = data.draw(windows(tz), label="window")
    day = wall_of(start, tz).date()
    expected = set()
    while day <= wall_of(end, tz).date():
        midnight = datetime(day.year, day.month, day.day)
        if midnight.month in spec.months and spec.day_matches(midnight):
            for hour, minute, second in itertools.product(
                spec.hours, spec.minutes, spec.seconds
            ):
                wall = midnight.replace(hour=hour, minute=minute, second=second)
                instant = fixed_time_instant(wall, tz)
                if start <= instant < end:
                    expected.add(instant.timestamp())
                    if not exists(wall.replace(tzinfo=tz)):
                        event("a matching wall time in a gap")
        day += timedelta(days=1)
    actual = [t.timestamp() for t in fire_times_between(spec.trigger(tz, start), end)]
    assert actual == sorted(expected)


@SETTINGS
@given(case=cron_cases(), steps=st.integers(0, 40))
def test_cron_state_round_trip_continues(
    case: tuple[Spec, ZoneInfo, datetime], steps: int
) -> None:
    spec, tz, start = case
    trigger = spec.trigger(tz, start)
    take(trigger, steps)
    assert_continues_after_restore(trigger, 20)


# --- IntervalTrigger and CalendarIntervalTrigger ---------------------------------------


@SETTINGS
@given(
    data=st.data(),
    interval=st.fixed_dictionaries(
        {},
        optional={
            "weeks": st.integers(0, 2),
            "days": st.integers(0, 3),
            "hours": st.integers(0, 30),
            "minutes": st.integers(0, 90),
            "seconds": st.integers(0, 90),
        },
    ),
    steps=st.integers(0, 40),
)
def test_interval_fire_times(
    data: st.DataObject, interval: dict[str, int], steps: int
) -> None:
    module = pytest.importorskip("apsnb.triggers.interval")
    length = timedelta(**interval)
    assume(length > timedelta(0))
    tz = ZoneInfo(data.draw(st.sampled_from(ZONES), label="zone"))
    start = data.draw(moments(tz), label="start")
    trigger = module.IntervalTrigger(**interval, start_time=start)
    times = take(trigger, 30)
    assert times[0].timestamp() == start.timestamp()
    assert all(t.tzinfo is not None and t.utcoffset() is not None for t in times)
    for earlier, later in itertools.pairwise(times):
        # Absolute time: exactly the interval apart, whatever the wall clock does.
        assert later.timestamp() - earlier.timestamp() == length.total_seconds()
    trigger = module.IntervalTrigger(**interval, start_time=start)
    take(trigger, steps)
    assert_continues_after_restore(trigger, 20)


@SETTINGS
@given(
    data=st.data(),
    units=st.fixed_dictionaries(
        {},
        optional={
            "years": st.integers(0, 2),
            "months": st.integers(0, 14),
            "weeks": st.integers(0, 3),
            "days": st.integers(0, 40),
        },
    ),
    time=st.tuples(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)),
    steps=st.integers(0, 30),
)
def test_calendar_interval_fire_times(
    data: st.DataObject,
    units: dict[str, int],
    time: tuple[int, int, int],
    steps: int,
) -> None:
    module = pytest.importorskip("apsnb.triggers.calendarinterval")
    assume(any(units.values()))
    tz = ZoneInfo(data.draw(st.sampled_from(ZONES), label="zone"))
    start_date = wall_of(data.draw(moments(tz), label="start"), tz).date()
    hour, minute, second = time

    def make() -> object:
        return module.CalendarIntervalTrigger(
            **units, hour=hour, minute=minute, second=second,
            start_date=start_date, timezone=tz,
        )  # fmt: skip

    times = take(make(), 20)  # type: ignore[arg-type]
    assert times
    assert all(t.tzinfo is not None and t.utcoffset() is not None for t in times)
    stamps = [t.timestamp() for t in times]
    assert all(a < b for a, b in itertools.pairwise(stamps))
    dates = []
    for fire_time in times:
        wall = wall_of(fire_time, tz)
        intended = wall.replace(hour=hour, minute=minute, second=second)
        if wall != intended:
            # Always fixed-time: off its time only at the end of the gap that
            # swallowed it.
            assert not exists((wall - ONE_SECOND).replace(tzinfo=tz)), fire_time
            assert fixed_time_instant(intended, tz) == fire_time
        dates.append(wall.date())
    assert dates[0] >= start_date
    assert all(a < b for a, b in itertools.pairwise(dates))
    trigger = make()
    take(trigger, steps)  # type: ignore[arg-type]
    assert_continues_after_restore(trigger, 10)  # type: ignore[arg-type]
