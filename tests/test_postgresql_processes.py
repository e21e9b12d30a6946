"""Real OS processes sharing one PostgreSQL database, each with its own connections:
every fire time runs once, a killed process's work is taken over or recorded as
abandoned, a server restart is ridden out, and a schedule added in one process fires
in another on time, woken by LISTEN/NOTIFY.

The workers are ``tests/process_worker.py``, as for the SQLite store, given the
database's URL; each test works in a schema of its own. The checks both stores pass
are in ``tests/process_checks.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote_plus

import psycopg
import pytest

from apsnb import AsyncScheduler
from apsnb.abc import DataStore
from apsnb.triggers.date import DateTrigger

from .postgres_support import is_local_cluster, postgres_url
from .process_checks import (
    SharedStore,
    check_killed_worker_s_work_is_taken_over_or_abandoned,
    run_every_fire_time_once,
)
from .process_harness import REPO, wait_for, with_scheduler, workers
from .process_jobs import RUNS_ENV, read_runs, record_run

__all__ = ("postgres_url",)

pytestmark = pytest.mark.skipif(
    not hasattr(__import__("signal"), "SIGKILL"), reason="needs POSIX signals"
)


class SharedSchema(SharedStore):
    """A schema of the test's own, named in the URL (the ``search_path`` option)."""

    mark = "%s"

    def __init__(self, postgres_url: str) -> None:
        self.schema = f"processes_{uuid.uuid4().hex[:8]}"
        option = quote_plus(f"-csearch_path={self.schema}")
        super().__init__(f"{postgres_url}?options={option}")
        with psycopg.connect(self.location, autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{self.schema}"')

    def rows(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        with psycopg.connect(self.location) as connection:
            return connection.execute(sql, params).fetchall()

    def open(self) -> DataStore:
        from apsnb.datastores.postgresql import PostgreSQLDataStore

        return PostgreSQLDataStore(self.location)


@pytest.fixture
def shared(postgres_url: str) -> SharedSchema:
    return SharedSchema(postgres_url)


def restart_server() -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart"],
        check=True,
        capture_output=True,
        timeout=60,
    )


def check_nothing_left_behind(shared: SharedSchema) -> None:
    """Every job was released, with its outcome."""
    assert shared.rows(
        "SELECT count(*) FROM apsnb_jobs WHERE acquired_by IS NOT NULL "
        "AND acquired_until_us < 1e6 * extract(epoch FROM now())",
    ) == [(0,)]


def test_three_processes_run_every_fire_time_exactly_once(
    tmp_path: Path, shared: SharedSchema
) -> None:
    run_every_fire_time_once(tmp_path, shared)
    check_nothing_left_behind(shared)


def test_schedulers_ride_out_a_server_restart_without_losing_or_repeating_a_fire_time(
    tmp_path: Path, shared: SharedSchema
) -> None:
    if not is_local_cluster(shared.location):
        pytest.skip(
            "restarts only the machine's own cluster (APSNB_TEST_POSTGRES_URL "
            "names another server)"
        )

    def restart(first: float) -> None:
        time.sleep(max(0.0, first + 3 - time.time()))
        restart_server()  # every connection drops; the server is back in ~1 s

    _, logs = run_every_fire_time_once(tmp_path, shared, meanwhile=restart)
    # The restart was felt, and retried (logged at WARNING).
    assert any("retrying" in log for log in logs)
    check_nothing_left_behind(shared)


def test_a_store_and_broker_started_while_the_server_shuts_down_wait_for_it(
    shared: SharedSchema,
) -> None:
    """A worker started while the server restarts waits for it: a server that says
    it is shutting down has not refused the login for good."""
    from apsnb.datastores.postgresql import PostgreSQLDataStore
    from apsnb.eventbrokers.postgresql import PostgreSQLEventBroker

    if not is_local_cluster(shared.location):
        pytest.skip(
            "stops only the machine's own cluster (APSNB_TEST_POSTGRES_URL names "
            "another server)"
        )
    cluster = ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main"]
    # An open session keeps a smart shutdown waiting, turning new logins away.
    holder = psycopg.connect(shared.location, autocommit=True)
    stopping = subprocess.Popen([*cluster, "stop", "-m", "smart"])
    store = PostgreSQLDataStore(shared.location)
    broker = PostgreSQLEventBroker(shared.location)
    outcome: list[object] = []
    try:
        refusal = wait_for(lambda: _refusal(shared.location), 20, "a refused login")
        assert "shutting down" in refusal

        def start() -> None:
            try:
                broker.start()
                store.start(broker)
                outcome.append("started")
            except Exception as error:  # reported by the assert below
                outcome.append(error)

        starting = threading.Thread(target=start)
        starting.start()
        time.sleep(1.5)
        assert outcome == []  # still waiting: not failed
        holder.close()  # the shutdown completes; then the server comes back
        stopping.wait(60)
        subprocess.run([*cluster, "start"], check=True, capture_output=True)
        starting.join(40)
        assert outcome == ["started"]
        assert store.get_tasks() == []
    finally:
        holder.close()
        if stopping.poll() is None:
            stopping.wait(60)
        # Running again whatever happened (2: it was running already).
        started = subprocess.run([*cluster, "start"], capture_output=True)
        assert started.returncode in (0, 2), started.stderr
        store.stop()
        broker.stop()


def _refusal(url: str) -> str | None:
    """The message of a refused login, or ``None`` if the login worked."""
    try:
        psycopg.connect(url).close()
    except psycopg.OperationalError as error:
        return str(error)
    return None


def test_a_killed_process_s_work_is_taken_over_or_abandoned(
    tmp_path: Path, shared: SharedSchema
) -> None:
    check_killed_worker_s_work_is_taken_over_or_abandoned(tmp_path, shared)


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
    tmp_path: Path, shared: SharedSchema
) -> None:
    runs_file, store_url = tmp_path / "runs.log", shared.location
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
    tmp_path: Path, shared: SharedSchema
) -> None:
    runs_file, store_url = tmp_path / "runs.log", shared.location
    environ = {**os.environ, RUNS_ENV: str(runs_file), "PYTHONPATH": str(REPO)}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "apsnb",
            "worker",
            store_url,
            "--identity",
            "cli",
            "--allow",
            "tests.process_jobs",
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
