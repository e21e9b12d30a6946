"""The scheduler measurements, run inside a worker interpreter for one implementation.

apsnb and APScheduler 4.0.0a6 share the API used here (``AsyncScheduler`` as an async
context manager, ``start_in_background``, ``add_job``, ``add_schedule``, ``subscribe``,
``IntervalTrigger``, ``current_job``, ``JobReleased``), so one function per measurement
serves both; :class:`Library` holds the few names imported from the package under test.
Every measurement starts a fresh scheduler with the default memory store and broker.
APScheduler 3's API differs; its measurements are in ``_scheduler_runs_apscheduler3``.
"""

from __future__ import annotations

import asyncio
import gc
import math
import resource
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import Any

#: The package each implementation is imported as, in its own environment.
PACKAGES = {
    "apsnb": "apsnb",
    "apscheduler3": "apscheduler",
    "apscheduler4": "apscheduler",
}
#: A measurement that takes longer is reported as a failure, not waited for.
RUN_TIME_LIMIT_SECONDS = 300.0
#: Schedules start this long after they are added, so setting up is not measured.
LATENCY_LEAD_SECONDS = 1.0
#: Time for the scheduler to settle (imports, first wake-ups) before idling is timed.
IDLE_SETTLE_SECONDS = 1.0


@dataclass(frozen=True)
class Library:
    """The names the measurements use, from ``apsnb`` or ``apscheduler``."""

    package: str
    AsyncScheduler: Any
    JobReleased: Any
    IntervalTrigger: Any
    current_job: Any

    @classmethod
    def load(cls, package: str) -> Library:
        root = import_module(package)
        interval = import_module(f"{package}.triggers.interval")
        return cls(
            package,
            root.AsyncScheduler,
            root.JobReleased,
            interval.IntervalTrigger,
            root.current_job,
        )


# The job functions: importable, so both libraries can make a task of them.


def trivial_sync() -> None:
    """A job that does nothing, as a plain function."""


async def trivial_async() -> None:
    """A job that does nothing, as a coroutine function."""


#: (actual start, scheduled start) of each latency job, as POSIX timestamps.
STARTS: list[tuple[float, float]] = []
#: Set by :func:`measure_latency`: the running library's ``current_job``.
_current_job: Any = None


def _record_start() -> None:
    now = time.time()
    job = _current_job.get()
    STARTS.append((now, job.scheduled_fire_time.timestamp()))


def record_start_sync() -> None:
    """Record when the job started and when it was meant to, as a plain function."""
    _record_start()


async def record_start_async() -> None:
    """Record when the job started and when it was meant to, as a coroutine."""
    _record_start()


# Measurements


class Countdown:
    """An event callback that counts JobReleased events and notes when the
    ``target``-th arrives (a plain function: both libraries call it on the loop)."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.released = 0
        self.finished_at: float | None = None
        self.done = asyncio.Event()

    def __call__(self, event: object) -> None:
        self.released += 1
        if self.released == self.target:
            self.finished_at = time.perf_counter()
            self.done.set()

    async def wait(self) -> float:
        """Wait for the last release; return its ``perf_counter()`` time."""
        await asyncio.wait_for(self.done.wait(), RUN_TIME_LIMIT_SECONDS)
        assert self.finished_at is not None
        return self.finished_at


async def measure_jobs(library: Library, count: int, variant: str) -> dict[str, Any]:
    """Jobs per second from the first ``add_job`` to the last ``JobReleased``.

    ``variant``: ``sync`` and ``async`` use each library's defaults for a plain and a
    coroutine function; ``threads`` sets the same task settings on both (thread pool,
    no limit on a task's running jobs).
    """
    func = trivial_async if variant == "async" else trivial_sync
    async with library.AsyncScheduler() as scheduler:
        if variant == "threads":
            await scheduler.configure_task(
                func, job_executor="threadpool", max_running_jobs=None
            )
        await scheduler.start_in_background()
        # A warm-up job creates the task and the first worker thread.
        warm_up = Countdown(1)
        with scheduler.subscribe(warm_up, {library.JobReleased}):
            await scheduler.add_job(func)
            await warm_up.wait()
        gc.collect()
        rss_before = max_rss_kib()
        countdown = Countdown(count)
        with scheduler.subscribe(countdown, {library.JobReleased}):
            started = time.perf_counter()
            for _ in range(count):
                await scheduler.add_job(func)
            added = time.perf_counter()
            finished = await countdown.wait()
        peak_growth_kib = max_rss_kib() - rss_before
    return {
        "jobs_per_second": count / (finished - started),
        "seconds": finished - started,
        "add_seconds": added - started,
        "peak_rss_growth_mib": peak_growth_kib / 1024,
    }


async def measure_due_schedules(library: Library, count: int) -> dict[str, Any]:
    """Seconds from ``start_in_background()`` until every job of ``count`` schedules,
    all due when the scheduler starts, is released (on a second scheduler of the
    process: the first start's imports are not counted)."""
    # A first start imports what starting needs, once per process: not timed.
    async with library.AsyncScheduler() as warm_up:
        await warm_up.start_in_background()
    async with library.AsyncScheduler() as scheduler:
        seconds = await time_due(library, scheduler, count, trivial_async)
    return {"seconds": seconds}


async def time_due(
    library: Library,
    scheduler: Any,
    count: int,
    func: Callable[[], Any],
    wait: Callable[[Countdown], Awaitable[float]] = Countdown.wait,
) -> float:
    """Add ``count`` schedules of ``func``, all due, to ``scheduler`` (entered, not
    started); return the seconds from its ``start_in_background()`` until every job
    of them is released (``wait(countdown)`` returns when)."""
    first_fire_time = datetime.now(UTC) - timedelta(seconds=1)
    for number in range(count):
        trigger = library.IntervalTrigger(hours=1, start_time=first_fire_time)
        await scheduler.add_schedule(func, trigger, id=f"due-{number}")
    countdown = Countdown(count)
    scheduler.subscribe(countdown, {library.JobReleased})
    gc.collect()
    started = time.perf_counter()
    await scheduler.start_in_background()
    return await wait(countdown) - started


async def measure_latency(
    library: Library, schedules: int, seconds: float, variant: str
) -> dict[str, Any]:
    """Start latency (job function's start − fire time) of ``schedules`` schedules
    firing every second, together, for ``seconds`` seconds."""
    global _current_job
    _current_job = library.current_job
    func = record_start_async if variant == "async" else record_start_sync
    first_fire_time = datetime.now(UTC) + timedelta(seconds=LATENCY_LEAD_SECONDS)
    last_fire_time = first_fire_time + timedelta(seconds=seconds)
    async with library.AsyncScheduler() as scheduler:
        await scheduler.start_in_background()
        for number in range(schedules):
            trigger = library.IntervalTrigger(seconds=1, start_time=first_fire_time)
            await scheduler.add_schedule(func, trigger, id=f"tick-{number}")
        # Half a second after the last counted fire time, its jobs have all started.
        await asyncio.sleep((last_fire_time - datetime.now(UTC)).total_seconds() + 0.5)
    return latency_figures(STARTS, last_fire_time.timestamp())


async def measure_idle_cpu(
    library: Library, schedules: int, seconds: float
) -> dict[str, Any]:
    """CPU time of the whole process while ``schedules`` far-future schedules wait."""
    first_fire_time = datetime.now(UTC) + timedelta(days=365)
    async with library.AsyncScheduler() as scheduler:
        for number in range(schedules):
            trigger = library.IntervalTrigger(days=1, start_time=first_fire_time)
            await scheduler.add_schedule(trivial_async, trigger, id=f"far-{number}")
        await scheduler.start_in_background()
        await asyncio.sleep(IDLE_SETTLE_SECONDS)
        gc.collect()
        cpu_before, wall_before = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu = time.process_time() - cpu_before
        wall = time.perf_counter() - wall_before
    return {
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "percent_of_core": cpu / wall * 100,
    }


MEASUREMENTS: dict[str, Callable[..., Any]] = {
    "jobs": measure_jobs,
    "due_schedules": measure_due_schedules,
    "latency": measure_latency,
    "idle_cpu": measure_idle_cpu,
}


def run(peer: str, kind: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement of ``peer`` in this process; failures are returned, not
    raised. APScheduler 3's API differs: its measurements have a module of their own.

    ``parameters["rounds"]`` (default 1): how many times to run it, each on a fresh
    scheduler, reporting the median round (peak memory: the largest growth, since
    later rounds reuse what the first one grew).
    """
    parameters = dict(parameters)
    rounds = parameters.pop("rounds", 1)
    if peer == "apscheduler3":
        from _scheduler_runs_apscheduler3 import MEASUREMENTS as APSCHEDULER3

        def once() -> dict[str, Any]:
            return asyncio.run(APSCHEDULER3[kind](**parameters))
    else:

        def once() -> dict[str, Any]:
            library = Library.load(PACKAGES[peer])
            return asyncio.run(MEASUREMENTS[kind](library, **parameters))

    try:
        outcomes = [once() for _ in range(rounds)]
    except Exception as error:  # one implementation's failure must not hide the other's
        return {"problem": f"{type(error).__name__}: {error}"}
    return {"version": _version(PACKAGES[peer]), **_combined(outcomes)}


def _combined(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    combined = {}
    for field in rounds[0]:
        values = [outcome[field] for outcome in rounds]
        combine = max if field == "peak_rss_growth_mib" else statistics.median
        combined[field] = combine(values)
    return combined


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    distribution = {"apscheduler": "APScheduler"}.get(package, package)
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def max_rss_kib() -> int:
    """The process's peak resident memory so far (KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def latency_figures(
    starts: list[tuple[float, float]],
    until: float,
    since: float = -math.inf,
    nothing: str = "no job started",
) -> dict[str, Any]:
    """The start latencies (actual start − fire time, ms) of the ``starts`` whose
    fire times are from ``since`` to before ``until`` (POSIX seconds): how many,
    the median, p99 and the largest. Without any, ``RuntimeError(nothing)``."""
    latencies_ms = sorted(
        (started - scheduled) * 1000
        for started, scheduled in starts
        if since <= scheduled < until
    )
    if not latencies_ms:
        raise RuntimeError(nothing)
    return {
        "jobs": len(latencies_ms),
        "p50_ms": statistics.median(latencies_ms),
        "p99_ms": percentile(latencies_ms, 0.99),
        "max_ms": latencies_ms[-1],
    }


def percentile(ordered: list[float], fraction: float) -> float:
    """The nearest-rank percentile of sorted values."""
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
    return ordered[rank]
