"""``apsnb worker`` as a real process: notebooks scheduled from Python into an SQLite
file run there with no notebook open; SIGTERM stops it cleanly; the command line
lists what ran.

One worker run (module fixture) serves every test here: kernels and processes are
slow to start, and each test looks at a different part of what that run left.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from apsnb import CoalescePolicy, JobOutcome, RunRecord, Scheduler
from apsnb.datastores.sqlite import SQLiteDataStore
from apsnb.notebooks import run_notebook
from apsnb.triggers.date import DateTrigger
from apsnb.triggers.interval import IntervalTrigger

from .jobfuncs import scaled_sum
from .notebook_support import (
    failing_notebook,
    outputs,
    report_notebook,
    sleeping_notebook,
    sources,
)
from .process_harness import REPO, wait_for

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="signals and process groups are POSIX here"
)

#: One log line: time, level, logger, message.
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ [\w.]+: .+$")
GRACE = 2.0


def notebook_function() -> None:
    """Stands for a function defined in a notebook (it is renamed to __main__)."""


notebook_function.__module__ = "__main__"


@dataclass
class WorkerRun:
    folder: Path
    store: Path
    fire_time: datetime
    exit_code: int
    stop_seconds: float
    log: str
    records: list[RunRecord]
    slow_kernel_pid: int

    def record(self, schedule_id: str) -> RunRecord:
        [record] = [r for r in self.records if r.schedule_id == schedule_id]
        return record


def apsnb_command(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "apsnb", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def _runs(store: Path) -> list[RunRecord]:
    reader = SQLiteDataStore(store)
    try:
        return reader.get_runs()
    finally:
        reader.stop()


@pytest.fixture(scope="module")
def worker_run(tmp_path_factory: pytest.TempPathFactory) -> WorkerRun:
    folder = tmp_path_factory.mktemp("worker")
    store = folder / "jobs.sqlite"
    pid_file = folder / "kernel.pid"
    now = datetime.now(UTC).replace(microsecond=0)
    # Scheduled from Python, with no worker running yet.
    with Scheduler(store, identity="notebook") as scheduler:
        for schedule_id, notebook, parameters in (
            ("report", report_notebook(folder / "nb"), {"city": "Tampere"}),
            ("failing", failing_notebook(folder / "nb"), None),
            ("slow", sleeping_notebook(folder / "nb", pid_file), None),
        ):
            scheduler.add_schedule(
                run_notebook,
                DateTrigger(now),
                id=schedule_id,
                kwargs={
                    "path": str(notebook),
                    "parameters": parameters,
                    "output_dir": str(folder / "runs"),
                },
            )
        # Missed while no worker ran: ten fire times, coalesced into one run.
        scheduler.add_schedule(
            scaled_sum,
            IntervalTrigger(minutes=1, start_time=now - timedelta(minutes=10)),
            id="every-minute",
            args=(1, 2),
            coalesce=CoalescePolicy.latest,
        )
        scheduler.add_schedule(
            notebook_function, IntervalTrigger(seconds=1), id="in-a-notebook"
        )
    log_path = folder / "worker.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "apsnb", "worker", str(store),
                "--grace-period", str(GRACE), "--identity", "worker-1",
                "--allow", "tests.jobfuncs",
            ],
            cwd=folder,
            stderr=log,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )  # fmt: skip
        try:
            wait_for(
                lambda: (
                    {"report", "failing"} <= {r.schedule_id for r in _runs(store)}
                    and pid_file.exists()
                ),
                timeout=90,
                what="the notebooks to run",
                interval=0.5,
            )
            time.sleep(2.5)  # a few polls of the waiting notebook schedule
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            exit_code = process.wait(30)
            stop_seconds = time.monotonic() - started
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    return WorkerRun(
        folder=folder,
        store=store,
        fire_time=now,
        exit_code=exit_code,
        stop_seconds=stop_seconds,
        log=log_path.read_text(),
        records=_runs(store),
        slow_kernel_pid=int(pid_file.read_text()),
    )


def test_scheduled_notebooks_run_in_the_worker_with_their_parameters(
    worker_run: WorkerRun,
) -> None:
    record = worker_run.record("report")
    assert record.outcome is JobOutcome.success
    assert record.scheduler_id == "worker-1"
    output = Path(record.output_path or "")
    assert output == worker_run.folder / "runs" / "report" / (
        f"{worker_run.fire_time.strftime('%Y%m%dT%H%M%SZ')}-success.ipynb"
    )
    assert 'city = "Tampere"' in sources(output)
    assert (
        f"report for Tampere at {worker_run.fire_time.isoformat()} in "
        f"{worker_run.folder / 'nb'}"
    ) in outputs(output)


def test_a_failing_notebook_is_recorded_with_its_cell(worker_run: WorkerRun) -> None:
    record = worker_run.record("failing")
    assert record.outcome is JobOutcome.error
    assert record.exception_type == "apsnb.NotebookFailed"
    assert record.exception_message is not None
    assert "average = 10 / (rows - 3)" in record.exception_message
    assert "raised ZeroDivisionError: division by zero" in record.exception_message
    output = Path(record.output_path or "")
    assert output.name.endswith("-error.ipynb") and output.exists()
    assert "ZeroDivisionError" in outputs(output)


def test_sigterm_stops_the_worker_cleanly(worker_run: WorkerRun) -> None:
    assert worker_run.exit_code == 0, worker_run.log
    # The slow notebook had the grace period to finish, then was cancelled.
    assert GRACE <= worker_run.stop_seconds < GRACE + 15
    slow = worker_run.record("slow")
    assert slow.outcome is JobOutcome.cancelled
    with pytest.raises(ProcessLookupError):
        os.kill(worker_run.slow_kernel_pid, 0)  # its kernel is gone too
    assert "received SIGTERM" in worker_run.log
    assert "worker worker-1 stopped" in worker_run.log


def test_the_worker_logs_one_line_per_event(worker_run: WorkerRun) -> None:
    # A kernel's own output (its warnings; a traceback as it shuts down, which
    # ipykernel sometimes prints) is logged too, a record per line.
    lines = worker_run.log.splitlines()
    assert lines and all(LOG_LINE.match(line) for line in lines), worker_run.log
    assert sum("started schedule 'report'" in line for line in lines) == 1
    assert sum("finished schedule 'report': success" in line for line in lines) == 1
    assert any(
        "finished schedule 'failing': error: NotebookFailed" in line for line in lines
    )


def test_a_notebook_function_waits_and_the_worker_says_so_once(
    worker_run: WorkerRun,
) -> None:
    waits = [
        line for line in worker_run.log.splitlines() if "'in-a-notebook' waits" in line
    ]
    assert len(waits) == 1, worker_run.log


def test_fire_times_missed_while_no_worker_ran_are_in_the_history(
    worker_run: WorkerRun,
) -> None:
    runs = [r for r in worker_run.records if r.schedule_id == "every-minute"]
    ran, *missed = runs
    assert ran.outcome is JobOutcome.success
    assert len(missed) == 10
    assert {r.outcome for r in missed} == {JobOutcome.coalesced}
    assert [r.scheduled_fire_time for r in missed] == sorted(
        (r.scheduled_fire_time for r in missed), reverse=True
    )


def test_the_command_line_lists_the_runs_and_schedules(worker_run: WorkerRun) -> None:
    listed = apsnb_command("runs", str(worker_run.store), cwd=worker_run.folder)
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == [
        "FINISHED", "SCHEDULE", "FIRE", "TIME", "OUTCOME", "DURATION", "DETAIL",
    ]  # fmt: skip
    assert any(" report " in row and " success " in row for row in rows)
    assert any("failing" in row and "ZeroDivisionError" in row for row in rows)
    as_json = apsnb_command(
        "runs", str(worker_run.store), "--schedule", "failing", "--json",
        cwd=worker_run.folder,
    )  # fmt: skip
    [failing] = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert failing["outcome"] == "error"
    assert failing["output_path"].endswith("-error.ipynb")
    schedules = apsnb_command("schedules", str(worker_run.store), cwd=worker_run.folder)
    assert schedules.returncode == 0
    assert "every-minute" in schedules.stdout and "in-a-notebook" in schedules.stdout
