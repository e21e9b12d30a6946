"""Soak run: scheduler processes share one SQLite file while faults strike at random,
and every fire time is counted: run once, lost or duplicated.

    .venv/bin/python benchmarks/faults_soak.py                   # an hour
    .venv/bin/python benchmarks/faults_soak.py --duration 600    # ten minutes

Faults, one every few seconds: the write lock held by an outside connection for up to
twice the lease; the disk full for a few seconds (the file lives on a small tmpfs
mounted for the run, when this runs as root; otherwise that fault is left out and the
report says so); the file damaged and restored from a copy in place (``cp``); the file
replaced by a copy (``os.replace``); a process killed with SIGKILL and started again a
moment later with its identity.

Each job writes one line (schedule, fire time, process) to a log before it returns.
At the end the faults stop, the processes catch up, and each fire time from the start
to the last fault is looked up: run once, run more than once (duplicated), not run but
recorded as ``abandoned`` in the run history (a process killed between taking the job
and starting it; a recorded outcome, not a silent loss), or neither (lost).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _soak_faults import FaultInjector, Workers, mount_tiny_disk, unmount

from apsnb import AsyncScheduler, CoalescePolicy, JobOutcome, current_job
from apsnb.datastores.sqlite import SQLiteDataStore
from apsnb.triggers.interval import IntervalTrigger

SCRIPT = Path(__file__).resolve()
RUNS_ENV = "APSNB_SOAK_RUNS"
POLL = 0.25


def record_run() -> None:
    """The job: note this fire time as run, then take a moment (kills land mid-job)."""
    job = current_job.get()
    assert job is not None and job.scheduled_fire_time is not None
    line = (
        f"{job.schedule_id} {job.scheduled_fire_time.timestamp():.6f} {os.getpid()}\n"
    )
    descriptor = os.open(os.environ[RUNS_ENV], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(descriptor, line.encode())
    finally:
        os.close(descriptor)
    time.sleep(random.uniform(0, 0.05))


def store_at(path: Path) -> SQLiteDataStore:
    return SQLiteDataStore(path, poll_interval=POLL)


async def work(path: Path, identity: str, lease: float) -> None:
    """A worker process: run the shared schedules until SIGTERM."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    scheduler = AsyncScheduler(
        store_at(path), identity=identity, lease_duration=lease, cleanup_interval=None
    )
    async with scheduler:
        await scheduler.configure_task(record_run)
        await scheduler.start_in_background()
        print("ready", flush=True)
        await stop.wait()


async def add_schedules(path: Path, count: int, interval: float) -> datetime:
    """Add the schedules, all starting a little from now; return that start."""
    start = datetime.now(UTC) + timedelta(seconds=2)
    async with AsyncScheduler(store_at(path), identity="soak-setup") as scheduler:
        task = await scheduler.configure_task(record_run)
        for number in range(count):
            await scheduler.add_schedule(
                task.id,
                IntervalTrigger(seconds=interval, start_time=start),
                id=f"s{number:03}",
                coalesce=CoalescePolicy.all,  # every fire time gets a job
                misfire_grace_time=None,  # however late
            )
    return start


async def abandoned_fire_times(path: Path) -> set[tuple[str, float]]:
    async with AsyncScheduler(store_at(path), identity="soak-count") as scheduler:
        runs = await scheduler.get_runs(limit=None)
    return {
        (run.schedule_id, round(run.scheduled_fire_time.timestamp(), 6))
        for run in runs
        if run.outcome is JobOutcome.abandoned
        and run.schedule_id is not None
        and run.scheduled_fire_time is not None
    }


def read_runs(runs: Path) -> Counter[tuple[str, float]]:
    counts: Counter[tuple[str, float]] = Counter()
    if runs.exists():
        for line in runs.read_text().splitlines():
            schedule_id, stamp, _ = line.split()
            counts[schedule_id, round(float(stamp), 6)] += 1
    return counts


def soak(arguments: argparse.Namespace) -> int:
    folder = Path(tempfile.mkdtemp(prefix="apsnb-soak-"))
    disk, disk_note = mount_tiny_disk(folder / "disk", arguments.disk_mb)
    path = (disk or folder) / "soak.sqlite"
    runs = folder / "runs.log"
    os.environ[RUNS_ENV] = str(runs)
    rng = random.Random(arguments.seed)
    start = asyncio.run(add_schedules(path, arguments.schedules, arguments.interval))
    workers = Workers(SCRIPT, path, arguments.processes, arguments.lease)
    injector = FaultInjector(path, disk, workers, rng, lease=arguments.lease)
    print(
        f"{arguments.processes} processes, {arguments.schedules} schedules every "
        f"{arguments.interval:g} s, {arguments.duration:g} s of faults; file {path}"
        + (f"; {disk_note}" if disk_note else ""),
        flush=True,
    )
    try:
        workers.start_all()
        ends = time.monotonic() + arguments.duration
        while time.monotonic() < ends:
            injector.strike()
            time.sleep(rng.uniform(1.0, arguments.max_pause))
            if arguments.progress:
                print(f"  {injector.summary()}", flush=True)
        injector.heal()
        last_counted = datetime.now(UTC)
        # Let every process catch up: claims of killed ones end, late jobs run.
        time.sleep(3 * arguments.lease + 3)
        workers.stop_all()
    finally:
        workers.kill_all()
        if disk is not None:
            unmount(disk)
    return report(arguments, start, last_counted, runs, path, injector, folder)


def report(
    arguments: argparse.Namespace,
    start: datetime,
    last_counted: datetime,
    runs: Path,
    path: Path,
    injector: FaultInjector,
    folder: Path,
) -> int:
    counts = read_runs(runs)
    abandoned: set[tuple[str, float]] = set()
    if path.exists():
        abandoned = asyncio.run(abandoned_fire_times(path))
    expected = []
    for number in range(arguments.schedules):
        fire_time = start
        while fire_time <= last_counted:
            expected.append((f"s{number:03}", round(fire_time.timestamp(), 6)))
            fire_time += timedelta(seconds=arguments.interval)
    once = sum(1 for key in expected if counts[key] == 1)
    duplicated = sum(1 for key in expected if counts[key] > 1)
    recorded = sum(1 for key in expected if counts[key] == 0 and key in abandoned)
    lost = sum(1 for key in expected if counts[key] == 0 and key not in abandoned)
    print()
    print(f"faults injected: {injector.summary()}")
    print(f"fire times due: {len(expected):,}")
    print(f"run once: {once:,}")
    print(f"duplicated: {duplicated:,}")
    print(f"not run, recorded as abandoned: {recorded:,}")
    print(f"lost: {lost:,}")
    print(f"(files kept in {folder})")
    return 0 if duplicated == 0 and lost == 0 else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3600.0, help="seconds")
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--schedules", type=int, default=20)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds")
    parser.add_argument("--max-pause", type=float, default=8.0, help="between faults")
    parser.add_argument("--disk-mb", type=int, default=64, help="size of the tmpfs")
    parser.add_argument("--lease", type=float, default=3.0, help="seconds")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--worker", nargs=2, metavar=("PATH", "IDENTITY"))
    arguments = parser.parse_args(argv)
    if arguments.worker:
        asyncio.run(
            work(Path(arguments.worker[0]), arguments.worker[1], arguments.lease)
        )
        return 0
    return soak(arguments)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
