"""The foundation of the SQLite and PostgreSQL stores, and their job queue.

``SQLJobQueue`` holds the stores' settings, transactions and events, and every step
of the ``DataStore`` contract about jobs, their results and their runs;
``SQLDataStore`` (``_sql_store``) adds tasks and schedules. Each store supplies its
connection (:meth:`SQLJobQueue._read`, :meth:`SQLJobQueue._write`), the SQL of
each step (a ``Statements``) and how its claims find overdue jobs (an
``SQLClaims``).
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import ClassVar, Generic, Protocol, TypeVar
from uuid import UUID

from .._enums import JobOutcome
from .._events import Event, JobAdded, JobRemoved
from .._runs import RunRecord, check_retention
from .._structures import Job, JobResult, utcnow
from .._trust import AllowList
from ..abc import DataStore, EventBroker, Serializer
from ..serializers.json import JSONSerializer
from ._indexes import instant
from ._sql_claims import SQLClaims
from ._sql_statements import Statements
from ._sqlite_rows import RowCodec
from ._sqlite_runs import read_run_records
from ._store_changes import finished_rows, publish, read_result

__all__ = ("Connection", "SQLJobQueue")

H = TypeVar("H")
R = TypeVar("R")


class Connection(Protocol):
    """What the steps need of a store's connection."""

    #: Where the database is, as messages name it (never a password).
    location: str

    def close(self) -> None: ...


class SQLJobQueue(DataStore, Generic[H]):
    """The jobs of a data store in an SQL database; ``H``: the type of a
    transaction's handle.

    A subclass sets ``_logger``, and ``_connection``, ``_sql`` and ``_claims`` in its
    constructor once this one has run; it says how to run a transaction
    (:meth:`_read`, :meth:`_write`).
    """

    #: The store's calls block on disk, locks or the network: the scheduler runs
    #: them in a worker thread.
    blocking: ClassVar[bool] = True

    #: Where the store logs results it cannot store or read.
    _logger: ClassVar[logging.Logger]

    _connection: Connection
    _sql: Statements[H]
    _claims: SQLClaims[H]

    def __init__(
        self,
        *,
        serializer: Serializer | None,
        allowed_modules: Iterable[str],
        poll_interval: float,
        history_retention: timedelta | None,
    ) -> None:
        if not poll_interval > 0:
            raise ValueError(f"poll_interval={poll_interval!r}: give seconds above 0")
        self.serializer = serializer if serializer is not None else JSONSerializer()
        self.poll_interval = poll_interval
        self.history_retention = check_retention(history_retention)
        allowed = AllowList(allowed_modules)
        #: The ``allowed_modules`` given, as a tuple.
        self.allowed_modules = allowed.entries
        self._codec = RowCodec(self.serializer, allowed)
        self._event_broker: EventBroker | None = None

    def stop(self, *, force: bool = False) -> None:
        self._event_broker = None
        self._connection.close()

    @abstractmethod
    def _read(self, operation: Callable[[H], R], *, one_statement: bool = False) -> R:
        """Run ``operation``, which only reads, in one transaction.

        With ``one_statement`` it runs one SQL statement, a transaction by itself
        where the database allows (the round trips of ``BEGIN`` and ``COMMIT`` are
        saved).
        """

    @abstractmethod
    def _write(
        self,
        operation: Callable[[H], R],
        *,
        one_statement: bool = False,
        durable: bool = True,
    ) -> R:
        """Run ``operation`` in one write transaction, retried after temporary
        failures (so it must only read and write the database and return what it
        found).

        ``one_statement`` as for :meth:`_read`; a transaction that is not
        ``durable`` may commit without waiting for the disk, where the database
        allows: only for changes whose loss in a crash is harmless.
        """

    def _publish(self, events: Iterable[Event]) -> None:
        publish(self._event_broker, events)

    # Jobs

    def add_job(self, job: Job) -> None:
        """Queue ``job``, unclaimed (the claim fields of ``job`` are ignored).

        :raises SerializationError: naming the argument that the store's serializer
            cannot store; nothing is written
        """
        row = self._codec.job_row(job)
        self._write(lambda handle: self._sql.add_job_rows(handle, [row]))
        self._publish(
            [JobAdded(job_id=job.id, task_id=job.task_id, schedule_id=job.schedule_id)]
        )

    def get_jobs(self, ids: Iterable[UUID] | None = None) -> list[Job]:
        """Return the jobs with the given ids (default: all), oldest first.

        A row that cannot be read is left out, and reported with
        ``JobDeserializationFailed`` and a log line.
        """
        ids = None if ids is None else list(ids)
        rows = self._read(
            lambda handle: self._sql.job_rows(handle, ids), one_statement=True
        )
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
        every scheduler sharing the database. A job that cannot be read is set
        aside for one lease, as in :meth:`acquire_schedules`, without counting as
        running.
        """
        jobs, events = self._write(
            lambda handle: self._claims.acquire_jobs(
                handle, scheduler_id, lease_duration, limit, skip_tasks
            )
        )
        self._publish(events)
        return jobs

    def release_job(self, scheduler_id: str, job: Job, result: JobResult) -> None:
        """Record ``result`` and remove the job.

        Whoever ran the job may release it, even after another scheduler took over
        its expired claim: the first release wins and later ones are ignored, but a
        late result replaces the ``abandoned`` one of such a takeover. A
        return value or exception the serializer cannot store is left out of the
        stored result; its traceback text keeps a note saying so.
        """
        self.release_jobs(scheduler_id, [(job, result)])

    def release_jobs(
        self, scheduler_id: str, results: Sequence[tuple[Job, JobResult]]
    ) -> None:
        """Release several finished jobs in one transaction (see :meth:`release_job`)."""
        finished = finished_rows(
            self._codec, results, scheduler_id, self._claims.keep_runs, self._logger
        )
        task_ids = self._write(
            lambda handle: self._sql.finish_jobs(handle, scheduler_id, finished)
        )
        self._publish(
            [
                JobRemoved(job_id=job.id, task_id=task_id)
                for (job, _, _), task_id in zip(finished, task_ids, strict=True)
                if task_id is not None
            ]
        )

    def get_job_result(self, job_id: UUID) -> JobResult | None:
        row = self._write(
            lambda handle: self._sql.pop_result_row(handle, job_id), one_statement=True
        )
        return read_result(self._codec, row, job_id, self._logger)

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
        rows = self._read(
            lambda handle: self._sql.run_rows(
                handle,
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
        self._write(
            lambda handle: self._sql.extend_job_claims(
                handle, scheduler_id, job_ids, instant(utcnow() + duration)
            ),
            one_statement=True,
        )

    def return_jobs(self, scheduler_id: str, job_ids: Iterable[UUID]) -> bool:
        ids = set(job_ids)
        self._write(lambda handle: self._sql.unclaim_jobs(handle, scheduler_id, ids))
        return True

    def reap_abandoned_jobs(self, scheduler_id: str) -> None:
        def reap(handle: H) -> list[Event]:
            now = utcnow()
            return [
                event
                for row in self._sql.held_job_rows(handle, scheduler_id)
                for event in self._claims.give_up(
                    handle, row, JobOutcome.abandoned, now, scheduler_id
                )
            ]

        self._publish(self._write(reap))
