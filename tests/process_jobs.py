"""Job functions for the multi-process tests, and the log of their runs.

The worker processes import these by reference (``tests.process_jobs:record_run``).
Each run appends one line to the file named by ``$APSNB_TEST_RUNS`` with a single
``O_APPEND`` write, so lines from several processes never mix and a killed process
leaves only whole lines.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from apsnb import current_job

#: The environment variable naming the file the runs are logged to.
RUNS_ENV = "APSNB_TEST_RUNS"


@dataclass(frozen=True)
class Run:
    """One logged moment of a job: ``phase`` is ``start`` or ``end``."""

    phase: str
    job_id: str
    schedule_id: str
    fire_time: float | None  # the job's scheduled fire time, POSIX seconds
    pid: int
    at: float  # when it was logged, POSIX seconds

    @property
    def fire(self) -> tuple[str, float | None]:
        """The fire time this run belongs to: (schedule id, fire time)."""
        return self.schedule_id, self.fire_time


def log_phase(phase: str) -> None:
    """Append this job's ``phase`` to the runs file."""
    job = current_job.get()
    assert job is not None, "called outside a job"
    fire_time = job.scheduled_fire_time
    fields = (
        phase,
        str(job.id),
        job.schedule_id or "",
        "" if fire_time is None else f"{fire_time.timestamp():.6f}",
        str(os.getpid()),
        f"{time.time():.6f}",
    )
    descriptor = os.open(
        os.environ[RUNS_ENV], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644
    )
    try:
        os.write(descriptor, ("\t".join(fields) + "\n").encode())
    finally:
        os.close(descriptor)


async def record_run() -> None:
    """A trivial job: log that it ran."""
    log_phase("start")


def slow_run(seconds: float) -> None:
    """A slow job (in a worker thread): log its start, sleep, log its end."""
    log_phase("start")
    time.sleep(seconds)
    log_phase("end")


def read_runs(path: Path) -> list[Run]:
    """The runs logged so far (a missing file: none)."""
    if not path.exists():
        return []
    runs = []
    for line in path.read_text().splitlines():
        phase, job_id, schedule_id, fire_time, pid, at = line.split("\t")
        runs.append(
            Run(
                phase,
                job_id,
                schedule_id,
                float(fire_time) if fire_time else None,
                int(pid),
                float(at),
            )
        )
    return runs
