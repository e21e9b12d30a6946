"""What the store measurements share, in the worker interpreter of one implementation:
temporary files, scheduler processes on one store (``--process``) and the runs their
jobs log (``_sqlite_store_jobs.log_run``), and one measurement run with its failure
returned.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import _sqlite_store_jobs as jobs
from _scheduler_runs import Library, _version

TMP_DIR = Path(__file__).resolve().parent.parent / ".bench" / "tmp"
#: A shared run that takes longer is reported as a failure, not waited for.
TIME_LIMIT_SECONDS = 300.0


@contextmanager
def temporary_file(name: str) -> Iterator[Path]:
    """A path for a fresh file, in a folder on the repository's disk (``.bench/tmp``)
    removed afterwards."""
    TMP_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=TMP_DIR) as folder:
        yield Path(folder) / name


def run_measurement(
    measurements: dict[str, Callable[..., Awaitable[dict[str, Any]]]],
    package: str,
    kind: str,
    parameters: dict[str, Any],
) -> dict[str, Any]:
    """Run one measurement in this process; failures are returned, not raised."""
    try:
        library = Library.load(package)
        jobs.current_job = library.current_job
        result = asyncio.run(measurements[kind](library, **parameters))
    except Exception as error:  # one implementation's failure must not hide the other's
        return {"problem": f"{type(error).__name__}: {error}"}
    return {"version": _version(package), **result}


def serve(package: str, identity: str, parts: Callable[[], tuple[Any, ...]]) -> None:
    """One scheduler process: run the jobs and schedules of the store ``parts()``
    gives (with its event broker, if it gives one) until SIGTERM."""
    library = Library.load(package)
    jobs.current_job = library.current_job

    async def main() -> None:
        terminated = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, terminated.set)
        async with library.AsyncScheduler(*parts(), identity=identity) as scheduler:
            await scheduler.start_in_background()
            print("ready", flush=True)
            await terminated.wait()
            await scheduler.stop()

    asyncio.run(main())


@contextmanager
def scheduler_processes(
    script: Path, package: str, location: str, runs: Path, count: int
) -> Iterator[list[subprocess.Popen[str]]]:
    """Start ``count`` scheduler processes (``script --process``) on the store at
    ``location``, their jobs logging to ``runs``; stop them at the end."""
    environ = {**os.environ, jobs.RUNS_ENV: str(runs)}
    processes = [
        subprocess.Popen(
            [sys.executable, str(script), "--process", package, location, f"p{n}"],
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
