from __future__ import annotations

import itertools
import pickle
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.interval import IntervalTrigger as A6IntervalTrigger
from hypothesis import given, settings
from hypothesis import strategies as st

from apsnb._exceptions import (
    InvalidTriggerArgument,
    InvalidTriggerArgumentType,
    NaiveDatetimeError,
    TriggerStateError,
)
from apsnb.triggers.interval import IntervalTrigger
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


def test_fires_at_start_time_then_every_interval() -> None:
    trigger = IntervalTrigger(minutes=90, start_time="2026-01-01T00:00:00+00:00")
    assert exact(take(trigger, 3)) == [
        "2026-01-01T00:00:00+00:00",
        "2026-01-01T01:30:00+00:00",
        "2026-01-01T03:00:00+00:00",
    ]


def test_all_units_add_up() -> None:
    trigger = IntervalTrigger(
        weeks=1,
        days=1,
        hours=1,
        minutes=1,
        seconds=1,
        microseconds=1,
        start_time="2026-01-01T00:00:00+00:00",
    )
    first, second = take(trigger, 2)
    assert second - first == timedelta(
        days=8, hours=1, minutes=1, seconds=1, microseconds=1
    )


def test_fractional_units_are_accepted() -> None:
    trigger = IntervalTrigger(hours=0.5, start_time="2026-01-01T00:00:00+00:00")
    assert exact(take(trigger, 2))[1] == "2026-01-01T00:30:00+00:00"


def test_start_time_defaults_to_now_in_local_zone() -> None:
    before = datetime.now(UTC)
    fire_time = IntervalTrigger(seconds=1).next()
    assert fire_time is not None and fire_time.tzinfo is not None
    assert before <= fire_time <= datetime.now(UTC)


def test_hourly_across_helsinki_spring_forward_is_3600_s_apart() -> None:
    trigger = IntervalTrigger(
        hours=1, start_time=datetime(2026, 3, 29, tzinfo=HELSINKI)
    )
    times = take(trigger, 6)
    assert exact(times) == [
        "2026-03-29T00:00:00+02:00",
        "2026-03-29T01:00:00+02:00",
        "2026-03-29T02:00:00+02:00",
        "2026-03-29T04:00:00+03:00",
        "2026-03-29T05:00:00+03:00",
        "2026-03-29T06:00:00+03:00",
    ]
    stamps = instants(times)
    assert {b - a for a, b in itertools.pairwise(stamps)} == {3600.0}


def test_hourly_across_helsinki_fall_back_fires_in_both_occurrences() -> None:
    trigger = IntervalTrigger(
        hours=1, start_time=datetime(2026, 10, 25, 2, tzinfo=HELSINKI)
    )
    times = take(trigger, 4)
    assert exact(times) == [
        "2026-10-25T02:00:00+03:00",
        "2026-10-25T03:00:00+03:00",
        "2026-10-25T03:00:00+02:00",
        "2026-10-25T04:00:00+02:00",
    ]
    assert [t.fold for t in times] == [0, 0, 1, 0]
    assert all(t.tzinfo is HELSINKI for t in times)


def test_apscheduler_repeats_an_instant_at_spring_forward_but_apsnb_does_not() -> None:
    start = datetime(2026, 3, 29, 1, tzinfo=HELSINKI)
    a6 = take(A6IntervalTrigger(hours=1, start_time=start), 4)
    ours = take(IntervalTrigger(hours=1, start_time=start), 4)
    assert (
        len(set(instants(a6))) == 3
    )  # a6: 03:00+02:00 and 04:00+03:00 are one instant
    assert instants(ours) == [instants(a6)[0] + 3600 * n for n in range(4)]


def test_matches_apscheduler_away_from_dst_changes() -> None:
    start = datetime(2026, 6, 1, 9, tzinfo=HELSINKI)
    a6 = A6IntervalTrigger(minutes=7, seconds=3, start_time=start)
    ours = IntervalTrigger(minutes=7, seconds=3, start_time=start)
    assert exact(take(ours, 50)) == exact(take(a6, 50))


def test_half_hourly_across_new_york_changes_keeps_elapsed_time() -> None:
    spring = IntervalTrigger(
        minutes=30, start_time=datetime(2026, 3, 8, 1, tzinfo=NEW_YORK)
    )
    assert exact(take(spring, 3)) == [
        "2026-03-08T01:00:00-05:00",
        "2026-03-08T01:30:00-05:00",
        "2026-03-08T03:00:00-04:00",
    ]
    fall = IntervalTrigger(
        minutes=30, start_time=datetime(2026, 11, 1, 1, tzinfo=NEW_YORK)
    )
    assert exact(take(fall, 5)) == [
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T01:30:00-05:00",
        "2026-11-01T02:00:00-05:00",
    ]


def test_lord_howe_half_hour_shifts_keep_elapsed_time() -> None:
    spring = IntervalTrigger(
        minutes=15, start_time=datetime(2026, 10, 4, 1, 45, tzinfo=LORD_HOWE)
    )
    assert exact(take(spring, 3)) == [
        "2026-10-04T01:45:00+10:30",
        "2026-10-04T02:30:00+11:00",
        "2026-10-04T02:45:00+11:00",
    ]
    fall = IntervalTrigger(
        minutes=15, start_time=datetime(2026, 4, 5, 1, 30, tzinfo=LORD_HOWE)
    )
    assert exact(take(fall, 5)) == [
        "2026-04-05T01:30:00+11:00",
        "2026-04-05T01:45:00+11:00",
        "2026-04-05T01:30:00+10:30",
        "2026-04-05T01:45:00+10:30",
        "2026-04-05T02:00:00+10:30",
    ]


def test_daily_interval_is_24_real_hours_not_same_wall_time() -> None:
    trigger = IntervalTrigger(
        days=1, start_time=datetime(2026, 3, 28, 9, tzinfo=HELSINKI)
    )
    assert exact(take(trigger, 2))[1] == "2026-03-29T10:00:00+03:00"


def test_end_time_is_inclusive() -> None:
    trigger = IntervalTrigger(
        hours=1, start_time="2026-01-01T00:00:00+00:00", end_time="2026-01-01T02:00:00Z"
    )
    assert len(take(trigger, 10)) == 3
    assert trigger.next() is None


def test_end_time_in_another_zone_is_compared_as_an_instant() -> None:
    trigger = IntervalTrigger(
        hours=1,
        start_time="2026-01-01T00:00:00+00:00",
        end_time="2026-01-01T03:59:00+02:00",
    )
    assert exact(take(trigger, 10))[-1] == "2026-01-01T01:00:00+00:00"


def test_stops_instead_of_overflowing_at_the_end_of_time() -> None:
    trigger = IntervalTrigger(days=1, start_time="9999-12-30T00:00:00+00:00")
    assert len(take(trigger, 5)) == 2


@pytest.mark.parametrize(
    "interval", [{}, {"seconds": 0}, {"hours": -1}, {"hours": 1, "minutes": -60}]
)
def test_interval_must_be_positive(interval: dict[str, float]) -> None:
    with pytest.raises(InvalidTriggerArgument, match="interval must be positive"):
        IntervalTrigger(**interval, start_time="2026-01-01T00:00:00Z")


def test_a_negative_interval_is_named_as_it_was_given() -> None:
    with pytest.raises(InvalidTriggerArgument) as caught:
        IntervalTrigger(minutes=-5, start_time="2026-01-01T00:00:00Z")
    assert str(caught.value).startswith("IntervalTrigger(minutes=-5): the interval")
    assert "days=-1" not in str(caught.value)
    with pytest.raises(InvalidTriggerArgument, match="'-1800 seconds'"):
        IntervalTrigger(hours=1, minutes=-90, start_time="2026-01-01T00:00:00Z")


def test_infinite_interval_is_refused() -> None:
    with pytest.raises(InvalidTriggerArgument, match="finite"):
        IntervalTrigger(seconds=float("inf"), start_time="2026-01-01T00:00:00Z")


def test_end_time_before_start_time_is_refused() -> None:
    with pytest.raises(InvalidTriggerArgument, match="end_time must not be earlier"):
        IntervalTrigger(
            hours=1, start_time="2026-01-01T00:00:00Z", end_time="2025-12-31T00:00:00Z"
        )


def test_naive_start_time_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError, match="start_time="):
        IntervalTrigger(hours=1, start_time=datetime(2026, 1, 1))
    with pytest.raises(NaiveDatetimeError, match="end_time="):
        IntervalTrigger(
            hours=1, start_time="2026-01-01T00:00:00Z", end_time="2026-01-02T00:00:00"
        )


def test_non_numeric_unit_is_refused() -> None:
    with pytest.raises(
        InvalidTriggerArgumentType, match="hours='1' is a str; expected a number"
    ):
        IntervalTrigger(hours="1")  # type: ignore[arg-type]
    with pytest.raises(InvalidTriggerArgumentType, match="expected a number"):
        IntervalTrigger(hours=True)


def test_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        IntervalTrigger(1)  # type: ignore[misc]


@pytest.mark.parametrize("consumed", [0, 1, 3])
def test_restored_trigger_continues_across_fall_back(consumed: int) -> None:
    trigger = IntervalTrigger(
        minutes=20,
        start_time=datetime(2026, 10, 25, 2, 20, tzinfo=HELSINKI),
        end_time="2026-10-25T04:00:00+02:00",
    )
    take(trigger, consumed)
    assert_continues_after_restore(trigger)


def test_restored_trigger_keeps_the_named_zone() -> None:
    trigger = IntervalTrigger(
        hours=12, start_time=datetime(2026, 3, 28, tzinfo=HELSINKI)
    )
    trigger.next()
    for how in ("json", "pickle"):
        copy = restored(trigger, how)
        assert copy.start_time.tzinfo is HELSINKI
        assert exact(take(copy, 3)) == [
            "2026-03-28T12:00:00+02:00",
            "2026-03-29T00:00:00+02:00",
            "2026-03-29T13:00:00+03:00",
        ]


def test_finished_trigger_stays_finished_after_restore() -> None:
    trigger = IntervalTrigger(
        hours=1, start_time="2026-01-01T00:00:00Z", end_time="2026-01-01T00:00:00Z"
    )
    take(trigger, 5)
    assert restored(trigger).next() is None
    assert pickle.loads(pickle.dumps(trigger)).next() is None


def test_state_is_plain_data() -> None:
    trigger = IntervalTrigger(
        hours=1, start_time=datetime(2026, 3, 29, tzinfo=HELSINKI)
    )
    trigger.next()
    assert trigger.__getstate__() == {
        "version": 1,
        "interval": {
            "weeks": 0,
            "days": 0,
            "hours": 1,
            "minutes": 0,
            "seconds": 0,
            "microseconds": 0,
        },
        "start_time": "2026-03-29T00:00:00+02:00[Europe/Helsinki]",
        "end_time": None,
        "next_fire_time": "2026-03-28T23:00:00+00:00",
    }


def _good_state() -> dict[str, object]:
    return IntervalTrigger(hours=1, start_time="2026-01-01T00:00:00Z").__getstate__()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"version": 3}, "reads up to version 1"),
        ({"version": "1"}, "no integer 'version'"),
        ({"interval": {"hours": 1}}, "lacks the key 'weeks'"),
        (
            {
                "interval": {
                    "weeks": 0,
                    "days": 0,
                    "hours": 0,
                    "minutes": 0,
                    "seconds": 0,
                    "microseconds": 0,
                }
            },
            "interval must be positive",
        ),
        (
            {"start_time": "2026-01-01T00:00:00+00:00[Mars/Olympus]"},
            "unknown time zone",
        ),
        ({"next_fire_time": 17}, "malformed"),
        ({"interval": [0, 0, 1, 0, 0, 0]}, "malformed"),
    ],
)
def test_malformed_state_raises_trigger_state_error(
    change: dict[str, object], message: str
) -> None:
    state = {**_good_state(), **change}
    trigger = IntervalTrigger.__new__(IntervalTrigger)
    with pytest.raises(TriggerStateError, match=message):
        trigger.__setstate__(state)


def test_repr_shows_the_given_arguments() -> None:
    trigger = IntervalTrigger(
        hours=1, start_time=datetime(2026, 3, 29, tzinfo=HELSINKI)
    )
    assert repr(trigger) == (
        "IntervalTrigger(hours=1, start_time='2026-03-29T00:00:00+02:00')"
    )
    trigger = IntervalTrigger(
        weeks=2,
        seconds=1.5,
        start_time="2026-01-01T00:00:00Z",
        end_time="2026-02-01T00:00:00Z",
    )
    assert repr(trigger) == (
        "IntervalTrigger(weeks=2, seconds=1.5, start_time='2026-01-01T00:00:00+00:00', "
        "end_time='2026-02-01T00:00:00+00:00')"
    )
    assert eval(repr(trigger)) == trigger


def test_equal_when_configured_equally() -> None:
    start = "2026-01-01T00:00:00Z"
    first = IntervalTrigger(weeks=1, start_time=start)
    second = IntervalTrigger(days=7, start_time=start)
    second.next()
    assert first == second
    assert first != IntervalTrigger(days=6, start_time=start)
    assert first != IntervalTrigger(
        weeks=1, start_time=start, end_time="2027-01-01T00:00Z"
    )
    assert first != IntervalTrigger(weeks=1, start_time="2026-01-01T02:00:00+02:00")
    with pytest.raises(TypeError):
        hash(first)


ZONES = st.sampled_from([HELSINKI, NEW_YORK, LORD_HOWE, ZoneInfo("UTC")])


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    start=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=ZONES
    ),
    seconds=st.integers(min_value=1, max_value=3 * 86400),
    consumed=st.integers(min_value=0, max_value=5),
)
def test_fire_times_are_aware_exactly_spaced_and_survive_restore(
    start: datetime, seconds: int, consumed: int
) -> None:
    trigger = IntervalTrigger(seconds=seconds, start_time=start)
    times = take(trigger, consumed + 10)
    assert all(t.tzinfo is start.tzinfo for t in times)
    # Subtract in UTC, exactly: float timestamps lose the microseconds near 2038.
    utc = [t.astimezone(UTC) for t in times]
    assert all(b - a == timedelta(seconds=seconds) for a, b in itertools.pairwise(utc))
    assert_continues_after_restore(trigger, 10)
