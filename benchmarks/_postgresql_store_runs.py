"""The PostgreSQL store measurements, run in a worker interpreter for one implementation.

Each measurement creates a database of its own on the server (dropped afterwards),
and uses each implementation's PostgreSQL store with its LISTEN/NOTIFY broker: apsnb's
``PostgreSQLDataStore`` (psycopg 3) and ``PostgreSQLEventBroker``, APScheduler
4.0.0a6's ``SQLAlchemyDataStore`` on ``postgresql+asyncpg`` and ``AsyncpgEventBroker``.
Runs with several processes start scheduler processes (``--process``) and count the
runs their jobs log (``_sqlite_store_jobs.log_run``).
"""

from __future__ import annotations

import asyncio
import math
import os
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import _sqlite_store_jobs as jobs
from _scheduler_runs import Countdown, Library, latency_figures, time_due
from _store_runs import (
    TIME_LIMIT_SECONDS,
    read_runs,
    run_measurement,
    scheduler_processes,
    serve,
    summary,
    temporary_file,
    wait_for_runs,
)

SCRIPT = Path(__file__).resolve().parent / "postgresql_store.py"
LOCAL_URL = "postgresql://postgres:postgres@127.0.0.1:5432/postgres"
#: Schedules start this long after they are added, so setting up is not measured.
LATENCY_LEAD_SECONDS = 1.0
#: A schedule added by one process fires this long after, in another.
WAKEUP_LEAD_SECONDS = 0.3
#: The longest a process goes without looking at the store (apsnb): only a
#: notification can wake it in time.
IDLE_POLL_SECONDS = 30.0


def server_url() -> str:
    """The server: ``APSNB_BENCH_POSTGRES_URL``, ``APSNB_TEST_POSTGRES_URL``, or the
    machine's own (``.ci/start-postgres``)."""
    return (
        os.environ.get("APSNB_BENCH_POSTGRES_URL")
        or os.environ.get("APSNB_TEST_POSTGRES_URL")
        or LOCAL_URL
    )


#: A run that takes longer is reported as stalled (with how far it got).
STALL_SECONDS = 180.0

#: The environment variable carrying ``--synchronous-commit`` to the workers.
SYNCHRONOUS_COMMIT_ENV = "APSNB_BENCH_SYNCHRONOUS_COMMIT"


@contextmanager
def fresh_database() -> Iterator[str]:
    """The URL of a new, empty database, dropped afterwards.

    Its ``synchronous_commit`` (the same for both implementations) is the server's
    default (``on``: every commit waits for the disk) unless
    ``$APSNB_BENCH_SYNCHRONOUS_COMMIT`` says otherwise.
    """
    admin_url = server_url()
    name = f"apsnb_bench_{uuid.uuid4().hex[:10]}"
    administer(admin_url, f'CREATE DATABASE "{name}"')
    setting = os.environ.get(SYNCHRONOUS_COMMIT_ENV)
    if setting in ("on", "off"):
        administer(
            admin_url, f'ALTER DATABASE "{name}" SET synchronous_commit = {setting}'
        )
    try:
        yield urlunsplit(urlsplit(admin_url)._replace(path="/" + name))
    finally:
        administer(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def administer(url: str, statement: str, patience: float = 30.0) -> None:
    """Run ``statement`` on the server, trying again while it restarts."""
    import psycopg

    deadline = time.monotonic() + patience
    while True:
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=5) as admin:
                admin.execute(statement)
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def store_and_broker(package: str, url: str, poll_interval: float | None = None) -> Any:
    """The implementation's PostgreSQL store and event broker on ``url``."""
    if package == "apsnb":
        from apsnb.datastores.postgresql import PostgreSQLDataStore
        from apsnb.eventbrokers.postgresql import PostgreSQLEventBroker

        options = {} if poll_interval is None else {"poll_interval": poll_interval}
        # Worker processes run the jobs module's functions from the store.
        store = PostgreSQLDataStore(url, allowed_modules=[jobs.__name__], **options)
        return store, PostgreSQLEventBroker(url)
    from apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore
    from apscheduler.eventbrokers.asyncpg import AsyncpgEventBroker

    engine_url = url.replace("postgresql://", "postgresql+asyncpg://", 1)
    return SQLAlchemyDataStore(engine_url), AsyncpgEventBroker(url)


def scheduler(library: Library, url: str, **options: Any) -> Any:
    store, broker = store_and_broker(library.package, url)
    return library.AsyncScheduler(store, broker, **options)


async def measure_due(library: Library, count: int) -> dict[str, Any]:
    """Seconds from ``start_in_background()`` until every job of ``count`` schedules,
    all due when the scheduler starts, is released (one process)."""
    with fresh_database() as url:
        async with scheduler(library, url) as s:
            seconds = await time_due(library, s, count, jobs.trivial_async, stalled)
    return {"seconds": seconds}


async def stalled(countdown: Countdown) -> float:
    """``countdown.wait()``, failing with what was done if it stalls."""
    try:
        return await asyncio.wait_for(countdown.wait(), STALL_SECONDS)
    except TimeoutError:
        raise RuntimeError(
            f"stalled: {countdown.released} of {countdown.target} jobs released "
            f"after {STALL_SECONDS:.0f} s"
        ) from None


async def measure_latency(
    library: Library,
    schedules: int,
    seconds: float,
    lead_seconds: float = LATENCY_LEAD_SECONDS,
) -> dict[str, Any]:
    """Start latency (the job's start − its fire time) of ``schedules`` schedules
    firing every second, together, for ``seconds`` seconds (one process).

    Measured from the first fire time after the last schedule is added: on a loaded
    machine adding them (durable commits) can outlast ``lead_seconds``, and the fire
    times that passed meanwhile would measure the setup, not the scheduler.
    """
    jobs.STARTS.clear()
    start_time = datetime.now(UTC) + timedelta(seconds=lead_seconds)
    with fresh_database() as url:
        async with scheduler(library, url) as s:
            await s.start_in_background()
            for number in range(schedules):
                trigger = library.IntervalTrigger(seconds=1, start_time=start_time)
                await s.add_schedule(jobs.record_start, trigger, id=f"tick-{number}")
            added = datetime.now(UTC)
            passed = math.ceil(max(0.0, (added - start_time).total_seconds()))
            first_fire_time = start_time + timedelta(seconds=passed)
            last_fire_time = first_fire_time + timedelta(seconds=seconds)
            remaining = (last_fire_time - datetime.now(UTC)).total_seconds()
            await asyncio.sleep(remaining + 0.5)
    # Fire times are whole seconds after start_time: a millisecond absorbs rounding.
    return latency_figures(
        jobs.STARTS,
        last_fire_time.timestamp(),
        first_fire_time.timestamp() - 0.001,
        f"no job started for a fire time from {first_fire_time:%H:%M:%S.%f} to "
        f"{last_fire_time:%H:%M:%S.%f} ({len(jobs.STARTS)} starts in all; the "
        f"schedules were added by {added:%H:%M:%S.%f})",
    )


async def measure_jobs(library: Library, count: int, processes: int) -> dict[str, Any]:
    """Jobs per second through ``processes`` scheduler processes: ``count`` trivial
    jobs are queued first, and timed from the first run to the last."""
    with fresh_database() as url, run_log() as runs:
        async with scheduler(library, url) as s:
            await s.configure_task(jobs.log_run)
            for _ in range(count):
                await s.add_job(jobs.log_run)
        with scheduler_processes(
            SCRIPT, library.package, url, runs, processes
        ) as started:
            try:
                rows = await wait_for_runs_while_alive(runs, count, started)
                note = {}
            except TimeoutError:
                # Slower than the time limit: the rate of the runs done so far.
                rows = read_runs(runs)
                note = {"incomplete": f"{len(rows):,} of {count:,} jobs run in the "
                        f"{TIME_LIMIT_SECONDS:.0f} s time limit"}  # fmt: skip
    if len(rows) < 2:
        raise RuntimeError(f"{len(rows)} of {count} jobs ran")
    times = [float(row[4]) for row in rows]
    seconds = max(times) - min(times)
    return {
        "jobs_per_second": len(rows) / seconds,
        "seconds": seconds,
        **summary(rows, slice(0, 1)),
        **note,
    }


async def measure_wakeup(library: Library, repeats: int) -> dict[str, Any]:
    """How late a schedule added in this process starts in another, idle one."""
    lateness_ms = []
    with fresh_database() as url, run_log() as runs:
        async with scheduler(library, url) as s:
            await s.configure_task(jobs.log_run)  # created before the worker starts
        with scheduler_processes(SCRIPT, library.package, url, runs, 1) as processes:
            await asyncio.sleep(1.0)  # idle, with nothing to do
            for number in range(repeats):
                fire_time = datetime.now(UTC) + timedelta(seconds=WAKEUP_LEAD_SECONDS)
                async with scheduler(library, url) as s:
                    trigger = library.IntervalTrigger(hours=1, start_time=fire_time)
                    await s.add_schedule(jobs.log_run, trigger, id=f"wake-{number}")
                rows = await wait_for_runs_while_alive(runs, number + 1, processes)
                started = max(float(row[4]) for row in rows)
                lateness_ms.append((started - fire_time.timestamp()) * 1000)
    lateness_ms.sort()
    return {
        "p50_ms": statistics.median(lateness_ms),
        "max_ms": lateness_ms[-1],
        "repeats": repeats,
    }


async def wait_for_runs_while_alive(
    runs: Path, count: int, processes: list[subprocess.Popen[str]]
) -> list[list[str]]:
    """Wait until ``count`` runs are logged; fail at once if every process died."""
    waiting = asyncio.ensure_future(wait_for_runs(runs, count))
    try:
        while not waiting.done():
            if all(process.poll() is not None for process in processes):
                logged = len(read_runs(runs))
                codes = [process.returncode for process in processes]
                raise RuntimeError(
                    f"the scheduler processes exited (codes {codes}) after {logged} "
                    f"of {count} runs"
                )
            await asyncio.wait({waiting}, timeout=0.5)
        return waiting.result()
    finally:
        waiting.cancel()


def run_log() -> AbstractContextManager[Path]:
    return temporary_file("runs.log")


def process_main(package: str, url: str, identity: str) -> None:
    """One scheduler process: run jobs and schedules from ``url`` until SIGTERM."""
    serve(package, identity, lambda: store_and_broker(package, url, IDLE_POLL_SECONDS))


MEASUREMENTS: dict[str, Callable[..., Any]] = {
    "due": measure_due,
    "latency": measure_latency,
    "jobs": measure_jobs,
    "wakeup": measure_wakeup,
}


def run(package: str, kind: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in this process; failures are returned, not raised."""
    return run_measurement(MEASUREMENTS, package, kind, parameters)


__all__ = ("process_main", "read_runs", "run")
