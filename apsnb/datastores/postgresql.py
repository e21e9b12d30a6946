"""A data store in a PostgreSQL database: schedulers on many hosts share it.

Needs ``pip install 'apsnb[postgresql]'`` (psycopg 3 and psycopg_pool).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import ClassVar, TypeVar
from uuid import UUID

from psycopg_pool import ConnectionPool

from .._enums import ConflictPolicy, JobOutcome
from .._events import (
    Event,
    JobAdded,
    JobRemoved,
    ScheduleRemoved,
    TaskAdded,
    TaskRemoved,
    TaskUpdated,
)
from .._exceptions import ScheduleLookupError, TaskLookupError
from .._runs import (
    DEFAULT_HISTORY_RETENTION,
    RunRecord,
    check_retention,
    keeps_runs,
)
from .._structures import Job, JobResult, Schedule, ScheduleResult, Task, utcnow
from .._trust import AllowList
from ..abc import DataStore, EventBroker, Serializer, _checked_update
from ..serializers.json import JSONSerializer
from . import _postgresql_jobs as jobs_sql
from . import _postgresql_runs as runs_sql
from . import _postgresql_schedules as schedules_sql
from ._indexes import instant
from ._postgresql_claims import ServerClaims
from ._postgresql_connection import (
    Cursor,
    PostgreSQLConnection,
    PostgreSQLRetrySettings,
)
from ._postgresql_schema import Tables
from ._sqlite_rows import Row, RowCodec, next_run_time
from ._sqlite_runs import read_run_records
from ._store_changes import (
    finished_rows,
    publish,
    read_result,
    release_events,
    release_rows,
    schedule_changed,
    schedule_put,
)

__all__ = ("PostgreSQLDataStore", "PostgreSQLRetrySettings")

R = TypeVar("R")

logger = logging.getLogger("apsnb.datastores.postgresql")


class PostgreSQLDataStore(DataStore):
    """Keeps tasks, schedules, jobs and job results in a PostgreSQL database.

    The same tables and guarantees as :class:`~apsnb.datastores.sqlite.SQLiteDataStore`,
    for schedulers on any number of hosts: schedules and jobs are claimed under a
    lease with ``SELECT … FOR UPDATE SKIP LOCKED``, so no fire time runs twice and a
    dead scheduler's work is taken over when its lease ends. Temporary failures
    (connection lost, server restarting, serialization failure, deadlock) are retried
    on a fresh connection; permanent ones (wrong password, missing database,
    permission denied) raise at once, saying how to fix them.

    Pair it with :class:`~apsnb.eventbrokers.postgresql.PostgreSQLEventBroker` so a
    change made by one process wakes the others at once; without it they see it
    within ``poll_interval``.

    :param url_or_pool: a connection URL (``postgresql://user:password@host:5432/db``;
        the store keeps a pool of up to ``max_connections``), or a
        ``psycopg_pool.ConnectionPool`` to take connections from (its connections
        must be in autocommit mode; the store leaves the pool open when it stops)
    :param schema: the PostgreSQL schema of apsnb's tables (created if missing), so
        several installations can share one database; default: the connection's
        ``search_path`` (``public``)
    :param serializer: as for the SQLite store: JSON by default
    :param allowed_modules: as for the SQLite store: the modules whose task
        functions and trigger classes the database may name (see "Guarantees and
        threats" in docs/stores.md)
    :param poll_interval: the longest, in seconds, the scheduler goes without looking
        at the store
    :param max_connections: the size of the store's own pool
    :param retry: how often and how long temporary failures are retried
    :param history_retention: how long run records are kept (see :meth:`get_runs`);
        ``timedelta(0)`` keeps none, ``None`` keeps them all
    """

    #: Calls wait on the network: the scheduler runs them in a worker thread.
    blocking: ClassVar[bool] = True
    #: Calls the scheduler may make side by side, each on a connection of the pool:
    #: a claim of new jobs need not wait for the release of finished ones.
    parallel_calls: ClassVar[int] = 2

    def __init__(
        self,
        url_or_pool: str | ConnectionPool,
        *,
        schema: str | None = None,
        serializer: Serializer | None = None,
        allowed_modules: Iterable[str] = (),
        poll_interval: float = 1.0,
        max_connections: int = 4,
        retry: PostgreSQLRetrySettings = PostgreSQLRetrySettings(),  # noqa: B008
        history_retention: timedelta | None = DEFAULT_HISTORY_RETENTION,
    ) -> None:
        if not poll_interval > 0:
            raise ValueError(f"poll_interval={poll_interval!r}: give seconds above 0")
        if max_connections < 1:
            raise ValueError(f"max_connections={max_connections!r}: give 1 or more")
        if schema is not None and (not isinstance(schema, str) or not schema.strip()):
            raise ValueError(f"schema={schema!r}: give a schema name, or None")
        self.serializer = serializer if serializer is not None else JSONSerializer()
        self.poll_interval = poll_interval
        self.history_retention = check_retention(history_retention)
        self.schema = schema
        self._tables = Tables(schema)
        allowed = AllowList(allowed_modules)
        #: The ``allowed_modules`` given, as a tuple.
        self.allowed_modules = allowed.entries
        self._codec = RowCodec(self.serializer, allowed)
        self._event_broker: EventBroker | None = None
        self._connection = PostgreSQLConnection(
            url_or_pool,
            tables=self._tables,
            retry=retry,
            max_connections=max_connections,
        )
        self._claims = ServerClaims(
            self._codec,
            self._connection.location,
            self._tables,
            keep_runs=keeps_runs(self.history_retention),
        )

    def __repr__(self) -> str:
        schema = "" if self.schema is None else f", schema={self.schema!r}"
        return f"{type(self).__name__}({self._connection.location!r}{schema})"

    @property
    def location(self) -> str:
        """The database (host, port, name, user; never the password) and schema."""
        return self._connection.location

    def default_event_broker(self) -> EventBroker:
        """A :class:`~apsnb.eventbrokers.postgresql.PostgreSQLEventBroker` on this
        store's database, on a channel of this schema's own.

        A scheduler given this store and no broker uses it, so that its processes
        wake each other at once.
        """
        from ..eventbrokers.postgresql import PostgreSQLEventBroker

        channel = "apsnb" if self.schema is None else f"apsnb.{self.schema}"[:63]
        return PostgreSQLEventBroker(self._connection.conninfo, channel=channel)

    def start(self, event_broker: EventBroker) -> None:
        self._connection.open()
        self._event_broker = event_broker

    def stop(self, *, force: bool = False) -> None:
        self._event_broker = None
        self._connection.close()

    def _publish(self, events: Iterable[Event]) -> None:
        publish(self._event_broker, events)

    def _run(self, operation: Callable[[Cursor], R]) -> R:
        return self._connection.transaction(operation)

    def _run_one(self, operation: Callable[[Cursor], R]) -> R:
        """Run an ``operation`` of one SQL statement (a transaction by itself)."""
        return self._connection.transaction(operation, one_statement=True)

    # Tasks

    def add_task(self, task: Task) -> None:
        row = self._codec.task_row(task)
        replaced = self._run(lambda cur: schedules_sql.put_task(cur, self._tables, row))
        self._publish([(TaskUpdated if replaced else TaskAdded)(task_id=task.id)])

    def remove_task(self, task_id: str) -> None:
        def remove(cur: Cursor) -> int:
            cur.execute(f"DELETE FROM {self._tables.tasks} WHERE id = %s", (task_id,))
            return cur.rowcount

        if not self._run(remove):
            raise TaskLookupError(task_id)
        self._publish([TaskRemoved(task_id=task_id)])

    def get_task(self, task_id: str) -> Task:
        def read(cur: Cursor) -> tuple[list[Row], dict[str, int]]:
            rows = schedules_sql.task_rows(cur, self._tables, task_id)
            return rows, schedules_sql.running_jobs(cur, self._tables, task_id)

        rows, running = self._run(read)
        if not rows:
            raise TaskLookupError(task_id)
        return self._codec.task(rows[0], running.get(task_id, 0))

    def get_tasks(self) -> list[Task]:
        def read(cur: Cursor) -> tuple[list[Row], dict[str, int]]:
            return (
                schedules_sql.task_rows(cur, self._tables),
                schedules_sql.running_jobs(cur, self._tables),
            )

        rows, running = self._run(read)
        return [self._codec.task(row, running.get(row["id"], 0)) for row in rows]

    # Schedules

    def get_schedules(self, ids: set[str] | None = None) -> list[Schedule]:
        """Return the schedules with the given ids (default: all), sorted by id.

        A row that cannot be read is left out, and reported with
        ``ScheduleDeserializationFailed`` and a log line.
        """
        rows = self._run_one(
            lambda cur: schedules_sql.schedule_rows(cur, self._tables, ids)
        )
        schedules, events = self._claims.read_schedules(rows)
        self._publish(events)
        return schedules

    def add_schedule(self, schedule: Schedule, conflict_policy: ConflictPolicy) -> None:
        """Add ``schedule``; if its id exists, follow ``conflict_policy``.

        :raises SerializationError: naming what the serializer cannot store
        :raises ConflictingIdError: with ``ConflictPolicy.exception`` on a conflict
        """
        row = self._codec.schedule_row(schedule)  # refuses before writing anything
        replaced = self._run(
            lambda cur: schedules_sql.put_schedule(
                cur, self._tables, row, conflict_policy
            )
        )
        if replaced is not None:
            self._publish([schedule_put(schedule, replaced)])

    def update_schedule(
        self, schedule_id: str, update: Callable[[Schedule], Schedule]
    ) -> Schedule:
        """Change a stored schedule in one transaction, with its row locked (see
        ``DataStore.update_schedule``).

        :raises ScheduleLookupError: if there is no schedule with that id
        :raises SerializationError: if the new version cannot be stored; the stored
            schedule is left as it was
        """

        def change(cur: Cursor) -> Schedule | None:
            row = schedules_sql.locked_schedule_row(cur, self._tables, schedule_id)
            if row is None:
                return None
            schedule = _checked_update(self._codec.schedule(row), update)
            if schedule.next_fire_time is None:
                schedules_sql.delete_schedules(cur, self._tables, [schedule_id])
            else:
                new_row = self._codec.schedule_row(schedule)
                schedules_sql.put_schedule(
                    cur, self._tables, new_row, ConflictPolicy.replace
                )
            return schedule

        schedule = self._run(change)
        if schedule is None:
            raise ScheduleLookupError(schedule_id)
        self._publish(
            [schedule_changed(schedule.id, schedule.task_id, schedule.next_fire_time)]
        )
        return schedule

    def remove_schedules(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        removed = self._run_one(
            lambda cur: schedules_sql.delete_schedules(cur, self._tables, ids)
        )
        self._publish(
            ScheduleRemoved(schedule_id=id, task_id=task_id, finished=False)
            for id, task_id in removed
        )

    def acquire_schedules(
        self, scheduler_id: str, lease_duration: timedelta, limit: int
    ) -> list[Schedule]:
        """Claim up to ``limit`` due, unpaused schedules for ``scheduler_id``.

        An unreadable row is set aside for one lease, as in the SQLite store.
        """
        # The claim need not wait for the disk: if a server crash undoes it, the
        # schedule is due again, and the holder's release, which only changes
        # schedules it still holds, adds no jobs for it (it is durable).
        schedules, events = self._connection.transaction(
            lambda cur: self._claims.acquire_schedules(
                cur, scheduler_id, lease_duration, limit
            ),
            durable=False,
        )
        self._publish(events)
        return schedules

    def release_schedules(
        self, scheduler_id: str, results: Sequence[ScheduleResult]
    ) -> None:
        release = self._release(scheduler_id, results)
        self._publish(release_events(results, self._run(release)))

    def release_schedules_and_acquire_jobs(
        self,
        scheduler_id: str,
        results: Sequence[ScheduleResult],
        lease_duration: timedelta,
        limit: int,
        *,
        skip_tasks: Collection[str] = (),
    ) -> list[Job]:
        """Release schedules and claim jobs in one transaction: one commit to wait
        for instead of two."""
        release = self._release(scheduler_id, results)

        def release_and_acquire(
            cur: Cursor,
        ) -> tuple[list[str | None], list[Job], list[Event]]:
            held = release(cur)
            jobs, events = self._claims.acquire_jobs(
                cur, scheduler_id, lease_duration, limit, skip_tasks
            )
            return held, jobs, events

        held, jobs, events = self._run(release_and_acquire)
        self._publish(release_events(results, held) + events)
        return jobs

    def _release(
        self, scheduler_id: str, results: Sequence[ScheduleResult]
    ) -> Callable[[Cursor], list[str | None]]:
        """The transaction that releases schedules; it returns the task id of each
        (``None`` for one that ``scheduler_id`` no longer held)."""
        changes, job_rows, run_rows = release_rows(
            self._codec, results, self._claims.keep_runs
        )

        def release(cur: Cursor) -> list[str | None]:
            # The fire times' jobs go in with the release, in the same transaction: a
            # crash between the two would otherwise lose or repeat them.
            held = schedules_sql.release_schedules(
                cur, self._tables, scheduler_id, changes
            )
            jobs_sql.add_job_rows(
                cur,
                self._tables,
                [
                    row
                    for task_id, rows in zip(held, job_rows, strict=True)
                    if task_id is not None
                    for row in rows
                ],
            )
            runs_sql.add_run_rows(
                cur,
                self._tables,
                (
                    row
                    for task_id, rows in zip(held, run_rows, strict=True)
                    if task_id is not None
                    for row in rows
                ),
            )
            return held

        return release

    def get_next_schedule_run_time(self) -> datetime | None:
        """Return when the next unpaused schedule can be claimed (its next fire time,
        or the end of its claim if a scheduler holds it)."""
        found = self._run_one(
            lambda cur: schedules_sql.next_claimable_row(cur, self._tables)
        )
        if found is None:
            return None
        return next_run_time(found["next_fire_time"], found["acquired_until_us"])

    def extend_acquired_schedule_leases(
        self, scheduler_id: str, schedule_ids: set[str], duration: timedelta
    ) -> None:
        self._run_one(
            lambda cur: schedules_sql.extend_schedule_claims(
                cur,
                self._tables,
                scheduler_id,
                schedule_ids,
                instant(utcnow() + duration),
            )
        )

    # Jobs

    def add_job(self, job: Job) -> None:
        """Queue ``job``, unclaimed (the claim fields of ``job`` are ignored).

        :raises SerializationError: naming the argument the serializer cannot store
        """
        row = self._codec.job_row(job)
        self._run(lambda cur: jobs_sql.add_job_rows(cur, self._tables, [row]))
        self._publish(
            [JobAdded(job_id=job.id, task_id=job.task_id, schedule_id=job.schedule_id)]
        )

    def get_jobs(self, ids: Iterable[UUID] | None = None) -> list[Job]:
        """Return the jobs with the given ids (default: all), oldest first.

        A row that cannot be read is left out, and reported with
        ``JobDeserializationFailed`` and a log line.
        """
        ids = None if ids is None else list(ids)
        rows = self._run_one(lambda cur: jobs_sql.job_rows(cur, self._tables, ids))
        jobs, events = self._claims.read_jobs(rows)
        self._publish(events)
        return jobs

    def acquire_jobs(
        self,
        scheduler_id: str,
        lease_duration: timedelta,
        limit: int | None = None,
        *,
        skip_tasks: Collection[str] = (),
    ) -> list[Job]:
        """Claim up to ``limit`` jobs for ``scheduler_id`` to run, oldest first.

        Jobs past their start deadline and jobs whose claim ran out are released
        instead (see the contract); each task's ``max_running_jobs`` holds across
        every scheduler sharing the database.
        """
        jobs, events = self._run(
            lambda cur: self._claims.acquire_jobs(
                cur, scheduler_id, lease_duration, limit, skip_tasks
            )
        )
        self._publish(events)
        return jobs

    def release_job(self, scheduler_id: str, job: Job, result: JobResult) -> None:
        """Record ``result`` and remove the job (the first release wins)."""
        self.release_jobs(scheduler_id, [(job, result)])

    def release_jobs(
        self, scheduler_id: str, results: Sequence[tuple[Job, JobResult]]
    ) -> None:
        """Release several finished jobs in one transaction (see :meth:`release_job`)."""
        finished_jobs = finished_rows(
            self._codec, results, scheduler_id, self._claims.keep_runs, logger
        )
        finished = [(str(job.id), row) for job, row, _ in finished_jobs]
        runs = {str(job.id): run for job, _, run in finished_jobs if run is not None}

        def finish(cur: Cursor) -> dict[str, str]:
            deleted = jobs_sql.finish_jobs(cur, self._tables, finished)
            for id, row in finished:
                if id not in deleted:  # gone: taken over while it ran?
                    jobs_sql.replace_abandoned(
                        cur, self._tables, id, scheduler_id, row, runs.get(id)
                    )
            # Only the jobs this release removed: the first release wins.
            runs_sql.add_run_rows(
                cur, self._tables, (runs[id] for id in deleted if id in runs)
            )
            return deleted

        deleted = self._run(finish)
        self._publish(
            [
                JobRemoved(job_id=job.id, task_id=deleted[str(job.id)])
                for job, _ in results
                if str(job.id) in deleted
            ]
        )

    def get_job_result(self, job_id: UUID) -> JobResult | None:
        row = self._run_one(
            lambda cur: jobs_sql.pop_result_row(cur, self._tables, job_id)
        )
        return read_result(self._codec, row, job_id, logger)

    def get_runs(
        self,
        *,
        schedule_id: str | None = None,
        task_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        """Return run records, newest first (see the contract).

        A row that cannot be read is left out, with a log line.
        """
        rows = self._run(
            lambda cur: runs_sql.run_rows(
                cur,
                self._tables,
                schedule_id=schedule_id,
                task_id=task_id,
                since=since,
                until=until,
                limit=limit,
            )
        )
        return read_run_records(rows, self._connection.location)

    def extend_acquired_job_leases(
        self, scheduler_id: str, job_ids: set[UUID], duration: timedelta
    ) -> None:
        self._run_one(
            lambda cur: jobs_sql.extend_job_claims(
                cur, self._tables, scheduler_id, job_ids, instant(utcnow() + duration)
            )
        )

    def reap_abandoned_jobs(self, scheduler_id: str) -> None:
        def reap(cur: Cursor) -> list[Event]:
            now = utcnow()
            return [
                event
                for row in jobs_sql.held_job_rows(cur, self._tables, scheduler_id)
                for event in self._claims.give_up(
                    cur, row, JobOutcome.abandoned, now, scheduler_id
                )
            ]

        self._publish(self._run(reap))

    def cleanup(self, scheduler_id: str | None = None) -> None:
        """See ``DataStore.cleanup``: ``scheduler_id``'s own lapsed claims are kept."""

        def clean(cur: Cursor) -> list[Event]:
            now = utcnow()
            jobs_sql.drop_expired_results(cur, self._tables, instant(now))
            if self.history_retention is not None:
                runs_sql.prune_runs(cur, self._tables, now - self.history_retention)
            events = self._claims.abandon_expired_claims(cur, now, scheduler_id)
            events += [
                ScheduleRemoved(schedule_id=id, task_id=task_id, finished=True)
                for id, task_id in schedules_sql.delete_finished_schedules(
                    cur, self._tables
                )
            ]
            return events

        self._publish(self._run(clean))
