"""Benchmark apsnb's triggers against APScheduler 4.0.0a6, APScheduler 3, croniter
and cronsim: successive ``next()`` calls per second, and import time.

    .venv/bin/python benchmarks/triggers.py              # full run, about a minute
    .venv/bin/python benchmarks/triggers.py --quick      # smoke run, a few seconds
    .venv/bin/python benchmarks/triggers.py --markdown   # tables for the README

Each peer is installed on first use into ``.bench/<peer>`` and measured in its
own interpreter by the same runner (``--worker <peer>``); see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from _agreement import disagreements
from _cases import CASES
from _environments import Environment, best_import_seconds, prepare, run_worker
from _measure import FULL_BUDGET, QUICK_BUDGET, Budget
from _measure import main as worker_main
from _peers import PEERS, PEERS_BY_NAME
from _report import import_table, peer_label, targets_table, throughput_table
from _tables import markdown_escaped

FULL_IMPORT_REPEATS = 7
QUICK_IMPORT_REPEATS = 2


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """The command line: ``--quick``, ``--markdown``, or the internal ``--worker``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument(
        "--worker", choices=sorted(PEERS_BY_NAME), help=argparse.SUPPRESS
    )  # run one peer's cases in this process and print them as JSON
    return parser.parse_args(argv)


def measure_all(environments: list[Environment], budget: Budget) -> dict[str, Any]:
    """Every peer's worker results, keyed by peer name."""
    results: dict[str, Any] = {}
    for environment in environments:
        if environment.problem:
            results[environment.peer.name] = {"problem": environment.problem}
            continue
        progress(f"measuring {environment.peer.name}")
        results[environment.peer.name] = run_worker(environment, budget is QUICK_BUDGET)
    return results


def time_imports(
    environments: list[Environment], repeats: int
) -> dict[str, float | str]:
    """Each peer's net import time of its trigger modules, or why it has none."""
    progress("timing imports")
    return {
        environment.peer.name: environment.problem
        or best_import_seconds(environment, repeats)
        for environment in environments
    }


def warnings(environments: list[Environment], results: dict[str, Any]) -> list[str]:
    """Skipped peers, isolation leaks and fire-time disagreements, one per line."""
    lines = []
    for environment in environments:
        name, result = environment.peer.name, results[environment.peer.name]
        if "problem" in result:
            lines.append(f"{name} skipped: {result['problem']}")
        elif not _runs_from(result.get("location"), environment.path):
            lines.append(
                f"{name} was imported from {result.get('location')}, not its folder"
            )
        else:
            lines += _case_failures(name, result)
    for case in CASES:
        lines += [f"fire times differ: {line}" for line in disagreements(case, results)]
    return lines


def _case_failures(name: str, result: dict[str, Any]) -> list[str]:
    """One line per distinct error a peer's cases raised, naming those cases."""
    cases_by_failure: dict[str, list[str]] = {}
    for case_name, outcome in result["cases"].items():
        if outcome["status"] in ("error", "not importable"):
            failure = f"{outcome['status']}: {outcome['detail']}"
            cases_by_failure.setdefault(failure, []).append(case_name)
    return [
        f"{name} {failure} (in {', '.join(case_names)})"
        for failure, case_names in cases_by_failure.items()
    ]


def render_warnings(lines: list[str], markdown: bool) -> str:
    """The warnings as a Markdown section or as ``warning:`` lines."""
    if not lines:
        return ""
    if markdown:
        bullets = (f"- {markdown_escaped(line)}" for line in lines)
        return "\n### Warnings\n\n" + "\n".join(bullets)
    return "\n" + "\n".join(f"warning: {line}" for line in lines)


def _runs_from(location: str | None, folder: Path) -> bool:
    # A package missing from its folder would silently come from site-packages.
    return location is None or Path(location).resolve().is_relative_to(folder.resolve())


def progress(message: str) -> None:
    """Report progress on stderr, so stdout holds only the tables."""
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    """Run the benchmark (or, with ``--worker``, one peer's share of it)."""
    arguments = parse_arguments(argv)
    budget = QUICK_BUDGET if arguments.quick else FULL_BUDGET
    if arguments.worker:
        worker_main(PEERS_BY_NAME[arguments.worker], budget)
        return 0
    environments = [prepare(peer) for peer in PEERS]
    results = measure_all(environments, budget)
    repeats = QUICK_IMPORT_REPEATS if arguments.quick else FULL_IMPORT_REPEATS
    import_times = time_imports(environments, repeats)
    budget_note = (
        f"Best of {budget.repeats} runs of ~{budget.seconds:g} s; each run calls next() "
        "on fresh triggers started at 2026-01-01 00:00 in the case's zone; "
        "(×) is apsnb's rate divided by the peer's."
    )
    labels = {peer.name: peer_label(peer, results) for peer in PEERS}
    tables = [
        throughput_table(results, budget_note),
        targets_table(results),
        import_table(import_times, labels, repeats),
    ]
    print("\n\n".join(table.render(arguments.markdown) for table in tables))
    print(render_warnings(warnings(environments, results), arguments.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
