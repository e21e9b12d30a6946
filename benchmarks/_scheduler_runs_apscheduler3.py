"""The scheduler measurements for APScheduler 3, run inside its own worker interpreter.

APScheduler 3 has another API (a synchronous ``add_job`` that also makes schedules,
listeners with event masks, no ``current_job``), so it gets its own copy of each
measurement of ``_scheduler_runs``, doing the same work:

- ``AsyncIOScheduler`` on the running asyncio loop, as apsnb's ``AsyncScheduler``,
  with its default memory job store and its default executor, which awaits a coroutine
  function on the loop and runs a plain one in the loop's default thread pool
  (``run_in_executor``): apsnb's defaults do the same.
- ``misfire_grace_time=None``: a job runs however late it starts, as apsnb's jobs do
  unless told otherwise (APScheduler 3's default, 1 s, would skip jobs of a backlog).
- A job counts as done when its ``EVENT_JOB_EXECUTED`` (or ``_ERROR``) arrives, as
  apsnb's count its ``JobReleased``.
"""

from __future__ import annotations

import asyncio
import gc
import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from _scheduler_runs import (
    IDLE_SETTLE_SECONDS,
    LATENCY_LEAD_SECONDS,
    Countdown,
    latency_figures,
    max_rss_kib,
    trivial_async,
    trivial_sync,
)
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

#: Every way a job can end; a missed job would otherwise leave the count short.
FINISHED = EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED


def new_scheduler() -> AsyncIOScheduler:
    """A scheduler with the settings every measurement shares (see the module)."""
    return AsyncIOScheduler(timezone=UTC, job_defaults={"misfire_grace_time": None})


async def measure_jobs(count: int, variant: str) -> dict[str, Any]:
    """Jobs per second from the first ``add_job`` to the last finished job.

    ``threads`` is the ``sync`` run again: APScheduler 3 runs a plain function in a
    thread pool by default, and limits running instances per job, never per function.
    """
    func = trivial_async if variant == "async" else trivial_sync
    scheduler = new_scheduler()
    scheduler.start()
    try:
        warm_up = Countdown(1)  # starts the loop's thread pool, for a plain function
        scheduler.add_listener(warm_up, FINISHED)
        scheduler.add_job(func)
        await warm_up.wait()
        scheduler.remove_listener(warm_up)
        gc.collect()
        rss_before = max_rss_kib()
        countdown = Countdown(count)
        scheduler.add_listener(countdown, FINISHED)
        started = time.perf_counter()
        for _ in range(count):
            scheduler.add_job(func)
        added = time.perf_counter()
        finished = await countdown.wait()
        peak_growth_kib = max_rss_kib() - rss_before
    finally:
        scheduler.shutdown(wait=False)
    return {
        "jobs_per_second": count / (finished - started),
        "seconds": finished - started,
        "add_seconds": added - started,
        "peak_rss_growth_mib": peak_growth_kib / 1024,
    }


async def measure_due_schedules(count: int) -> dict[str, Any]:
    """Seconds from ``start()`` until every job of ``count`` schedules, all due when
    the scheduler starts, has finished.

    APScheduler 3's ``IntervalTrigger`` never fires at a start in the past, so each
    schedule's first run time is given as ``next_run_time``.
    """
    # As for apsnb: a first start, untimed, imports what starting needs.
    warm_up = new_scheduler()
    warm_up.start()
    warm_up.shutdown(wait=False)
    first_fire_time = datetime.now(UTC) - timedelta(seconds=1)
    scheduler = new_scheduler()
    for number in range(count):
        scheduler.add_job(
            trivial_async,
            IntervalTrigger(hours=1, start_date=first_fire_time, timezone=UTC),
            id=f"due-{number}",
            next_run_time=first_fire_time,
        )
    countdown = Countdown(count)
    scheduler.add_listener(countdown, FINISHED)
    gc.collect()
    started = time.perf_counter()
    scheduler.start()
    try:
        finished = await countdown.wait()
    finally:
        scheduler.shutdown(wait=False)
    return {"seconds": finished - started}


#: (actual start, scheduled start) of each latency job, as POSIX timestamps.
STARTS: list[tuple[float, float]] = []
#: The first fire time of the latency schedules, as a POSIX timestamp.
_first_fire_time = 0.0


def _record_start() -> None:
    # No current_job here: the schedules fire on whole seconds after the first fire
    # time, and a job starts well within a second, so its fire time is the last one.
    now = time.time()
    STARTS.append((now, _first_fire_time + math.floor(now - _first_fire_time)))


def record_start_sync() -> None:
    """Record when the job started and when it was meant to, as a plain function."""
    _record_start()


async def record_start_async() -> None:
    """Record when the job started and when it was meant to, as a coroutine."""
    _record_start()


async def measure_latency(
    schedules: int, seconds: float, variant: str
) -> dict[str, Any]:
    """Start latency of ``schedules`` schedules firing every second, together."""
    global _first_fire_time
    func = record_start_async if variant == "async" else record_start_sync
    first_fire_time = datetime.now(UTC) + timedelta(seconds=LATENCY_LEAD_SECONDS)
    last_fire_time = first_fire_time + timedelta(seconds=seconds)
    _first_fire_time = first_fire_time.timestamp()
    scheduler = new_scheduler()
    scheduler.start()
    try:
        for number in range(schedules):
            trigger = IntervalTrigger(
                seconds=1, start_date=first_fire_time, timezone=UTC
            )
            scheduler.add_job(func, trigger, id=f"tick-{number}")
        await asyncio.sleep((last_fire_time - datetime.now(UTC)).total_seconds() + 0.5)
    finally:
        scheduler.shutdown(wait=False)
    return latency_figures(STARTS, last_fire_time.timestamp())


async def measure_idle_cpu(schedules: int, seconds: float) -> dict[str, Any]:
    """CPU time of the whole process while ``schedules`` far-future schedules wait."""
    first_fire_time = datetime.now(UTC) + timedelta(days=365)
    scheduler = new_scheduler()
    for number in range(schedules):
        trigger = IntervalTrigger(days=1, start_date=first_fire_time, timezone=UTC)
        scheduler.add_job(trivial_async, trigger, id=f"far-{number}")
    scheduler.start()
    try:
        await asyncio.sleep(IDLE_SETTLE_SECONDS)
        gc.collect()
        cpu_before, wall_before = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu = time.process_time() - cpu_before
        wall = time.perf_counter() - wall_before
    finally:
        scheduler.shutdown(wait=False)
    return {
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "percent_of_core": cpu / wall * 100,
    }


MEASUREMENTS = {
    "jobs": measure_jobs,
    "due_schedules": measure_due_schedules,
    "latency": measure_latency,
    "idle_cpu": measure_idle_cpu,
}
