"""What the multi-process tests check, the same on every store: each fire time runs
once, and a killed worker's work is taken over or recorded as abandoned.

A store's tests give a ``SharedStore``: where the workers meet (a file or a URL) and
how the test reads the store's tables directly, past any scheduler, to see what a
killed worker held when it died.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apsnb import AsyncScheduler, JobOutcome
from apsnb.abc import DataStore
from apsnb.triggers.interval import IntervalTrigger

from .process_harness import Worker, wait_for, with_scheduler, workers
from .process_jobs import Run, read_runs, record_run, slow_run

#: Schedules start this long after they are added, so the workers are up by then.
LEAD_SECONDS = 3.0
#: The workers' poll interval (``process_worker.py``'s default).
POLL = 0.2
#: Fire times this close to the stop may be in flight when it comes: not checked.
IN_FLIGHT_SECONDS = 1.5
#: The identity of the worker the take-over test kills.
VICTIM = "worker-0"


class SharedStore:
    """The store the workers share, and direct reads of its tables."""

    #: The query parameter mark of the database's driver.
    mark = "?"

    def __init__(self, location: str) -> None:
        self.location = location

    def rows(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        raise NotImplementedError

    def open(self) -> DataStore:
        """The store itself, opened in this process."""
        raise NotImplementedError

    def held_jobs(self, identity: str) -> list[tuple[str, str, str]]:
        """(job id, schedule id, scheduled fire time) of the jobs ``identity``
        holds."""
        rows = self.rows(
            "SELECT id, schedule_id, scheduled_fire_time FROM apsnb_jobs "
            f"WHERE acquired_by = {self.mark}",
            identity,
        )
        return [(str(job), str(schedule), str(fire)) for job, schedule, fire in rows]

    def held_schedules(self, identity: str) -> set[str]:
        sql = f"SELECT id FROM apsnb_schedules WHERE acquired_by = {self.mark}"
        return {str(row[0]) for row in self.rows(sql, identity)}

    def outcomes(self, job_ids: set[str]) -> dict[str, object]:
        """The recorded outcome of each of ``job_ids`` that has one."""
        rows = self.rows("SELECT job_id, outcome FROM apsnb_job_results")
        return {str(job): outcome for job, outcome in rows if str(job) in job_ids}

    def claimed(self) -> list[tuple[object, ...]]:
        """The jobs and schedules some scheduler still claims."""
        return [
            *self.rows(
                "SELECT id, acquired_by FROM apsnb_jobs WHERE acquired_by IS NOT NULL"
            ),
            *self.rows(
                "SELECT id, acquired_by FROM apsnb_schedules "
                "WHERE acquired_by IS NOT NULL"
            ),
        ]


class SharedSQLiteFile(SharedStore):
    def __init__(self, path: Path) -> None:
        super().__init__(str(path))

    def rows(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        with closing(sqlite3.connect(self.location)) as connection:
            return connection.execute(sql, params).fetchall()

    def open(self) -> DataStore:
        from apsnb.datastores.sqlite import SQLiteDataStore

        return SQLiteDataStore(self.location)


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


def expected_fires(starts: dict[str, datetime], until: float) -> set[tuple[str, float]]:
    """Every fire time of the schedules started at ``starts`` that is settled by
    ``until``: in flight only if it is closer to it than ``IN_FLIGHT_SECONDS``."""
    return {
        key(schedule_id, fire_time)
        for schedule_id, schedule_start in starts.items()
        for fire_time in fire_times(schedule_start, until - IN_FLIGHT_SECONDS)
    }


def add_interval_schedules(
    location: str, count: int, first: datetime, func: object, **options: object
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

    with_scheduler(location, add)
    return starts


def start_workers(
    start: Callable[..., Worker], location: str, count: int, *options: str
) -> list[Worker]:
    """``count`` workers running the schedules of ``location``, once all are up."""
    processes = [start("run", location, f"worker-{n}", *options) for n in range(count)]
    for process in processes:
        process.next_message()
    return processes


def run_every_fire_time_once(
    tmp_path: Path,
    store: SharedStore,
    *,
    meanwhile: Callable[[float], None] | None = None,
) -> tuple[list[Run], list[str]]:
    """Three workers fire 300 one-second schedules for eight seconds; check that
    each fire time ran exactly once and every worker took part. ``meanwhile(first)``,
    if given, is called once they are up (``first``: the first fire time, POSIX
    seconds). Return the runs started and the workers' logs."""
    runs_file = tmp_path / "runs.log"
    first = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
    starts = add_interval_schedules(store.location, 300, first, record_run)
    with workers(tmp_path, runs_file) as start:
        processes = start_workers(start, store.location, 3)
        if meanwhile is not None:
            meanwhile(first.timestamp())
        # Eight seconds of firing: 2,400 fire times, 300 a second.
        time.sleep(max(0.0, first.timestamp() + 8 - time.time()))
        stopped_at = time.time()
        assert [process.terminate() for process in processes] == [0, 0, 0], [
            process.log() for process in processes
        ]
        logs = [process.log() for process in processes]
    runs = started(read_runs(runs_file))
    counts = Counter(key(run.schedule_id, run.fire_time) for run in runs)
    assert [fire for fire, count in counts.items() if count > 1] == []
    expected = expected_fires(starts, stopped_at)
    assert len(expected) >= 300 * 6
    missing = sorted(expected - counts.keys())
    assert missing == [], f"{len(missing)} fire times never ran: {missing[:5]}…"
    # Every process took part (which one fires a schedule is a race they all enter).
    per_process = Counter(run.pid for run in runs)
    assert set(per_process) == {process.pid for process in processes}
    return runs, logs


def check_killed_worker_s_work_is_taken_over_or_abandoned(
    tmp_path: Path, store: SharedStore
) -> None:
    """Kill one of three workers running slow jobs; check that the survivors take
    over the schedules it held and record the jobs it held as abandoned, losing and
    repeating no fire time, and that nothing stays claimed."""
    runs_file = tmp_path / "runs.log"
    lease = 3.0
    first = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
    # Slow jobs (2 s, longer than half a lease, renewed meanwhile): each process
    # holds a score of them at any time. Results are kept, to read the outcomes.
    starts = add_interval_schedules(
        store.location, 30, first, slow_run, args=[2.0], job_result_expiration_time=600
    )
    with workers(tmp_path, runs_file) as start:
        processes = start_workers(start, store.location, 3, "--lease", str(lease))
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
        held_jobs = store.held_jobs(VICTIM)
        held_schedules = store.held_schedules(VICTIM)
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
    held_ids = {job_id for job_id, _, _ in held_jobs}
    in_flight = {
        run.job_id
        for run in runs_started
        if run.pid == victim.pid and run.job_id not in ended
    }
    assert in_flight <= held_ids
    assert store.outcomes(held_ids) == dict.fromkeys(
        held_ids, JobOutcome.abandoned.value
    )

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
    missing = sorted(expected_fires(starts, stopped_at) - counts.keys() - abandoned)
    assert missing == [], f"{len(missing)} fire times lost: {missing[:5]}…"

    # Every schedule, those the victim held included, fired in the survivors after
    # the victim's lease ended.
    after_lease = {
        run.schedule_id
        for run in runs_started
        if run.fire_time is not None and run.fire_time > killed_at + lease
    }
    assert after_lease == set(starts)
    assert held_schedules <= after_lease

    # Nothing is stuck: once the survivors stopped, nothing is claimed.
    opened = store.open()
    opened.cleanup()
    opened.stop()
    assert store.claimed() == [], [process.log() for process in survivors]
