"""Smoke tests of the benchmark scripts: they run and report every measurement."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .postgres_support import postgres_url, server_url

__all__ = ("postgres_url",)


BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
#: For the benchmarks on PostgreSQL: they create databases of their own there.
POSTGRES_ENVIRONMENT = {"APSNB_BENCH_POSTGRES_URL": server_url()}


def run_benchmark(
    script: str, *args: str, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``benchmarks/<script> args`` (``env`` added to the environment); fail
    with its output unless it succeeds."""
    completed = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    assert completed.returncode == 0, completed.stderr + completed.stdout
    return completed


def assert_reports(output: str, *measurements: str) -> None:
    for measurement in measurements:
        assert measurement in output, output


def test_scheduler_benchmark_quick_run_reports_every_measurement() -> None:
    completed = run_benchmark(
        "scheduler.py", "--quick", "--no-peers", "--idle-seconds", "1"
    )
    assert_reports(
        completed.stdout,
        "jobs/s, 200 jobs, plain function, defaults",
        "jobs/s, 1,000 jobs, async function",
        "jobs/s at 1,000 ÷ at 200",
        "peak memory growth, 1,000 jobs",
        "due schedules/s, 200",
        "200 due schedules, until all released (ms)",
        "start latency p50 (ms), async function",
        "start latency p99 (ms), plain function, defaults",
        "idle CPU, 1,000 schedules (% of one core)",
        "Targets",
    )
    # Every run produced a figure: a failed run is listed as "apsnb <run>: <problem>".
    lines = completed.stdout.splitlines()
    assert not [line for line in lines if line.startswith("apsnb ")]


def test_sqlite_store_benchmark_quick_run_reports_every_measurement() -> None:
    completed = run_benchmark("sqlite_store.py", "--quick", "--no-peers")
    assert_reports(
        completed.stdout,
        "schedules added/s, 300",
        "jobs/s, 300 trivial jobs",
        "100 due schedules, until all released (ms)",
        "start latency p50 (ms), 20 schedules every second",
        "jobs/s, 300 jobs",
        "100 due schedules, fire time to last run (ms)",
        "runs of a job or fire time repeated",
        "Targets",
    )
    # Every run produced a figure: a failed run is listed as "apsnb <run>: <problem>".
    assert "apsnb " not in completed.stderr, completed.stderr
    assert "0 repeated" in completed.stdout


def test_postgresql_store_benchmark_quick_run_reports_every_measurement(
    postgres_url: str,  # the server is up (or the test skips, saying how to start it)
) -> None:
    completed = run_benchmark(
        "postgresql_store.py",
        "--quick",
        "--no-peers",
        timeout=120,
        env=POSTGRES_ENVIRONMENT,
    )
    assert_reports(
        completed.stdout,
        "jobs/s, 200 trivial jobs, 1 process",
        "jobs/s, 200 trivial jobs, 3 processes",
        "50 due schedules, until all released (ms)",
        "start latency p50 (ms), 20 schedules every second",
        "cross-process wake-up, lateness p50 (ms)",
        "Targets",
    )
    assert "apsnb " not in completed.stderr, completed.stderr + completed.stdout
    assert "jobs run twice" not in completed.stdout


def test_faults_soak_short_run_loses_and_repeats_no_fire_time() -> None:
    completed = run_benchmark(
        "faults_soak.py", "--duration", "4", "--processes", "2", "--schedules", "3",
        "--max-pause", "1.5", "--lease", "1", "--seed", "7",
        timeout=120,
    )  # fmt: skip
    assert_reports(
        completed.stdout, "fire times due: ", "run once: ", "duplicated: 0", "lost: 0"
    )


def test_notebooks_benchmark_quick_run_reports_every_measurement() -> None:
    completed = run_benchmark(
        "notebooks.py", "--quick", "--runs", "1", "--schedules", "100",
        "--idle-seconds", "1",
        timeout=120,
    )  # fmt: skip
    assert_reports(
        completed.stdout,
        "seconds per run, small notebook (median)",
        "apsnb ÷ papermill, 1 runs each",
        "idle CPU, worker, 100 schedules (% of one core)",
        "latest 1,000 runs of 10,000, SQLite (ms)",
        "notebook run overhead < 10%",
        "idle worker CPU < 1 % of a core",
    )


def test_start_latency_is_measured_after_the_schedules_are_added(
    postgres_url: str,
) -> None:
    # A lead of -3 s is a machine so loaded that adding the schedules took 3 s more
    # than the lead: their first fire times passed before they existed. Those late
    # starts measure the setup; the fire times after it measure the scheduler.
    script = (
        "import asyncio, json, sys\n"
        f"sys.path.insert(0, {str(BENCHMARKS)!r})\n"
        "import _postgresql_store_runs as runs, _sqlite_store_jobs as jobs\n"
        "from _scheduler_runs import Library\n"
        "jobs.current_job = Library.load('apsnb').current_job\n"
        "figures = asyncio.run(runs.measure_latency(\n"
        "    Library.load('apsnb'), 3, 1.0, lead_seconds=-3.0))\n"
        "print(json.dumps(figures))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **POSTGRES_ENVIRONMENT},
    )
    assert completed.returncode == 0, completed.stderr
    figures = json.loads(completed.stdout.splitlines()[-1])
    assert figures["jobs"] >= 3, figures  # every schedule, at least once
    assert figures["p50_ms"] < 1000, figures  # not the 3 s of the setup
