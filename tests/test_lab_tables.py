"""fire_times: the table of a trigger's next fire times, and how it stops."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from apsnb import InvalidCrontab, NaiveDatetimeError
from apsnb.abc import Trigger
from apsnb.lab import LabWarning, check_trigger, fire_times
from apsnb.lab.tables import COLUMNS
from apsnb.triggers.combining import OrTrigger
from apsnb.triggers.cron import CronTrigger
from apsnb.triggers.date import DateTrigger
from apsnb.triggers.interval import IntervalTrigger

HELSINKI = ZoneInfo("Europe/Helsinki")


def helsinki_cron(expression: str, *start: int) -> CronTrigger:
    return CronTrigger.from_crontab(
        expression, timezone=HELSINKI, start_time=datetime(*start, tzinfo=HELSINKI)
    )


class CountingTrigger(Trigger):
    """Fires every minute from 2026-01-01 UTC; ``fail_at``/``hang_at`` break it there."""

    def __init__(self, fail_at: int | None = None, hang_at: int | None = None) -> None:
        self.calls = 0
        self.fail_at = fail_at
        self.hang_at = hang_at

    def next(self) -> datetime | None:
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("the data feed is down")
        while self.calls == self.hang_at:
            pass  # a bug: loops forever
        return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=self.calls - 1)

    def __getstate__(self) -> dict[str, Any]:
        return {"version": 1, "calls": self.calls, "fail_at": self.fail_at,
                "hang_at": self.hang_at}  # fmt: skip

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.calls = state["calls"]
        self.fail_at = state["fail_at"]
        self.hang_at = state["hang_at"]


class ListTrigger(CountingTrigger):
    """Returns the given values, then None."""

    def __init__(self, values: list[Any]) -> None:
        super().__init__()
        self.values = values

    def next(self) -> Any:
        self.calls += 1
        return self.values[self.calls - 1] if self.calls <= len(self.values) else None

    def __getstate__(self) -> dict[str, Any]:
        return {**super().__getstate__(), "values": self.values}

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self.values = state["values"]


def rows(table: pd.DataFrame) -> list[tuple[str, str, str, str, bool]]:
    """Each row as (local time, weekday, gap, offset, DST change), as text."""
    return [
        (time.isoformat(), weekday, str(gap), offset, bool(changed))
        for time, weekday, gap, offset, changed in zip(
            table["fire_time"], table["weekday"], table["gap"],
            table["utc_offset"], table["dst_change"], strict=True,
        )
    ]  # fmt: skip


def test_columns_and_types() -> None:
    table = fire_times(helsinki_cron("0 9 * * *", 2026, 1, 1), n=3)
    assert tuple(table.columns) == COLUMNS
    assert str(table["fire_time"].dtype) == "datetime64[us, Europe/Helsinki]"
    assert str(table["utc"].dtype) == "datetime64[us, UTC]"
    assert list(table["weekday"].cat.categories)[:2] == ["Monday", "Tuesday"]
    assert table["weekday"].cat.ordered
    assert table["gap"].dtype.kind == "m"
    assert table["dst_change"].dtype == bool
    assert table.attrs["stop_reason"] == "count"


def test_fixed_time_cron_across_spring_forward_in_helsinki() -> None:
    table = fire_times(helsinki_cron("30 3 * * *", 2026, 3, 27), n=4)
    assert rows(table) == [
        ("2026-03-27T03:30:00+02:00", "Friday", "NaT", "+02:00", False),
        ("2026-03-28T03:30:00+02:00", "Saturday", "1 days 00:00:00", "+02:00", False),
        ("2026-03-29T04:00:00+03:00", "Sunday", "0 days 23:30:00", "+03:00", True),
        ("2026-03-30T03:30:00+03:00", "Monday", "0 days 23:30:00", "+03:00", False),
    ]
    assert [t.isoformat() for t in table["utc"]] == [
        "2026-03-27T01:30:00+00:00",
        "2026-03-28T01:30:00+00:00",
        "2026-03-29T01:00:00+00:00",
        "2026-03-30T00:30:00+00:00",
    ]


def test_wildcard_cron_across_fall_back_shows_both_occurrences() -> None:
    table = fire_times(helsinki_cron("*/30 * * * *", 2026, 10, 25, 2, 30), n=5)
    assert rows(table) == [
        ("2026-10-25T02:30:00+03:00", "Sunday", "NaT", "+03:00", False),
        ("2026-10-25T03:00:00+03:00", "Sunday", "0 days 00:30:00", "+03:00", False),
        ("2026-10-25T03:30:00+03:00", "Sunday", "0 days 00:30:00", "+03:00", False),
        ("2026-10-25T03:00:00+02:00", "Sunday", "0 days 00:30:00", "+02:00", True),
        ("2026-10-25T03:30:00+02:00", "Sunday", "0 days 00:30:00", "+02:00", False),
    ]


def test_weekday_is_the_local_one() -> None:
    # 01:00 on Monday in Helsinki is 23:00 on Sunday in UTC.
    table = fire_times(helsinki_cron("0 1 * * mon", 2026, 1, 1), n=1)
    assert table["weekday"].tolist() == ["Monday"]
    assert table["utc"][0].day_name() == "Sunday"


def test_offsets_with_minutes_and_negative_offsets() -> None:
    newfoundland = ZoneInfo("America/St_Johns")
    start = datetime(2026, 1, 1, tzinfo=newfoundland)
    table = fire_times(IntervalTrigger(hours=1, start_time=start), n=2)
    assert table["utc_offset"].tolist() == ["-03:30", "-03:30"]


def test_n_limits_the_rows() -> None:
    table = fire_times(helsinki_cron("* * * * *", 2026, 1, 1), n=7)
    assert len(table) == 7
    assert table.attrs["stop_reason"] == "count"


def test_until_is_inclusive_and_stops_the_table() -> None:
    trigger = helsinki_cron("0 * * * *", 2026, 1, 1)
    table = fire_times(trigger, n=None, until=datetime(2026, 1, 1, 5, tzinfo=HELSINKI))
    assert table["fire_time"].dt.hour.tolist() == [0, 1, 2, 3, 4, 5]
    assert table.attrs["stop_reason"] == "until"


def test_start_skips_earlier_fire_times_and_accepts_iso_strings() -> None:
    trigger = helsinki_cron("0 * * * *", 2026, 1, 1)
    table = fire_times(trigger, n=2, start="2026-01-01T03:00:00+02:00")
    assert table["fire_time"].dt.hour.tolist() == [3, 4]
    assert pd.isna(table["gap"][0])


def test_finished_trigger_gives_an_empty_table_with_the_same_columns() -> None:
    trigger = DateTrigger(datetime(2026, 1, 1, tzinfo=HELSINKI))
    trigger.next()
    table = fire_times(trigger)
    assert table.empty
    assert tuple(table.columns) == COLUMNS
    assert table.attrs["stop_reason"] == "finished"
    assert table["gap"].dtype.kind == "m"


def test_trigger_that_finishes_after_some_rows() -> None:
    trigger = DateTrigger(datetime(2026, 1, 1, tzinfo=HELSINKI))
    table = fire_times(trigger, n=10)
    assert len(table) == 1
    assert table.attrs["stop_reason"] == "finished"


def test_users_trigger_is_not_advanced() -> None:
    trigger = helsinki_cron("0 9 * * *", 2026, 1, 1)
    before = trigger.__getstate__()
    fire_times(trigger, n=50)
    assert trigger.__getstate__() == before
    assert trigger.next() == datetime(2026, 1, 1, 9, tzinfo=HELSINKI)


def test_trigger_that_raises_gives_the_rows_before_and_a_warning() -> None:
    with pytest.warns(LabWarning, match=r"after 3 fire time.*RuntimeError: the data"):
        table = fire_times(CountingTrigger(fail_at=4), n=10)
    assert len(table) == 3
    assert table.attrs["stop_reason"] == "error"
    assert table.attrs["error"] == "RuntimeError: the data feed is down"


def test_trigger_that_hangs_returns_within_the_time_budget_with_a_warning() -> None:
    began = time.perf_counter()
    with pytest.warns(LabWarning, match="time budget ran out.*raise time_budget"):
        table = fire_times(CountingTrigger(hang_at=3), n=10, time_budget=0.3)
    assert time.perf_counter() - began < 2.0
    assert len(table) == 2
    assert table.attrs["stop_reason"] == "time_budget"


def test_a_value_that_is_not_an_aware_datetime_ends_the_table() -> None:
    good = datetime(2026, 1, 1, tzinfo=UTC)
    trigger = ListTrigger([good, good + timedelta(hours=1), datetime(2026, 1, 2)])
    with pytest.warns(
        LabWarning, match=r"next\(\) returned 2026-01-02 00:00:00 without tzinfo"
    ):
        table = fire_times(trigger)
    assert len(table) == 2
    assert table.attrs["stop_reason"] == "error"


def test_naive_fire_times_give_an_empty_table_and_what_check_trigger_says() -> None:
    naive = [datetime(2026, 1, 1, hour) for hour in range(3)]
    with pytest.warns(LabWarning, match="without tzinfo"):
        table = fire_times(ListTrigger(naive), n=3)
    assert (len(table), table.attrs["stop_reason"]) == (0, "error")
    assert table.attrs["error"].startswith("InvalidFireTime: ")
    [problem, *_] = check_trigger(ListTrigger(naive), n=3).errors
    assert f"{problem.values}. Fix: {problem.fix}" in table.attrs["error"]


def test_a_crontab_string_is_read_as_a_cron_trigger_in_the_local_zone() -> None:
    table = fire_times("*/5 * * * *", n=3)
    gaps = table["gap"].dropna().tolist()
    assert gaps == [pd.Timedelta(minutes=5)] * 2
    assert all(stamp.minute % 5 == 0 for stamp in table["fire_time"])
    with pytest.raises(InvalidCrontab):
        fire_times("*/5 * * *")


def test_fire_times_in_several_zones_are_shown_in_the_first_ones_zone() -> None:
    trigger = OrTrigger([
        IntervalTrigger(hours=5, start_time=datetime(2026, 1, 1, tzinfo=HELSINKI)),
        IntervalTrigger(hours=7, start_time=datetime(2026, 1, 1, tzinfo=UTC)),
    ])  # fmt: skip
    table = fire_times(trigger, n=3)
    assert [t.isoformat() for t in table["fire_time"]] == [
        "2026-01-01T00:00:00+02:00",
        "2026-01-01T02:00:00+02:00",
        "2026-01-01T05:00:00+02:00",
    ]
    assert table["utc_offset"].tolist() == ["+02:00"] * 3


@pytest.mark.parametrize("argument", ["until", "start"])
def test_naive_bounds_are_refused(argument: str) -> None:
    with pytest.raises(NaiveDatetimeError, match=f"{argument}=.*no time zone"):
        fire_times(
            helsinki_cron("0 9 * * *", 2026, 1, 1), **{argument: datetime(2026, 2, 1)}
        )


@pytest.mark.parametrize("n", [0, -3])
def test_n_below_one_is_refused(n: int) -> None:
    with pytest.raises(ValueError, match=f"n={n} asks for no fire times"):
        fire_times(helsinki_cron("0 9 * * *", 2026, 1, 1), n=n)


def test_n_must_be_a_whole_number() -> None:
    with pytest.raises(TypeError, match="whole number"):
        fire_times(helsinki_cron("0 9 * * *", 2026, 1, 1), n=2.5)  # type: ignore[arg-type]


def test_a_long_table_matches_python_row_by_row() -> None:
    trigger = helsinki_cron("*/7 1-4 * * *", 2026, 3, 1)
    table = fire_times(trigger, n=9000)  # to November: both changes
    expected = [trigger.next() for _ in range(9000)]
    assert [t.timestamp() for t in table["utc"]] == [t.timestamp() for t in expected]
    assert table["utc_offset"].tolist() == [t.isoformat()[-6:] for t in expected]
    assert table["weekday"].tolist() == [t.strftime("%A") for t in expected]
    assert table["dst_change"].sum() == 2
