"""The SQLite store benchmark's plan and tables: both stores side by side, the
shared-file runs, and the targets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from _tables import Table, format_rate, format_ratio

#: Results by implementation ("apsnb", "apscheduler4-sqlite"), then by run key.
Results = dict[str, dict[str, dict[str, Any]]]
SUBJECT = "apsnb"
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


def value(results: Results, name: str, key: str, field: str) -> float | None:
    """One figure, or ``None`` if that run failed or did not happen."""
    figure = results.get(name, {}).get(key, {}).get(field)
    return figure if isinstance(figure, int | float) else None


def _shown(figure: float | None, shown: Callable[[float], str]) -> str:
    return "–" if figure is None else shown(figure)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def comparison_table(results: Results, plan: Plan, peer_label: str) -> Table:
    """apsnb's SQLite store and the peer's, figure by figure, one process each."""
    rows: list[tuple[str, str, str, Callable[[float], str], bool]] = [
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
    table = Table(
        "SQLite store: apsnb vs APScheduler 4 (SQLAlchemy + aiosqlite)",
        ["measurement", "apsnb", peer_label, "apsnb advantage"],
    )
    for label, key, field, shown, higher_is_better in rows:
        own = value(results, SUBJECT, key, field)
        peer = value(results, REFERENCE, key, field)
        advantage = "–"
        if own and peer:
            advantage = format_ratio(own / peer if higher_is_better else peer / own)
        table.rows.append([label, _shown(own, shown), _shown(peer, shown), advantage])
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
    for label, kind, field, shown in specs:
        cells = [label]
        for processes in plan.shared_processes:
            if kind == "*":
                figures = [
                    value(results, SUBJECT, f"shared/{k}/{processes}", field)
                    for k in ("jobs", "due")
                ]
                total = None if None in figures else sum(figures)  # type: ignore[arg-type]
                cells.append(_shown(total, shown))
            else:
                figure = value(results, SUBJECT, f"shared/{kind}/{processes}", field)
                cells.append(_shown(figure, shown))
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
    rate = value(results, SUBJECT, "jobs", "jobs_per_second")
    table.rows.append(
        [
            f"≥ {JOBS_PER_SECOND_TARGET:,.0f} jobs/s, {plan.jobs:,} jobs",
            _shown(rate, format_rate),
            _status(rate, lambda r: r >= JOBS_PER_SECOND_TARGET),
        ]
    )
    p50 = value(results, SUBJECT, "latency", "p50_ms")
    table.rows.append(
        [
            f"start latency p50 < {LATENCY_P50_MS_TARGET:g} ms, "
            f"{plan.latency_schedules} schedules every second",
            _shown(p50, lambda ms: f"{ms:.1f} ms"),
            _status(p50, lambda ms: ms < LATENCY_P50_MS_TARGET),
        ]
    )
    one, many = plan.shared_processes[0], plan.shared_processes[-1]
    for kind, field, label, better in (
        ("jobs", "jobs_per_second", "jobs/s", lambda m, o: m >= o),
        ("due", "seconds", "due schedules' time", lambda m, o: m <= o),
    ):
        own = value(results, SUBJECT, f"shared/{kind}/{one}", field)
        more = value(results, SUBJECT, f"shared/{kind}/{many}", field)
        ratio = more / own if own and more else None
        table.rows.append(
            [
                f"{many} processes at least as fast as {one}: {label}",
                _shown(ratio, lambda r: f"{r:.2f}× of {one} process"),
                _status(ratio, lambda r, better=better: better(r, 1.0)),
            ]
        )
    repeated = [
        value(results, SUBJECT, key, "repeated")
        for key in results.get(SUBJECT, {})
        if key.startswith("shared/")
    ]
    total = None if not repeated or None in repeated else sum(repeated)  # type: ignore[arg-type]
    table.rows.append(
        [
            "no job or fire time run twice (shared file)",
            _shown(total, lambda n: f"{n:.0f} repeated"),
            _status(total, lambda n: n == 0),
        ]
    )
    table.notes.append(REFERENCE_NOTE)
    return table


def _status(figure: float | None, met: Callable[[float], bool]) -> str:
    if figure is None:
        return "not measured"
    return "met" if met(figure) else "not met"


def problems(results: Results) -> list[str]:
    """A note for every run that failed, as ``<peer> <run>: <problem>``."""
    return [
        f"{name} {key}: {outcome['problem']}"
        for name, outcomes in results.items()
        for key, outcome in outcomes.items()
        if "problem" in outcome
    ]
