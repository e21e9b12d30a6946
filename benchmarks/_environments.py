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
import subprocess
import sys
from collections.abc import Iterable
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
#: one implementation that runs it (``None``: every one).
Run = tuple[str, str, dict[str, Any], str | None]


def measure_runs(
    environments: list[Environment], runs: Iterable[Run], script: Path
) -> dict[str, dict[str, Any]]:
    """Every run, each implementation in turn, so slow drift hits all alike; the
    results by implementation name, then by run key."""
    results: dict[str, dict[str, Any]] = {env.peer.name: {} for env in environments}
    for key, measurement, parameters, only in runs:
        for environment in environments:
            name = environment.peer.name
            if only is not None and name != only:
                continue
            if environment.problem:
                results[name][key] = {"problem": environment.problem}
                continue
            progress(f"{name}: {key}")
            args = ["--worker", name, measurement, json.dumps(parameters)]
            results[name][key] = run_json_worker(environment, script, args)
    return results


def reference_label(results: dict[str, dict[str, Any]], reference: str) -> str:
    """``APS 4.0.0a6``: the reference's name and the version that actually ran."""
    versions = {
        outcome.get("version") for outcome in results.get(reference, {}).values()
    } - {None}
    return f"APS {versions.pop()}" if len(versions) == 1 else "APScheduler 4"


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
