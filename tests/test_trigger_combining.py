from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.combining import AndTrigger as A6AndTrigger
from apscheduler.triggers.combining import OrTrigger as A6OrTrigger
from apscheduler.triggers.cron import CronTrigger as A6CronTrigger
from apscheduler.triggers.interval import IntervalTrigger as A6IntervalTrigger
from hypothesis import given, settings
from hypothesis import strategies as st

from apsnb._exceptions import (
    InvalidTriggerArgument,
    InvalidTriggerArgumentType,
    MaxIterationsReached,
    TriggerStateError,
)
from apsnb.triggers.calendarinterval import CalendarIntervalTrigger
from apsnb.triggers.combining import AndTrigger, OrTrigger
from apsnb.triggers.cron import CronTrigger
from apsnb.triggers.date import DateTrigger
from apsnb.triggers.interval import IntervalTrigger
from tests.helpers import (
    FixedTimesTrigger,
    assert_continues_after_restore,
    exact,
    instants,
    restored,
    take,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def at(*seconds: float) -> FixedTimesTrigger:
    """A trigger firing the given numbers of seconds after EPOCH."""
    return FixedTimesTrigger([EPOCH + timedelta(seconds=s) for s in seconds])


def offsets(times: list[datetime]) -> list[float]:
    return [(t - EPOCH).total_seconds() for t in times]


# --- AndTrigger -------------------------------------------------------------------


def test_and_fires_where_interval_and_cron_agree() -> None:
    trigger = AndTrigger(
        [
            IntervalTrigger(hours=6, start_time=EPOCH),
            CronTrigger(hour="*/4", timezone="UTC", start_time=EPOCH),
        ]
    )
    assert exact(take(trigger, 3)) == [
        "2026-01-01T00:00:00+00:00",
        "2026-01-01T12:00:00+00:00",
        "2026-01-02T00:00:00+00:00",
    ]


def test_and_matches_apscheduler_on_whole_second_schedules() -> None:
    ours = AndTrigger(
        [
            IntervalTrigger(minutes=45, start_time=EPOCH),
            CronTrigger(minute="*/30", timezone="UTC", start_time=EPOCH),
        ]
    )
    a6 = A6AndTrigger(
        [
            A6IntervalTrigger(minutes=45, start_time=EPOCH),
            A6CronTrigger(minute="*/30", timezone="UTC", start_time=EPOCH),
        ]
    )
    assert exact(take(ours, 10)) == exact(take(a6, 10))


def test_and_with_fractional_threshold_finds_the_agreement_a6_skips() -> None:
    ours = AndTrigger([at(0, 1.0, 9), at(0.8, 2.5, 9), at(1.5, 4.0, 9)], threshold=1)
    assert offsets(take(ours, 2)) == [0.8, 9]
    a6 = A6AndTrigger([at(0, 1.0, 9), at(0.8, 2.5, 9), at(1.5, 4.0, 9)], threshold=1)
    assert offsets(take(a6, 2)) == [9]


def test_and_returns_the_earliest_of_agreeing_times() -> None:
    trigger = AndTrigger([at(10.4, 20), at(10.0, 20.2), at(10.9, 21)], threshold=1)
    assert offsets(take(trigger, 5)) == [10.0, 20.0]


def test_and_threshold_is_inclusive() -> None:
    trigger = AndTrigger([at(0, 10), at(0.5, 10.500001)], threshold=0.5)
    assert offsets(take(trigger, 5)) == [0]


def test_and_compares_real_instants_not_wall_times() -> None:
    first = datetime(2026, 10, 25, 3, 30, tzinfo=HELSINKI)
    second = first.replace(fold=1)  # the same wall time an hour later
    trigger = AndTrigger(
        [FixedTimesTrigger([first]), FixedTimesTrigger([second])], threshold=0
    )
    assert take(trigger, 5) == []
    same_instant = AndTrigger(
        [FixedTimesTrigger([second]), FixedTimesTrigger(["2026-10-25T01:30:00+00:00"])],
        threshold=0,
    )
    assert exact(take(same_instant, 5)) == ["2026-10-25T03:30:00+02:00"]


def test_and_is_finished_when_any_child_is_finished() -> None:
    trigger = AndTrigger(
        [IntervalTrigger(seconds=1, start_time=EPOCH), at(2, 4)], threshold=0
    )
    assert offsets(take(trigger, 10)) == [2, 4]
    assert trigger.next() is None


def test_and_raises_max_iterations_reached_with_a_trace() -> None:
    trigger = AndTrigger(
        [
            IntervalTrigger(hours=2, start_time=EPOCH),
            IntervalTrigger(hours=2, start_time=EPOCH + timedelta(hours=1)),
        ],
        threshold=0.5,
        max_iterations=20,
    )
    with pytest.raises(MaxIterationsReached) as caught:
        trigger.next()
    error = caught.value
    assert error.max_iterations == 20
    assert error.threshold_seconds == 0.5
    assert len(error.trace) == 5
    assert all(len(row) == 2 for row in error.trace)
    assert instants(error.trace[-1]) != instants(error.trace[0])
    message = str(error)
    assert "no fire times within 0.5 s of each other in 20 iterations" in message
    assert "raise threshold or max_iterations" in message
    assert error.trace[-1][0].isoformat() in message


def test_and_state_round_trip_continues() -> None:
    trigger = AndTrigger(
        [
            IntervalTrigger(
                hours=12, start_time=datetime(2026, 3, 27, tzinfo=HELSINKI)
            ),
            CalendarIntervalTrigger(days=1, start_date="2026-03-27", timezone=HELSINKI),
        ],
        threshold=3600,
    )
    take(trigger, 2)
    assert_continues_after_restore(trigger, 10)


def test_and_state_holds_children_and_pending_zoned_times() -> None:
    trigger = AndTrigger(
        [DateTrigger(datetime(2026, 3, 29, 9, tzinfo=HELSINKI)), at(0)],
        threshold=2.5,
        max_iterations=7,
    )
    assert trigger.__getstate__()["next_fire_times"] is None
    trigger._start()
    state = trigger.__getstate__()
    assert state["threshold"] == 2.5
    assert state["max_iterations"] == 7
    assert state["triggers"][0]["type"] == "apsnb.triggers.date:DateTrigger"
    assert state["next_fire_times"] == [
        "2026-03-29T09:00:00+03:00[Europe/Helsinki]",
        "2026-01-01T00:00:00+00:00",
    ]
    pending = restored(trigger)._pending
    assert pending[0].tzinfo is HELSINKI


def test_and_repr_shows_non_default_arguments() -> None:
    children = [DateTrigger("2026-01-01T00:00:00+00:00")]
    assert repr(AndTrigger(children)) == (
        "AndTrigger([DateTrigger('2026-01-01T00:00:00+00:00')])"
    )
    assert repr(AndTrigger(children, threshold=0.5, max_iterations=50)) == (
        "AndTrigger([DateTrigger('2026-01-01T00:00:00+00:00')], threshold=0.5, "
        "max_iterations=50)"
    )
    assert repr(AndTrigger(children, threshold=timedelta(minutes=1))).endswith(
        "threshold=60)"
    )


def test_and_equal_when_configured_equally() -> None:
    def make(threshold: float = 1) -> AndTrigger:
        return AndTrigger(
            [IntervalTrigger(hours=1, start_time=EPOCH), at(0)], threshold=threshold
        )

    first, second = make(), make()
    second.next()
    assert first == second
    assert first != make(2)
    assert first != OrTrigger(first.triggers)
    with pytest.raises(TypeError):
        hash(first)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"triggers": []}, InvalidTriggerArgument, "give at least one trigger"),
        ({"triggers": [1]}, InvalidTriggerArgumentType, "an apsnb.abc.Trigger"),
        (
            {"triggers": DateTrigger("2026-01-01T00:00Z")},
            InvalidTriggerArgumentType,
            "a list of triggers",
        ),
        (
            {"triggers": [at(0)], "threshold": -1},
            InvalidTriggerArgument,
            "threshold must not be negative",
        ),
        (
            {"triggers": [at(0)], "threshold": "1s"},
            InvalidTriggerArgumentType,
            "a timedelta or a finite number of seconds",
        ),
        (
            {"triggers": [at(0)], "threshold": float("inf")},
            InvalidTriggerArgumentType,
            "a timedelta or a finite number of seconds",
        ),
        (
            {"triggers": [at(0)], "max_iterations": 0},
            InvalidTriggerArgument,
            "max_iterations must be 1 or more",
        ),
    ],
)
def test_and_bad_arguments_are_refused(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        AndTrigger(**kwargs)  # type: ignore[arg-type]


# --- OrTrigger --------------------------------------------------------------------


def test_or_fires_at_every_childs_times_in_order() -> None:
    trigger = OrTrigger([at(0, 5, 10), at(3, 7)])
    assert offsets(take(trigger, 10)) == [0, 3, 5, 7, 10]


def test_or_emits_an_instant_shared_by_several_children_once() -> None:
    trigger = OrTrigger(
        [
            FixedTimesTrigger(
                ["2026-01-01T02:00:00+02:00", "2026-01-01T05:00:00+02:00"]
            ),
            FixedTimesTrigger(["2026-01-01T00:00:00+00:00"]),
            at(0, 3600),
        ]
    )
    assert exact(take(trigger, 10)) == [
        "2026-01-01T02:00:00+02:00",
        "2026-01-01T01:00:00+00:00",
        "2026-01-01T05:00:00+02:00",
    ]


def test_or_keeps_both_occurrences_of_an_overlap_wall_time() -> None:
    first = datetime(2026, 10, 25, 3, 30, tzinfo=HELSINKI)
    trigger = OrTrigger(
        [FixedTimesTrigger([first.replace(fold=1)]), FixedTimesTrigger([first])]
    )
    assert exact(take(trigger, 5)) == [
        "2026-10-25T03:30:00+03:00",
        "2026-10-25T03:30:00+02:00",
    ]


def test_or_is_finished_when_every_child_is_finished() -> None:
    trigger = OrTrigger([at(0), at(1, 2)])
    assert offsets(take(trigger, 10)) == [0, 1, 2]
    assert trigger.next() is None


def test_or_matches_apscheduler() -> None:
    ours = OrTrigger(
        [
            IntervalTrigger(minutes=25, start_time=EPOCH),
            CronTrigger(minute="*/20", timezone="UTC", start_time=EPOCH),
        ]
    )
    a6 = A6OrTrigger(
        [
            A6IntervalTrigger(minutes=25, start_time=EPOCH),
            A6CronTrigger(minute="*/20", timezone="UTC", start_time=EPOCH),
        ]
    )
    assert exact(take(ours, 20)) == exact(take(a6, 20))


@pytest.mark.parametrize("consumed", [0, 1, 4])
def test_or_state_round_trip_continues_across_dst(consumed: int) -> None:
    trigger = OrTrigger(
        [
            IntervalTrigger(
                minutes=50, start_time=datetime(2026, 10, 25, 2, tzinfo=HELSINKI)
            ),
            CalendarIntervalTrigger(
                days=1, hour=3, minute=30, start_date="2026-10-24", timezone=HELSINKI
            ),
            DateTrigger("2026-10-25T03:20:00+02:00"),
        ]
    )
    take(trigger, consumed)
    assert_continues_after_restore(trigger, 10)


def test_or_repr_and_equality() -> None:
    trigger = OrTrigger([DateTrigger("2026-01-01T00:00:00+00:00")])
    assert repr(trigger) == "OrTrigger([DateTrigger('2026-01-01T00:00:00+00:00')])"
    assert eval(repr(trigger)) == trigger
    assert trigger != OrTrigger([DateTrigger("2026-01-02T00:00:00+00:00")])


def test_or_refuses_an_empty_list() -> None:
    with pytest.raises(InvalidTriggerArgument, match=r"OrTrigger\(triggers=\[\]\)"):
        OrTrigger([])


# --- state errors -----------------------------------------------------------------


def _state() -> dict[str, object]:
    trigger = OrTrigger([at(0, 1), at(2)])
    trigger.next()
    return trigger.__getstate__()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"version": 2}, "upgrade apsnb"),
        ({"next_fire_times": ["2026-01-01T00:00:00+00:00"]}, "does not match"),
        ({"next_fire_times": ["then", None]}, "malformed"),
        ({"triggers": [{"type": "builtins:dict", "state": {}}]}, "not a Trigger"),
        (
            {
                "triggers": [
                    {"type": "apsnb.triggers.date:DateTrigger", "state": {"version": 1}}
                ]
            },
            "lacks the key 'run_time'",
        ),
        ({"triggers": [{"state": {}}]}, "lacks the key 'type'"),
    ],
)
@pytest.mark.parametrize("cls", [AndTrigger, OrTrigger])
def test_malformed_state_raises_trigger_state_error(
    cls: type[AndTrigger | OrTrigger], change: dict[str, object], message: str
) -> None:
    state = {**_state(), "threshold": 1.0, "max_iterations": 100, **change}
    with pytest.raises(TriggerStateError, match=message):
        cls.__new__(cls).__setstate__(state)


def test_and_state_with_bad_threshold_raises_trigger_state_error() -> None:
    state = {**_state(), "threshold": "soon", "max_iterations": 100}
    with pytest.raises(TriggerStateError, match="malformed"):
        AndTrigger.__new__(AndTrigger).__setstate__(state)


# --- invariants -------------------------------------------------------------------


interval_seconds = st.integers(min_value=1, max_value=7200)
start_offsets = st.integers(min_value=0, max_value=7200)


@settings(max_examples=30, deadline=None)
@given(
    children=st.lists(
        st.tuples(interval_seconds, start_offsets), min_size=1, max_size=3
    ),
    consumed=st.integers(0, 5),
)
def test_or_is_the_sorted_union_of_its_children(
    children: list[tuple[int, int]], consumed: int
) -> None:
    def make() -> list[IntervalTrigger]:
        return [
            IntervalTrigger(
                seconds=step,
                start_time=EPOCH + timedelta(seconds=at),
                end_time=EPOCH + timedelta(days=1),
            )
            for step, at in children
        ]

    expected = sorted({s for child in make() for s in instants(take(child, 30))})[:30]
    trigger = OrTrigger(make())
    assert instants(take(trigger, 30)) == expected
    trigger = OrTrigger(make())
    take(trigger, consumed)
    assert_continues_after_restore(trigger, 10)


@settings(max_examples=30, deadline=None)
@given(
    steps=st.tuples(
        st.sampled_from([60, 90, 120, 300]), st.sampled_from([45, 60, 150])
    ),
    threshold=st.sampled_from([0, 0.5, 10, 29.5]),
    consumed=st.integers(0, 3),
)
def test_and_times_are_aware_increasing_and_agreeing(
    steps: tuple[int, int], threshold: float, consumed: int
) -> None:
    children = [
        IntervalTrigger(seconds=steps[0], start_time=EPOCH),
        IntervalTrigger(seconds=steps[1], start_time=EPOCH),
    ]
    trigger = AndTrigger(children, threshold=threshold)
    times = take(trigger, 8)
    assert all(t.tzinfo is not None for t in times)
    assert all(a < b for a, b in itertools.pairwise(instants(times)))
    trigger = AndTrigger(
        [
            IntervalTrigger(seconds=steps[0], start_time=EPOCH),
            IntervalTrigger(seconds=steps[1], start_time=EPOCH),
        ],
        threshold=threshold,
    )
    take(trigger, consumed)
    assert_continues_after_restore(trigger, 5)
