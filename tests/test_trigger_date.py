from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.date import DateTrigger as A6DateTrigger

from apsnb._exceptions import (
    InvalidTriggerArgumentType,
    NaiveDatetimeError,
    TriggerStateError,
)
from apsnb.triggers.date import DateTrigger
from tests.helpers import assert_continues_after_restore, exact, restored, take

HELSINKI = ZoneInfo("Europe/Helsinki")


def test_fires_once_at_run_time() -> None:
    run_time = datetime(2026, 3, 29, 9, tzinfo=HELSINKI)
    trigger = DateTrigger(run_time)
    assert trigger.next() == run_time
    assert trigger.next() is None
    assert trigger.next() is None


def test_returns_run_time_in_its_own_zone() -> None:
    run_time = datetime(2026, 3, 29, 9, tzinfo=HELSINKI)
    assert DateTrigger(run_time).next().tzinfo is HELSINKI  # type: ignore[union-attr]


def test_iso_string_with_offset_is_accepted() -> None:
    trigger = DateTrigger("2026-03-29T09:00:00+03:00")
    assert exact(take(trigger, 5)) == ["2026-03-29T09:00:00+03:00"]


def test_second_occurrence_of_overlap_time_is_kept() -> None:
    run_time = datetime(2026, 10, 25, 3, 30, fold=1, tzinfo=HELSINKI)
    trigger = DateTrigger(run_time)
    assert exact(take(trigger, 1)) == ["2026-10-25T03:30:00+02:00"]


def test_matches_apscheduler() -> None:
    run_time = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert take(DateTrigger(run_time), 3) == take(A6DateTrigger(run_time), 3)


def test_naive_datetime_is_refused_with_a_hint() -> None:
    with pytest.raises(NaiveDatetimeError, match=r"run_time=.*has no time zone"):
        DateTrigger(datetime(2026, 1, 1))
    with pytest.raises(NaiveDatetimeError, match="ISO string with an offset"):
        DateTrigger("2026-01-01T09:00:00")


def test_wrong_type_is_refused() -> None:
    with pytest.raises(InvalidTriggerArgumentType, match="expected an aware datetime"):
        DateTrigger(12345)  # type: ignore[arg-type]
    with pytest.raises(InvalidTriggerArgumentType, match="ISO 8601"):
        DateTrigger("tomorrow")


def test_unnamed_tzinfo_is_refused() -> None:
    class Anonymous(tzinfo):
        def utcoffset(self, dt: datetime | None) -> timedelta:
            return timedelta(hours=1)

    with pytest.raises(InvalidTriggerArgumentType, match="ZoneInfo"):
        DateTrigger(datetime(2026, 1, 1, tzinfo=Anonymous()))


@pytest.mark.parametrize("consumed", [0, 1])
def test_restored_trigger_continues(consumed: int) -> None:
    trigger = DateTrigger(datetime(2026, 10, 25, 3, 30, fold=1, tzinfo=HELSINKI))
    take(trigger, consumed)
    assert_continues_after_restore(trigger)


def test_restored_run_time_keeps_its_zone() -> None:
    trigger = DateTrigger(datetime(2026, 3, 29, 9, tzinfo=HELSINKI))
    assert restored(trigger).next().tzinfo == HELSINKI


def test_state_is_plain_data() -> None:
    trigger = DateTrigger("2026-03-29T09:00:00+03:00")
    trigger.next()
    assert trigger.__getstate__() == {
        "version": 1,
        "run_time": "2026-03-29T09:00:00+03:00",
        "completed": True,
    }


@pytest.mark.parametrize(
    "state, message",
    [
        (
            {"version": 2, "run_time": "2026-01-01T00:00:00+00:00", "completed": False},
            "upgrade apsnb",
        ),
        ({"version": 1, "completed": False}, "lacks the key 'run_time'"),
        ({"version": 1, "run_time": "soon", "completed": False}, "malformed"),
        (
            {"version": 1, "run_time": "2026-01-01T00:00:00", "completed": False},
            "no UTC offset",
        ),
        (
            {"version": 1, "run_time": "2026-01-01T00:00:00+00:00", "completed": "no"},
            "malformed",
        ),
        ([1, 2], "expected a dict"),
    ],
)
def test_malformed_state_raises_trigger_state_error(
    state: object, message: str
) -> None:
    trigger = DateTrigger.__new__(DateTrigger)
    with pytest.raises(TriggerStateError, match=message):
        trigger.__setstate__(state)


def test_repr_reproduces_the_argument() -> None:
    trigger = DateTrigger(datetime(2026, 3, 29, 9, tzinfo=HELSINKI))
    assert repr(trigger) == "DateTrigger('2026-03-29T09:00:00+03:00')"
    assert eval(repr(trigger)).next() == trigger.next()


def test_equal_when_configured_equally() -> None:
    first = DateTrigger("2026-03-29T09:00:00+03:00")
    second = DateTrigger("2026-03-29T09:00:00+03:00")
    second.next()
    assert first == second
    assert first != DateTrigger("2026-03-29T09:00:01+03:00")
    assert first != DateTrigger(datetime(2026, 3, 29, 9, tzinfo=HELSINKI))
    assert first != "2026-03-29T09:00:00+03:00"
    with pytest.raises(TypeError):
        hash(first)
