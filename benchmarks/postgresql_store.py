"""Benchmark apsnb's PostgreSQL store and broker against APScheduler 4.0.0a6's
SQLAlchemy store on asyncpg with its asyncpg broker, side by side on one server: jobs
per second with one and three processes, due schedules, start latency, and the
cross-process wake-up.

    .venv/bin/python benchmarks/postgresql_store.py               # full run
    .venv/bin/python benchmarks/postgresql_store.py --quick       # smoke run
    .venv/bin/python benchmarks/postgresql_store.py --markdown    # tables for the README
    .venv/bin/python benchmarks/postgresql_store.py --no-peers    # apsnb only

The server is ``APSNB_BENCH_POSTGRES_URL`` (or ``APSNB_TEST_POSTGRES_URL``, or the
machine's own, started by ``.ci/start-postgres``), as a role that may create
databases: every measurement runs in a database of its own. APScheduler 4.0.0a6 with
SQLAlchemy and asyncpg is installed on first use into ``.bench/apscheduler4-postgresql``;
each measurement runs in a fresh child interpreter per implementation.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _postgresql_store_runs import SYNCHRONOUS_COMMIT_ENV
from _store_report import SUBJECT, Row, StoreBenchmark, status
from _store_report import comparison_table as store_comparison_table
from _tables import Results, Table, figure, format_rate, format_ratio, problems, shown

REFERENCE = "apscheduler4-postgresql"
BENCHMARK = StoreBenchmark(
    Path(__file__).resolve(),
    REFERENCE,
    "APScheduler==4.0.0a6 SQLAlchemy[asyncio]>=2.0.19,<2.1 asyncpg sniffio anyio==4.8.0",
    runs_module="_postgresql_store_runs",
    process_module="_postgresql_store_runs",
)


@dataclass(frozen=True)
class Plan:
    """What one run measures, and how big."""

    jobs: int
    due: int
    latency_schedules: int
    latency_seconds: float
    wakeups: int

    def runs(self) -> list[tuple[str, str, dict[str, Any], None]]:
        return [
            ("jobs/1", "jobs", {"count": self.jobs, "processes": 1}, None),
            ("jobs/3", "jobs", {"count": self.jobs, "processes": 3}, None),
            ("due", "due", {"count": self.due}, None),
            ("latency", "latency",
             {"schedules": self.latency_schedules, "seconds": self.latency_seconds},
             None),
            ("wakeup", "wakeup", {"repeats": self.wakeups}, None),
        ]  # fmt: skip


FULL_PLAN = Plan(
    jobs=10_000, due=1_000, latency_schedules=20, latency_seconds=10.0, wakeups=10
)
QUICK_PLAN = Plan(
    jobs=200, due=50, latency_schedules=20, latency_seconds=1.0, wakeups=2
)

#: The targets, and where the reference figures come from.
TARGETS_NOTE = (
    "targets as set: ≥ 5× a6's jobs/s and ≥ 3,000 jobs/s with three processes; "
    "start latency p50 < 10 ms; three processes ≥ 1.5× as fast as one; a schedule "
    "added in one process fires in another within 100 ms"
)


def _ms(figure: float) -> str:
    return f"{figure:.1f}"


def comparison_table(results: Results, plan: Plan, peer_label: str) -> Table:
    rows: list[Row] = [
        (f"jobs/s, {plan.jobs:,} trivial jobs, 1 process", "jobs/1",
         "jobs_per_second", format_rate, True),
        (f"jobs/s, {plan.jobs:,} trivial jobs, 3 processes", "jobs/3",
         "jobs_per_second", format_rate, True),
        (f"{plan.due:,} due schedules, until all released (ms)", "due", "seconds",
         lambda s: f"{s * 1000:,.0f}", False),
        (f"start latency p50 (ms), {plan.latency_schedules} schedules every second",
         "latency", "p50_ms", _ms, False),
        (f"start latency p99 (ms), {plan.latency_schedules} schedules every second",
         "latency", "p99_ms", _ms, False),
        ("cross-process wake-up, lateness p50 (ms)", "wakeup", "p50_ms", _ms, False),
        ("cross-process wake-up, lateness max (ms)", "wakeup", "max_ms", _ms, False),
    ]  # fmt: skip
    table = store_comparison_table(
        "PostgreSQL store: apsnb (psycopg 3) vs APScheduler 4 (SQLAlchemy + asyncpg)",
        results,
        rows,
        REFERENCE,
        peer_label,
    )
    repeated = [
        f"{name}: {outcome.get('repeated')}"
        for name in (SUBJECT, REFERENCE)
        for key in ("jobs/1", "jobs/3")
        if (outcome := results.get(name, {}).get(key, {})).get("repeated")
    ]
    if repeated:
        table.notes.append("jobs run twice: " + ", ".join(repeated))
    table.notes += [
        f"{name} {key}: {outcome['incomplete']}; its rate is theirs"
        for name in (SUBJECT, REFERENCE)
        for key in ("jobs/1", "jobs/3")
        if (outcome := results.get(name, {}).get(key, {})).get("incomplete")
    ]
    table.notes += problems(results)
    return table


def targets_table(results: Results, plan: Plan) -> Table:
    table = Table("Targets", ["target", "apsnb", "status"])
    three = figure(results, SUBJECT, "jobs/3", "jobs_per_second")
    one = figure(results, SUBJECT, "jobs/1", "jobs_per_second")
    peer = figure(results, REFERENCE, "jobs/3", "jobs_per_second")
    p50 = figure(results, SUBJECT, "latency", "p50_ms")
    wakeup = figure(results, SUBJECT, "wakeup", "p50_ms")
    checks: list[
        tuple[str, float | None, Callable[[float], str], Callable[[float], bool]]
    ]
    checks = [
        ("≥ 3,000 jobs/s, 3 processes", three, format_rate, lambda r: r >= 3000),
        ("≥ 5× a6's jobs/s, 3 processes", three / peer if three and peer else None,
         format_ratio, lambda r: r >= 5),
        ("3 processes ≥ 1.5× as fast as 1", three / one if three and one else None,
         format_ratio, lambda r: r >= 1.5),
        ("start latency p50 < 10 ms", p50, lambda ms: f"{ms:.1f} ms", lambda ms: ms < 10),
        ("wake-up in another process < 100 ms (p50)", wakeup, lambda ms: f"{ms:.1f} ms",
         lambda ms: ms < 100),
    ]  # fmt: skip
    for label, found, show, met in checks:
        table.rows.append([label, shown(found, show), status(found, met)])
    table.notes.append(TARGETS_NOTE)
    return table


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = BENCHMARK.parser(__doc__.split("\n\n")[0], "measure apsnb only")
    parser.add_argument(
        "--synchronous-commit",
        choices=("on", "off"),
        default="on",
        help="the benchmark databases' synchronous_commit (both implementations): "
        "on waits for the disk at every commit (PostgreSQL's default), off does not "
        "(as the SQLite store's synchronous=NORMAL)",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    if BENCHMARK.run_internal(arguments):
        return 0
    os.environ[SYNCHRONOUS_COMMIT_ENV] = arguments.synchronous_commit
    plan = QUICK_PLAN if arguments.quick else FULL_PLAN
    results = BENCHMARK.measure(arguments, plan.runs())
    comparison = comparison_table(results, plan, BENCHMARK.peer_label(results))
    comparison.notes.insert(
        0, f"synchronous_commit = {arguments.synchronous_commit} for both"
    )
    tables = [
        comparison,
        targets_table(results, plan),
    ]
    BENCHMARK.print_tables(arguments, results, tables)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
