"""Real OS processes sharing one PostgreSQL database, each with its own connections:
every fire time runs once, a killed process's work is taken over or recorded as
abandoned, a server restart is ridden out, and a schedule added in one process fires
in another on time, woken by LISTEN/NOTIFY.

The workers are ``tests/process_worker.py``, as for the SQLite store, given the
database's URL; each test works in a schema of its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote_plus

import psycopg
import pytest

from apsnb import AsyncScheduler, JobOutcome
from apsnb.triggers.date import DateTrigger

from .postgres_support import is_local_cluster, postgres_url
from .process_harness import REPO, wait_for, with_scheduler, workers
from .process_jobs import RUNS_ENV, read_runs, record_run, slow_run
from .test_sqlite_processes import (
    IN_FLIGHT_SECONDS,
    add_interval_schedules,
    fire_times,
    key,
    started,
)

__all__ = ("postgres_url",)

pytestmark = pytest.mark.skipif(
    not hasattr(__import__("signal"), "SIGKILL"), reason="needs POSIX signals"
)

LEAD_SECONDS = 3.0


@pytest.fixture
def store_url(postgres_url: str) -> str:
    """The database's URL, with a schema of this test's own (the store's option)."""
    schema = f"processes_{uuid.uuid4().hex[:8]}"
    return f"{postgres_url}?options={quote_plus(f'-csearch_path={schema}')}"


def schema_of(url: str) -> str:
    return url.split("search_path%3D")[1]


def query(url: str, sql: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as connection:
        return connection.execute(sql, params).fetchall()


def create_schema(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema_of(url)}"')


def restart_server() -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart"],
        check=True,
        capture_output=True,
        timeout=60,
    )


def run_and_check_every_fire_time_once(
    tmp_path: Path, url: str, *, restart: bool
) -> None:
    runs_file = tmp_path / "runs.log"
    create_schema(url)
    first = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
    starts = add_interval_schedules(url, 300, first, record_run)  # type: ignore[arg-type]
    with workers(tmp_path, runs_file) as start:
        processes = [start("run", url, f"worker-{n}") for n in range(3)]
        for process in processes:
            process.next_message()
        if restart:
            time.sleep(max(0.0, first.timestamp() + 3 - time.time()))
            restart_server()  # every connection drops; the server is back in ~1 s
        # Eight seconds of firing: 2,400 fire times, 300 a second.
        time.sleep(max(0.0, first.timestamp() + 8 - time.time()))
        stopped_at = time.time()
        assert [process.terminate() for process in processes] == [0, 0, 0], [
            process.log() for process in processes
        ]
        if restart:  # the restart was felt, and retried (logged at WARNING)
            assert any("retrying" in process.log() for process in processes)
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
    per_process = Counter(run.pid for run in runs)
    assert set(per_process) == {process.pid for process in processes}
    # Nothing is left behind: every job was released, with its outcome.
    assert query(
        url,
        "SELECT count(*) FROM apsnb_jobs WHERE acquired_by IS NOT NULL "
        "AND acquired_until_us < 1e6 * extract(epoch FROM now())",
    ) == [(0,)]


def test_three_processes_run_every_fire_time_exactly_once(
    tmp_path: Path, store_url: str
) -> None:
    run_and_check_every_fire_time_once(tmp_path, store_url, restart=False)


def test_schedulers_ride_out_a_server_restart_without_losing_or_repeating_a_fire_time(
    tmp_path: Path, store_url: str
) -> None:
    if not is_local_cluster(store_url):
        pytest.skip(
            "restarts only the machine's own cluster (APSNB_TEST_POSTGRES_URL "
            "names another server)"
        )
    run_and_check_every_fire_time_once(tmp_path, store_url, restart=True)


def test_a_killed_process_s_work_is_taken_over_or_abandoned(
    tmp_path: Path, store_url: str
) -> None:
    runs_file = tmp_path / "runs.log"
    create_schema(store_url)
    lease = 3.0
    first = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
    starts = add_interval_schedules(
        store_url,  # type: ignore[arg-type]
        30,
        first,
        slow_run,
        args=[2.0],
        job_result_expiration_time=600,
    )
    with workers(tmp_path, runs_file) as start:
        processes = [
            start("run", store_url, f"worker-{n}", "--lease", str(lease))
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
        held_jobs = query(
            store_url,
            "SELECT id::text, schedule_id, scheduled_fire_time FROM apsnb_jobs "
            "WHERE acquired_by = 'worker-0'",
        )
        held_schedules = query(
            store_url, "SELECT id FROM apsnb_schedules WHERE acquired_by = 'worker-0'"
        )
        time.sleep(max(0.0, killed_at + lease + 3 - time.time()))
        stopped_at = time.time()
        assert [process.terminate() for process in survivors] == [0, 0]
    runs = read_runs(runs_file)
    runs_started = started(runs)
    ended = {run.job_id for run in runs if run.phase == "end"}

    assert held_jobs, "the victim held no job when killed"
    held_ids = {str(row[0]) for row in held_jobs}
    in_flight = {
        run.job_id
        for run in runs_started
        if run.pid == victim.pid and run.job_id not in ended
    }
    assert in_flight <= held_ids
    outcomes = dict(
        query(
            store_url,
            "SELECT job_id::text, outcome FROM apsnb_job_results "
            "WHERE job_id = ANY(%s::uuid[])",
            sorted(held_ids),
        )
    )
    assert outcomes == dict.fromkeys(held_ids, JobOutcome.abandoned.value)

    counts = Counter(key(run.schedule_id, run.fire_time) for run in runs_started)
    assert [fire for fire, count in counts.items() if count > 1] == []
    abandoned = {
        key(
            str(schedule_id),
            datetime.fromisoformat(str(fire).split("[")[0]).timestamp(),
        )
        for _, schedule_id, fire in held_jobs
    }
    expected = {
        key(schedule_id, fire_time)
        for schedule_id, schedule_start in starts.items()
        for fire_time in fire_times(schedule_start, stopped_at - IN_FLIGHT_SECONDS)
    }
    missing = sorted(expected - counts.keys() - abandoned)
    assert missing == [], f"{len(missing)} fire times lost: {missing[:5]}…"
    after_lease = {
        run.schedule_id
        for run in runs_started
        if run.fire_time is not None and run.fire_time > killed_at + lease
    }
    assert after_lease == set(starts)
    assert {row[0] for row in held_schedules} <= after_lease


def fire_once_from_another_process(
    url: str, runs_file: Path, schedule_id: str
) -> float:
    """Add a schedule firing 0.3 s from now; return how late its job started."""
    fire_at = datetime.now(UTC) + timedelta(milliseconds=300)

    async def add(scheduler: AsyncScheduler) -> None:
        await scheduler.add_schedule(record_run, DateTrigger(fire_at), id=schedule_id)

    with_scheduler(url, add)
    run = wait_for(
        lambda: [r for r in read_runs(runs_file) if r.schedule_id == schedule_id],
        10,
        f"the job of {schedule_id}",
    )[0]
    return run.at - fire_at.timestamp()


def test_a_schedule_added_in_one_process_fires_in_another_within_100_ms(
    tmp_path: Path, store_url: str
) -> None:
    runs_file = tmp_path / "runs.log"
    create_schema(store_url)
    with workers(tmp_path, runs_file) as start:
        # Polling every 30 s: only a notification can wake the worker in time.
        worker = start("run", store_url, "worker-0", "--poll", "30")
        worker.next_message()
        time.sleep(0.5)  # asleep, with nothing to do
        lateness = [
            fire_once_from_another_process(store_url, runs_file, f"late-{n}")
            for n in range(5)
        ]
        assert worker.terminate() == 0
    # The median: one slow start on a busy 2-core machine is not the broker's doing.
    assert sorted(lateness)[2] < 0.1, lateness


def test_apsnb_worker_runs_the_schedules_of_a_postgresql_url(
    tmp_path: Path, store_url: str
) -> None:
    runs_file = tmp_path / "runs.log"
    create_schema(store_url)
    environ = {**os.environ, RUNS_ENV: str(runs_file), "PYTHONPATH": str(REPO)}
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "apsnb", "worker", store_url, "--identity", "cli",
            "--allow", "tests.process_jobs",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
        cwd=REPO,
    )
    try:
        assert worker.stderr is not None
        started = worker.stderr.readline()
        assert "running on PostgreSQL database" in started, started
        assert "postgres:postgres@" not in started  # no password in the log
        # The first run imports the job's module; the second shows the wake-up.
        fire_once_from_another_process(store_url, runs_file, "warm-up")
        lateness = fire_once_from_another_process(store_url, runs_file, "from-cli")
    finally:
        worker.send_signal(signal.SIGTERM)
        _, log = worker.communicate(timeout=30)
    assert worker.returncode == 0, log
    assert "finished schedule 'from-cli': success" in log
    assert lateness < 0.1
