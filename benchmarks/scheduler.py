"""Benchmark apsnb's AsyncScheduler against APScheduler 3's AsyncIOScheduler and
APScheduler 4.0.0a6's AsyncScheduler, all on their memory store: job throughput, due
schedules, start latency, idle CPU and memory.

    .venv/bin/python benchmarks/scheduler.py                # full run, ~10 minutes
    .venv/bin/python benchmarks/scheduler.py --quick        # smoke run, small sizes
    .venv/bin/python benchmarks/scheduler.py --markdown     # tables for the README
    .venv/bin/python benchmarks/scheduler.py --no-peers     # apsnb only, no install
    .venv/bin/python benchmarks/scheduler.py --repeats 5    # medians of 5 runs

APScheduler 3 and 4.0.0a6 are installed on first use into ``.bench/apscheduler3`` and
``.bench/apscheduler4``, as for the trigger benchmark; every measurement runs in a
fresh child interpreter per implementation
(``--worker <peer> <measurement> <parameters as JSON>``), the implementations in turn.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from _environments import measure_runs, prepare, reference_label
from _peers import PEERS_BY_NAME
from _scheduler_report import (
    REFERENCES,
    SUBJECT,
    Plan,
    comparison_table,
    targets_table,
)
from _scheduler_runs import MEASUREMENTS, run

SCRIPT = Path(__file__).resolve()

FULL_PLAN = Plan(
    job_counts=(2_000, 10_000),
    job_variants=("sync", "async", "threads"),
    due_schedules=1_000,
    latency_schedules=20,
    latency_seconds=10.0,
    latency_variants=("async", "sync"),
    idle_schedules=10_000,
    idle_seconds=60.0,
    rounds=3,
)
QUICK_PLAN = Plan(
    job_counts=(200, 1_000),
    job_variants=("sync", "async", "threads"),
    due_schedules=200,
    latency_schedules=20,
    latency_seconds=1.0,
    latency_variants=("async", "sync"),
    idle_schedules=1_000,
    idle_seconds=5.0,
)


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """The command line; ``--worker`` is internal (one measurement in this process)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument(
        "--no-peers",
        action="store_true",
        help="measure apsnb only (no APScheduler install, no network)",
    )
    parser.add_argument(
        "--idle-seconds",
        type=float,
        help="how long to measure idle CPU (default: 60, or 5 with --quick)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        help="runs of each measurement, reported as medians (default: 3, or 1 with "
        "--quick); the idle measurement runs once",
    )
    parser.add_argument(
        "--worker",
        nargs=3,
        metavar=("PEER", "MEASUREMENT", "JSON"),
        help=argparse.SUPPRESS,
    )
    return parser.parse_args(argv)


def plan_for(arguments: argparse.Namespace) -> Plan:
    """The sizes to run, from ``--quick`` and ``--idle-seconds``."""
    plan = QUICK_PLAN if arguments.quick else FULL_PLAN
    if arguments.idle_seconds is not None:
        plan = replace(plan, idle_seconds=arguments.idle_seconds)
    return plan


def main(argv: list[str]) -> int:
    """Run the benchmark (or, with ``--worker``, one measurement of one peer)."""
    arguments = parse_arguments(argv)
    if arguments.worker:
        name, measurement, parameters = arguments.worker
        assert measurement in MEASUREMENTS, measurement
        json.dump(run(name, measurement, json.loads(parameters)), sys.stdout)
        return 0
    plan = plan_for(arguments)
    references = [] if arguments.no_peers else list(REFERENCES)
    environments = [prepare(PEERS_BY_NAME[name]) for name in [SUBJECT, *references]]
    repeats = arguments.repeats or (1 if arguments.quick else 3)
    runs = plan.runs()
    idle = [planned for planned in runs if planned[1] == "idle_cpu"]
    results = measure_runs(
        environments, [r for r in runs if r not in idle], SCRIPT, repeats
    )
    for name, outcomes in measure_runs(environments, idle, SCRIPT).items():
        results[name].update(outcomes)
    labels = {name: reference_label(results, name) for name in references}
    tables = [
        comparison_table(results, plan, labels, references),
        targets_table(results, plan),
    ]
    print("\n\n".join(table.render(arguments.markdown) for table in tables))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
