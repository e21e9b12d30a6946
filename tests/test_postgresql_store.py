"""The PostgreSQL store on a real server: the conformance suite, schemas, errors."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from apsnb import (
    ConflictingIdError,
    ConflictPolicy,
    DataStoreAccessDenied,
    DataStoreUnavailable,
    IncompatibleDataStore,
    Job,
    Schedule,
    Task,
)
from apsnb.datastores import _postgresql_schedules
from apsnb.datastores._postgresql_errors import is_temporary
from apsnb.datastores.postgresql import PostgreSQLDataStore, PostgreSQLRetrySettings
from apsnb.eventbrokers.local import LocalEventBroker
from apsnb.testing._store_harness import advanced, make_job, make_schedule, success
from apsnb.testing.datastores import DataStoreConformance
from apsnb.triggers.interval import IntervalTrigger

from .postgres_support import postgres_url, with_database

__all__ = ("postgres_url",)  # the fixture, for pytest


def query(url: str, sql: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def fresh_schema() -> str:
    return f"apsnb_{uuid.uuid4().hex[:10]}"


class TestPostgreSQLDataStore(DataStoreConformance):
    @pytest.fixture
    def datastore(self, postgres_url: str) -> Iterator[PostgreSQLDataStore]:
        # A schema of its own per test: every test starts with empty tables.
        store = PostgreSQLDataStore(postgres_url, schema=fresh_schema())
        yield store
        store.stop()


def test_tables_go_in_the_schema_and_installations_do_not_see_each_other(
    postgres_url: str,
) -> None:
    first, second = fresh_schema(), fresh_schema()
    stores = [
        PostgreSQLDataStore(postgres_url, schema=name) for name in (first, second)
    ]
    for store in stores:
        store.start(LocalEventBroker())
    try:
        stores[0].add_task(Task(id="only-in-first", func="tests.jobfuncs:thread_id"))
        assert [task.id for task in stores[0].get_tasks()] == ["only-in-first"]
        assert stores[1].get_tasks() == []
        tables = query(
            postgres_url,
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = %s ORDER BY 1",
            first,
        )
        assert [row[0] for row in tables] == [
            "apsnb_job_results", "apsnb_jobs", "apsnb_runs", "apsnb_schedules",
            "apsnb_schema_version", "apsnb_tasks",
        ]  # fmt: skip
    finally:
        for store in stores:
            store.stop()


def test_arguments_are_json_in_bytea_and_metadata_is_jsonb(postgres_url: str) -> None:
    schema = fresh_schema()
    store = PostgreSQLDataStore(postgres_url, schema=schema)
    store.start(LocalEventBroker())
    try:
        store.add_job(Job(task_id="t", args=(1, "ü"), metadata={"team": "a"}))
    finally:
        store.stop()
    rows = query(
        postgres_url,
        f"SELECT convert_from(args, 'UTF8'), metadata->>'team' FROM \"{schema}\".apsnb_jobs",
    )
    [(args, team)] = rows
    assert json.loads(str(args)) == {"$apsnb": "tuple", "value": [1, "ü"]}
    assert team == "a"


def test_the_password_is_never_shown(postgres_url: str) -> None:
    store = PostgreSQLDataStore(
        "postgresql://someone:s3cret@127.0.0.1:5432/db", schema="x"
    )
    assert "s3cret" not in repr(store)
    assert repr(store) == (
        'PostgreSQLDataStore("PostgreSQL database someone@127.0.0.1:5432/db, '
        "schema 'x'\", schema='x')"
    )


def test_a_wrong_password_is_refused_at_once_saying_what_to_check(
    postgres_url: str,
) -> None:
    parts = urlsplit(postgres_url)
    wrong = urlunsplit(
        parts._replace(netloc=f"{parts.username}:wrong@{parts.hostname}:{parts.port}")
    )
    store = PostgreSQLDataStore(wrong)
    started = time.monotonic()
    with pytest.raises(DataStoreAccessDenied, match="password") as caught:
        store.start(LocalEventBroker())
    assert time.monotonic() - started < 3  # not retried
    assert "wrong" not in str(caught.value)


def test_a_missing_database_is_refused_at_once(postgres_url: str) -> None:
    store = PostgreSQLDataStore(with_database(postgres_url, "apsnb_no_such_database"))
    with pytest.raises(DataStoreAccessDenied, match="createdb"):
        store.start(LocalEventBroker())


def test_an_unreachable_server_is_retried_then_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    retry = PostgreSQLRetrySettings(
        attempts=3, total_time=5, initial_delay=0.01, max_delay=0.05
    )
    store = PostgreSQLDataStore("postgresql://u:p@127.0.0.1:1/db", retry=retry)
    with pytest.raises(DataStoreUnavailable, match="3 attempts"):
        store.start(LocalEventBroker())
    retries = [r for r in caplog.records if r.name == "apsnb.datastores.postgresql"]
    assert len(retries) == 2


def test_a_lost_connection_is_retried_on_a_new_one(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = PostgreSQLDataStore(postgres_url, schema=fresh_schema(), max_connections=1)
    store.start(LocalEventBroker())
    try:
        store.add_task(Task(id="before", func="tests.jobfuncs:thread_id"))
        # The administrator ends every connection of the store (SQLSTATE 57P01).
        query(
            postgres_url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND application_name = ''",
        )
        store.add_task(Task(id="after", func="tests.jobfuncs:thread_id"))
        assert [task.id for task in store.get_tasks()] == ["after", "before"]
    finally:
        store.stop()
    assert any("temporary failure" in r.getMessage() for r in caplog.records)


def test_a_database_of_a_newer_apsnb_is_refused(postgres_url: str) -> None:
    schema = fresh_schema()
    store = PostgreSQLDataStore(postgres_url, schema=schema)
    store.start(LocalEventBroker())
    store.stop()
    query(
        postgres_url,
        f'INSERT INTO "{schema}".apsnb_schema_version (version, description) '
        f"VALUES (99, 'from the future') RETURNING version",
    )
    with pytest.raises(IncompatibleDataStore, match="99"):
        PostgreSQLDataStore(postgres_url, schema=schema).start(LocalEventBroker())


def test_a_pool_of_the_user_s_is_used_and_left_open(postgres_url: str) -> None:
    with ConnectionPool(
        postgres_url, min_size=1, max_size=2, kwargs={"autocommit": True}
    ) as pool:
        store = PostgreSQLDataStore(pool, schema=fresh_schema())
        store.start(LocalEventBroker())
        store.add_task(Task(id="t", func="tests.jobfuncs:thread_id"))
        assert [task.id for task in store.get_tasks()] == ["t"]
        store.stop()
        assert not pool.closed


def test_max_running_jobs_holds_across_stores_claiming_at_once(
    postgres_url: str,
) -> None:
    schema = fresh_schema()
    stores = [PostgreSQLDataStore(postgres_url, schema=schema) for _ in range(4)]
    for store in stores:
        store.start(LocalEventBroker())
    try:
        stores[0].add_task(
            Task(id="limited", func="tests.jobfuncs:thread_id", max_running_jobs=3)
        )
        for _ in range(40):
            stores[0].add_job(Job(task_id="limited"))
            stores[0].add_job(Job(task_id="free"))
        barrier = threading.Barrier(len(stores))

        def claim(store: PostgreSQLDataStore) -> list[Job]:
            barrier.wait()
            return store.acquire_jobs(f"s-{id(store)}", timedelta(minutes=1), 30)

        with ThreadPoolExecutor(len(stores)) as pool:
            claimed = [job for jobs in pool.map(claim, stores) for job in jobs]
    finally:
        for store in stores:
            store.stop()
    assert Counter(job.task_id for job in claimed)["limited"] == 3
    assert len({job.id for job in claimed}) == len(claimed)  # none handed out twice


def test_an_insert_repeated_after_a_lost_answer_is_kept_once(postgres_url: str) -> None:
    """A retried add (its first commit went through, the answer was lost) finds its
    own row and succeeds; another job or schedule with that id is still refused."""
    store = PostgreSQLDataStore(postgres_url, schema=fresh_schema())
    store.start(LocalEventBroker())
    try:
        job = Job(task_id="t")
        store.add_job(job)
        store.add_job(job)
        assert [stored.id for stored in store.get_jobs()] == [job.id]
        with pytest.raises(ValueError, match="exists already"):
            store.add_job(Job(id=job.id, task_id="other"))

        trigger = IntervalTrigger(minutes=1, start_time=datetime.now(UTC))
        schedule = Schedule(
            id="s", task_id="t", trigger=trigger, next_fire_time=trigger.next()
        )
        store.add_schedule(schedule, ConflictPolicy.exception)
        store.add_schedule(schedule, ConflictPolicy.exception)
        other = schedule.copy(args=(1,))
        with pytest.raises(ConflictingIdError):
            store.add_schedule(other, ConflictPolicy.exception)
    finally:
        store.stop()


def test_a_role_without_permission_is_refused_at_once_saying_what_to_grant(
    postgres_url: str,
) -> None:
    role = f"apsnb_reader_{uuid.uuid4().hex[:8]}"
    query(postgres_url, f"CREATE ROLE {role} LOGIN PASSWORD 'secret'")
    try:
        parts = urlsplit(postgres_url)
        url = urlunsplit(
            parts._replace(netloc=f"{role}:secret@{parts.hostname}:{parts.port}")
        )
        # PostgreSQL 15 lets no one but its owner create tables in "public".
        store = PostgreSQLDataStore(url)
        started = time.monotonic()
        with pytest.raises(DataStoreAccessDenied, match=r"permission denied.*grant"):
            store.start(LocalEventBroker())
        assert time.monotonic() - started < 3  # not retried
    finally:
        query(postgres_url, f"DROP ROLE IF EXISTS {role}")


def test_deadlocks_and_serialization_failures_are_temporary_by_their_sqlstate(
    postgres_url: str,
) -> None:
    """Real failures from the server, told apart by SQLSTATE (40P01, 40001)."""
    table = f"t_{uuid.uuid4().hex[:8]}"
    query(postgres_url, f"CREATE TABLE {table} (id int PRIMARY KEY, n int)")
    query(postgres_url, f"INSERT INTO {table} VALUES (1, 0), (2, 0)")
    first, second = (psycopg.connect(postgres_url) for _ in range(2))
    failures: list[BaseException] = []

    def lock_in_turn(connection: psycopg.Connection, order: tuple[int, int]) -> None:
        try:
            for row in order:
                connection.execute(
                    f"UPDATE {table} SET n = n + 1 WHERE id = %s", (row,)
                )
                time.sleep(0.2)
        except psycopg.Error as error:
            failures.append(error)
        finally:
            connection.rollback()

    threads = [
        threading.Thread(target=lock_in_turn, args=(first, (1, 2))),
        threading.Thread(target=lock_in_turn, args=(second, (2, 1))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for isolation in (first, second):
        isolation.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
        isolation.execute(f"SELECT sum(n) FROM {table}").fetchall()
    first.execute(f"UPDATE {table} SET n = 10 WHERE id = 1")
    second.execute(f"UPDATE {table} SET n = 20 WHERE id = 2")
    first.commit()
    try:
        second.commit()
    except psycopg.Error as error:
        failures.append(error)
    first.close()
    second.close()
    assert sorted(type(error).__name__ for error in failures) == [
        "DeadlockDetected",
        "SerializationFailure",
    ]
    assert all(is_temporary(error) for error in failures)
    assert not is_temporary(psycopg.errors.InsufficientPrivilege())


def test_rows_beyond_one_statement_go_in_several_in_order(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Many rows go to one statement up to a number of parameters; make it tiny, so
    # that every release, insert and result below takes several statements.
    monkeypatch.setattr(_postgresql_schedules, "MAX_PARAMETERS", 20)
    store = PostgreSQLDataStore(postgres_url, schema=fresh_schema())
    store.start(LocalEventBroker())
    try:
        store.add_task(Task(id="task"))
        now = datetime.now(UTC)
        for number in range(7):
            store.add_schedule(
                make_schedule(f"s{number}", now), ConflictPolicy.exception
            )
        claimed = store.acquire_schedules("one", timedelta(minutes=1), 10)
        results = []
        for schedule in claimed:
            jobs = (
                make_job(schedule_id=schedule.id),
                make_job(schedule_id=schedule.id),
            )
            results.append(replace(advanced(schedule), jobs=jobs))
        made = [job.id for result in results for job in result.jobs]
        taken = store.release_schedules_and_acquire_jobs(
            "one", results, timedelta(minutes=1), 5
        )
        assert [job.id for job in taken] == made[:5]
        assert [job.id for job in store.get_jobs()] == made
        for schedule in store.get_schedules():
            assert schedule.acquired_by is None
            assert schedule.next_fire_time == now + timedelta(minutes=1)
        store.release_jobs(
            "one", [(job, success(job, job.schedule_id)) for job in taken]
        )
        for job in taken:
            assert store.get_job_result(job.id).return_value == job.schedule_id
    finally:
        store.stop()
