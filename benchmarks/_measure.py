"""The case runner: the same code measures every peer, each in its own process.

``python benchmarks/triggers.py --worker <peer>`` calls :func:`run_peer` and
prints its result as JSON for the parent process to collect.
"""

from __future__ import annotations

import gc
import importlib
import importlib.metadata
import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from _cases import CASES, Case
from _peers import Peer, TriggerFactory, Unsupported


@dataclass(frozen=True)
class Budget:
    """How long to measure: the best of ``repeats`` runs of ``seconds`` each."""

    repeats: int
    seconds: float


FULL_BUDGET = Budget(repeats=5, seconds=0.15)
QUICK_BUDGET = Budget(repeats=2, seconds=0.01)
#: A case that takes longer is reported as an error, so one stuck peer can't
#: stall the whole run.
CASE_TIME_LIMIT_SECONDS = 30.0


def run_peer(peer: Peer, budget: Budget) -> dict[str, Any]:
    """Measure every case on ``peer``; a case it lacks is reported, not raised."""
    return {
        "peer": peer.name,
        **_provenance(peer),
        "cases": {case.name: _run_case(peer, case, budget) for case in CASES},
    }


def _provenance(peer: Peer) -> dict[str, str | None]:
    """The version and file actually imported, so the parent can spot a leak."""
    try:
        package = importlib.import_module(peer.package)
    except ImportError as exc:
        return {"version": None, "location": None, "import_error": str(exc)}
    try:
        version = importlib.metadata.version(peer.distribution)
    except importlib.metadata.PackageNotFoundError:
        version = getattr(package, "__version__", None)
    return {"version": version, "location": getattr(package, "__file__", None)}


def _run_case(peer: Peer, case: Case, budget: Budget) -> dict[str, Any]:
    try:
        with _time_limit(CASE_TIME_LIMIT_SECONDS):
            factory = peer.make_factory(case)
            fire_times = first_fire_times(factory, case.calls_per_trigger)
            rate = best_calls_per_second(factory, case.calls_per_trigger, budget)
    except Unsupported as exc:
        return {"status": "unsupported", "detail": str(exc)}
    except ImportError as exc:
        return {"status": "not importable", "detail": str(exc)}
    except Exception as exc:  # a peer bug must not hide the other peers' figures
        return {"status": "error", "detail": f"{type(exc).__name__}: {exc}"}
    return {
        "status": "ok",
        "calls_per_second": rate,
        "fire_times": [time.isoformat() if time else None for time in fire_times],
    }


class CaseTimeout(Exception):
    """Raised when one case runs past :data:`CASE_TIME_LIMIT_SECONDS`."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"no result within {seconds:g} s (a hang or an endless search)"
        )


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` where the platform has SIGALRM."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise CaseTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def first_fire_times(factory: TriggerFactory, count: int) -> list[Any]:
    """The first ``count`` results of a fresh trigger (also a warm-up run)."""
    next_fire_time = factory()
    return [next_fire_time() for _ in range(count)]


def best_calls_per_second(factory: TriggerFactory, calls: int, budget: Budget) -> float:
    """The best rate of ``next()`` calls over ``budget.repeats`` timed runs."""
    return max(
        _calls_per_second(factory, calls, budget.seconds) for _ in range(budget.repeats)
    )


def _calls_per_second(factory: TriggerFactory, calls: int, seconds: float) -> float:
    """Time runs of ``calls`` calls on fresh triggers until ``seconds`` have passed.

    Only the calls are timed: building the trigger (and croniter's parsing) is
    left out. The garbage collector stays on, because its cost is part of what
    an allocation-heavy ``next()`` costs a scheduler; collecting first gives
    every run the same starting point.
    """
    gc.collect()
    timed, calls_made = 0.0, 0
    while timed < seconds:
        next_fire_time, repetitions = factory(), range(calls)
        started = perf_counter()
        for _ in repetitions:
            next_fire_time()
        timed += perf_counter() - started
        calls_made += calls
    return calls_made / timed


def main(peer: Peer, budget: Budget) -> None:
    """Worker entry point: print ``peer``'s results as one JSON document."""
    json.dump(run_peer(peer, budget), sys.stdout)
