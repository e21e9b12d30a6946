"""The SQLite store measurements, run in a worker interpreter for one implementation.

Each measurement opens a fresh database file in a temporary folder on the
repository's disk (``.bench/tmp``), with the scheduler's defaults otherwise. The
shared-file measurements start separate scheduler processes (``--process``) and
count the runs their jobs log (see ``_sqlite_store_shared``).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _sqlite_store_jobs as jobs
from _scheduler_runs import Countdown, Library, latency_figures, time_due
from _sqlite_store_shared import measure_shared_due, measure_shared_jobs
from _store_runs import run_measurement, temporary_file

#: Schedules start this long after they are added, so setting up is not measured.
LATENCY_LEAD_SECONDS = 1.0


def database_file() -> AbstractContextManager[Path]:
    """A path for a fresh database, in a folder removed afterwards."""
    return temporary_file("bench.sqlite")


async def measure_add_schedules(library: Library, count: int) -> dict[str, Any]:
    """Schedules added per second, one ``add_schedule`` call each."""
    start_time = datetime.now(UTC) + timedelta(days=365)
    with database_file() as path:
        async with library.AsyncScheduler(jobs.make_store(library.package, path)) as s:
            trigger = library.IntervalTrigger(days=1, start_time=start_time)
            await s.add_schedule(jobs.trivial_async, trigger, id="warm-up")
            started = time.perf_counter()
            for number in range(count):
                trigger = library.IntervalTrigger(days=1, start_time=start_time)
                await s.add_schedule(jobs.trivial_async, trigger, id=f"far-{number}")
            seconds = time.perf_counter() - started
    return {"per_second": count / seconds, "seconds": seconds}


async def measure_jobs(library: Library, count: int) -> dict[str, Any]:
    """Jobs per second from the first ``add_job`` to the last ``JobReleased``."""
    with database_file() as path:
        store = jobs.make_store(library.package, path)
        async with library.AsyncScheduler(store) as scheduler:
            await scheduler.start_in_background()
            warm_up = Countdown(1)
            with scheduler.subscribe(warm_up, {library.JobReleased}):
                await scheduler.add_job(jobs.trivial_async)
                await warm_up.wait()
            gc.collect()
            countdown = Countdown(count)
            with scheduler.subscribe(countdown, {library.JobReleased}):
                started = time.perf_counter()
                for _ in range(count):
                    await scheduler.add_job(jobs.trivial_async)
                added = time.perf_counter()
                finished = await countdown.wait()
    return {
        "jobs_per_second": count / (finished - started),
        "seconds": finished - started,
        "add_seconds": added - started,
    }


async def measure_due(library: Library, count: int) -> dict[str, Any]:
    """Seconds from ``start_in_background()`` until every job of ``count`` schedules,
    all due when the scheduler starts, is released."""
    with database_file() as path:
        store = jobs.make_store(library.package, path)
        async with library.AsyncScheduler(store) as scheduler:
            seconds = await time_due(library, scheduler, count, jobs.trivial_async)
    return {"seconds": seconds}


async def measure_latency(
    library: Library, schedules: int, seconds: float
) -> dict[str, Any]:
    """Start latency (the job function's start − its fire time) of ``schedules``
    schedules firing every second, together, for ``seconds`` seconds."""
    jobs.STARTS.clear()
    first_fire_time = datetime.now(UTC) + timedelta(seconds=LATENCY_LEAD_SECONDS)
    last_fire_time = first_fire_time + timedelta(seconds=seconds)
    with database_file() as path:
        store = jobs.make_store(library.package, path)
        async with library.AsyncScheduler(store) as scheduler:
            await scheduler.start_in_background()
            for number in range(schedules):
                trigger = library.IntervalTrigger(seconds=1, start_time=first_fire_time)
                await scheduler.add_schedule(
                    jobs.record_start, trigger, id=f"tick-{number}"
                )
            remaining = (last_fire_time - datetime.now(UTC)).total_seconds()
            await asyncio.sleep(remaining + 0.5)
    return latency_figures(jobs.STARTS, last_fire_time.timestamp())


async def measure_shared(
    library: Library, kind: str, count: int, processes: int
) -> dict[str, Any]:
    """``count`` jobs (``kind="jobs"``) or due schedules (``"due"``) run by
    ``processes`` scheduler processes sharing one file."""
    with database_file() as path:
        if kind == "jobs":
            return await measure_shared_jobs(library, path, count, processes)
        return await measure_shared_due(library, path, count, processes)


MEASUREMENTS: dict[str, Callable[..., Any]] = {
    "add_schedules": measure_add_schedules,
    "jobs": measure_jobs,
    "due": measure_due,
    "latency": measure_latency,
    "shared": measure_shared,
}


def run(package: str, kind: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in this process; failures are returned, not raised."""
    return run_measurement(MEASUREMENTS, package, kind, parameters)
