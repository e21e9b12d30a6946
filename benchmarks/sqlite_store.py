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

import argparse
import json
import sys
from pathlib import Path

from _environments import measure_runs, prepare, progress, reference_label
from _peers import Peer, Unsupported
from _sqlite_store_report import (
    REFERENCE,
    SUBJECT,
    Plan,
    comparison_table,
    problems,
    shared_table,
    targets_table,
)

SCRIPT = Path(__file__).resolve()
#: The package each implementation is imported as, in its own environment.
PACKAGES = {SUBJECT: "apsnb", REFERENCE: "apscheduler"}

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


def _no_triggers(case: object) -> object:
    raise Unsupported("this peer is for the store benchmark only")


#: apsnb runs from the repository; APScheduler 4.0.0a6 gets its SQLAlchemy store's
#: drivers in its own folder, apart from the trigger benchmark's plain install.
STORE_PEERS = {
    SUBJECT: Peer(SUBJECT, "apsnb", None, "apsnb", "apsnb", (), _no_triggers),
    REFERENCE: Peer(
        REFERENCE,
        "APS",
        "APScheduler==4.0.0a6 SQLAlchemy[asyncio]>=2.0.19,<2.1 aiosqlite sniffio",
        "APScheduler",
        "apscheduler",
        (),
        _no_triggers,
    ),
}


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """The command line; ``--worker`` and ``--process`` are internal."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument(
        "--no-peers",
        action="store_true",
        help="measure apsnb only (no APScheduler install, no network)",
    )
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--process", nargs=3, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Run the benchmark, or one measurement (``--worker``), or one scheduler
    process of a shared-file run (``--process``)."""
    arguments = parse_arguments(argv)
    if arguments.process:
        from _sqlite_store_shared import process_main

        process_main(*arguments.process)
        return 0
    if arguments.worker:
        from _sqlite_store_runs import run

        name, measurement, parameters = arguments.worker
        json.dump(run(PACKAGES[name], measurement, json.loads(parameters)), sys.stdout)
        return 0
    plan = QUICK_PLAN if arguments.quick else FULL_PLAN
    names = [SUBJECT] if arguments.no_peers else [SUBJECT, REFERENCE]
    environments = [prepare(STORE_PEERS[name]) for name in names]
    for environment in environments:
        if environment.problem:
            progress(f"skipping {environment.peer.name}: {environment.problem}")
    results = measure_runs(
        environments,
        (
            (key, measurement, parameters, (SUBJECT,) if subject_only else None)
            for key, measurement, parameters, subject_only in plan.runs()
        ),
        SCRIPT,
    )
    tables = [
        comparison_table(results, plan, reference_label(results, REFERENCE)),
        shared_table(results, plan),
        targets_table(results, plan),
    ]
    print("\n\n".join(table.render(arguments.markdown) for table in tables))
    for problem in problems(results):
        progress(problem)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
