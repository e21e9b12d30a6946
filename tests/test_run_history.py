"""The run history: records from a running scheduler, missed fire times, the SQLite
table and its migration (the conformance suite checks every store's contract)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest
from sqlite_utils import Database

from apsnb import (
    AsyncScheduler,
    CoalescePolicy,
    InvalidSchedulerSetting,
    Job,
    JobOutcome,
    JobReleased,
    JobResult,
    RunRecord,
    Schedule,
    Task,
)
from apsnb._schedulers import _firing
from apsnb.datastores import _sqlite_schema
from apsnb.datastores.memory import MemoryDataStore
from apsnb.datastores.sqlite import SQLiteDataStore
from apsnb.eventbrokers.local import LocalEventBroker
from apsnb.triggers.interval import IntervalTrigger

pytestmark = pytest.mark.anyio


def now() -> datetime:
    return datetime.now(UTC)


def fail() -> None:
    raise ValueError("the job failed on purpose")


def hourly_schedule(start: datetime, policy: str) -> Schedule:
    trigger = IntervalTrigger(hours=1, start_time=start)
    return Schedule(
        id="hourly",
        task_id="t",
        trigger=trigger,
        coalesce=CoalescePolicy(policy),
        next_fire_time=trigger.next(),
    )


@pytest.mark.parametrize("policy", ["latest", "earliest"])
def test_every_coalesced_fire_time_gets_a_record(policy: str) -> None:
    start = now() - timedelta(hours=60, minutes=30)  # 61 fire times are due
    result = _firing.jobs_for(
        hourly_schedule(start, policy), Task(id="t"), now(), "threadpool"
    )
    [job] = result.jobs
    missed = [record.scheduled_fire_time for record in result.missed]
    every = [start + timedelta(hours=hour) for hour in range(61)]
    assert job.scheduled_fire_time == (every[-1] if policy == "latest" else every[0])
    assert missed == [time for time in every if time != job.scheduled_fire_time]
    for record in result.missed:
        assert record.outcome is JobOutcome.coalesced
        assert record.schedule_id == "hourly" and record.job_id is None
        assert record.reason == (
            f"coalesced into the run for {job.scheduled_fire_time.isoformat()}"
        )


def test_beyond_the_listing_limit_one_record_counts_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_firing, "MAX_LISTED_SKIPS", 10)
    start = now() - timedelta(hours=60, minutes=30)
    result = _firing.jobs_for(
        hourly_schedule(start, "latest"), Task(id="t"), now(), "threadpool"
    )
    assert result.jobs[0].scheduled_fire_time == start + timedelta(hours=60)
    *listed, summary = result.missed
    assert [r.scheduled_fire_time for r in listed] == [
        start + timedelta(hours=hour) for hour in range(10)
    ]
    assert summary.scheduled_fire_time is None
    assert summary.reason is not None
    assert summary.reason.startswith(
        f"50 more fire times after {(start + timedelta(hours=9)).isoformat()} were "
        f"coalesced into the run for"
    )


def test_a_schedule_on_time_has_no_missed_records() -> None:
    start = now() - timedelta(minutes=30)
    result = _firing.jobs_for(
        hourly_schedule(start, "latest"), Task(id="t"), now(), "threadpool"
    )
    assert len(result.jobs) == 1 and result.missed == ()


async def test_a_scheduler_records_runs_and_what_it_missed_while_stopped() -> None:
    store = MemoryDataStore()
    released: list[JobReleased] = []
    async with AsyncScheduler(store, identity="history") as scheduler:
        scheduler.subscribe(released.append, JobReleased)
        start = now() - timedelta(hours=2, minutes=30)
        await scheduler.add_schedule(
            fail,
            IntervalTrigger(hours=1, start_time=start),
            id="every-hour",
            coalesce=CoalescePolicy.latest,
        )
        await scheduler.start_in_background()
        with anyio.fail_after(5):
            while not released:
                await anyio.sleep(0.01)
        runs = await scheduler.get_runs(schedule_id="every-hour")
    ran, *skipped = runs
    assert ran.outcome is JobOutcome.error
    assert ran.exception_type == "ValueError"
    assert ran.exception_message == "the job failed on purpose"
    assert ran.scheduled_fire_time == start + timedelta(hours=2)
    assert ran.scheduler_id == "history" and ran.duration is not None
    assert [(r.outcome, r.scheduled_fire_time) for r in skipped] == [
        (JobOutcome.coalesced, start + timedelta(hours=1)),
        (JobOutcome.coalesced, start),
    ]


async def test_get_runs_refuses_a_naive_time() -> None:
    from apsnb import NaiveDatetimeError

    async with AsyncScheduler(identity="naive") as scheduler:
        with pytest.raises(NaiveDatetimeError, match="since"):
            await scheduler.get_runs(since=datetime(2026, 1, 1))


def test_a_history_retention_that_is_not_a_duration_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        InvalidSchedulerSetting, match="history_retention=30: give a timedelta"
    ):
        MemoryDataStore(history_retention=30)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="history_retention"):
        SQLiteDataStore(tmp_path / "a.sqlite", history_retention=timedelta(days=-1))


def test_a_zero_retention_keeps_no_history(tmp_path: Path) -> None:
    for store in (
        MemoryDataStore(history_retention=timedelta(0)),
        SQLiteDataStore(tmp_path / "none.sqlite", history_retention=timedelta(0)),
    ):
        store.start(LocalEventBroker())
        store.add_task(Task(id="t"))
        store.add_job(Job(task_id="t"))
        [job] = store.acquire_jobs("one", timedelta(minutes=1))
        store.release_job("one", job, JobResult.from_job(job, JobOutcome.success))
        assert store.get_runs() == []
        store.stop()


# SQLite


def test_a_version_1_database_gains_the_run_history_and_keeps_its_data(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite"
    old = Database(sqlite3.connect(path, isolation_level=None))
    first = _sqlite_schema.MIGRATIONS[0]
    assert first.version == 1
    old.execute(
        f"CREATE TABLE {_sqlite_schema.VERSION_TABLE} "
        f"(version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT)"
    )
    first.apply(old)
    old.execute(
        f"INSERT INTO {_sqlite_schema.VERSION_TABLE} VALUES (1, 'first', 'then')"
    )
    old.execute(
        "INSERT INTO apsnb_tasks VALUES ('kept', NULL, 'threadpool', NULL, NULL, '{}')"
    )
    old.conn.close()
    store = SQLiteDataStore(path)
    assert [task.id for task in store.get_tasks()] == ["kept"]
    assert store.get_runs() == []
    table = Database(sqlite3.connect(path))[_sqlite_schema.VERSION_TABLE]
    versions = [row["version"] for row in table.rows]
    assert versions[0] == 1 and versions[-1] == _sqlite_schema.supported_version()
    store.stop()


def _fill(path: Path, count: int) -> None:
    """``count`` run records of 100 schedules, one a minute, straight into the file."""
    database = Database(sqlite3.connect(path, isolation_level=None))
    start = now() - timedelta(days=20)
    rows = []
    for i in range(count):
        record = RunRecord(
            task_id="task",
            outcome=JobOutcome.success,
            finished_at=start + timedelta(minutes=i),
            schedule_id=f"schedule-{i % 100}",
        )
        row = record.marshal()
        row["finished_at_us"] = int(record.finished_at.timestamp() * 1_000_000)
        rows.append(row)
    database["apsnb_runs"].insert_all(rows)  # type: ignore[union-attr]
    database.conn.close()


def test_the_latest_runs_come_from_the_indexes(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    SQLiteDataStore(path).stop()
    _fill(path, 3000)
    database = Database(sqlite3.connect(path))
    for where in ("", "WHERE schedule_id = 'schedule-7' "):
        plan = " ".join(
            str(row)
            for row in database.execute(
                f"EXPLAIN QUERY PLAN SELECT * FROM apsnb_runs {where}"
                f"ORDER BY finished_at_us DESC, position DESC LIMIT 1000"
            ).fetchall()
        )
        assert "USING INDEX" in plan and "TEMP B-TREE" not in plan, plan
    store = SQLiteDataStore(path)
    runs = store.get_runs(schedule_id="schedule-7", limit=5)
    assert [run.schedule_id for run in runs] == ["schedule-7"] * 5
    times = [run.finished_at for run in runs]
    assert times == sorted(times, reverse=True)
    store.stop()


def test_records_survive_a_restart_and_old_ones_are_pruned(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    SQLiteDataStore(path).stop()
    _fill(path, 100)  # finished 20 days ago, over 100 minutes
    store = SQLiteDataStore(path, history_retention=timedelta(days=20))
    assert len(store.get_runs()) == 100
    # Keep the records of the last 30 of those minutes.
    store.history_retention = timedelta(days=20) - timedelta(minutes=70)
    store.cleanup()
    assert len(store.get_runs()) in (29, 30, 31)  # the clock moved meanwhile
    store.stop()


def test_an_unreadable_record_is_skipped_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "runs.sqlite"
    SQLiteDataStore(path).stop()
    _fill(path, 3)
    raw = Database(sqlite3.connect(path, isolation_level=None))
    raw.execute("UPDATE apsnb_runs SET outcome = 'exploded' WHERE position = 2")
    raw.conn.close()
    store = SQLiteDataStore(path)
    assert len(store.get_runs()) == 2
    assert "run record 2" in caplog.text and "cannot be read" in caplog.text
    store.stop()


async def nap(seconds: float) -> str:
    await anyio.sleep(seconds)
    return "rested"


async def test_stop_with_a_grace_period_lets_running_jobs_finish_and_takes_no_more() -> (
    None
):
    store = MemoryDataStore()
    async with AsyncScheduler(store, identity="graceful") as scheduler:
        await scheduler.start_in_background()
        quick = await scheduler.add_job(nap, args=(0.3,))
        slow = await scheduler.add_job(nap, args=(30,))
        with anyio.fail_after(5):
            while len(await scheduler.get_jobs()) < 2 or any(
                job.acquired_by is None for job in await scheduler.get_jobs()
            ):
                await anyio.sleep(0.01)
        await scheduler.stop(grace_period=timedelta(seconds=1))
        # Added after the stop: it waits in the store for the next worker.
        late = await scheduler.add_job(nap, args=(0,))
        outcomes = {r.job_id: r.outcome for r in await scheduler.get_runs()}
    assert outcomes == {quick: JobOutcome.success, slow: JobOutcome.cancelled}
    assert [job.id for job in await scheduler.get_jobs()] == [late]


def test_the_memory_store_keeps_at_most_its_history_limit_newest_first() -> None:
    store = MemoryDataStore(history_limit=10)
    store.start(LocalEventBroker())
    store.add_task(Task(id="t"))
    released = []
    for _ in range(25):
        store.add_job(Job(task_id="t"))
        [job] = store.acquire_jobs("one", timedelta(minutes=1))
        store.release_job("one", job, JobResult.from_job(job, JobOutcome.success))
        released.append(job.id)
    assert [r.job_id for r in store.get_runs()] == released[::-1][:10]
    assert len(store._runs._entries) <= 11  # dropped in chunks, never far above
    with pytest.raises(InvalidSchedulerSetting, match="history_limit=0"):
        MemoryDataStore(history_limit=0)
    store.stop()
