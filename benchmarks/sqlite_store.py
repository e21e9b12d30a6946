"""Benchmark apsnb's SQLite store against APScheduler 4.0.0a6's SQLAlchemy store on
``sqlite+aiosqlite``: adding schedules, job throughput, due schedules, start latency,
and apsnb with three scheduler processes sharing one file.

    .venv/bin/python benchmarks/sqlite_store.py               # full run, ~5 minutes
    .venv/bin/python benchmarks/sqlite_store.py --quick       # smoke run, small sizes
    .venv/bin/python benchmarks/sqlite_store.py --markdown    # tables for the README
    .venv/bin/python benchmarks/sqlite_store.py --no-peers    # apsnb only, no install

APScheduler 4.0.0a6 with SQLAlchemy and aiosqlite is installed on first use into
``.bench/apscheduler4-sqlite``; every measurement runs in a fresh child interpreter
per implementation (``--worker <peer> <measurement> <parameters as JSON>``), and the
shared-file runs start their scheduler processes from there (``--process``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from _sqlite_store_report import (
    REFERENCE,
    Plan,
    comparison_table,
    shared_table,
    targets_table,
)
from _store_report import SUBJECT, StoreBenchmark

#: apsnb runs from the repository; APScheduler 4.0.0a6 gets its SQLAlchemy store's
#: drivers in its own folder, apart from the trigger benchmark's plain install.
BENCHMARK = StoreBenchmark(
    Path(__file__).resolve(),
    REFERENCE,
    "APScheduler==4.0.0a6 SQLAlchemy[asyncio]>=2.0.19,<2.1 aiosqlite sniffio",
    runs_module="_sqlite_store_runs",
    process_module="_sqlite_store_shared",
)

FULL_PLAN = Plan(
    add_schedules=10_000,
    jobs=10_000,
    due=1_000,
    latency_schedules=20,
    latency_seconds=10.0,
    shared_jobs=10_000,
    shared_due=1_000,
)
QUICK_PLAN = Plan(
    add_schedules=300,
    jobs=300,
    due=100,
    latency_schedules=20,
    latency_seconds=1.0,
    shared_jobs=300,
    shared_due=100,
)


def main(argv: list[str]) -> int:
    """Run the benchmark, or one measurement (``--worker``), or one scheduler
    process of a shared-file run (``--process``)."""
    arguments = BENCHMARK.parser(
        __doc__.split("\n\n")[0],
        "measure apsnb only (no APScheduler install, no network)",
    ).parse_args(argv)
    if BENCHMARK.run_internal(arguments):
        return 0
    plan = QUICK_PLAN if arguments.quick else FULL_PLAN
    results = BENCHMARK.measure(
        arguments,
        (
            (key, measurement, parameters, (SUBJECT,) if subject_only else None)
            for key, measurement, parameters, subject_only in plan.runs()
        ),
    )
    tables = [
        comparison_table(results, plan, BENCHMARK.peer_label(results)),
        shared_table(results, plan),
        targets_table(results, plan),
    ]
    BENCHMARK.print_tables(arguments, results, tables)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
