"""Benchmark notebooks as tasks and the headless worker.

- **Overhead of a notebook run**: the same small notebook executed by papermill alone
  (``papermill.execute_notebook``, the peer) and as a scheduled job
  (``run_job(run_notebook, …)`` on an ``AsyncScheduler``), alternately, median of
  each; the ratio is what apsnb adds (target: under 1.10).
- **Worker idle CPU**: ``apsnb worker`` on an SQLite file holding 1,000 schedules that
  fire next year, measured from the process's CPU time (``/proc``) over a window
  (target: under 1 % of one core).

    .venv/bin/python benchmarks/notebooks.py              # full run, about a minute
    .venv/bin/python benchmarks/notebooks.py --quick      # smoke run
    .venv/bin/python benchmarks/notebooks.py --markdown   # tables for the README
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _tables import Table

REPO = Path(__file__).resolve().parent.parent
#: Seconds the worker gets to start and settle before its CPU time is read.
SETTLE_SECONDS = 3.0
OVERHEAD_TARGET = 1.10
IDLE_TARGET_PERCENT = 1.0


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, seconds")
    parser.add_argument("--markdown", action="store_true", help="Markdown tables")
    parser.add_argument("--runs", type=int, help="notebook runs of each kind")
    parser.add_argument("--schedules", type=int, help="schedules for the idle worker")
    parser.add_argument("--idle-seconds", type=float, help="idle CPU window")
    return parser.parse_args(argv)


def write_notebook(folder: Path) -> Path:
    """A report-sized notebook: a parameters cell and three cells of light work."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python",
    }  # fmt: skip
    parameters = nbformat.v4.new_code_cell('city = "nowhere"')
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [
        parameters,
        nbformat.v4.new_code_cell("import json, statistics"),
        nbformat.v4.new_code_cell("values = [len(city) * i for i in range(10_000)]"),
        nbformat.v4.new_code_cell("print(city, statistics.mean(values))"),
    ]
    path = folder / "report.ipynb"
    nbformat.write(notebook, path)
    return path


def measure_overhead(folder: Path, runs: int) -> dict[str, float]:
    """Median seconds of a run with papermill alone and as an apsnb job."""
    import papermill

    from apsnb import AsyncScheduler
    from apsnb.datastores.memory import MemoryDataStore
    from apsnb.notebooks import run_notebook

    notebook = write_notebook(folder)
    parameters = {"city": "Helsinki"}
    alone: list[float] = []
    scheduled: list[float] = []

    async def as_job(index: int) -> float:
        async with AsyncScheduler(MemoryDataStore(), identity=f"bench-{index}") as s:
            await s.start_in_background()
            started = time.perf_counter()
            await s.run_job(
                run_notebook,
                kwargs={
                    "path": str(notebook),
                    "parameters": parameters,
                    "output_dir": str(folder / "apsnb"),
                },
            )
            return time.perf_counter() - started

    # One untimed run of each warms the caches (imports, bytecode, kernel spec).
    for index in range(runs + 1):
        started = time.perf_counter()
        papermill.execute_notebook(
            str(notebook),
            str(folder / f"papermill-{index}.ipynb"),
            parameters=parameters,
            progress_bar=False,
        )
        elapsed = time.perf_counter() - started
        job = asyncio.run(as_job(index))
        if index:
            alone.append(elapsed)
            scheduled.append(job)
        print(f"  run {index}: papermill {elapsed:.2f} s, apsnb {job:.2f} s",
              file=sys.stderr)  # fmt: skip
    return {
        "papermill": statistics.median(alone),
        "apsnb": statistics.median(scheduled),
    }


def measure_idle_worker(
    folder: Path, schedules: int, seconds: float
) -> dict[str, float]:
    """CPU time of an idle ``apsnb worker`` process over ``seconds``."""
    from apsnb import Scheduler
    from apsnb.notebooks import run_notebook
    from apsnb.triggers.interval import IntervalTrigger

    store = folder / "idle.sqlite"
    next_year = datetime.now(UTC) + timedelta(days=365)
    with Scheduler(store, identity="bench-setup") as scheduler:
        for number in range(schedules):
            scheduler.add_schedule(
                run_notebook,
                IntervalTrigger(
                    days=1, start_time=next_year + timedelta(minutes=number)
                ),
                id=f"report-{number}",
                kwargs={"path": str(folder / "report.ipynb")},
            )
    worker = subprocess.Popen(
        [sys.executable, "-m", "apsnb", "worker", str(store), "--log-level", "WARNING"],
        cwd=REPO,
    )
    try:
        time.sleep(SETTLE_SECONDS)
        cpu_before, wall_before = _cpu_seconds(worker.pid), time.perf_counter()
        time.sleep(seconds)
        cpu = _cpu_seconds(worker.pid) - cpu_before
        wall = time.perf_counter() - wall_before
    finally:
        worker.terminate()
        worker.wait(60)
    return {"percent_of_core": cpu / wall * 100, "seconds": wall}


def measure_history_reads(folder: Path, records: int) -> dict[str, float]:
    """Milliseconds to read the latest 1,000 runs (all, and one schedule's) among
    ``records`` in an SQLite store, best of five."""
    import sqlite3

    from apsnb import JobOutcome, RunRecord
    from apsnb.datastores._sqlite_runs import add_run_rows, run_row
    from apsnb.datastores.sqlite import SQLiteDataStore

    path = folder / "history.sqlite"
    SQLiteDataStore(path).stop()  # creates the tables
    start = datetime.now(UTC) - timedelta(days=20)
    rows = [
        run_row(
            RunRecord(
                task_id="apsnb.notebooks:run_notebook",
                outcome=JobOutcome.success,
                finished_at=start + timedelta(seconds=10 * number),
                started_at=start + timedelta(seconds=10 * number - 2),
                schedule_id=f"report-{number % 10}",
                output_path=f"/srv/runs/report-{number % 10}/{number}-success.ipynb",
            )
        )
        for number in range(records)
    ]
    connection = sqlite3.connect(path)
    from sqlite_utils import Database

    with connection:
        add_run_rows(Database(connection), rows)
    connection.close()
    store = SQLiteDataStore(path)
    timings: dict[str, float] = {}
    try:
        for label, filters in (("all", {}), ("schedule", {"schedule_id": "report-7"})):
            best = float("inf")
            for _ in range(5):
                started = time.perf_counter()
                found = store.get_runs(limit=1000, **filters)
                best = min(best, time.perf_counter() - started)
            assert len(found) == 1000
            timings[label] = best * 1000
    finally:
        store.stop()
    return timings


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def main(argv: list[str]) -> int:
    args = parse_arguments(argv)
    runs = args.runs or (2 if args.quick else 7)
    schedules = args.schedules or (200 if args.quick else 1000)
    idle_seconds = args.idle_seconds or (3.0 if args.quick else 30.0)
    history_records = 10_000 if args.quick else 100_000
    with tempfile.TemporaryDirectory(prefix="apsnb-bench-") as name:
        folder = Path(name)
        print(f"notebook runs: {runs} of each kind", file=sys.stderr)
        overhead = measure_overhead(folder, runs)
        print(f"idle worker: {schedules:,} schedules, {idle_seconds:g} s",
              file=sys.stderr)  # fmt: skip
        idle = measure_idle_worker(folder, schedules, idle_seconds)
        print(f"run history: {history_records:,} records", file=sys.stderr)
        reads = measure_history_reads(folder, history_records)
    ratio = overhead["apsnb"] / overhead["papermill"]
    figures = Table(
        "Notebook runs and the worker",
        ["measurement", "apsnb", "papermill alone"],
        [
            [
                "seconds per run, small notebook (median)",
                f"{overhead['apsnb']:.2f}",
                f"{overhead['papermill']:.2f}",
            ],
            [f"apsnb ÷ papermill, {runs} runs each", f"{ratio:.2f}", "1.00"],
            [
                f"idle CPU, worker, {schedules:,} schedules (% of one core)",
                f"{idle['percent_of_core']:.2f}",
                "",
            ],
            [
                f"latest 1,000 runs of {history_records:,}, SQLite (ms)",
                f"{reads['all']:.1f}",
                "",
            ],
            [
                f"latest 1,000 runs of one schedule among {history_records:,} (ms)",
                f"{reads['schedule']:.1f}",
                "",
            ],
        ],
        notes=[
            "apsnb: run_job(run_notebook, …) on an AsyncScheduler with the memory "
            "store, from adding the job to its result; papermill: execute_notebook on "
            "the same notebook. Both start a kernel per run; runs alternate.",
            f"Idle CPU: apsnb worker on an SQLite file, read from /proc over "
            f"{idle['seconds']:.0f} s after {SETTLE_SECONDS:g} s to settle.",
        ],
    )
    targets = Table(
        "Targets",
        ["target", "measured", "status"],
        [
            [
                f"notebook run overhead < {OVERHEAD_TARGET - 1:.0%}",
                f"{ratio - 1:+.1%}",
                "met" if ratio < OVERHEAD_TARGET else "MISSED",
            ],
            [
                f"idle worker CPU < {IDLE_TARGET_PERCENT:g} % of a core",
                f"{idle['percent_of_core']:.2f} %",
                "met" if idle["percent_of_core"] < IDLE_TARGET_PERCENT else "MISSED",
            ],
        ],
    )
    print(figures.render(args.markdown))
    print()
    print(targets.render(args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
