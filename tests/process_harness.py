"""Starting, watching and ending the worker processes of the multi-process tests."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from apsnb import AsyncScheduler

from .process_jobs import RUNS_ENV

REPO = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "process_worker.py"
#: How long a worker may take to start (import, open the file) on a busy CI box.
START_TIMEOUT = 20.0
#: How long a terminated worker may take to stop its scheduler.
STOP_TIMEOUT = 15.0

T = TypeVar("T")


class Worker:
    """One ``process_worker.py`` process; its stdout's JSON lines, as they come."""

    def __init__(self, args: list[str], runs: Path, log: Path) -> None:
        environ = {**os.environ, RUNS_ENV: str(runs), "PYTHONPATH": str(REPO)}
        self._log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), *args],
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=environ,
            cwd=REPO,
        )
        self.log_path = log
        self._lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(json.loads(line))

    def next_message(self, timeout: float = START_TIMEOUT) -> dict[str, Any]:
        """The next JSON line the worker printed; fails after ``timeout`` seconds."""
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(
                f"worker {self.pid} said nothing in {timeout} s; its log:\n{self.log()}"
            ) from None

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def terminate(self) -> int:
        """Ask the worker to stop (SIGTERM) and wait; return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(STOP_TIMEOUT)

    def kill(self) -> None:
        """End the worker at once (SIGKILL) if it runs; close its pipes."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(5)  # it ends at the end of the output
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()


@contextmanager
def workers(tmp_path: Path, runs: Path) -> Iterator[Callable[..., Worker]]:
    """A factory of workers; every worker still alive at the end is killed."""
    started: list[Worker] = []

    def start(*args: str) -> Worker:
        worker = Worker(list(args), runs, tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.kill()


def wait_for(
    condition: Callable[[], T], timeout: float, what: str, interval: float = 0.05
) -> T:
    """Poll ``condition`` until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def with_scheduler(path: Path | str, action: Callable[[AsyncScheduler], Any]) -> Any:
    """Run ``await action(scheduler)`` with a scheduler on ``path`` (a file or a
    store URL) that is not started (it adds and reads; the workers run the jobs)."""

    async def main() -> Any:
        async with AsyncScheduler(path) as scheduler:
            return await action(scheduler)

    return asyncio.run(main())
