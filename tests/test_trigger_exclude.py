from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apsnb._exceptions import (
    InvalidTriggerArgument,
    InvalidTriggerArgumentType,
    MaxSkipsReached,
    TriggerStateError,
)
from apsnb.triggers.calendarinterval import CalendarIntervalTrigger
from apsnb.triggers.cron import CronTrigger
from apsnb.triggers.date import DateTrigger
from apsnb.triggers.exclude import ExcludeTrigger
from apsnb.triggers.interval import IntervalTrigger
from tests.helpers import (
    FixedTimesTrigger,
    assert_continues_after_restore,
    exact,
    instants,
    take,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def daily(
    hour: int = 9, zone: str = "Europe/Helsinki", start: str = "2026-12-22"
) -> CalendarIntervalTrigger:
    return CalendarIntervalTrigger(days=1, hour=hour, start_date=start, timezone=zone)


def days(times: list[datetime]) -> list[str]:
    return [t.date().isoformat() for t in times]


def test_holidays_are_skipped() -> None:
    trigger = ExcludeTrigger(daily(), dates=["2026-12-24", date(2026, 12, 25)])
    assert days(take(trigger, 4)) == [
        "2026-12-22",
        "2026-12-23",
        "2026-12-26",
        "2026-12-27",
    ]


def test_one_date_may_be_given_alone() -> None:
    trigger = ExcludeTrigger(daily(), dates="2026-12-23")
    assert days(take(trigger, 2)) == ["2026-12-22", "2026-12-24"]


def test_dates_are_judged_in_the_fire_times_own_zone() -> None:
    # 00:30 in Helsinki on the 24th is still the 23rd in UTC.
    trigger = ExcludeTrigger(
        CalendarIntervalTrigger(
            days=1, minute=30, start_date="2026-12-23", timezone=HELSINKI
        ),
        dates=["2026-12-24"],
    )
    assert exact(take(trigger, 2)) == [
        "2026-12-23T00:30:00+02:00",
        "2026-12-25T00:30:00+02:00",
    ]


def test_weekday_cron_except_holidays() -> None:
    cron = CronTrigger(
        day_of_week="mon-fri",
        hour=9,
        timezone="Europe/Helsinki",
        start_time="2026-12-21T00:00:00+02:00",
    )
    trigger = ExcludeTrigger(cron, dates=["2026-12-24", "2026-12-25"])
    assert days(take(trigger, 4)) == [
        "2026-12-21",
        "2026-12-22",
        "2026-12-23",
        "2026-12-28",
    ]


def test_fire_times_of_another_trigger_are_skipped() -> None:
    every_hour = IntervalTrigger(hours=1, start_time=EPOCH)
    every_third = IntervalTrigger(hours=3, start_time=EPOCH)
    trigger = ExcludeTrigger(every_hour, triggers=every_third)
    assert [t.hour for t in take(trigger, 6)] == [1, 2, 4, 5, 7, 8]


def test_coincidence_is_by_real_instant_across_zones() -> None:
    trigger = ExcludeTrigger(
        IntervalTrigger(hours=1, start_time=datetime(2026, 1, 1, tzinfo=HELSINKI)),
        triggers=[DateTrigger("2026-01-01T00:00:00+00:00")],
    )
    assert exact(take(trigger, 3)) == [
        "2026-01-01T00:00:00+02:00",
        "2026-01-01T01:00:00+02:00",
        "2026-01-01T03:00:00+02:00",
    ]


def test_overlap_occurrences_are_told_apart() -> None:
    first = datetime(2026, 10, 25, 3, 30, tzinfo=HELSINKI)
    second = first.replace(fold=1)
    trigger = ExcludeTrigger(
        FixedTimesTrigger([first, second]), triggers=FixedTimesTrigger([second])
    )
    assert exact(take(trigger, 5)) == ["2026-10-25T03:30:00+03:00"]


def test_dates_and_triggers_combine() -> None:
    trigger = ExcludeTrigger(
        IntervalTrigger(days=1, start_time=EPOCH),
        dates=["2026-01-02"],
        triggers=[
            DateTrigger("2026-01-04T00:00:00Z"),
            DateTrigger("2026-01-05T02:00Z"),
        ],
    )
    assert days(take(trigger, 4)) == [
        "2026-01-01",
        "2026-01-03",
        "2026-01-05",
        "2026-01-06",
    ]


def test_finished_excluding_trigger_excludes_nothing_more() -> None:
    trigger = ExcludeTrigger(
        IntervalTrigger(hours=1, start_time=EPOCH), triggers=DateTrigger(EPOCH)
    )
    assert [t.hour for t in take(trigger, 3)] == [1, 2, 3]


def test_is_finished_when_the_trigger_is_finished() -> None:
    trigger = ExcludeTrigger(FixedTimesTrigger([EPOCH]), dates=["2026-01-02"])
    assert take(trigger, 3) == [EPOCH]
    assert trigger.next() is None


def test_everything_excluded_raises_max_skips_reached() -> None:
    every_hour = IntervalTrigger(hours=1, start_time=EPOCH)
    trigger = ExcludeTrigger(
        every_hour, triggers=IntervalTrigger(minutes=30, start_time=EPOCH), max_skips=50
    )
    with pytest.raises(MaxSkipsReached) as caught:
        trigger.next()
    assert caught.value.max_skips == 50
    assert str(caught.value) == (
        "every one of 50 fire times in a row, from 2026-01-01T00:00:00+00:00 to "
        "2026-01-03T01:00:00+00:00, was excluded. Check that the excluded dates and "
        "triggers leave some fire times, or raise max_skips"
    )


def test_max_skips_counts_skips_in_a_row_only() -> None:
    trigger = ExcludeTrigger(
        IntervalTrigger(days=1, start_time=EPOCH),
        dates=[date(2026, 1, 2) + timedelta(days=n) for n in range(9)] + ["2026-01-12"],
        max_skips=10,
    )
    assert days(take(trigger, 3)) == ["2026-01-01", "2026-01-11", "2026-01-13"]


@pytest.mark.parametrize("consumed", [0, 1, 3])
def test_restored_trigger_continues(consumed: int) -> None:
    trigger = ExcludeTrigger(
        IntervalTrigger(
            minutes=30, start_time=datetime(2026, 10, 25, 2, tzinfo=HELSINKI)
        ),
        dates=["2026-10-26"],
        triggers=[
            CronTrigger(
                minute=0,
                hour="*/2",
                timezone="Europe/Helsinki",
                start_time="2026-10-25T00:00:00+03:00",
            )
        ],
    )
    take(trigger, consumed)
    assert_continues_after_restore(trigger, 40)


def test_state_is_plain_data() -> None:
    trigger = ExcludeTrigger(
        FixedTimesTrigger([EPOCH]),
        dates=["2026-12-25", "2026-01-06"],
        triggers=DateTrigger("2026-01-01T00:00:00Z"),
        max_skips=5,
    )
    assert trigger.next() is None
    assert trigger.__getstate__() == {
        "version": 1,
        "trigger": {
            "type": "tests.helpers:FixedTimesTrigger",
            "state": {"version": 1, "times": ["2026-01-01T00:00:00+00:00"], "index": 1},
        },
        "dates": ["2026-01-06", "2026-12-25"],
        "triggers": [
            {
                "type": "apsnb.triggers.date:DateTrigger",
                "state": {
                    "version": 1,
                    "run_time": "2026-01-01T00:00:00+00:00",
                    "completed": True,
                },
            }
        ],
        "max_skips": 5,
        "next_excluded_times": ["2026-01-01T00:00:00+00:00"],
    }


@pytest.mark.parametrize(
    "change, message",
    [
        ({"version": 9}, "upgrade apsnb"),
        ({"dates": ["Christmas"]}, "malformed"),
        ({"next_excluded_times": []}, "does not match"),
        ({"trigger": {"type": "builtins:int", "state": 1}}, "not a Trigger"),
        ({"max_skips": "many"}, "malformed"),
    ],
)
def test_malformed_state_raises_trigger_state_error(
    change: dict[str, object], message: str
) -> None:
    good = ExcludeTrigger(daily(), triggers=[DateTrigger(EPOCH)])
    good.next()
    trigger = ExcludeTrigger.__new__(ExcludeTrigger)
    with pytest.raises(TriggerStateError, match=message):
        trigger.__setstate__({**good.__getstate__(), **change})


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({}, InvalidTriggerArgument, r"nothing to exclude: give dates=\[...\]"),
        ({"dates": ["24.12.2026"]}, InvalidTriggerArgumentType, "an ISO date string"),
        ({"dates": 20261224}, InvalidTriggerArgumentType, "a list of dates"),
        (
            {"triggers": ["daily"]},
            InvalidTriggerArgumentType,
            r"an apsnb\.abc\.Trigger",
        ),
        (
            {"dates": ["2026-12-24"], "max_skips": 0},
            InvalidTriggerArgument,
            "max_skips must be 1 or more",
        ),
    ],
)
def test_bad_arguments_are_refused(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        ExcludeTrigger(daily(), **kwargs)  # type: ignore[arg-type]


def test_trigger_must_be_a_trigger() -> None:
    with pytest.raises(
        InvalidTriggerArgumentType, match=r"expected an apsnb\.abc\.Trigger"
    ):
        ExcludeTrigger("0 9 * * *", dates=["2026-12-24"])  # type: ignore[arg-type]


def test_repr_reproduces_the_arguments() -> None:
    trigger = ExcludeTrigger(
        DateTrigger("2026-12-24T09:00:00+02:00"),
        dates=["2026-12-25", date(2026, 12, 24)],
    )
    assert repr(trigger) == (
        "ExcludeTrigger(DateTrigger('2026-12-24T09:00:00+02:00'), "
        "dates=['2026-12-24', '2026-12-25'])"
    )
    assert eval(repr(trigger)) == trigger
    trigger = ExcludeTrigger(
        DateTrigger("2026-12-24T09:00:00+02:00"),
        triggers=DateTrigger("2026-12-24T07:00:00+00:00"),
        max_skips=3,
    )
    assert repr(trigger) == (
        "ExcludeTrigger(DateTrigger('2026-12-24T09:00:00+02:00'), "
        "triggers=[DateTrigger('2026-12-24T07:00:00+00:00')], max_skips=3)"
    )
    assert eval(repr(trigger)) == trigger


def test_equal_when_configured_equally() -> None:
    first = ExcludeTrigger(daily(), dates=["2026-12-24", "2026-12-25"])
    second = ExcludeTrigger(daily(), dates=[date(2026, 12, 25), "2026-12-24"])
    second.next()
    assert first == second
    assert first != ExcludeTrigger(daily(), dates=["2026-12-24"])
    assert first != ExcludeTrigger(daily(hour=10), dates=["2026-12-24", "2026-12-25"])
    with pytest.raises(TypeError):
        hash(first)


@settings(max_examples=30, deadline=None)
@given(
    step=st.integers(min_value=60, max_value=7200),
    excluded_step=st.integers(min_value=60, max_value=7200),
    consumed=st.integers(0, 5),
)
def test_result_is_the_difference_of_fire_time_sets(
    step: int, excluded_step: int, consumed: int
) -> None:
    def make() -> ExcludeTrigger:
        return ExcludeTrigger(
            IntervalTrigger(
                seconds=step,
                start_time=datetime(2026, 10, 24, tzinfo=HELSINKI),
                end_time="2026-10-26T00:00:00+02:00",
            ),
            triggers=IntervalTrigger(
                seconds=excluded_step, start_time="2026-10-24T00:00:00+03:00"
            ),
            max_skips=100000,
        )

    times = take(make(), 100000)
    assert all(t.tzinfo is HELSINKI for t in times)
    assert all(a < b for a, b in itertools.pairwise(instants(times)))
    start = datetime(2026, 10, 24, tzinfo=HELSINKI).timestamp()
    end = datetime(2026, 10, 26, tzinfo=HELSINKI).timestamp()  # 49 hours later
    assert instants(times) == [
        start + n * step
        for n in range(int(end - start) // step + 1)
        if n * step % excluded_step != 0
    ]
    trigger = make()
    take(trigger, consumed)
    assert_continues_after_restore(trigger, 10)
