"""The SQLite store benchmark's job functions and its store factory.

Kept apart from the script (which runs as ``__main__``) so that both libraries store
these functions by reference and processes sharing a file can all import them.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

#: The environment variable naming the file shared-file jobs log their runs to.
RUNS_ENV = "APSNB_BENCH_RUNS"
#: The running library's ``current_job``, set by the process that runs jobs.
current_job: Any = None


async def trivial_async() -> None:
    """A job that does nothing."""


#: (actual start, fire time) of each :func:`record_start` job, POSIX seconds.
STARTS: list[tuple[float, float]] = []


async def record_start() -> None:
    """Note when the job started and when it was meant to."""
    job = current_job.get()
    STARTS.append((time.time(), job.scheduled_fire_time.timestamp()))


async def log_run() -> None:
    """Log this run (job id, schedule id, fire time, pid, time) with one O_APPEND
    write, so that the runs of several processes can be counted and compared."""
    job = current_job.get()
    fire_time = job.scheduled_fire_time
    fields = (
        str(job.id),
        job.schedule_id or "",
        "" if fire_time is None else f"{fire_time.timestamp():.6f}",
        str(os.getpid()),
        f"{time.time():.6f}",
    )
    descriptor = os.open(os.environ[RUNS_ENV], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(descriptor, ("\t".join(fields) + "\n").encode())
    finally:
        os.close(descriptor)


def make_store(package: str, path: Path, poll_interval: float | None = None) -> Any:
    """The SQLite store of ``package``: apsnb's ``SQLiteDataStore`` or APScheduler
    4's ``SQLAlchemyDataStore`` on ``sqlite+aiosqlite``."""
    if package == "apsnb":
        from apsnb.datastores.sqlite import SQLiteDataStore

        options = {} if poll_interval is None else {"poll_interval": poll_interval}
        # Worker processes run this module's functions from the store: allow them.
        return SQLiteDataStore(path, allowed_modules=[__name__], **options)
    from apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore

    return SQLAlchemyDataStore(f"sqlite+aiosqlite:///{path}")
