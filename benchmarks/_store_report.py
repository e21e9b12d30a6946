"""What the store benchmarks' scripts share: the two implementations, the command
line, the side-by-side table, and the way from a plan to the printed tables.

Each script (``sqlite_store.py``, ``postgresql_store.py``) runs every measurement in a
fresh child interpreter per implementation (``--worker <peer> <measurement>
<parameters as JSON>``), and its shared-store runs start their scheduler processes
from there (``--process``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

from _environments import measure_runs, prepare, progress, reference_label
from _peers import Peer, Unsupported
from _tables import Results, Table, figure, format_ratio, problems, shown

SUBJECT = "apsnb"

#: One row of the side-by-side table: label, run key, field, how the figure is
#: shown, and whether higher is better.
Row = tuple[str, str, str, Callable[[float], str], bool]


def _no_triggers(case: object) -> object:
    raise Unsupported("this peer is for the store benchmark only")


@dataclass(frozen=True)
class StoreBenchmark:
    """One store benchmark: its script, its reference (APScheduler 4.0.0a6 with the
    store's ``requirements``, installed on first use into ``.bench/<reference>``),
    and the modules its child interpreters run (``run`` and ``process_main``)."""

    script: Path
    reference: str
    requirements: str
    runs_module: str
    process_module: str

    @property
    def packages(self) -> dict[str, str]:
        """The package each implementation is imported as, in its own environment."""
        return {SUBJECT: "apsnb", self.reference: "apscheduler"}

    def peers(self) -> dict[str, Peer]:
        """apsnb runs from the repository; the reference gets its store's drivers in
        its own folder, apart from the trigger benchmark's plain install."""
        return {
            SUBJECT: Peer(SUBJECT, "apsnb", None, "apsnb", "apsnb", (), _no_triggers),
            self.reference: Peer(
                self.reference,
                "APS",
                self.requirements,
                "APScheduler",
                "apscheduler",
                (),
                _no_triggers,
            ),
        }

    def parser(self, description: str, no_peers_help: str) -> argparse.ArgumentParser:
        """The command line; ``--worker`` and ``--process`` are internal."""
        parser = argparse.ArgumentParser(description=description)
        parser.add_argument("--quick", action="store_true", help="short smoke run")
        parser.add_argument(
            "--markdown", action="store_true", help="print Markdown tables"
        )
        parser.add_argument("--no-peers", action="store_true", help=no_peers_help)
        parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
        parser.add_argument("--process", nargs=3, help=argparse.SUPPRESS)
        return parser

    def run_internal(self, arguments: argparse.Namespace) -> bool:
        """Run one scheduler process (``--process``) or one measurement
        (``--worker``, its outcome as JSON on stdout) if asked; whether asked."""
        if arguments.process:
            import_module(self.process_module).process_main(*arguments.process)
            return True
        if arguments.worker:
            run = import_module(self.runs_module).run
            name, measurement, parameters = arguments.worker
            outcome = run(self.packages[name], measurement, json.loads(parameters))
            json.dump(outcome, sys.stdout)
            return True
        return False

    def measure(
        self,
        arguments: argparse.Namespace,
        runs: Iterable[tuple[str, str, dict[str, Any], tuple[str, ...] | None]],
    ) -> Results:
        """Every run of the plan, apsnb's and (unless ``--no-peers``) the
        reference's."""
        names = [SUBJECT] if arguments.no_peers else [SUBJECT, self.reference]
        environments = [prepare(self.peers()[name]) for name in names]
        for environment in environments:
            if environment.problem:
                progress(f"skipping {environment.peer.name}: {environment.problem}")
        return measure_runs(environments, runs, self.script)

    def peer_label(self, results: Results) -> str:
        return reference_label(results, self.reference)

    @staticmethod
    def print_tables(
        arguments: argparse.Namespace, results: Results, tables: list[Table]
    ) -> None:
        """The tables on stdout; every failed run again on stderr."""
        print("\n\n".join(table.render(arguments.markdown) for table in tables))
        for problem in problems(results):
            progress(problem)


def comparison_table(
    title: str, results: Results, rows: list[Row], reference: str, peer_label: str
) -> Table:
    """apsnb's store and the reference's, figure by figure, with apsnb's advantage."""
    table = Table(title, ["measurement", "apsnb", peer_label, "apsnb advantage"])
    for label, key, field, show, higher_is_better in rows:
        own = figure(results, SUBJECT, key, field)
        peer = figure(results, reference, key, field)
        advantage = "–"
        if own and peer and own > 0 and peer > 0:
            advantage = format_ratio(own / peer if higher_is_better else peer / own)
        table.rows.append([label, shown(own, show), shown(peer, show), advantage])
    return table


def status(found: float | None, met: Callable[[float], bool]) -> str:
    """Whether a target is met by the figure ``found``."""
    if found is None:
        return "not measured"
    return "met" if met(found) else "not met"
