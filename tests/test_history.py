"""The run history as a table (apsnb.history) and in the dashboard's history panel."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pandas as pd
import pytest

from apsnb import (
    AsyncScheduler,
    JobOutcome,
    JobReleased,
    RunRecord,
    Scheduler,
    UnknownStoreLocation,
)
from apsnb.datastores.sqlite import SQLiteDataStore
from apsnb.history import COLUMNS, run_history, runs_frame
from apsnb.triggers.date import DateTrigger
from apsnb.widgets import ScheduleDashboard

from .jobfuncs import fail, scaled_sum

HOUR = timedelta(hours=1)


def record(hours_ago: float, **fields: object) -> RunRecord:
    finished = datetime(2026, 3, 30, 12, tzinfo=UTC) - hours_ago * HOUR
    fields.setdefault("task_id", "reports:build")
    fields.setdefault("outcome", JobOutcome.success)
    return RunRecord(finished_at=finished, **fields)  # type: ignore[arg-type]


def test_a_table_of_records_keeps_their_order_and_types() -> None:
    started = datetime(2026, 3, 30, 10, 59, tzinfo=UTC)
    records = [
        record(1, schedule_id="daily", started_at=started, output_path="/runs/a.ipynb"),
        record(
            2, schedule_id="daily", outcome=JobOutcome.coalesced, reason="coalesced…"
        ),
    ]
    frame = runs_frame(records)
    assert list(frame.columns) == list(COLUMNS)
    assert list(frame["outcome"]) == ["success", "coalesced"]
    assert frame["finished_at"].iloc[0] == pd.Timestamp("2026-03-30 11:00", tz="UTC")
    assert frame["duration"].iloc[0] == pd.Timedelta(minutes=1)
    assert pd.isna(frame["duration"].iloc[1])
    assert frame["output_path"].iloc[0] == "/runs/a.ipynb"
    assert runs_frame([]).empty and list(runs_frame([]).columns) == list(COLUMNS)


def test_run_history_of_an_sqlite_file_is_newest_first_and_filtered(
    tmp_path: Path,
) -> None:
    path = tmp_path / "jobs.sqlite"
    with Scheduler(path, identity="history") as scheduler:
        scheduler.start_in_background()
        for schedule_id, func in (("sum", scaled_sum), ("fail", fail)):
            scheduler.add_schedule(
                func, DateTrigger(datetime.now(UTC)), id=schedule_id, args=("x",)
                if func is fail else (1, 2),
            )  # fmt: skip
        deadline = time.monotonic() + 10
        while len(scheduler.get_runs()) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        table = run_history(scheduler)
    assert sorted(table["schedule_id"]) == ["fail", "sum"]
    assert table["finished_at"].is_monotonic_decreasing
    from_file = run_history(path, schedule_id="fail")
    assert list(from_file["outcome"]) == ["error"]
    assert from_file["exception_type"].iloc[0] == "ZeroDivisionError"
    later = run_history(path, since=datetime.now(UTC) + HOUR)
    assert later.empty
    with pytest.raises(UnknownStoreLocation, match="no SQLite file"):
        run_history(tmp_path / "typo.sqlite")
    assert not (tmp_path / "typo.sqlite").exists()


@pytest.mark.anyio
async def test_the_dashboard_history_shows_the_store_s_runs_after_a_restart(
    tmp_path: Path,
) -> None:
    path = tmp_path / "jobs.sqlite"
    # A kernel that ran a job, then went away...
    async with AsyncScheduler(path, identity="before") as scheduler:
        released: list[JobReleased] = []
        scheduler.subscribe(released.append, JobReleased)
        await scheduler.start_in_background()
        await scheduler.add_schedule(
            fail, DateTrigger(datetime.now(UTC)), id="<b>report</b>", args=("bad <i>",)
        )
        with anyio.fail_after(10):
            while not released:
                await anyio.sleep(0.01)
    store = SQLiteDataStore(path)
    assert len(store.get_runs()) == 1
    store.stop()
    # ...and a new one, whose dashboard reads the history from the file.
    async with AsyncScheduler(path, identity="after") as scheduler:
        dashboard = ScheduleDashboard(scheduler, refresh_interval=0.05)
        try:
            await dashboard.refresh()
            shown = dashboard.history.table.value
        finally:
            dashboard.close()
    assert "&lt;b&gt;report&lt;/b&gt;" in shown and "<b>report</b>" not in shown
    assert ">error<" in shown
    assert "ZeroDivisionError: bad &lt;i&gt;" in shown
