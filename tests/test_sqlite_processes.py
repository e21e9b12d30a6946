"""Real OS processes sharing one SQLite file: every fire time runs once, a killed
process's work is taken over or recorded as abandoned, and a kernel restart finds its
schedules (a notebook function's wait until it is bound again).

Each worker is ``tests/process_worker.py`` in its own interpreter, with an
``AsyncScheduler`` on the shared file; jobs log each run to a file of their own
(``tests/process_jobs.py``), which the test reads back.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from apsnb import AsyncScheduler, JobOutcome
from apsnb.datastores.sqlite import SQLiteDataStore
from apsnb.triggers.interval import IntervalTrigger

from .process_harness import wait_for, with_scheduler, workers
from .process_jobs import Run, read_runs, record_run, slow_run

pytestmark = pytest.mark.skipif(
    not hasattr(__import__("signal"), "SIGKILL"), reason="needs POSIX signals"
)

#: Schedules start this long after they are added, so the workers are up by then.
LEAD_SECONDS = 3.0
POLL = 0.2
#: Fire times this close to the stop may be in flight when it comes: not checked.
IN_FLIGHT_SECONDS = 1.5


def fire_times(start: datetime, until: float) -> list[float]:
    """The fire times of ``IntervalTrigger(seconds=1, start_time=start)`` up to
    ``until`` (POSIX seconds)."""
    first = start.timestamp()
    return [first + k for k in range(int(until - first) + 1) if first + k <= until]


def started(runs: list[Run]) -> list[Run]:
    return [run for run in runs if run.phase == "start"]


def key(schedule_id: str, fire_time: float | None) -> tuple[str, float]:
    """A fire time, rounded so that a float round trip compares equal."""
    assert fire_time is not None
    return schedule_id, round(fire_time, 3)


def add_interval_schedules(
    path: Path, count: int, first: datetime, func: object, **options: object
) -> dict[str, datetime]:
    """Add ``count`` one-second schedules starting a tenth of a second apart in
    turn; return their start times by id."""
    starts = {
        f"s{number:03}": first + timedelta(milliseconds=100 * (number % 10))
        for number in range(count)
    }

    async def add(scheduler: AsyncScheduler) -> None:
        for schedule_id, start in starts.items():
            await scheduler.add_schedule(
                func,
                IntervalTrigger(seconds=1, start_time=start),
                id=schedule_id,
                coalesce="all",  # a fire time caught up late still runs
                **options,
            )

    with_scheduler(path, add)
    return starts


def test_three_processes_run_every_fire_time_exactly_once(tmp_path: Path) -> None:
    db, runs_file = tmp_path / "shared.sqlite", tmp_path / "runs.log"
    first = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
    starts = add_interval_schedules(db, 300, first, record_run)
    with workers(tmp_path, runs_file) as start:
        processes = [start("run", str(db), f"worker-{n}") for n in range(3)]
        for process in processes:
            process.next_message()
        # Eight seconds of firing: 2,400 fire times, 300 a second.
        time.sleep(max(0.0, first.timestamp() + 8 - time.time()))
        stopped_at = time.time()
        assert [process.terminate() for process in processes] == [0, 0, 0], [
            process.log() for process in processes
        ]
    runs = started(read_runs(runs_file))
    counts = Counter(key(run.schedule_id, run.fire_time) for run in runs)
    assert [fire for fire, count in counts.items() if count > 1] == []
    expected = {
        key(schedule_id, fire_time)
        for schedule_id, schedule_start in starts.items()
        for fire_time in fire_times(schedule_start, stopped_at - IN_FLIGHT_SECONDS)
    }
    assert len(expected) >= 300 * 6
    missing = sorted(expected - counts.keys())
    assert missing == [], f"{len(missing)} fire times never ran: {missing[:5]}…"
    # Every process took part (which one fires a schedule is a race they all enter).
    per_process = Counter(run.pid for run in runs)
    assert set(per_process) == {process.pid for process in processes}
    assert min(per_process.values()) >= len(runs) // 50, per_process


def test_a_killed_process_s_work_is_taken_over_or_abandoned(tmp_path: Path) -> None:
    db, runs_file = tmp_path / "shared.sqlite", tmp_path / "runs.log"
    lease = 3.0
    first = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
    # Slow jobs (2 s, longer than half a lease, renewed meanwhile): each process
    # holds a score of them at any time. Results are kept, to read the outcomes.
    starts = add_interval_schedules(
        db, 30, first, slow_run, args=[2.0], job_result_expiration_time=600
    )
    victim_id = "worker-0"
    with workers(tmp_path, runs_file) as start:
        processes = [
            start("run", str(db), f"worker-{n}", "--lease", str(lease))
            for n in range(3)
        ]
        for process in processes:
            process.next_message()
        victim, survivors = processes[0], processes[1:]

        def victim_busy() -> bool:
            runs = read_runs(runs_file)
            ended = {run.job_id for run in runs if run.phase == "end"}
            return (
                sum(
                    run.pid == victim.pid and run.job_id not in ended
                    for run in started(runs)
                )
                >= 3
            )

        wait_for(victim_busy, 20, "the victim to run slow jobs")
        victim.kill()  # SIGKILL: mid-job, maybe mid-transaction
        killed_at = time.time()
        with sqlite3.connect(db) as connection:
            held_jobs = connection.execute(
                "SELECT id, schedule_id, scheduled_fire_time FROM apsnb_jobs "
                "WHERE acquired_by = ?",
                (victim_id,),
            ).fetchall()
            held_schedules = connection.execute(
                "SELECT id FROM apsnb_schedules WHERE acquired_by = ?", (victim_id,)
            ).fetchall()
        # The survivors go on; past the lease, they take over the schedules the
        # victim held and record the jobs it held as abandoned.
        time.sleep(max(0.0, killed_at + lease + 3 - time.time()))
        stopped_at = time.time()
        assert [process.terminate() for process in survivors] == [0, 0]
    runs = read_runs(runs_file)
    runs_started = started(runs)
    ended = {run.job_id for run in runs if run.phase == "end"}

    # The jobs the victim held are recorded as abandoned, including those it was
    # running when it died; none of them ran again.
    assert held_jobs, "the victim held no job when killed"
    held_ids = {row[0] for row in held_jobs}
    in_flight = {
        run.job_id
        for run in runs_started
        if run.pid == victim.pid and run.job_id not in ended
    }
    assert in_flight <= held_ids
    with sqlite3.connect(db) as connection:
        outcomes = dict(
            connection.execute(
                f"SELECT job_id, outcome FROM apsnb_job_results WHERE job_id IN "
                f"({', '.join('?' * len(held_ids))})",
                sorted(held_ids),
            ).fetchall()
        )
    assert outcomes == dict.fromkeys(held_ids, JobOutcome.abandoned.value)

    # Nothing ran twice; nothing was lost: every fire time up to the stop ran or
    # was abandoned.
    counts = Counter(key(run.schedule_id, run.fire_time) for run in runs_started)
    assert [fire for fire, count in counts.items() if count > 1] == []
    abandoned = {
        key(schedule_id, datetime.fromisoformat(fire.split("[")[0]).timestamp())
        for _, schedule_id, fire in held_jobs
    }
    assert not abandoned & {
        key(run.schedule_id, run.fire_time)
        for run in runs_started
        if run.pid != victim.pid
    }
    expected = {
        key(schedule_id, fire_time)
        for schedule_id, schedule_start in starts.items()
        for fire_time in fire_times(schedule_start, stopped_at - IN_FLIGHT_SECONDS)
    }
    missing = sorted(expected - counts.keys() - abandoned)
    assert missing == [], f"{len(missing)} fire times lost: {missing[:5]}…"

    # Every schedule, those the victim held included, fired in the survivors after
    # the victim's lease ended.
    after_lease = {
        run.schedule_id
        for run in runs_started
        if run.fire_time is not None and run.fire_time > killed_at + lease
    }
    assert after_lease == set(starts)
    assert {row[0] for row in held_schedules} <= after_lease

    # Nothing is stuck: once the survivors stopped, nothing is claimed.
    store = SQLiteDataStore(db)
    store.cleanup()
    store.stop()
    with sqlite3.connect(db) as connection:
        claimed_jobs = connection.execute(
            "SELECT id, acquired_by FROM apsnb_jobs WHERE acquired_by IS NOT NULL"
        ).fetchall()
        claimed_schedules = connection.execute(
            "SELECT id, acquired_by FROM apsnb_schedules WHERE acquired_by IS NOT NULL"
        ).fetchall()
    assert claimed_jobs == []
    assert claimed_schedules == []


def test_a_job_longer_than_the_lease_runs_once(tmp_path: Path) -> None:
    """The running scheduler renews its claim; another one does not take it back."""
    db, runs_file = tmp_path / "shared.sqlite", tmp_path / "runs.log"
    with workers(tmp_path, runs_file) as start:
        processes = [
            start("run", str(db), f"worker-{n}", "--lease", "1") for n in range(2)
        ]
        for process in processes:
            process.next_message()

        async def add(scheduler: AsyncScheduler) -> None:
            await scheduler.add_job(slow_run, args=[2.5], result_expiration_time=60)

        with_scheduler(db, add)
        wait_for(
            lambda: any(run.phase == "end" for run in read_runs(runs_file)),
            15,
            "the slow job to end",
        )
        time.sleep(3 * POLL)  # time for a wrong second start to show
        for process in processes:
            process.terminate()
    assert [run.phase for run in read_runs(runs_file)] == ["start", "end"]
    with sqlite3.connect(db) as connection:
        outcomes = connection.execute("SELECT outcome FROM apsnb_job_results")
        assert outcomes.fetchall() == [(JobOutcome.success.value,)]


def test_a_schedule_added_elsewhere_is_picked_up_within_the_poll_interval(
    tmp_path: Path,
) -> None:
    db, runs_file = tmp_path / "shared.sqlite", tmp_path / "runs.log"
    with workers(tmp_path, runs_file) as start:
        processes = [start("run", str(db), f"worker-{n}") for n in range(2)]
        for process in processes:
            process.next_message()
        time.sleep(2 * POLL)  # both asleep, with nothing to do

        async def add(scheduler: AsyncScheduler) -> float:
            trigger = IntervalTrigger(minutes=1, start_time=datetime.now(UTC))
            await scheduler.add_schedule(record_run, trigger, id="late")
            return time.time()

        added_at = with_scheduler(db, add)
        run = wait_for(lambda: read_runs(runs_file), 10, "the new schedule's job")[0]
        for process in processes:
            process.terminate()
    assert run.schedule_id == "late"
    # A poll to see the schedule, at most one more for another process to see the
    # job; generous for a busy machine.
    assert run.at - added_at < 2 * POLL + 1.0


def test_a_kernel_restart_keeps_schedules_and_waits_for_notebook_functions(
    tmp_path: Path,
) -> None:
    db, runs_file = tmp_path / "shared.sqlite", tmp_path / "runs.log"
    waited = 2.5
    with workers(tmp_path, runs_file) as start:
        first_kernel = start("add-notebook", str(db))
        added = first_kernel.next_message()
        assert first_kernel.process.wait(15) == 0
        assert added["tasks"] == {
            "__main__:notebook_job": None,  # stored by name only
            "tests.process_jobs:record_run": "tests.process_jobs:record_run",
        }
        second_kernel = start("rebind", str(db), "kernel-2", "--after", str(waited))
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
