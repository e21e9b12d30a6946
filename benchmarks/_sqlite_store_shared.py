"""Scheduler processes sharing one SQLite file: starting them, and the measurements.

Each process (``sqlite_store.py --process PACKAGE DB IDENTITY``) runs an
``AsyncScheduler`` on the file until SIGTERM. The measuring process adds the work
with a scheduler it does not start, and counts the runs the jobs log (one line each,
``_sqlite_store_jobs.log_run``): nothing crosses processes but the file itself.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _sqlite_store_jobs as jobs
from _store_runs import read_runs, scheduler_processes, serve, summary, wait_for_runs

SCRIPT = Path(__file__).resolve().parent / "sqlite_store.py"
#: How often the processes look at the file for work added by others.
POLL_INTERVAL = 0.25
#: The due schedules fire this long after they are added: every process has seen
#: them by then (a poll), so the race for them is fair.
DUE_LEAD_SECONDS = 2.0


def process_main(package: str, database: str, identity: str) -> None:
    """One scheduler process: run jobs and schedules from ``database`` until SIGTERM."""
    serve(
        package,
        identity,
        lambda: (jobs.make_store(package, Path(database), POLL_INTERVAL),),
    )


async def measure_shared_jobs(
    library: Any, database: Path, count: int, processes: int
) -> dict[str, Any]:
    """Jobs per second, from the first ``add_job`` to the last job's run."""
    runs = database.with_name("runs.log")
    store = jobs.make_store(library.package, database)
    with scheduler_processes(SCRIPT, library.package, str(database), runs, processes):
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
    with scheduler_processes(SCRIPT, library.package, str(database), runs, processes):
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
