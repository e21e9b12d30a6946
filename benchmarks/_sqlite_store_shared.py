"""Scheduler processes sharing one SQLite file: starting them, and the measurements.

Each process (``sqlite_store.py --process PACKAGE DB IDENTITY``) runs an
``AsyncScheduler`` on the file until SIGTERM. The measuring process adds the work
with a scheduler it does not start, and counts the runs the jobs log (one line each,
``_sqlite_store_jobs.log_run``): nothing crosses processes but the file itself.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _sqlite_store_jobs as jobs

SCRIPT = Path(__file__).resolve().parent / "sqlite_store.py"
#: How often the processes look at the file for work added by others.
POLL_INTERVAL = 0.25
#: The due schedules fire this long after they are added: every process has seen
#: them by then (a poll), so the race for them is fair.
DUE_LEAD_SECONDS = 2.0
#: A shared run that takes longer is reported as a failure, not waited for.
TIME_LIMIT_SECONDS = 300.0


def process_main(package: str, database: str, identity: str) -> None:
    """One scheduler process: run jobs and schedules from ``database`` until SIGTERM."""
    from _scheduler_runs import Library

    library = Library.load(package)
    jobs.current_job = library.current_job

    async def main() -> None:
        store = jobs.make_store(package, Path(database), POLL_INTERVAL)
        scheduler = library.AsyncScheduler(store, identity=identity)
        terminated = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, terminated.set)
        await scheduler.start_in_background()
        print("ready", flush=True)
        await terminated.wait()
        await scheduler.stop()

    asyncio.run(main())


@contextmanager
def scheduler_processes(
    package: str, database: Path, runs: Path, count: int
) -> Iterator[list[subprocess.Popen[str]]]:
    """Start ``count`` scheduler processes on ``database``; stop them at the end."""
    environ = {**os.environ, jobs.RUNS_ENV: str(runs)}
    processes = [
        subprocess.Popen(
            [sys.executable, str(SCRIPT), "--process", package, str(database), f"p{n}"],
            stdout=subprocess.PIPE,
            text=True,
            env=environ,
        )
        for n in range(count)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError(f"scheduler process {process.pid} did not start")
        yield processes
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()


def read_runs(runs: Path) -> list[list[str]]:
    """The logged runs: [job id, schedule id, fire time, pid, time] each."""
    if not runs.exists():
        return []
    return [line.split("\t") for line in runs.read_text().splitlines()]


async def wait_for_runs(runs: Path, count: int) -> list[list[str]]:
    """Wait until ``count`` runs are logged; return them."""
    deadline = time.monotonic() + TIME_LIMIT_SECONDS
    while True:
        logged = runs.read_bytes().count(b"\n") if runs.exists() else 0
        if logged >= count:
            return read_runs(runs)
        if time.monotonic() > deadline:
            raise TimeoutError(f"{logged} of {count} runs after {TIME_LIMIT_SECONDS} s")
        await asyncio.sleep(0.05)


def summary(rows: list[list[str]], key: slice) -> dict[str, Any]:
    """How many runs, how many of them repeated a key, and each process's share."""
    keys = Counter(tuple(row[key]) for row in rows)
    per_process = Counter(row[3] for row in rows)
    return {
        "runs": len(rows),
        "repeated": sum(count - 1 for count in keys.values()),
        "shares": sorted(count / len(rows) for count in per_process.values()),
    }


async def measure_shared_jobs(
    library: Any, database: Path, count: int, processes: int
) -> dict[str, Any]:
    """Jobs per second, from the first ``add_job`` to the last job's run."""
    runs = database.with_name("runs.log")
    store = jobs.make_store(library.package, database)
    with scheduler_processes(library.package, database, runs, processes):
        async with library.AsyncScheduler(store) as scheduler:
            await scheduler.configure_task(jobs.log_run)
            started = time.time()
            for _ in range(count):
                await scheduler.add_job(jobs.log_run)
        rows = await wait_for_runs(runs, count)
    finished = max(float(row[4]) for row in rows)
    return {
        "jobs_per_second": count / (finished - started),
        "seconds": finished - started,
        **summary(rows, slice(0, 1)),
    }


async def measure_shared_due(
    library: Any, database: Path, count: int, processes: int
) -> dict[str, Any]:
    """Seconds from the fire time of ``count`` schedules to the last job's run."""
    runs = database.with_name("runs.log")
    store = jobs.make_store(library.package, database)
    with scheduler_processes(library.package, database, runs, processes):
        fire_time = datetime.now(UTC) + timedelta(seconds=DUE_LEAD_SECONDS)
        async with library.AsyncScheduler(store) as scheduler:
            for number in range(count):
                trigger = library.IntervalTrigger(hours=1, start_time=fire_time)
                await scheduler.add_schedule(jobs.log_run, trigger, id=f"due-{number}")
        if datetime.now(UTC) >= fire_time:
            raise RuntimeError("adding the schedules took longer than their lead")
        rows = await wait_for_runs(runs, count)
        await asyncio.sleep(2 * POLL_INTERVAL)  # time for a repeated run to show
        rows = read_runs(runs)
    finished = max(float(row[4]) for row in rows)
    return {
        "seconds": finished - fire_time.timestamp(),
        **summary(rows, slice(1, 3)),
    }
