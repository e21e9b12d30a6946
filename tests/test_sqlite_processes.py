"""Real OS processes sharing one SQLite file: every fire time runs once, a killed
process's work is taken over or recorded as abandoned, and a kernel restart finds its
schedules (a notebook function's wait until it is bound again).

Each worker is ``tests/process_worker.py`` in its own interpreter, with an
``AsyncScheduler`` on the shared file; jobs log each run to a file of their own
(``tests/process_jobs.py``), which the test reads back. The checks every store passes
are in ``tests/process_checks.py``.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from apsnb import AsyncScheduler, JobOutcome
from apsnb.triggers.interval import IntervalTrigger

from .process_checks import (
    POLL,
    SharedSQLiteFile,
    check_killed_worker_s_work_is_taken_over_or_abandoned,
    run_every_fire_time_once,
    start_workers,
)
from .process_harness import wait_for, with_scheduler, workers
from .process_jobs import Run, read_runs, record_run, slow_run

pytestmark = pytest.mark.skipif(
    not hasattr(__import__("signal"), "SIGKILL"), reason="needs POSIX signals"
)


@pytest.fixture
def shared(tmp_path: Path) -> SharedSQLiteFile:
    return SharedSQLiteFile(tmp_path / "shared.sqlite")


def test_three_processes_run_every_fire_time_exactly_once(
    tmp_path: Path, shared: SharedSQLiteFile
) -> None:
    runs, _ = run_every_fire_time_once(tmp_path, shared)
    per_process = Counter(run.pid for run in runs)
    assert min(per_process.values()) >= len(runs) // 50, per_process


def test_a_killed_process_s_work_is_taken_over_or_abandoned(
    tmp_path: Path, shared: SharedSQLiteFile
) -> None:
    check_killed_worker_s_work_is_taken_over_or_abandoned(tmp_path, shared)


def test_a_job_longer_than_the_lease_runs_once(
    tmp_path: Path, shared: SharedSQLiteFile
) -> None:
    """The running scheduler renews its claim; another one does not take it back."""
    runs_file = tmp_path / "runs.log"
    with workers(tmp_path, runs_file) as start:
        processes = start_workers(start, shared.location, 2, "--lease", "1")

        async def add(scheduler: AsyncScheduler) -> None:
            await scheduler.add_job(slow_run, args=[2.5], result_expiration_time=60)

        with_scheduler(shared.location, add)
        wait_for(
            lambda: any(run.phase == "end" for run in read_runs(runs_file)),
            15,
            "the slow job to end",
        )
        time.sleep(3 * POLL)  # time for a wrong second start to show
        for process in processes:
            process.terminate()
    assert [run.phase for run in read_runs(runs_file)] == ["start", "end"]
    outcomes = shared.rows("SELECT outcome FROM apsnb_job_results")
    assert outcomes == [(JobOutcome.success.value,)]


def test_a_schedule_added_elsewhere_is_picked_up_within_the_poll_interval(
    tmp_path: Path, shared: SharedSQLiteFile
) -> None:
    runs_file = tmp_path / "runs.log"
    with workers(tmp_path, runs_file) as start:
        processes = start_workers(start, shared.location, 2)
        time.sleep(2 * POLL)  # both asleep, with nothing to do

        async def add(scheduler: AsyncScheduler) -> float:
            trigger = IntervalTrigger(minutes=1, start_time=datetime.now(UTC))
            await scheduler.add_schedule(record_run, trigger, id="late")
            return time.time()

        added_at = with_scheduler(shared.location, add)
        run = wait_for(lambda: read_runs(runs_file), 10, "the new schedule's job")[0]
        for process in processes:
            process.terminate()
    assert run.schedule_id == "late"
    # A poll to see the schedule, at most one more for another process to see the
    # job; generous for a busy machine.
    assert run.at - added_at < 2 * POLL + 1.0


def test_a_kernel_restart_keeps_schedules_and_waits_for_notebook_functions(
    tmp_path: Path, shared: SharedSQLiteFile
) -> None:
    runs_file = tmp_path / "runs.log"
    waited = 2.5
    with workers(tmp_path, runs_file) as start:
        first_kernel = start("add-notebook", shared.location)
        added = first_kernel.next_message()
        assert first_kernel.process.wait(15) == 0
        assert added["tasks"] == {
            "__main__:notebook_job": None,  # stored by name only
            "tests.process_jobs:record_run": "tests.process_jobs:record_run",
        }
        second_kernel = start(
            "rebind", shared.location, "kernel-2", "--after", str(waited)
        )
        waiting = second_kernel.next_message()
        assert waiting["waiting"] == {"__main__:notebook_job": ["notebook"]}
        rebound = second_kernel.next_message()
        assert rebound["waiting"] == {}
        rebound_at = rebound["rebound"]

        def notebook_runs() -> list[Run]:
            runs = read_runs(runs_file)
            return [run for run in runs if run.schedule_id == "notebook"]

        wait_for(lambda: len(notebook_runs()) >= 2, 10, "the notebook schedule")
        assert second_kernel.terminate() == 0
    runs = read_runs(runs_file)
    importable = [run for run in runs if run.schedule_id == "importable"]
    notebook = [run for run in runs if run.schedule_id == "notebook"]
    # The importable schedule ran while the notebook one waited.
    assert any(run.at < rebound_at for run in importable)
    assert all(run.at >= rebound_at for run in notebook)
    # Its missed fire times (a few seconds of them) made one job, the latest
    # (coalesce="latest"); then it fires every second again.
    first_run, *later = notebook
    assert first_run.fire_time is not None
    assert first_run.fire_time - added["added"] >= waited - 1
    assert rebound_at - 1.05 < first_run.fire_time < rebound_at + 0.5
    assert [
        round(run.fire_time - first_run.fire_time, 3)
        for run in later
        if run.fire_time is not None
    ] == [float(k) for k in range(1, len(later) + 1)]
