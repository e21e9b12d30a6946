"""The benchmark's tables: throughput, targets per case, and import time."""

from __future__ import annotations

from typing import Any

from _cases import APSCHEDULER4, CASES, FASTEST_PEER, Case, Target
from _peers import PEERS, SUBJECT, Peer
from _tables import Table, format_rate, format_ratio

#: The spec's ceiling for importing apsnb's trigger modules, net of startup.
IMPORT_TARGET_SECONDS = 0.030

Results = dict[str, dict[str, Any]]
OTHER_PEERS = tuple(peer for peer in PEERS if peer is not SUBJECT)


def peer_label(peer: Peer, results: Results) -> str:
    """``APS 4.0.0a6``: the peer's short name and the version actually run."""
    if peer is SUBJECT:
        return SUBJECT.name
    version = results.get(peer.name, {}).get("version")
    return f"{peer.label} {version}" if version else peer.name


def calls_per_second(results: Results, peer: Peer, case: Case) -> float | None:
    """The measured rate, or ``None`` when the peer did not run the case."""
    outcome = results.get(peer.name, {}).get("cases", {}).get(case.name, {})
    return outcome.get("calls_per_second") if outcome.get("status") == "ok" else None


def throughput_table(results: Results, budget_note: str) -> Table:
    """Calls per second for each case and peer, with apsnb's speed-up over each."""
    headers = ["case", "apsnb calls/s"]
    headers += [peer_label(peer, results) for peer in OTHER_PEERS]
    table = Table("Successive next() calls per second", headers, notes=[budget_note])
    for case in CASES:
        own = calls_per_second(results, SUBJECT, case)
        row = [case.name, format_rate(own) if own else _missing_subject(results, case)]
        for peer in OTHER_PEERS:
            rate = calls_per_second(results, peer, case)
            if rate is None:
                row.append("–")
            elif own is None:
                row.append(format_rate(rate))
            else:
                row.append(f"{format_rate(rate)} ({format_ratio(own / rate)})")
        table.rows.append(row)
    table.notes.extend(_unsupported_notes(results))
    return table


def _unsupported_notes(results: Results) -> list[str]:
    """Why a peer shows "–": one note per peer and reason."""
    reasons: dict[str, list[str]] = {}
    for peer in OTHER_PEERS:
        for case in CASES:
            outcome = results.get(peer.name, {}).get("cases", {}).get(case.name, {})
            if outcome.get("status") == "unsupported":
                note = f"{peer_label(peer, results)}: {outcome['detail']}"
                reasons.setdefault(note, []).append(case.name)
    return [f"– {note} ({', '.join(names)})." for note, names in reasons.items()]


def _missing_subject(results: Results, case: Case) -> str:
    outcome = results.get(SUBJECT.name, {}).get("cases", {}).get(case.name, {})
    status = outcome.get("status", "not run")
    return f"n/a ({status})"


def targets_table(results: Results) -> Table:
    """One summary line per case: apsnb against the fastest peer and a6, met or not."""
    headers = [
        "case",
        "fastest peer",
        "apsnb ÷ fastest",
        "apsnb ÷ a6",
        "target",
        "status",
    ]
    table = Table("Targets", headers)
    for case in CASES:
        fastest = _fastest_peer(results, case)
        own = calls_per_second(results, SUBJECT, case)
        table.rows.append(
            [
                case.name,
                f"{peer_label(fastest, results)}" if fastest else "–",
                _ratio_cell(own, results, case, FASTEST_PEER),
                _ratio_cell(own, results, case, APSCHEDULER4),
                "; ".join(str(target) for target in case.targets),
                _status(own, results, case),
            ]
        )
    return table


def _fastest_peer(results: Results, case: Case) -> Peer | None:
    rated = [
        (rate, peer)
        for peer in OTHER_PEERS
        if (rate := calls_per_second(results, peer, case)) is not None
    ]
    return max(rated, key=lambda pair: pair[0])[1] if rated else None


def _reference_rate(results: Results, case: Case, against: str) -> float | None:
    if against == FASTEST_PEER:
        peer = _fastest_peer(results, case)
    else:
        peer = next(peer for peer in OTHER_PEERS if peer.name == against)
    return calls_per_second(results, peer, case) if peer else None


def _ratio_cell(own: float | None, results: Results, case: Case, against: str) -> str:
    reference = _reference_rate(results, case, against)
    return format_ratio(own / reference) if own and reference else "–"


def _status(own: float | None, results: Results, case: Case) -> str:
    if own is None:
        return "n/a"
    missed: list[Target] = []
    for target in case.targets:
        reference = _reference_rate(results, case, target.against)
        if reference is not None and own < target.factor * reference:
            missed.append(target)
    if not missed:
        return "met"
    return "NOT met: " + "; ".join(str(target) for target in missed)


def import_table(
    import_times: dict[str, float | str], labels: dict[str, str], repeats: int
) -> Table:
    """Net import time of each implementation's trigger modules."""
    headers = ["implementation", "import ms", "apsnb ×", "target"]
    notes = [
        "Modules: `triggers.cron`, `.interval`, `.calendarinterval` and "
        "`.combining` of apsnb and APScheduler; croniter and cronsim are one module.",
        f"Best of {repeats} fresh interpreters, each timing its own import "
        "statement, so interpreter startup is not counted; "
        "apsnb × is the peer's time divided by apsnb's.",
    ]
    table = Table("Import time of the trigger modules", headers, notes=notes)
    own = import_times.get(SUBJECT.name)
    for peer in PEERS:
        seconds = import_times.get(peer.name, "not run")
        label = labels[peer.name]
        if isinstance(seconds, str):
            table.rows.append([label, f"n/a ({seconds})", "–", ""])
            continue
        speedup = format_ratio(seconds / own) if isinstance(own, float) else "–"
        table.rows.append([label, f"{seconds * 1000:.1f}", speedup, ""])
    table.rows[0][-1] = _import_status(own)
    return table


def _import_status(own: float | str | None) -> str:
    limit = f"< {IMPORT_TARGET_SECONDS * 1000:.0f} ms"
    if not isinstance(own, float):
        return f"{limit}: n/a"
    return f"{limit}: {'met' if own < IMPORT_TARGET_SECONDS else 'NOT met'}"
