from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.calendarinterval import (
    CalendarIntervalTrigger as A6CalendarIntervalTrigger,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from apsnb._exceptions import (
    InvalidTriggerArgument,
    InvalidTriggerArgumentType,
    TriggerStateError,
    UnknownTimeZone,
)
from apsnb._wallclock import resolve
from apsnb.triggers.calendarinterval import CalendarIntervalTrigger
from tests.helpers import (
    assert_continues_after_restore,
    exact,
    instants,
    restored,
    take,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")


def dates(times: list[datetime]) -> list[str]:
    return [t.date().isoformat() for t in times]


def test_monthly_from_31st_skips_months_without_that_day() -> None:
    trigger = CalendarIntervalTrigger(
        months=1, hour=9, start_date="2026-01-31", timezone="UTC"
    )
    assert dates(take(trigger, 7)) == [
        "2026-01-31",
        "2026-03-31",
        "2026-05-31",
        "2026-07-31",
        "2026-08-31",
        "2026-10-31",
        "2026-12-31",
    ]


def test_monthly_from_30th_and_29th_skip_february_unless_leap() -> None:
    thirtieth = CalendarIntervalTrigger(
        months=1, start_date="2026-01-30", timezone="UTC"
    )
    assert dates(take(thirtieth, 3)) == ["2026-01-30", "2026-03-30", "2026-04-30"]
    common = CalendarIntervalTrigger(months=1, start_date="2026-01-29", timezone="UTC")
    assert dates(take(common, 2)) == ["2026-01-29", "2026-03-29"]
    leap = CalendarIntervalTrigger(months=1, start_date="2028-01-29", timezone="UTC")
    assert dates(take(leap, 2)) == ["2028-01-29", "2028-02-29"]


def test_yearly_from_leap_day_fires_only_in_leap_years() -> None:
    trigger = CalendarIntervalTrigger(years=1, start_date="2096-02-29", timezone="UTC")
    assert dates(take(trigger, 3)) == ["2096-02-29", "2104-02-29", "2108-02-29"]


def test_weeks_and_days_are_added_after_months() -> None:
    trigger = CalendarIntervalTrigger(
        months=1, weeks=1, days=1, start_date="2026-01-10", timezone="UTC"
    )
    assert dates(take(trigger, 3)) == ["2026-01-10", "2026-02-18", "2026-03-26"]


@pytest.mark.parametrize(
    "interval, start",
    [
        ({"months": 1}, "2026-01-31"),
        ({"months": 2}, "2026-01-31"),
        ({"years": 1}, "2024-02-29"),
        ({"years": 1, "months": 1, "weeks": 1, "days": 2}, "2026-01-28"),
        ({"days": 10}, "2026-01-01"),
    ],
)
def test_matches_apscheduler_without_dst_changes(
    interval: dict[str, int], start: str
) -> None:
    kwargs = {**interval, "hour": 9, "minute": 15, "second": 30, "start_date": start}
    ours = CalendarIntervalTrigger(**kwargs, timezone="UTC")
    a6 = A6CalendarIntervalTrigger(**kwargs, timezone="UTC")
    assert exact(take(ours, 40)) == exact(take(a6, 40))


def test_helsinki_time_in_spring_gap_fires_at_end_of_gap() -> None:
    trigger = CalendarIntervalTrigger(
        days=1, hour=3, minute=30, start_date="2026-03-28", timezone=HELSINKI
    )
    assert exact(take(trigger, 3)) == [
        "2026-03-28T03:30:00+02:00",
        "2026-03-29T04:00:00+03:00",
        "2026-03-30T03:30:00+03:00",
    ]


def test_apscheduler_skips_the_gap_day_but_apsnb_fires() -> None:
    kwargs = {
        "days": 1,
        "hour": 3,
        "minute": 30,
        "start_date": "2026-03-28",
        "timezone": "Europe/Helsinki",
    }
    a6 = dates(take(A6CalendarIntervalTrigger(**kwargs), 3))
    ours = dates(take(CalendarIntervalTrigger(**kwargs), 3))
    assert "2026-03-29" not in a6
    assert ours == ["2026-03-28", "2026-03-29", "2026-03-30"]


def test_helsinki_time_in_fall_back_overlap_fires_once_at_first_occurrence() -> None:
    trigger = CalendarIntervalTrigger(
        days=1, hour=3, minute=30, start_date="2026-10-24", timezone=HELSINKI
    )
    times = take(trigger, 3)
    assert exact(times) == [
        "2026-10-24T03:30:00+03:00",
        "2026-10-25T03:30:00+03:00",
        "2026-10-26T03:30:00+02:00",
    ]
    assert times[1].fold == 0


def test_new_york_gap_and_overlap() -> None:
    spring = CalendarIntervalTrigger(
        weeks=1, hour=2, minute=30, start_date="2026-03-08", timezone=NEW_YORK
    )
    assert exact(take(spring, 2)) == [
        "2026-03-08T03:00:00-04:00",
        "2026-03-15T02:30:00-04:00",
    ]
    fall = CalendarIntervalTrigger(
        days=1, hour=1, minute=30, start_date="2026-11-01", timezone=NEW_YORK
    )
    assert exact(take(fall, 2)) == [
        "2026-11-01T01:30:00-04:00",
        "2026-11-02T01:30:00-05:00",
    ]


def test_lord_howe_half_hour_gap_and_overlap() -> None:
    spring = CalendarIntervalTrigger(
        days=1, hour=2, minute=15, start_date="2026-10-04", timezone=LORD_HOWE
    )
    assert exact(take(spring, 2)) == [
        "2026-10-04T02:30:00+11:00",
        "2026-10-05T02:15:00+11:00",
    ]
    fall = CalendarIntervalTrigger(
        days=1, hour=1, minute=45, start_date="2026-04-04", timezone=LORD_HOWE
    )
    assert exact(take(fall, 3)) == [
        "2026-04-04T01:45:00+11:00",
        "2026-04-05T01:45:00+11:00",
        "2026-04-06T01:45:00+10:30",
    ]


@pytest.mark.parametrize("zone", [HELSINKI, NEW_YORK, LORD_HOWE])
@pytest.mark.parametrize("day", ["spring", "fall"])
def test_every_quarter_hour_on_dst_days_follows_the_fixed_time_rule(
    zone: ZoneInfo, day: str
) -> None:
    change = {
        (HELSINKI, "spring"): date(2026, 3, 29),
        (HELSINKI, "fall"): date(2026, 10, 25),
        (NEW_YORK, "spring"): date(2026, 3, 8),
        (NEW_YORK, "fall"): date(2026, 11, 1),
        (LORD_HOWE, "spring"): date(2026, 10, 4),
        (LORD_HOWE, "fall"): date(2026, 4, 5),
    }[zone, day]
    for hour, minute in itertools.product(range(24), range(0, 60, 15)):
        trigger = CalendarIntervalTrigger(
            days=1, hour=hour, minute=minute, start_date=change, timezone=zone
        )
        wall = datetime.combine(change, datetime.min.time(), zone).replace(
            hour=hour, minute=minute
        )
        assert exact(take(trigger, 1)) == exact([resolve(wall, fixed=True)[0]])


def test_end_date_is_inclusive() -> None:
    trigger = CalendarIntervalTrigger(
        days=1, start_date="2026-01-01", end_date="2026-01-03", timezone="UTC"
    )
    assert dates(take(trigger, 10)) == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert trigger.next() is None


def test_stops_at_year_9999() -> None:
    trigger = CalendarIntervalTrigger(years=1, start_date="9998-06-01", timezone="UTC")
    assert len(take(trigger, 5)) == 2
    trigger = CalendarIntervalTrigger(days=1, start_date="9999-12-30", timezone="UTC")
    assert len(take(trigger, 5)) == 2


def test_start_date_defaults_to_today_in_the_trigger_zone() -> None:
    fire_time = CalendarIntervalTrigger(days=1, timezone=LORD_HOWE).next()
    assert fire_time is not None
    assert fire_time.date() == datetime.now(LORD_HOWE).date()


def test_fixed_offset_timezone_is_accepted() -> None:
    trigger = CalendarIntervalTrigger(
        days=1,
        hour=9,
        start_date="2026-01-01",
        timezone=timezone(timedelta(hours=5, minutes=30)),
    )
    assert exact(take(trigger, 1)) == ["2026-01-01T09:00:00+05:30"]
    assert eval(repr(trigger)) == trigger


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"days": 1, "hour": 24}, r"hour=24\): hour must be between 0 and 23"),
        ({"days": 1, "minute": 60}, r"minute=60\): minute must be between 0 and 59"),
        ({"days": 1, "second": -1}, r"second=-1\): second must be between 0 and 59"),
        ({}, "interval must be at least one day"),
        ({"months": -1}, r"months=-1\): months must be 0 or more"),
        (
            {"days": 1, "start_date": "2026-02-01", "end_date": "2026-01-31"},
            r"end_date must not be earlier than start_date \(2026-02-01\)",
        ),
    ],
)
def test_bad_values_are_refused_with_the_field_and_range(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidTriggerArgument, match=message):
        CalendarIntervalTrigger(**kwargs, timezone="UTC")  # type: ignore[arg-type]


def test_bad_types_and_zones_are_refused() -> None:
    with pytest.raises(InvalidTriggerArgumentType, match=r"hour=9\.5 is a float"):
        CalendarIntervalTrigger(days=1, hour=9.5, timezone="UTC")  # type: ignore[arg-type]
    with pytest.raises(InvalidTriggerArgumentType, match="an ISO date string"):
        CalendarIntervalTrigger(days=1, start_date="31.1.2026", timezone="UTC")
    with pytest.raises(UnknownTimeZone, match="'Europe/Helsinky'"):
        CalendarIntervalTrigger(days=1, timezone="Europe/Helsinky")


@pytest.mark.parametrize("consumed", [0, 1, 2, 5])
def test_restored_trigger_continues(consumed: int) -> None:
    trigger = CalendarIntervalTrigger(
        days=1,
        hour=3,
        minute=30,
        start_date="2026-03-27",
        end_date="2026-04-10",
        timezone=HELSINKI,
    )
    take(trigger, consumed)
    assert_continues_after_restore(trigger)


def test_restored_finished_trigger_stays_finished() -> None:
    trigger = CalendarIntervalTrigger(
        days=1, start_date="2026-01-01", end_date="2026-01-01", timezone="UTC"
    )
    take(trigger, 3)
    assert restored(trigger).next() is None
    assert restored(trigger, "pickle").next() is None


def test_state_is_plain_data() -> None:
    trigger = CalendarIntervalTrigger(
        months=1, hour=9, start_date="2026-01-31", timezone="Europe/Helsinki"
    )
    trigger.next()
    assert trigger.__getstate__() == {
        "version": 1,
        "interval": {"years": 0, "months": 1, "weeks": 0, "days": 0},
        "time": [9, 0, 0],
        "start_date": "2026-01-31",
        "end_date": None,
        "timezone": "Europe/Helsinki",
        "last_fire_date": "2026-01-31",
    }


@pytest.mark.parametrize(
    "change, message",
    [
        ({"version": 2}, "upgrade apsnb"),
        ({"time": [25, 0, 0]}, "hour=25 is out of range"),
        ({"time": [9, 0]}, "malformed"),
        ({"interval": {"years": 0, "months": 0, "weeks": 0, "days": 0}}, "empty"),
        ({"timezone": "Nowhere/Special"}, "unknown time zone"),
        ({"last_fire_date": "2026-02-31"}, "malformed"),
        ({"start_date": None}, "start_date is missing"),
    ],
)
def test_malformed_state_raises_trigger_state_error(
    change: dict[str, object], message: str
) -> None:
    good = CalendarIntervalTrigger(days=1, start_date="2026-01-01", timezone="UTC")
    trigger = CalendarIntervalTrigger.__new__(CalendarIntervalTrigger)
    with pytest.raises(TriggerStateError, match=message):
        trigger.__setstate__({**good.__getstate__(), **change})


def test_repr_reproduces_the_arguments() -> None:
    trigger = CalendarIntervalTrigger(
        months=1, hour=9, start_date="2026-01-31", timezone="Europe/Helsinki"
    )
    assert repr(trigger) == (
        "CalendarIntervalTrigger(months=1, hour=9, start_date='2026-01-31', "
        "timezone='Europe/Helsinki')"
    )
    trigger = CalendarIntervalTrigger(
        years=1,
        weeks=2,
        minute=5,
        second=7,
        start_date=date(2026, 1, 1),
        end_date="2030-01-01",
        timezone="UTC",
    )
    assert repr(trigger) == (
        "CalendarIntervalTrigger(years=1, weeks=2, minute=5, second=7, "
        "start_date='2026-01-01', end_date='2030-01-01', timezone='UTC')"
    )
    assert eval(repr(trigger)) == trigger


def test_equal_when_configured_equally() -> None:
    base = {"start_date": "2026-01-01", "timezone": "UTC"}
    first = CalendarIntervalTrigger(years=1, days=7, **base)
    second = CalendarIntervalTrigger(months=12, weeks=1, **base)
    second.next()
    assert first == second
    assert first != CalendarIntervalTrigger(years=1, days=7, hour=1, **base)
    assert first != CalendarIntervalTrigger(
        years=1, days=7, start_date="2026-01-01", timezone="Europe/Helsinki"
    )
    with pytest.raises(TypeError):
        hash(first)


@settings(max_examples=40, deadline=None)
@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)),
    interval=st.tuples(*(st.integers(0, 2),) * 4).filter(any),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
    zone=st.sampled_from([HELSINKI, NEW_YORK, LORD_HOWE, ZoneInfo("UTC")]),
    consumed=st.integers(0, 5),
)
def test_fire_times_are_aware_increasing_and_survive_restore(
    start: date,
    interval: tuple[int, int, int, int],
    hour: int,
    minute: int,
    zone: ZoneInfo,
    consumed: int,
) -> None:
    years, months, weeks, days = interval
    trigger = CalendarIntervalTrigger(
        years=years,
        months=months,
        weeks=weeks,
        days=days,
        hour=hour,
        minute=minute,
        start_date=start,
        timezone=zone,
    )
    times = take(trigger, consumed + 10)
    assert all(t.tzinfo is zone for t in times)
    stamps = instants(times)
    assert all(a < b for a, b in itertools.pairwise(stamps))
    assert_continues_after_restore(trigger, 10)
