"""The SQLite store benchmark's plan and tables: both stores side by side, the
shared-file runs, and the targets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from _store_report import SUBJECT, Row, status
from _store_report import comparison_table as store_comparison_table
from _tables import Results, Table, figure, format_rate, problems, shown

REFERENCE = "apscheduler4-sqlite"

JOBS_PER_SECOND_TARGET = 2_000.0
LATENCY_P50_MS_TARGET = 10.0
#: Where the brief's reference figures come from (for the notes under the tables).
REFERENCE_NOTE = (
    "targets as set: ≥ 2,000 jobs/s through the SQLite store (a6 with "
    "SQLAlchemy+aiosqlite ~115/s, APScheduler 3 ~540/s); start latency p50 < 10 ms "
    "(a6 ~97 ms)"
)


@dataclass(frozen=True)
class Plan:
    """What one run measures, and how big."""

    add_schedules: int
    jobs: int
    due: int
    latency_schedules: int
    latency_seconds: float
    shared_jobs: int
    shared_due: int
    shared_processes: tuple[int, ...] = (1, 3)

    def runs(self) -> list[tuple[str, str, dict[str, Any], bool]]:
        """Each run as (key, measurement, parameters, apsnb only)."""
        runs: list[tuple[str, str, dict[str, Any], bool]] = [
            ("add", "add_schedules", {"count": self.add_schedules}, False),
            ("jobs", "jobs", {"count": self.jobs}, False),
            ("due", "due", {"count": self.due}, False),
            (
                "latency",
                "latency",
                {
                    "schedules": self.latency_schedules,
                    "seconds": self.latency_seconds,
                },
                False,
            ),
        ]
        for processes in self.shared_processes:
            for kind, count in (("jobs", self.shared_jobs), ("due", self.shared_due)):
                runs.append(
                    (
                        f"shared/{kind}/{processes}",
                        "shared",
                        {"kind": kind, "count": count, "processes": processes},
                        True,
                    )
                )
        return runs


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def comparison_table(results: Results, plan: Plan, peer_label: str) -> Table:
    """apsnb's SQLite store and the peer's, figure by figure, one process each."""
    rows: list[Row] = [
        (f"schedules added/s, {plan.add_schedules:,}", "add", "per_second",
         format_rate, True),
        (f"jobs/s, {plan.jobs:,} trivial jobs", "jobs", "jobs_per_second",
         format_rate, True),
        (f"{plan.due:,} due schedules, until all released (ms)", "due", "seconds",
         _ms, False),
        (f"start latency p50 (ms), {plan.latency_schedules} schedules every second",
         "latency", "p50_ms", lambda ms: f"{ms:.1f}", False),
        (f"start latency p99 (ms), {plan.latency_schedules} schedules every second",
         "latency", "p99_ms", lambda ms: f"{ms:.1f}", False),
    ]  # fmt: skip
    table = store_comparison_table(
        "SQLite store: apsnb vs APScheduler 4 (SQLAlchemy + aiosqlite)",
        results,
        rows,
        REFERENCE,
        peer_label,
    )
    table.notes += problems(results)
    return table


def shared_table(results: Results, plan: Plan) -> Table:
    """apsnb with one and with three scheduler processes on one file."""
    table = Table(
        "apsnb, scheduler processes sharing one SQLite file",
        [
            "measurement",
            *(f"{n} process{'es' * (n > 1)}" for n in plan.shared_processes),
        ],
    )
    specs: list[tuple[str, str, str, Callable[[float], str]]] = [
        (f"jobs/s, {plan.shared_jobs:,} jobs", "jobs", "jobs_per_second", format_rate),
        (f"{plan.shared_due:,} due schedules, fire time to last run (ms)", "due",
         "seconds", _ms),
        ("runs of a job or fire time repeated (jobs + due)", "*", "repeated",
         lambda n: f"{n:.0f}"),
    ]  # fmt: skip
    for label, kind, field, show in specs:
        cells = [label]
        for processes in plan.shared_processes:
            if kind == "*":
                figures = [
                    figure(results, SUBJECT, f"shared/{k}/{processes}", field)
                    for k in ("jobs", "due")
                ]
                total = None if None in figures else sum(figures)  # type: ignore[arg-type]
                cells.append(shown(total, show))
            else:
                found = figure(results, SUBJECT, f"shared/{kind}/{processes}", field)
                cells.append(shown(found, show))
        table.rows.append(cells)
    shares = [
        f"{kind}: " + ", ".join(f"{share:.0%}" for share in outcome["shares"])
        for kind in ("jobs", "due")
        if (outcome := results.get(SUBJECT, {}).get(f"shared/{kind}/3", {})).get(
            "shares"
        )
    ]
    if shares:
        table.notes.append(
            "each process's share of the runs, 3 processes: " + "; ".join(shares)
        )
    return table


def targets_table(results: Results, plan: Plan) -> Table:
    """The targets for apsnb, met or not."""
    table = Table("Targets", ["target", "apsnb", "status"])
    rate = figure(results, SUBJECT, "jobs", "jobs_per_second")
    table.rows.append(
        [
            f"≥ {JOBS_PER_SECOND_TARGET:,.0f} jobs/s, {plan.jobs:,} jobs",
            shown(rate, format_rate),
            status(rate, lambda r: r >= JOBS_PER_SECOND_TARGET),
        ]
    )
    p50 = figure(results, SUBJECT, "latency", "p50_ms")
    table.rows.append(
        [
            f"start latency p50 < {LATENCY_P50_MS_TARGET:g} ms, "
            f"{plan.latency_schedules} schedules every second",
            shown(p50, lambda ms: f"{ms:.1f} ms"),
            status(p50, lambda ms: ms < LATENCY_P50_MS_TARGET),
        ]
    )
    one, many = plan.shared_processes[0], plan.shared_processes[-1]
    for kind, field, label, better in (
        ("jobs", "jobs_per_second", "jobs/s", lambda m, o: m >= o),
        ("due", "seconds", "due schedules' time", lambda m, o: m <= o),
    ):
        own = figure(results, SUBJECT, f"shared/{kind}/{one}", field)
        more = figure(results, SUBJECT, f"shared/{kind}/{many}", field)
        ratio = more / own if own and more else None
        table.rows.append(
            [
                f"{many} processes at least as fast as {one}: {label}",
                shown(ratio, lambda r: f"{r:.2f}× of {one} process"),
                status(ratio, lambda r, better=better: better(r, 1.0)),
            ]
        )
    repeated = [
        figure(results, SUBJECT, key, "repeated")
        for key in results.get(SUBJECT, {})
        if key.startswith("shared/")
    ]
    total = None if not repeated or None in repeated else sum(repeated)  # type: ignore[arg-type]
    table.rows.append(
        [
            "no job or fire time run twice (shared file)",
            shown(total, lambda n: f"{n:.0f} repeated"),
            status(total, lambda n: n == 0),
        ]
    )
    table.notes.append(REFERENCE_NOTE)
    return table
