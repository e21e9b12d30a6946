"""SQLiteDataStore: what a file-backed store shared by processes must do beyond the
conformance suite (tests/test_datastores.py runs that on it)."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlite_utils import Database

from apsnb import (
    ConflictPolicy,
    DataStoreAccessDenied,
    DataStoreBusy,
    DataStoreCorrupt,
    DataStoreReadOnly,
    DataStoreSchemaError,
    IncompatibleDataStore,
    Job,
    JobDeserializationFailed,
    JobOutcome,
    JobResult,
    Schedule,
    ScheduleDeserializationFailed,
    ScheduleResult,
    SerializationError,
    Task,
)
from apsnb._events import Event
from apsnb.datastores import _sqlite_schema
from apsnb.datastores.sqlite import RetrySettings, SQLiteDataStore
from apsnb.eventbrokers.local import LocalEventBroker
from apsnb.serializers.pickle import PickleSerializer
from apsnb.triggers.cron import CronTrigger
from apsnb.triggers.interval import IntervalTrigger

HELSINKI = ZoneInfo("Europe/Helsinki")
LEASE = timedelta(minutes=5)
#: Retries that give up quickly, for tests of what is never retried.
QUICK = RetrySettings(attempts=3, total_time=1.0, initial_delay=0.01, max_delay=0.02)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Opened:
    """Opens stores on files of one test and closes them all at its end."""

    def __init__(self, tmp_path: Path) -> None:
        self.path = tmp_path / "apsnb.sqlite"
        self.stores: list[SQLiteDataStore] = []
        self.events: list[Event] = []
        self.broker = LocalEventBroker()
        self.broker.start()
        self.broker.subscribe(self.events.append)

    def __call__(self, target: Any = None, **options: Any) -> SQLiteDataStore:
        store = SQLiteDataStore(self.path if target is None else target, **options)
        self.stores.append(store)
        store.start(self.broker)
        return store

    def close(self) -> None:
        for store in self.stores:
            store.stop()
        self.broker.stop()

    def raw(self) -> Database:
        """A second, plain connection to the file, to look or tamper."""
        return Database(sqlite3.connect(self.path, isolation_level=None))


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[Opened]:
    opener = Opened(tmp_path)
    yield opener
    opener.close()


def interval_schedule(schedule_id: str, start: datetime, **changes: Any) -> Schedule:
    trigger = IntervalTrigger(minutes=1, start_time=start)
    return Schedule(
        id=schedule_id,
        task_id=changes.pop("task_id", "task"),
        trigger=trigger,
        next_fire_time=trigger.next(),
        **changes,
    )


def advanced(schedule: Schedule) -> ScheduleResult:
    return ScheduleResult(
        schedule_id=schedule.id,
        task_id=schedule.task_id,
        trigger=schedule.trigger,
        last_fire_time=schedule.next_fire_time,
        next_fire_time=schedule.trigger.next(),
    )


# Persistence


def test_everything_comes_back_after_closing_and_reopening_the_file(
    opened: Opened,
) -> None:
    store = opened()
    task = Task(
        id="report", func="reports:build", max_running_jobs=2, metadata={"a": 1}
    )
    store.add_task(task)
    trigger = CronTrigger(hour=9, minute=30, timezone=HELSINKI)
    reference = CronTrigger(hour=9, minute=30, timezone=HELSINKI)
    trigger.next()  # progress: two fire times used up
    schedule = Schedule(
        id="daily",
        task_id="report",
        trigger=trigger,
        args=(1, (2, 3), {"when": datetime(2026, 3, 29, 3, tzinfo=HELSINKI)}),
        kwargs={"limit": {1, 2}},
        next_fire_time=trigger.next(),
        last_fire_time=reference.next(),
    )
    reference.next()
    store.add_schedule(schedule, ConflictPolicy.exception)
    job = Job(task_id="report", args=(b"raw",), result_expiration_time=LEASE)
    store.add_job(job)
    done = Job(task_id="report", result_expiration_time=LEASE)
    store.add_job(done)
    store.acquire_jobs("one", LEASE, limit=2)
    result = JobResult.from_job(done, JobOutcome.success, return_value={"rows": 3})
    store.release_job("one", done, result)
    before = store.get_schedules()
    store.stop()

    reopened = opened()
    assert reopened.get_task("report") == Task(
        id="report", func="reports:build", max_running_jobs=2, metadata={"a": 1},
        running_jobs=1,
    )  # fmt: skip
    [restored] = reopened.get_schedules()
    assert restored == before[0]
    assert restored.next_fire_time.tzinfo == HELSINKI
    # The trigger continues where it was: the third 09:30 in Helsinki.
    assert restored.trigger.next() == reference.next()
    [stored_job] = reopened.get_jobs()
    assert (stored_job.id, stored_job.args, stored_job.acquired_by) == (
        job.id,
        (b"raw",),
        "one",
    )
    assert reopened.get_job_result(done.id) == result


def test_a_new_file_is_created_and_a_missing_folder_is_named(tmp_path: Path) -> None:
    store = SQLiteDataStore(tmp_path / "new.sqlite", retry=QUICK)
    store.stop()
    assert (tmp_path / "new.sqlite").exists()
    with pytest.raises(DataStoreAccessDenied, match="folder exists"):
        SQLiteDataStore(tmp_path / "missing" / "new.sqlite", retry=QUICK)


def test_the_database_is_in_wal_mode_with_a_busy_timeout(opened: Opened) -> None:
    store = opened(busy_timeout=2.5)
    connection = store._connection._database.conn  # type: ignore[union-attr]
    pragmas = {
        name: connection.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
    }
    assert pragmas == {
        "journal_mode": "wal",
        "busy_timeout": 2500,
        "synchronous": 1,  # NORMAL
        "foreign_keys": 1,
    }


def test_a_sqlite_utils_database_is_used_from_worker_threads(opened: Opened) -> None:
    # sqlite-utils opens paths for one thread only; the store opens its own
    # connection to the same file then.
    with Database(opened.path) as database:
        store = opened(database)
        done = threading.Event()
        thread = threading.Thread(target=lambda: (store.get_tasks(), done.set()))
        thread.start()
        thread.join()
        assert done.is_set()
        shared = Database(sqlite3.connect(":memory:", check_same_thread=False))
        memory_store = opened(shared)
        memory_store.add_task(Task(id="t"))
        assert shared["apsnb_tasks"].count == 1


# Schema versions


def test_the_schema_version_is_recorded(opened: Opened) -> None:
    opened()
    supported = _sqlite_schema.supported_version()
    assert _sqlite_schema.schema_version(opened.raw()) == supported


def test_a_database_of_a_newer_apsnb_is_refused(opened: Opened) -> None:
    opened().stop()
    raw = opened.raw()
    raw.execute("INSERT INTO apsnb_schema_version VALUES (7, 'future', 'later')")
    with pytest.raises(IncompatibleDataStore, match="upgrade apsnb") as caught:
        SQLiteDataStore(opened.path, retry=QUICK)
    supported = _sqlite_schema.supported_version()
    assert (caught.value.found, caught.value.supported) == (7, supported)
    assert str(opened.path) in str(caught.value)


def test_an_older_database_is_migrated_step_by_step(
    opened: Opened, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = opened()
    store.add_task(Task(id="kept"))
    store.stop()

    def add_owner_column(database: Database) -> None:
        database.execute("ALTER TABLE apsnb_tasks ADD COLUMN owner TEXT")

    before = [step.version for step in _sqlite_schema.MIGRATIONS]
    steps = (
        *_sqlite_schema.MIGRATIONS,
        _sqlite_schema.Migration(before[-1] + 1, "task owners", add_owner_column),
    )
    monkeypatch.setattr(_sqlite_schema, "MIGRATIONS", steps)
    migrated = opened()
    assert [task.id for task in migrated.get_tasks()] == ["kept"]
    raw = opened.raw()
    assert "owner" in raw["apsnb_tasks"].columns_dict
    versions = [row["version"] for row in raw["apsnb_schema_version"].rows]
    assert versions == [*before, before[-1] + 1]
    migrated.stop()
    monkeypatch.undo()
    # This apsnb's code no longer reads that file.
    with pytest.raises(IncompatibleDataStore):
        SQLiteDataStore(opened.path, retry=QUICK)


def test_a_version_1_database_gets_its_json_as_text_and_keeps_pickles(
    opened: Opened, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file as version 1 wrote it: its SQL, and the serializer's bytes as BLOBs.
    monkeypatch.setattr(_sqlite_schema, "MIGRATIONS", _sqlite_schema.MIGRATIONS[:1])
    writer = opened(history_retention=timedelta(0))  # version 1 kept no history
    writer.add_schedule(
        interval_schedule("json", utcnow(), args=(1, "å")), ConflictPolicy.exception
    )
    job = Job(task_id="task", kwargs={"n": 2}, result_expiration_time=LEASE)
    writer.add_job(job)
    writer.acquire_jobs("one", LEASE)
    writer.release_job(
        "one", job, JobResult.from_job(job, JobOutcome.success, return_value=[3])
    )
    writer.add_job(Job(task_id="task", kwargs={"n": 2}))
    opened(serializer=PickleSerializer(), history_retention=timedelta(0)).add_schedule(
        interval_schedule("pickled", utcnow()), ConflictPolicy.exception
    )
    for store in opened.stores:
        store.stop()
    raw = opened.raw()
    for table, column in (
        ("apsnb_schedules", "trigger"), ("apsnb_schedules", "args"),
        ("apsnb_jobs", "kwargs"), ("apsnb_job_results", "return_value"),
    ):  # fmt: skip
        raw.execute(f"UPDATE {table} SET {column} = CAST({column} AS BLOB)")
    raw.conn.commit()
    assert _sqlite_schema.schema_version(raw) == 1
    monkeypatch.undo()

    store = opened()
    assert _sqlite_schema.schema_version(raw) == _sqlite_schema.supported_version()
    kinds = dict(raw.execute("SELECT id, typeof(trigger) FROM apsnb_schedules"))
    assert kinds == {"json": "text", "pickled": "blob"}
    [args] = raw.execute(
        "SELECT args FROM apsnb_schedules WHERE id = 'json'"
    ).fetchone()
    assert json.loads(args)["value"] == [1, "å"]
    assert raw.execute("SELECT kwargs FROM apsnb_jobs").fetchone() == ('{"n":2}',)
    assert raw.execute("SELECT return_value FROM apsnb_job_results").fetchone() == (
        "[3]",
    )
    [schedule] = store.get_schedules({"json"})
    assert schedule.args == (1, "å")
    assert [job.kwargs for job in store.get_jobs()] == [{"n": 2}]
    result = store.get_job_result(job.id)
    assert result is not None and result.return_value == [3]
    [pickled] = opened(serializer=PickleSerializer()).get_schedules({"pickled"})
    assert isinstance(pickled.trigger, IntervalTrigger)


# Serializers


class Unstorable:
    """Stands for a numpy array: something JSON cannot store."""


def test_an_argument_json_cannot_store_is_refused_by_name_and_nothing_is_written(
    opened: Opened,
) -> None:
    store = opened()
    schedule = interval_schedule("report", utcnow(), args=(1, Unstorable()))
    with pytest.raises(SerializationError) as caught:
        store.add_schedule(schedule, ConflictPolicy.exception)
    message = str(caught.value)
    assert message.startswith("cannot store args[1] of schedule 'report': a ")
    assert "Unstorable" in message
    assert "PickleSerializer" in message
    schedule = interval_schedule("report", utcnow(), kwargs={"frame": {"x": object()}})
    with pytest.raises(SerializationError, match=r"kwargs\['frame'\] of schedule"):
        store.add_schedule(schedule, ConflictPolicy.exception)
    job = Job(task_id="task", args=(Unstorable(),))
    with pytest.raises(SerializationError, match=rf"args\[0\] of job {job.id}"):
        store.add_job(job)
    with pytest.raises(SerializationError, match="metadata of task 't'"):
        store.add_task(Task(id="t", metadata={"when": utcnow()}))
    assert (store.get_schedules(), store.get_jobs(), store.get_tasks()) == ([], [], [])
    assert opened.events == []


def test_the_pickle_serializer_stores_any_picklable_value(opened: Opened) -> None:
    store = opened(serializer=PickleSerializer())
    schedule = interval_schedule("s", utcnow(), args=(Unstorable,), kwargs={"n": 1})
    store.add_schedule(schedule, ConflictPolicy.exception)
    [stored] = store.get_schedules()
    assert stored.args == (Unstorable,)
    with pytest.raises(SerializationError, match=r"args\[0\] of job"):
        store.add_job(Job(task_id="task", args=(lambda: None,)))
    # A JSON store never unpickles: it reports the rows it cannot read.
    opened.events.clear()
    assert opened().get_schedules() == []
    assert failed_ids(opened.events) == ["s"]


def test_a_result_whose_value_cannot_be_stored_is_kept_without_it(
    opened: Opened, caplog: pytest.LogCaptureFixture
) -> None:
    store = opened()
    job = Job(task_id="task", result_expiration_time=LEASE)
    store.add_job(job)
    store.acquire_jobs("one", LEASE)
    error = ValueError("boom")
    result = JobResult.from_job(
        job, JobOutcome.error, exception=error, traceback="Traceback: ValueError: boom",
        return_value=Unstorable(),
    )  # fmt: skip
    store.release_job("one", job, result)
    stored = store.get_job_result(job.id)
    assert stored is not None
    assert (stored.outcome, stored.exception, stored.return_value) == (
        JobOutcome.error,
        None,
        None,
    )
    assert stored.traceback is not None
    assert stored.traceback.startswith("Traceback: ValueError: boom\n")
    assert "the return value was not stored" in stored.traceback
    assert "the exception was not stored" in stored.traceback
    assert "return value was not stored" in caplog.text


# Rows that cannot be read


def corrupt_schedule(raw: Database, schedule_id: str, how: str) -> None:
    if how == "missing trigger class":
        trigger = b'{"type":"gone.module:OldTrigger","state":{"version":1}}'
        raw["apsnb_schedules"].update(schedule_id, {"trigger": trigger})
    else:
        raw["apsnb_schedules"].update(schedule_id, {"args": b"\x00garbage"})


def test_unreadable_schedules_are_skipped_reported_and_kept(
    opened: Opened, caplog: pytest.LogCaptureFixture
) -> None:
    store = opened()
    now = utcnow()
    for schedule_id in ("bad-class", "bad-args", "good"):
        store.add_schedule(
            interval_schedule(schedule_id, now - timedelta(minutes=1)),
            ConflictPolicy.exception,
        )
    raw = opened.raw()
    corrupt_schedule(raw, "bad-class", "missing trigger class")
    corrupt_schedule(raw, "bad-args", "corrupt blob")
    opened.events.clear()

    assert [s.id for s in store.get_schedules()] == ["good"]
    assert sorted(failed_ids(opened.events)) == ["bad-args", "bad-class"]
    assert "gone.module" in caplog.text

    opened.events.clear()
    lease = timedelta(milliseconds=300)
    assert [s.id for s in store.acquire_schedules("one", lease, 10)] == ["good"]
    assert sorted(failed_ids(opened.events)) == ["bad-args", "bad-class"]
    # Set aside for a lease: not offered again at once, so nothing spins.
    opened.events.clear()
    assert [s.id for s in store.acquire_schedules("one", lease, 10)] == ["good"]
    assert failed_ids(opened.events) == []
    next_run_time = store.get_next_schedule_run_time()
    assert next_run_time is not None and next_run_time > utcnow()
    assert opened.raw()["apsnb_schedules"].count == 3  # nothing deleted
    time.sleep(0.35)
    store.acquire_schedules("two", lease, 10)
    assert sorted(failed_ids(opened.events)) == ["bad-args", "bad-class"]


def failed_ids(events: list[Event]) -> list[Any]:
    return [
        event.schedule_id if isinstance(event, ScheduleDeserializationFailed) else event.job_id
        for event in events
        if isinstance(event, ScheduleDeserializationFailed | JobDeserializationFailed)
    ]  # fmt: skip


def test_unreadable_jobs_are_skipped_reported_kept_and_not_counted_as_running(
    opened: Opened,
) -> None:
    store = opened()
    store.add_task(Task(id="task", max_running_jobs=1))
    bad, good = Job(task_id="task"), Job(task_id="task")
    store.add_job(bad)
    store.add_job(good)
    opened.raw()["apsnb_jobs"].update(1, {"kwargs": b"{not json"})  # the first
    opened.events.clear()
    assert [job.id for job in store.get_jobs()] == [good.id]
    assert failed_ids(opened.events) == [bad.id]
    opened.events.clear()
    assert [job.id for job in store.acquire_jobs("one", LEASE)] == [good.id]
    assert failed_ids(opened.events) == [bad.id]
    assert store.get_task("task").running_jobs == 1
    assert opened.raw()["apsnb_jobs"].count == 2


# Locks and errors


def hold_exclusive_lock(path: Path, seconds: float) -> threading.Thread:
    """Lock the whole database from another connection for a while."""
    locked = threading.Event()

    def hold() -> None:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        locked.set()
        time.sleep(seconds)
        connection.execute("COMMIT")
        connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    locked.wait()
    return thread


def test_a_locked_database_is_waited_for_and_retried(
    opened: Opened, caplog: pytest.LogCaptureFixture
) -> None:
    retry = RetrySettings(
        attempts=50, total_time=10, initial_delay=0.01, max_delay=0.05
    )
    store = opened(busy_timeout=0.02, retry=retry)
    holder = hold_exclusive_lock(opened.path, 0.4)
    with caplog.at_level(logging.WARNING, "apsnb.datastores.sqlite"):
        store.add_task(Task(id="patient"))
    holder.join()
    assert [task.id for task in store.get_tasks()] == ["patient"]
    retries = [r.getMessage() for r in caplog.records if "is locked" in r.getMessage()]
    assert retries, "the store should have retried"
    assert "attempt 1 of 50 failed" in retries[0]
    assert "SQLITE_BUSY" in retries[0]


def test_a_database_locked_for_too_long_raises_data_store_busy(opened: Opened) -> None:
    retry = RetrySettings(attempts=3, total_time=5, initial_delay=0.01, max_delay=0.01)
    store = opened(busy_timeout=0.02, retry=retry)
    holder = hold_exclusive_lock(opened.path, 0.5)
    try:
        with pytest.raises(DataStoreBusy, match="3 attempts"):
            store.add_task(Task(id="impatient"))
    finally:
        holder.join()


def test_a_file_that_is_not_a_database_is_refused_at_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("these are my notes, not a database\n" * 100)
    started = time.monotonic()
    with pytest.raises(DataStoreCorrupt, match="not an SQLite database") as caught:
        SQLiteDataStore(path, retry=RetrySettings(attempts=10, initial_delay=1))
    assert time.monotonic() - started < 0.5  # not retried
    assert str(path) in str(caught.value)
    assert "is locked" not in caplog.text


def test_a_read_only_database_reads_and_refuses_writes_by_name(
    opened: Opened,
) -> None:
    writer = opened()
    writer.add_task(Task(id="existing"))
    uri = f"file:{opened.path}?mode=ro"
    read_only = Database(sqlite3.connect(uri, uri=True, check_same_thread=False))
    store = opened(read_only, retry=QUICK)
    assert [task.id for task in store.get_tasks()] == ["existing"]
    with pytest.raises(DataStoreReadOnly, match="can only be read"):
        store.add_task(Task(id="new"))


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root may write to any file, whatever its permissions",
)
def test_a_file_without_write_permission_is_refused_by_name(opened: Opened) -> None:
    opened().stop()
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{opened.path}{suffix}")
        if path.exists():
            path.chmod(0o444)
    opened.path.parent.chmod(0o555)
    try:
        with pytest.raises(DataStoreReadOnly | DataStoreAccessDenied):  # type: ignore[arg-type]
            SQLiteDataStore(opened.path, retry=QUICK).add_task(Task(id="t"))
    finally:
        opened.path.parent.chmod(0o755)


def test_a_dropped_table_is_a_named_schema_error(opened: Opened) -> None:
    store = opened(retry=QUICK)
    opened.raw().execute("DROP TABLE apsnb_jobs")
    with pytest.raises(DataStoreSchemaError, match="missing or damaged") as caught:
        store.get_jobs()
    assert "no such table: apsnb_jobs" in str(caught.value)


# Speed at 100,000 schedules


def fill_schedules(store: SQLiteDataStore, count: int, due_every: int) -> None:
    """Store ``count`` schedules, one in ``due_every`` due, the rest in the future."""
    now = utcnow()
    row = store._codec.schedule_row(interval_schedule("template", now))
    columns = list(row)
    values = []
    for number in range(count):
        due = number % due_every == 0
        fire_us = _instant(now) + (-60_000_000 - number if due else 60_000_000 + number)
        row.update(
            id=f"s{number:06d}", next_fire_time_us=fire_us, claimable_at_us=fire_us
        )
        values.append(tuple(row.values()))
    marks = ", ".join("?" * len(columns))
    store._connection.write(
        lambda db: db.conn.executemany(
            f"INSERT INTO apsnb_schedules ({', '.join(columns)}) VALUES ({marks})",
            values,
        )
    )


def _instant(value: datetime) -> int:
    return (value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def query_plans(store: SQLiteDataStore, operation: Any) -> list[tuple[str, list[str]]]:
    """Run ``operation``; return each statement it ran with its query plan."""
    connection = store._connection._database.conn  # type: ignore[union-attr]
    statements: list[str] = []
    connection.set_trace_callback(statements.append)
    try:
        operation()
    finally:
        connection.set_trace_callback(None)
    return [
        (sql, [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}")])
        for sql in statements
        if sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE"))
    ]


def test_acquiring_uses_indexes_and_stays_fast_at_100000_schedules(
    opened: Opened,
) -> None:
    store = opened()
    fill_schedules(store, 100_000, due_every=1000)  # 100 due
    for number in range(3):
        store.add_job(Job(task_id=f"task{number}"))
    operations = {
        "get_next_schedule_run_time": store.get_next_schedule_run_time,
        "acquire_schedules": lambda: store.acquire_schedules("one", LEASE, 100),
        "acquire_jobs": lambda: store.acquire_jobs("one", LEASE, 10),
    }
    for name, operation in operations.items():
        plans = query_plans(store, operation)
        assert plans, name
        for sql, plan in plans:
            for step in plan:
                if "apsnb_schedules" in step or "apsnb_jobs" in step:
                    # SEARCH ... USING INDEX; never a SCAN of the table.
                    assert "SCAN" not in step, (name, sql, plan)
                    assert "USING" in step, (name, sql, plan)

    # The figures docs/stores.md quotes (a laptop: ~0.02 ms and ~3.5 ms); the bounds
    # leave room for a slow, busy machine.
    store.release_schedules("one", [])
    started = time.perf_counter()
    for _ in range(20):
        store.get_next_schedule_run_time()
    next_run_time_seconds = (time.perf_counter() - started) / 20
    started = time.perf_counter()
    acquired = store.acquire_schedules("two", timedelta(milliseconds=1), 100)
    acquire_seconds = time.perf_counter() - started
    assert len(acquired) == 0  # "one" holds the 100 due ones
    time.sleep(0.002)
    started = time.perf_counter()
    acquired = store.acquire_schedules("one", LEASE, 100)
    acquire_seconds = max(acquire_seconds, time.perf_counter() - started)
    assert len(acquired) == 100
    assert next_run_time_seconds < 0.005
    assert acquire_seconds < 0.2


# Two connections, four threads


def test_two_stores_on_one_file_never_hand_out_a_fire_time_or_job_twice(
    opened: Opened,
) -> None:
    stores = [opened(), opened()]  # two connections, as two processes have
    start = utcnow() - timedelta(seconds=40)
    for number in range(20):
        trigger = IntervalTrigger(
            seconds=1, start_time=start, end_time=start + timedelta(seconds=39)
        )
        schedule = Schedule(
            id=f"s{number}",
            task_id="task",
            trigger=trigger,
            next_fire_time=trigger.next(),
        )
        stores[0].add_schedule(schedule, ConflictPolicy.exception)
    expected_fires = 20 * 40
    fires: Counter[tuple[str, datetime]] = Counter()
    runs: Counter[Any] = Counter()
    lock = threading.Lock()
    failures: list[BaseException] = []
    deadline = time.monotonic() + 15

    def work(store: SQLiteDataStore, name: str) -> None:
        try:
            while time.monotonic() < deadline:
                with lock:
                    if (
                        sum(fires.values()) >= expected_fires
                        and sum(runs.values()) >= expected_fires
                    ):
                        return
                schedules = store.acquire_schedules(name, LEASE, 3)
                for schedule in schedules:
                    with lock:
                        fires[schedule.id, schedule.next_fire_time] += 1
                    store.add_job(
                        Job(task_id="task", schedule_id=schedule.id,
                            scheduled_fire_time=schedule.next_fire_time)
                    )  # fmt: skip
                store.release_schedules(name, [advanced(s) for s in schedules])
                for job in store.acquire_jobs(name, LEASE, 2):
                    with lock:
                        runs[job.schedule_id, job.scheduled_fire_time] += 1
                    store.release_job(
                        name, job, JobResult.from_job(job, JobOutcome.success)
                    )
        except BaseException as error:  # reported by the test thread
            failures.append(error)

    threads = [
        threading.Thread(target=work, args=(stores[number % 2], f"scheduler{number}"))
        for number in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(fires) == expected_fires
    assert set(fires.values()) == {1}, [key for key, n in fires.items() if n > 1]
    assert runs == fires
    assert stores[1].get_schedules() == []
    assert stores[1].get_jobs() == []


# With the scheduler


@pytest.mark.anyio
async def test_a_scheduler_runs_jobs_and_finds_its_schedules_after_a_restart(
    tmp_path: Path,
) -> None:
    from apsnb import AsyncScheduler
    from tests.jobfuncs import scaled_sum

    path = tmp_path / "schedules.sqlite"
    async with AsyncScheduler(SQLiteDataStore(path)) as scheduler:
        await scheduler.start_in_background()
        assert (
            await scheduler.run_job(scaled_sum, args=(2, 3), kwargs={"scale": 2}) == 10
        )
        trigger = CronTrigger(hour=9, timezone=HELSINKI)
        await scheduler.add_schedule(scaled_sum, trigger, id="daily", args=(1, 2))
        await scheduler.stop()
    # A new kernel: the schedule, its trigger and its task are in the file.
    async with AsyncScheduler(SQLiteDataStore(path)) as scheduler:
        [schedule] = await scheduler.get_schedules()
        assert (schedule.id, schedule.args) == ("daily", (1, 2))
        assert schedule.trigger == trigger


@pytest.mark.anyio
async def test_a_task_changed_by_another_process_is_used_within_the_poll_interval(
    tmp_path: Path,
) -> None:
    """The scheduler keeps the tasks it read; on a file other processes change
    without telling it, it reads them again at least every poll interval."""
    import anyio

    from apsnb import AsyncScheduler
    from tests import jobfuncs

    path = tmp_path / "shared.sqlite"
    jobfuncs.DEADLINES.clear()

    def graces() -> list[float]:
        return [
            (deadline - fire_time).total_seconds()
            for fire_time, deadline in jobfuncs.DEADLINES
        ]

    async with AsyncScheduler(SQLiteDataStore(path, poll_interval=0.2)) as scheduler:
        await scheduler.configure_task(jobfuncs.record_deadline, misfire_grace_time=60)
        await scheduler.add_schedule(
            jobfuncs.record_deadline, IntervalTrigger(seconds=0.05), id="often"
        )
        await scheduler.start_in_background()
        with anyio.fail_after(5):
            while not graces():
                await anyio.sleep(0.02)
        assert set(graces()) == {60}
        # Another process (another store on the file: no events reach this one).
        other = SQLiteDataStore(path)
        other.start(LocalEventBroker())
        [task] = other.get_tasks()
        other.add_task(task.copy(misfire_grace_time=timedelta(seconds=5)))
        changed_at = time.monotonic()
        with anyio.fail_after(5):
            while 5 not in graces():
                await anyio.sleep(0.02)
        seen_after = time.monotonic() - changed_at
        other.stop()
        await scheduler.stop()
    assert seen_after < 1.0, seen_after
    # Once seen, the new setting is used from then on.
    assert set(graces()[graces().index(5) :]) == {5}
