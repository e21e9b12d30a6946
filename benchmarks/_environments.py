"""One isolated environment per peer, and the subprocesses that run inside them.

APScheduler 3 and 4 are both the package ``apscheduler``, so no single
environment holds every peer. Each peer is pip-installed into its own folder,
``<repo>/.bench/<peer>``, and its cases run in a child interpreter whose
``PYTHONPATH`` starts with that folder (ahead of the interpreter's own
site-packages). apsnb runs from the repository the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _peers import Peer

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / ".bench"
SCRIPT = Path(__file__).resolve().parent / "triggers.py"
#: A last resort: each case already has its own limit inside the worker.
WORKER_TIME_LIMIT_SECONDS = 600
#: Written after a successful install; holds the requirement it satisfied.
INSTALLED_STAMP = ".installed-requirement"


@dataclass(frozen=True)
class Environment:
    """Where a peer's code lives; ``problem`` says why it can't run, if it can't."""

    peer: Peer
    path: Path
    problem: str | None = None

    def run(
        self, code_or_args: list[str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        """Run this interpreter with ``code_or_args`` and only ``path`` added."""
        environ = {**os.environ, "PYTHONPATH": str(self.path)}
        return subprocess.run(
            [sys.executable, *code_or_args],
            env=environ,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.path,  # ``-c`` code imports from the working directory too
        )


def prepare(peer: Peer) -> Environment:
    """The peer's environment, installing it into ``.bench/`` on first use.

    ``peer.requirement`` may list several requirements, separated by spaces.
    """
    if peer.requirement is None:
        return Environment(peer, REPO)
    folder = BENCH_DIR / peer.name
    stamp = folder / INSTALLED_STAMP
    if stamp.exists() and stamp.read_text() == peer.requirement:
        return Environment(peer, folder)
    print(f"installing {peer.requirement} into {folder}", file=sys.stderr, flush=True)
    shutil.rmtree(folder, ignore_errors=True)
    completed = subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet",
            "--disable-pip-version-check", "--no-warn-script-location",
            "--target", str(folder), *peer.requirement.split(),
        ],
        capture_output=True,
        text=True,
    )  # fmt: skip
    if completed.returncode != 0:
        reason = _last_line(completed.stderr) or f"pip exited {completed.returncode}"
        return Environment(peer, folder, f"install failed (offline?): {reason}")
    stamp.write_text(peer.requirement)
    return Environment(peer, folder)


def run_worker(environment: Environment, quick: bool) -> dict[str, Any]:
    """Measure every case in a child interpreter; ``{"problem": …}`` if it fails."""
    args = ["--worker", environment.peer.name, *(["--quick"] if quick else [])]
    return run_json_worker(environment, SCRIPT, args)


def run_json_worker(
    environment: Environment, script: Path, args: list[str]
) -> dict[str, Any]:
    """Run ``script args`` in the peer's interpreter and parse the JSON it prints;
    ``{"problem": …}`` if it fails."""
    try:
        completed = environment.run(
            [str(script), *args], timeout=WORKER_TIME_LIMIT_SECONDS
        )
    except subprocess.TimeoutExpired:
        return {"problem": "worker timed out"}
    if completed.returncode != 0:
        return {"problem": f"worker failed: {_last_line(completed.stderr)}"}
    return json.loads(completed.stdout)


#: One measurement: its key, the worker's measurement name, its parameters, and the
#: implementations that run it (``None``: every one).
Run = tuple[str, str, dict[str, Any], Collection[str] | None]


def measure_runs(
    environments: list[Environment],
    runs: Iterable[Run],
    script: Path,
    repeats: int = 1,
) -> dict[str, dict[str, Any]]:
    """Every run, each implementation in turn, so slow drift hits all alike; the
    results by implementation name, then by run key.

    With ``repeats`` > 1 the whole series runs that many times and each figure is
    the median of its runs: a busy machine's slow moments hit one run, not the result.
    """
    planned = list(runs)
    outcomes: dict[str, dict[str, list[dict[str, Any]]]] = {
        env.peer.name: {} for env in environments
    }
    for round_number in range(1, repeats + 1):
        for key, measurement, parameters, only in planned:
            for environment in environments:
                name = environment.peer.name
                if only is not None and name not in only:
                    continue
                if environment.problem:
                    outcome = {"problem": environment.problem}
                else:
                    round_label = f" ({round_number}/{repeats})" if repeats > 1 else ""
                    progress(f"{name}: {key}{round_label}")
                    args = ["--worker", name, measurement, json.dumps(parameters)]
                    outcome = run_json_worker(environment, script, args)
                outcomes[name].setdefault(key, []).append(outcome)
    return {
        name: {key: _median_outcome(runs) for key, runs in by_key.items()}
        for name, by_key in outcomes.items()
    }


def _median_outcome(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """One outcome of several runs: each number's median, or the first problem."""
    for outcome in outcomes:
        if "problem" in outcome:
            return outcome
    combined = dict(outcomes[0])
    for field, first in outcomes[0].items():
        if isinstance(first, int | float) and not isinstance(first, bool):
            combined[field] = statistics.median(outcome[field] for outcome in outcomes)
    return combined


#: What a reference is called when its runs report no single version.
REFERENCE_NAMES = {"apscheduler3": "APScheduler 3", "apscheduler4": "APScheduler 4"}


def reference_label(results: dict[str, dict[str, Any]], reference: str) -> str:
    """``APS 4.0.0a6``: the reference's name and the version that actually ran."""
    versions = {
        outcome.get("version") for outcome in results.get(reference, {}).values()
    } - {None}
    if len(versions) == 1:
        return f"APS {versions.pop()}"
    return REFERENCE_NAMES.get(reference, reference)


def progress(message: str) -> None:
    """Report progress on stderr, so stdout holds only the tables."""
    print(message, file=sys.stderr, flush=True)


#: Timed inside a fresh interpreter, so its own startup is not counted.
IMPORT_PROBE = (
    "import time; started = time.perf_counter(); import {modules}; "
    "print(time.perf_counter() - started)"
)


def best_import_seconds(environment: Environment, repeats: int) -> float | str:
    """The fastest of ``repeats`` fresh-interpreter imports of the trigger modules.

    A first, untimed import writes the bytecode caches. Returns the reason
    instead of a time when the modules can't be imported.
    """
    code = IMPORT_PROBE.format(modules=", ".join(environment.peer.trigger_modules))
    timings = []
    for _ in range(repeats + 1):
        completed = environment.run(["-c", code], timeout=60)
        if completed.returncode != 0:
            return _last_line(completed.stderr)
        timings.append(float(completed.stdout))
    return min(timings[1:])


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
