"""Faults of the SQLite file under a running scheduler: a full disk, a lock held too
long, a file damaged, restored, replaced or deleted. The scheduler pauses and goes on,
or says clearly what happened; it never loses a run silently.

A full disk is a tiny tmpfs mounted for the test (root only; skipped elsewhere).
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from apsnb import (
    AsyncScheduler,
    DataStoreCorrupt,
    DataStoreFileMissing,
    JobOutcome,
    JobReleased,
    RunState,
)
from apsnb.datastores.sqlite import RetrySettings, SQLiteDataStore
from apsnb.triggers.interval import IntervalTrigger

from . import fault_parts

pytestmark = pytest.mark.anyio

#: Few, quick retries: a fault shows within a fraction of a second.
QUICK = RetrySettings(attempts=2, total_time=0.2, initial_delay=0.01, max_delay=0.05)


def store_at(path: Path, **options: Any) -> SQLiteDataStore:
    options.setdefault("busy_timeout", 0.05)
    options.setdefault("retry", QUICK)
    return SQLiteDataStore(path, poll_interval=0.1, **options)


@pytest.fixture
def tiny_disk() -> Iterator[Path]:
    """A 2 MB tmpfs, mounted for the test."""
    mount_point = Path(tempfile.mkdtemp(prefix="apsnb-disk-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "apsnb-test", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        mount_point.rmdir()
        pytest.skip(
            "a full disk is simulated with a tiny tmpfs, which needs root (or "
            f"CAP_SYS_ADMIN): mount said {mounted.stderr.strip()!r}"
        )
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
        mount_point.rmdir()


def fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte; return the file that does it."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as file:
        try:
            while True:
                file.write(b"\0" * 4096)
        except OSError:
            pass
    return filler


async def until(condition: Any, timeout: float = 15) -> None:
    with anyio.fail_after(timeout):
        while not await condition():
            await anyio.sleep(0.02)


def running(scheduler: AsyncScheduler) -> Any:
    """A condition: the scheduler runs a job."""

    async def condition() -> bool:
        runtime = scheduler._runtime
        return runtime is not None and bool(runtime.jobs.running_jobs)

    return condition


class Runs:
    """Fire times of a schedule, as its job function records them."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def __call__(self) -> None:
        self.times.append(time.monotonic())

    async def more_than(self, count: int) -> None:
        async def grown() -> bool:
            return len(self.times) > count

        await until(grown)


async def test_a_job_finishing_on_a_full_disk_is_released_when_space_returns(
    tiny_disk: Path,
) -> None:
    store = store_at(tiny_disk / "full.sqlite")
    async with AsyncScheduler(store, identity="full-disk") as scheduler:
        await scheduler.start_in_background()
        assert await scheduler.run_job(fault_parts.return_text, args=[1]) == "x"
        # A result too big for the space left in SQLite's -wal file.
        job_id = await scheduler.add_job(
            fault_parts.sleep_then_return, args=[0.5, 300_000],
            result_expiration_time=60,
        )  # fmt: skip
        await until(running(scheduler))
        filler = fill(tiny_disk)
        # The job ends while nothing can be written; its result waits in memory.
        await anyio.sleep(1.5)
        assert scheduler.state is RunState.started
        assert await scheduler.get_jobs()  # not released yet
        filler.unlink()
        with anyio.fail_after(15):
            result = await scheduler.get_job_result(job_id)
        assert result.outcome is JobOutcome.success
        assert result.return_value == "done".ljust(300_000, ".")
        assert await scheduler.run_job(fault_parts.return_text, args=[2]) == "xx"


async def test_a_job_finishing_on_a_read_only_file_is_released_once_writable(
    tmp_path: Path,
) -> None:
    source, view = tmp_path / "source", tmp_path / "view"
    source.mkdir()
    view.mkdir()
    if not remount(["--bind", str(source), str(view)], "mount a bind mount"):
        return
    try:
        store = store_at(view / "ro.sqlite")
        async with AsyncScheduler(store, identity="read-only") as scheduler:
            await scheduler.start_in_background()
            job_id = await scheduler.add_job(
                fault_parts.sleep_then_return, args=[0.5], result_expiration_time=60
            )
            await until(running(scheduler))
            if not remount(
                ["-o", "remount,bind,ro", str(view)], "make a mount read-only"
            ):
                return
            await anyio.sleep(1.5)
            assert scheduler.state is RunState.started
            remount(["-o", "remount,bind,rw", str(view)], "make it writable again")
            with anyio.fail_after(15):
                result = await scheduler.get_job_result(job_id)
            assert result.outcome is JobOutcome.success
    finally:
        subprocess.run(["umount", "-l", str(view)], check=False)


def remount(arguments: list[str], what: str) -> bool:
    """Run ``mount`` with ``arguments``; skip the test, saying why, if it fails."""
    done = subprocess.run(["mount", *arguments], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(
            f"cannot {what} here ({done.stderr.strip()!r}); Linux refuses to make a "
            f"mount read-only while a file on it is open for writing, as SQLite's "
            f"are, and mounting needs root. The same retry covers a full disk, "
            f"tested with a tiny tmpfs"
        )
    return True


async def test_a_lock_held_past_the_lease_leaves_a_running_job_one_outcome(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lease.sqlite"
    released: list[JobReleased] = []
    # Calls wait for the lock (no retries needed): the first in line after it is
    # freed is the loop that takes jobs, which finds the running job's claim over.
    store = store_at(path, busy_timeout=5)
    scheduler = AsyncScheduler(store, identity="lease", lease_duration=0.4)
    async with scheduler:
        scheduler.subscribe(released.append, JobReleased)
        await scheduler.start_in_background()
        job_id = await scheduler.add_job(
            fault_parts.sleep_then_return, args=[1.5], result_expiration_time=60
        )

        await until(running(scheduler))
        locker = sqlite3.connect(path, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        await anyio.sleep(1.0)  # 2.5 leases: every renewal fails meanwhile
        locker.execute("ROLLBACK")
        locker.close()
        with anyio.fail_after(15):
            result = await scheduler.get_job_result(job_id)
        await anyio.sleep(0.3)  # a second JobReleased would come by now
    assert result.outcome is JobOutcome.success
    assert [event.outcome for event in released] == [JobOutcome.success]


def backup(path: Path, copy: Path) -> None:
    source, target = sqlite3.connect(path), sqlite3.connect(copy)
    with target:
        source.backup(target)
    source.close()
    target.close()


async def test_a_damaged_file_restored_in_place_is_used_again_without_a_restart(
    tmp_path: Path,
) -> None:
    path, copy = tmp_path / "d.sqlite", tmp_path / "copy.sqlite"
    async with AsyncScheduler(store_at(path), identity="damaged") as scheduler:
        await scheduler.start_in_background()
        await scheduler.add_schedule(
            fault_parts.nothing, IntervalTrigger(hours=1), id="hourly"
        )
        assert await scheduler.run_job(fault_parts.return_text, args=[1]) == "x"
        backup(path, copy)
        checkpoint(path)  # everything in the main file: the scheduler reads it next
        with path.open("r+b") as file:  # the same file, every page overwritten
            file.write(b"garbage!" * (path.stat().st_size // 8))
        with pytest.raises(DataStoreCorrupt):
            await scheduler.get_schedules()
        with path.open("r+b") as file:  # restored in place
            file.write(copy.read_bytes())
            file.truncate()
        assert [s.id for s in await scheduler.get_schedules()] == ["hourly"]
        assert await scheduler.run_job(fault_parts.return_text, args=[2]) == "xx"
        assert scheduler.state is RunState.started


def checkpoint(path: Path) -> None:
    """Move every change from the -wal file into the database file."""
    with sqlite3.connect(path, isolation_level=None) as connection:
        while connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]:
            time.sleep(0.01)
    connection.close()


async def test_a_file_replaced_under_a_running_scheduler_is_reopened(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, copy = tmp_path / "r.sqlite", tmp_path / "copy.sqlite"
    runs = Runs()
    async with AsyncScheduler(store_at(path), identity="replaced") as scheduler:
        await scheduler.start_in_background()
        await scheduler.add_schedule(runs, IntervalTrigger(seconds=0.05), id="tick")
        await runs.more_than(2)
        backup(path, copy)
        os.replace(copy, path)
        await runs.more_than(len(runs.times) + 3)
        await scheduler.add_schedule(
            fault_parts.nothing, IntervalTrigger(hours=1), id="after"
        )
    # What the scheduler wrote after the swap is in the file at the path.
    with sqlite3.connect(path) as reader:
        ids = {row[0] for row in reader.execute("SELECT id FROM apsnb_schedules")}
    assert {"tick", "after"} <= ids
    assert any(
        "replaced" in r.getMessage() and str(path) in r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING
    )


async def test_a_deleted_file_is_an_error_until_it_is_put_back(
    tmp_path: Path,
) -> None:
    path, copy = tmp_path / "gone.sqlite", tmp_path / "copy.sqlite"
    runs = Runs()
    async with AsyncScheduler(store_at(path), identity="deleted") as scheduler:
        await scheduler.start_in_background()
        await scheduler.add_schedule(runs, IntervalTrigger(seconds=0.05), id="tick")
        await runs.more_than(2)
        backup(path, copy)
        path.unlink()
        with pytest.raises(DataStoreFileMissing, match=r"gone\.sqlite"):
            await scheduler.get_schedules()
        await anyio.sleep(0.3)
        assert not path.exists()  # not silently started afresh
        assert scheduler.state is RunState.started
        shutil.copy(copy, path)
        await runs.more_than(len(runs.times) + 3)
        assert [s.id for s in await scheduler.get_schedules()] == ["tick"]
