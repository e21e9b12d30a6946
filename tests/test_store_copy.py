"""Copying a store: an SQLite file's schedules into PostgreSQL, and into memory."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from apsnb import (
    ConflictingIdError,
    ConflictPolicy,
    CopyIncomplete,
    Job,
    Schedule,
    Task,
)
from apsnb.datastores.copy import CopyReport, copy_data_store
from apsnb.datastores.memory import MemoryDataStore
from apsnb.datastores.postgresql import PostgreSQLDataStore
from apsnb.datastores.sqlite import SQLiteDataStore
from apsnb.eventbrokers.local import LocalEventBroker
from apsnb.triggers.cron import CronTrigger
from apsnb.triggers.interval import IntervalTrigger

from .postgres_support import postgres_url

__all__ = ("postgres_url",)


def filled_sqlite_file(path: Path) -> SQLiteDataStore:
    store = SQLiteDataStore(path)
    store.start(LocalEventBroker())
    store.add_task(
        Task(id="report", func="tests.jobfuncs:thread_id", max_running_jobs=2)
    )
    interval = IntervalTrigger(minutes=5, start_time=datetime(2026, 3, 29, tzinfo=UTC))
    cron = CronTrigger(hour=3, minute=30, timezone="Europe/Helsinki")
    for schedule_id, trigger in (("every-5-min", interval), ("nightly", cron)):
        trigger.next()
        store.add_schedule(
            Schedule(
                id=schedule_id,
                task_id="report",
                trigger=trigger,
                args=(1, "a"),
                next_fire_time=trigger.next(),
            ),
            ConflictPolicy.exception,
        )
    store.add_job(Job(task_id="report", args=("running",)))
    store.add_job(Job(task_id="report", args=("waiting",)))
    store.acquire_jobs("old-host", timedelta(minutes=1), 1)  # the oldest
    return store


def test_an_sqlite_file_s_schedules_move_into_postgresql(
    tmp_path: Path, postgres_url: str
) -> None:
    source = filled_sqlite_file(tmp_path / "jobs.sqlite")
    before = source.get_schedules()
    source.stop()
    target = PostgreSQLDataStore(postgres_url, schema=f"copy_{uuid.uuid4().hex[:8]}")

    report = copy_data_store(tmp_path / "jobs.sqlite", target)

    assert report == CopyReport(tasks=1, schedules=2, jobs=1, running_jobs_left=1)
    assert str(report) == (
        "copied 1 tasks, 2 schedules and 1 waiting jobs; left 1 running jobs behind "
        "(they finish in the source)"
    )
    target.start(LocalEventBroker())
    try:
        after = target.get_schedules()
        assert [task.max_running_jobs for task in target.get_tasks()] == [2]
        assert [job.args for job in target.get_jobs()] == [("waiting",)]
    finally:
        target.stop()
    # Same ids, arguments, fire times (in their own zones) and trigger progress.
    assert [(s.id, s.args, s.next_fire_time) for s in after] == [
        (s.id, s.args, s.next_fire_time) for s in before
    ]
    assert [s.trigger.next() for s in after] == [s.trigger.next() for s in before]
    assert str(after[1].next_fire_time.tzinfo) == "Europe/Helsinki"

    # Copying again would overwrite: refused unless asked for.
    with pytest.raises(ConflictingIdError, match=r"'every-5-min', 'nightly'.*replace"):
        copy_data_store(tmp_path / "jobs.sqlite", target)
    assert (
        copy_data_store(tmp_path / "jobs.sqlite", target, replace=True).schedules == 2
    )


def test_an_asynchronous_store_is_refused_by_name(tmp_path: Path) -> None:
    from apsnb.datastores._thread_adapter import as_async_datastore

    with pytest.raises(TypeError, match="asynchronous store"):
        copy_data_store(as_async_datastore(MemoryDataStore()), tmp_path / "x.sqlite")


def test_apsnb_copy_moves_a_file_into_a_database_and_refuses_to_overwrite(
    tmp_path: Path, postgres_url: str
) -> None:
    from click.testing import CliRunner

    from apsnb.cli import main

    filled_sqlite_file(tmp_path / "jobs.sqlite").stop()
    target = f"{postgres_url}?options=-csearch_path%3Dcli_{uuid.uuid4().hex[:8]}"
    schema = target.rsplit("%3D", 1)[1]
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    runner = CliRunner()

    copied = runner.invoke(main, ["copy", str(tmp_path / "jobs.sqlite"), target])
    assert copied.exit_code == 0, copied.output
    assert copied.stdout.startswith("copied 1 tasks, 2 schedules and 1 waiting jobs")
    listed = runner.invoke(main, ["schedules", target, "--json"])
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [
        "every-5-min",
        "nightly",
    ]

    again = runner.invoke(main, ["copy", str(tmp_path / "jobs.sqlite"), target])
    assert again.exit_code == 1
    assert "--replace" in again.stderr
    replaced = runner.invoke(
        main, ["copy", "--replace", str(tmp_path / "jobs.sqlite"), target]
    )
    assert replaced.exit_code == 0

    missing = runner.invoke(main, ["copy", str(tmp_path / "nope.sqlite"), target])
    assert missing.exit_code == 1
    assert "does not exist" in missing.stderr


def test_a_copy_takes_every_row_or_refuses_naming_the_rows_and_the_allow(
    tmp_path: Path,
) -> None:
    from click.testing import CliRunner

    from apsnb.cli import main

    from .test_trust import empty_store, every_second, insert_schedule, insert_task

    path = empty_store(tmp_path / "jobs.sqlite")
    insert_task(path, "task", "tests.jobfuncs:scaled_sum")
    trigger, due = every_second()
    insert_schedule(path, "own", "task", trigger, [], due)
    foreign = {"type": "elsewhere.triggers:Nightly", "state": {}}
    insert_schedule(path, "foreign", "task", foreign, [])
    target = tmp_path / "target.sqlite"

    with pytest.raises(CopyIncomplete, match=r"--allow elsewhere\.triggers") as caught:
        copy_data_store(path, target)
    assert [what for what, _ in caught.value.rows] == ["schedule 'foreign'"]
    assert caught.value.modules == ["elsewhere.triggers"]
    assert "'elsewhere.triggers:Nightly' is neither imported nor allowed" in str(
        caught.value
    )
    copied = SQLiteDataStore(target)
    copied.start(LocalEventBroker())
    try:
        assert copied.get_schedules() == []  # not the readable half
    finally:
        copied.stop()

    # Allowed, the module is looked for: not installed here, so still refused.
    with pytest.raises(CopyIncomplete, match=r"TriggerStateError.*cannot be imported"):
        copy_data_store(path, target, allowed_modules=["elsewhere.triggers"])

    refused = CliRunner().invoke(main, ["copy", str(path), str(target)])
    assert refused.exit_code == 1
    assert "nothing was copied" in refused.stderr
    assert "apsnb copy --allow elsewhere.triggers SOURCE TARGET" in refused.stderr
