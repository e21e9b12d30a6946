"""Checks that the peers compared produce the same fire times for each case.

A fast ``next()`` that returns other times is not a fair win, so every worker
also reports one trigger's first ``calls_per_trigger`` fire times; they are
compared here as instants, and a difference becomes a warning line.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from _cases import Case
from _peers import PEERS


def disagreements(case: Case, results: dict[str, dict[str, Any]]) -> list[str]:
    """One line per peer whose fire times differ from the first peer measured."""
    sequences = {
        peer.name: outcome["fire_times"]
        for peer in PEERS
        if (outcome := _case_outcome(results, peer.name, case))["status"] == "ok"
    }
    if len(sequences) < 2:
        return []
    (reference, expected), *others = sequences.items()
    return [
        _describe(case, reference, expected, name, actual)
        for name, actual in others
        if _instants(actual) != _instants(expected)
    ]


def _describe(
    case: Case,
    reference: str,
    expected: list[str | None],
    name: str,
    actual: list[str | None],
) -> str:
    pairs = zip(_instants(actual), _instants(expected), strict=False)
    first = next(
        (index for index, (mine, theirs) in enumerate(pairs) if mine != theirs), None
    )
    if first is None:  # one sequence ended early
        shorter = min(len(expected), len(actual))
        return f"{case.name}: {name} and {reference} agree on {shorter} fire times only"
    # Counted as sets over the span both cover, as one extra or missing time
    # shifts every later index and the end of the longer-reaching sequence.
    mine, theirs = _instants(actual), _instants(expected)
    horizon = min(max(_dated(mine)), max(_dated(theirs)))
    added = {time for time in _dated(mine) if time <= horizon} - set(theirs)
    omitted = {time for time in _dated(theirs) if time <= horizon} - set(mine)
    return (
        f"{case.name}: {name} differs from {reference} from call #{first + 1} on; "
        f"up to {horizon.isoformat()} it adds {_listed(added)} "
        f"and omits {_listed(omitted)}"
    )


def _listed(instants: set[datetime], shown: int = 3) -> str:
    if not instants:
        return "nothing"
    ordered = sorted(instants)
    more = f" and {len(ordered) - shown} more" if len(ordered) > shown else ""
    return ", ".join(instant.isoformat() for instant in ordered[:shown]) + more


def _dated(instants: list[datetime | None]) -> list[datetime]:
    return [instant for instant in instants if instant is not None]


def _instants(fire_times: list[str | None]) -> list[datetime | None]:
    # Aware datetimes compare as instants, whatever offset each peer labels them with.
    return [datetime.fromisoformat(text) if text else None for text in fire_times]


def _case_outcome(
    results: dict[str, dict[str, Any]], peer_name: str, case: Case
) -> dict[str, Any]:
    return (
        results.get(peer_name, {}).get("cases", {}).get(case.name, {"status": "absent"})
    )
