"""The PostgreSQL store's tables, their version, and the steps between versions.

The same tables and columns as the SQLite store (see ``_sqlite_schema``), in
PostgreSQL's types: serialized values are ``bytea``, metadata ``jsonb``, job ids
``uuid``, and the times that queries compare are whole microseconds since the epoch
in ``bigint`` ``*_us`` columns, the exact zoned text kept beside them.

Opening a database runs the steps it lacks, in order, in one transaction that holds
an advisory lock, so two processes opening a new database at once do it once. A
database of a newer version than this apsnb knows is refused. A step is never edited
once released: a change is a new step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from .._exceptions import IncompatibleDataStore


def quote(identifier: str) -> str:
    """``identifier`` as a quoted SQL identifier (any name is safe in it)."""
    return '"' + identifier.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class Tables:
    """The qualified names of the store's tables in one schema (or the search path)."""

    schema: str | None = None

    def _name(self, table: str) -> str:
        return table if self.schema is None else f"{quote(self.schema)}.{table}"

    @property
    def version(self) -> str:
        return self._name("apsnb_schema_version")

    @property
    def tasks(self) -> str:
        return self._name("apsnb_tasks")

    @property
    def schedules(self) -> str:
        return self._name("apsnb_schedules")

    @property
    def jobs(self) -> str:
        return self._name("apsnb_jobs")

    @property
    def results(self) -> str:
        return self._name("apsnb_job_results")

    @property
    def runs(self) -> str:
        return self._name("apsnb_runs")


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema: what it brings a database of ``version - 1`` to."""

    version: int
    description: str
    statements: Callable[[Tables], tuple[str, ...]]


def _version_1(t: Tables) -> tuple[str, ...]:
    return (
        f"""CREATE TABLE {t.tasks} (
            id text PRIMARY KEY,
            func text,
            job_executor text NOT NULL,
            max_running_jobs integer,
            misfire_grace_time double precision,
            metadata jsonb NOT NULL
        )""",
        f"""CREATE TABLE {t.schedules} (
            id text PRIMARY KEY,
            task_id text NOT NULL,
            trigger bytea NOT NULL,
            args bytea NOT NULL,
            kwargs bytea NOT NULL,
            paused boolean NOT NULL,
            coalesce_policy text NOT NULL,
            misfire_grace_time double precision,
            max_jitter double precision,
            job_executor text,
            job_result_expiration_time double precision NOT NULL,
            metadata jsonb NOT NULL,
            next_fire_time text,
            next_fire_time_us bigint,
            last_fire_time text,
            acquired_by text,
            acquired_until_us bigint,
            claimable_at_us bigint
        )""",
        # claimable_at_us: when the schedule can next be claimed (see the SQLite
        # schema); NULL when never, so the partial index holds only live schedules.
        f"""CREATE INDEX apsnb_schedules_claimable ON {t.schedules}
            (claimable_at_us, id) WHERE claimable_at_us IS NOT NULL""",
        f"""CREATE INDEX apsnb_schedules_holder ON {t.schedules} (acquired_by)
            WHERE acquired_by IS NOT NULL""",
        f"""CREATE INDEX apsnb_schedules_finished ON {t.schedules} (id)
            WHERE next_fire_time_us IS NULL""",
        f"""CREATE TABLE {t.jobs} (
            position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id uuid NOT NULL UNIQUE,
            task_id text NOT NULL,
            args bytea NOT NULL,
            kwargs bytea NOT NULL,
            schedule_id text,
            scheduled_fire_time text,
            executor text NOT NULL,
            jitter double precision NOT NULL,
            start_deadline text,
            start_deadline_us bigint,
            result_expiration_time double precision NOT NULL,
            metadata jsonb NOT NULL,
            created_at text NOT NULL,
            acquired_by text,
            acquired_until_us bigint
        )""",
        # The queue (waiting jobs in order, overall and per task), the jobs each
        # scheduler holds, and the claims by their end.
        f"""CREATE INDEX apsnb_jobs_waiting ON {t.jobs} (position)
            WHERE acquired_by IS NULL""",
        f"""CREATE INDEX apsnb_jobs_waiting_by_task ON {t.jobs} (task_id, position)
            WHERE acquired_by IS NULL""",
        f"""CREATE INDEX apsnb_jobs_holder ON {t.jobs} (acquired_by, task_id)
            WHERE acquired_by IS NOT NULL""",
        f"""CREATE INDEX apsnb_jobs_lease_end ON {t.jobs} (acquired_until_us)
            WHERE acquired_until_us IS NOT NULL""",
        f"""CREATE INDEX apsnb_jobs_deadline ON {t.jobs} (start_deadline_us)
            WHERE acquired_by IS NULL AND start_deadline_us IS NOT NULL""",
        f"""CREATE TABLE {t.results} (
            job_id uuid PRIMARY KEY,
            outcome text NOT NULL,
            started_at text,
            finished_at text NOT NULL,
            expires_at text NOT NULL,
            expires_at_us bigint NOT NULL,
            exception bytea,
            traceback text,
            return_value bytea
        )""",
        f"CREATE INDEX apsnb_job_results_expiry ON {t.results} (expires_at_us)",
    )


def _version_2(t: Tables) -> tuple[str, ...]:
    # As the SQLite store's run history (its schema step 3).
    return (
        f"""CREATE TABLE {t.runs} (
            position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            task_id text NOT NULL,
            outcome text NOT NULL,
            finished_at text NOT NULL,
            finished_at_us bigint NOT NULL,
            schedule_id text,
            job_id text,
            scheduled_fire_time text,
            started_at text,
            scheduler_id text,
            reason text,
            exception_type text,
            exception_message text,
            output_path text
        )""",
        f"CREATE INDEX apsnb_runs_finished ON {t.runs} (finished_at_us, position)",
        f"""CREATE INDEX apsnb_runs_schedule ON {t.runs}
            (schedule_id, finished_at_us, position)""",
    )


#: Every step, oldest first; the last one's version is the one this apsnb writes.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "tasks, schedules, jobs and job results", _version_1),
    Migration(2, "run history", _version_2),
)

#: Serializes schema changes across processes (an arbitrary, fixed number).
_MIGRATION_LOCK = 0x61_70_73_6E_62


def supported_version() -> int:
    return MIGRATIONS[-1].version


def schema_version(connection: psycopg.Connection, tables: Tables) -> int:
    """The schema version in ``connection``'s database (0: apsnb never wrote there)."""
    found = connection.execute(
        "SELECT to_regclass(%s) IS NOT NULL", (tables.version,)
    ).fetchone()
    if not found or not found[0]:
        return 0
    row = connection.execute(f"SELECT max(version) FROM {tables.version}").fetchone()
    return (row[0] if row else None) or 0


def prepare_schema(
    connection: psycopg.Connection, tables: Tables, location: str
) -> None:
    """Create or migrate apsnb's tables, or refuse a newer database.

    Reads first and writes only when a step is missing, so that an up-to-date
    database opens for a role that may only read and write rows.
    """
    with connection.transaction():
        if _check(schema_version(connection, tables), location) == supported_version():
            return
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        # Read again under the lock: another process may have just migrated.
        version = _check(schema_version(connection, tables), location)
        if tables.schema is not None:
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(tables.schema)}")
        connection.execute(
            f"""CREATE TABLE IF NOT EXISTS {tables.version} (
                version integer PRIMARY KEY,
                description text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )"""
        )
        for migration in MIGRATIONS:
            if migration.version > version:
                for statement in migration.statements(tables):
                    connection.execute(statement)
                connection.execute(
                    f"INSERT INTO {tables.version} (version, description) "
                    f"VALUES (%s, %s)",
                    (migration.version, migration.description),
                )


def _check(version: int, location: str) -> int:
    if version > supported_version():
        raise IncompatibleDataStore(location, version, supported_version())
    return version
