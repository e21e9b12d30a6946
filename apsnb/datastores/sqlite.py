"""A data store in an SQLite file: survives kernel restarts, shared by processes."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import ClassVar, TypeVar
from uuid import UUID

from sqlite_utils import Database

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
from . import _sqlite_jobs as jobs_sql
from . import _sqlite_runs as runs_sql
from . import _sqlite_schedules as schedules_sql
from ._indexes import instant
from ._sqlite_claims import Claims
from ._sqlite_connection import RetrySettings, SQLiteConnection
from ._sqlite_rows import Row, RowCodec, next_run_time
from ._sqlite_schema import prepare_schema
from ._store_changes import (
    finished_rows,
    publish,
    read_result,
    release_events,
    release_rows,
    schedule_changed,
    schedule_put,
)

__all__ = ("RetrySettings", "SQLiteDataStore")

R = TypeVar("R")

logger = logging.getLogger("apsnb.datastores.sqlite")


class SQLiteDataStore(DataStore):
    """Keeps tasks, schedules, jobs and job results in an SQLite database file.

    Everything survives a kernel restart, and several schedulers (kernels,
    processes) can share one file: schedules and jobs are claimed under a lease in
    one ``BEGIN IMMEDIATE`` transaction, so no fire time runs twice; when a crashed
    process's claims end, its schedules are taken over and its jobs recorded as
    abandoned. A change made by another
    process is seen within about ``poll_interval`` seconds.

    :param path_or_db: the database file (created if missing; its folder must
        exist), or a sqlite-utils ``Database`` to use. A ``Database`` whose
        connection only its own thread may use (sqlite-utils' default) gets a
        second connection to the same file, as the scheduler calls the store from
        worker threads.
    :param serializer: turns arguments, return values and trigger states into
        bytes: :class:`~apsnb.serializers.json.JSONSerializer` by default (reading
        never runs code), or :class:`~apsnb.serializers.pickle.PickleSerializer`
        for any picklable value (reading a pickle runs code: trusted files only)
    :param allowed_modules: modules (and their submodules) whose task functions
        and trigger classes the store's contents may name: whoever can write the
        file can then make this process import and run them. ``"mypkg"``,
        ``"mypkg.jobs"`` or one function, ``"mypkg.jobs:refresh"``. Without it,
        only functions a scheduler was given in this process run, and only trigger
        classes already imported (or apsnb's own) are read; see "Guarantees and
        threats" in docs/stores.md
    :param poll_interval: the longest, in seconds, the scheduler goes without
        looking at the store (other processes cannot wake it)
    :param busy_timeout: how long, in seconds, SQLite waits for another
        connection's lock before an attempt fails
    :param retry: how often and how long to try again when the database stays
        locked (see :class:`RetrySettings`)
    :param history_retention: how long run records are kept (see :meth:`get_runs`);
        ``timedelta(0)`` keeps none, ``None`` keeps them all
    """

    #: The store's calls block on disk and locks: the scheduler runs them in a
    #: worker thread.
    blocking: ClassVar[bool] = True

    def __init__(
        self,
        path_or_db: str | os.PathLike[str] | Database = "apsnb.sqlite",
        *,
        serializer: Serializer | None = None,
        allowed_modules: Iterable[str] = (),
        poll_interval: float = 1.0,
        busy_timeout: float = 5.0,
        retry: RetrySettings = RetrySettings(),  # noqa: B008 (frozen)
        history_retention: timedelta | None = DEFAULT_HISTORY_RETENTION,
    ) -> None:
        if not poll_interval > 0:
            raise ValueError(f"poll_interval={poll_interval!r}: give seconds above 0")
        if not busy_timeout >= 0:
            raise ValueError(f"busy_timeout={busy_timeout!r}: give seconds, 0 or more")
        self.serializer = serializer if serializer is not None else JSONSerializer()
        self.poll_interval = poll_interval
        self.history_retention = check_retention(history_retention)
        allowed = AllowList(allowed_modules)
        #: The ``allowed_modules`` given, as a tuple.
        self.allowed_modules = allowed.entries
        self._codec = RowCodec(self.serializer, allowed)
        self._event_broker: EventBroker | None = None
        self._connection = SQLiteConnection(
            path_or_db, busy_timeout=busy_timeout, retry=retry, prepare=prepare_schema
        )
        self._claims = Claims(
            self._codec,
            self._connection.location,
            keep_runs=keeps_runs(self.history_retention),
        )

    def __repr__(self) -> str:
        path = self._connection.path
        return f"{type(self).__name__}({'<in memory>' if path is None else repr(path)})"

    def start(self, event_broker: EventBroker) -> None:
        self._event_broker = event_broker
        self._connection.read(lambda database: None)  # open it again after stop()

    def stop(self, *, force: bool = False) -> None:
        self._event_broker = None
        self._connection.close()

    def _publish(self, events: Iterable[Event]) -> None:
        publish(self._event_broker, events)

    def _write(self, operation: Callable[[Database], R]) -> R:
        return self._connection.write(operation)

    def _read(self, operation: Callable[[Database], R]) -> R:
        return self._connection.read(operation)

    # Tasks

    def add_task(self, task: Task) -> None:
        row = self._codec.task_row(task)
        replaced = self._write(lambda db: schedules_sql.put_task(db, row))
        event = TaskUpdated if replaced else TaskAdded
        self._publish([event(task_id=task.id)])

    def remove_task(self, task_id: str) -> None:
        def remove(database: Database) -> int:
            return database.execute(
                "DELETE FROM apsnb_tasks WHERE id = ?", (task_id,)
            ).rowcount

        if not self._write(remove):
            raise TaskLookupError(task_id)
        self._publish([TaskRemoved(task_id=task_id)])

    def get_task(self, task_id: str) -> Task:
        def read(database: Database) -> tuple[list[Row], dict[str, int]]:
            rows = schedules_sql.task_rows(database, task_id)
            return rows, schedules_sql.running_jobs(database, task_id)

        rows, running = self._read(read)
        if not rows:
            raise TaskLookupError(task_id)
        return self._codec.task(rows[0], running.get(task_id, 0))

    def get_tasks(self) -> list[Task]:
        def read(database: Database) -> tuple[list[Row], dict[str, int]]:
            return schedules_sql.task_rows(database), schedules_sql.running_jobs(
                database
            )

        rows, running = self._read(read)
        return [self._codec.task(row, running.get(row["id"], 0)) for row in rows]

    # Schedules

    def get_schedules(self, ids: set[str] | None = None) -> list[Schedule]:
        """Return the schedules with the given ids (default: all), sorted by id.

        A row that cannot be read is left out, and reported with
        ``ScheduleDeserializationFailed`` and a log line.
        """
        rows = self._read(lambda db: schedules_sql.schedule_rows(db, ids))
        schedules, events = self._claims.read_schedules(rows)
        self._publish(events)
        return schedules

    def add_schedule(self, schedule: Schedule, conflict_policy: ConflictPolicy) -> None:
        """Add ``schedule``; if its id exists, follow ``conflict_policy``.

        :raises SerializationError: naming the argument (or the trigger, or the
            metadata) that the store's serializer cannot store; nothing is written
        :raises ConflictingIdError: with ``ConflictPolicy.exception`` on a conflict
        """
        row = self._codec.schedule_row(schedule)  # refuses before writing anything
        replaced = self._write(
            lambda db: schedules_sql.put_schedule(db, row, conflict_policy)
        )
        if replaced is not None:
            self._publish([schedule_put(schedule, replaced)])

    def update_schedule(
        self, schedule_id: str, update: Callable[[Schedule], Schedule]
    ) -> Schedule:
        """Change a stored schedule in one transaction (see
        ``DataStore.update_schedule``).

        :raises ScheduleLookupError: if there is no schedule with that id
        :raises SerializationError: if the new version cannot be stored; the stored
            schedule is left as it was
        """

        def change(database: Database) -> Schedule | None:
            rows = schedules_sql.schedule_rows(database, {schedule_id})
            if not rows:
                return None
            schedule = _checked_update(self._codec.schedule(rows[0]), update)
            if schedule.next_fire_time is None:
                schedules_sql.delete_schedules(database, [schedule_id])
            else:
                row = self._codec.schedule_row(schedule)
                schedules_sql.put_schedule(database, row, ConflictPolicy.replace)
            return schedule

        schedule = self._write(change)
        if schedule is None:
            raise ScheduleLookupError(schedule_id)
        self._publish(
            [schedule_changed(schedule.id, schedule.task_id, schedule.next_fire_time)]
        )
        return schedule

    def remove_schedules(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        removed = self._write(lambda db: schedules_sql.delete_schedules(db, ids))
        self._publish(
            ScheduleRemoved(schedule_id=id, task_id=task_id, finished=False)
            for id, task_id in removed
        )

    def acquire_schedules(
        self, scheduler_id: str, lease_duration: timedelta, limit: int
    ) -> list[Schedule]:
        """Claim up to ``limit`` due, unpaused schedules for ``scheduler_id``.

        A row that cannot be read is claimed too, by nobody (``acquired_by`` is
        ``"apsnb:unreadable"``) for one lease, and reported with
        ``ScheduleDeserializationFailed``: it is kept, tried again when the lease
        ends, and the scheduler does not wake up for it in between.
        """

        schedules, events = self._write(
            lambda db: self._claims.acquire_schedules(
                db, scheduler_id, lease_duration, limit
            )
        )
        self._publish(events)
        return schedules

    def release_schedules(
        self, scheduler_id: str, results: Sequence[ScheduleResult]
    ) -> None:
        release = self._release(scheduler_id, results)
        self._publish(release_events(results, self._write(release)))

    def release_schedules_and_acquire_jobs(
        self,
        scheduler_id: str,
        results: Sequence[ScheduleResult],
        lease_duration: timedelta,
        limit: int,
        *,
        skip_tasks: Collection[str] = (),
    ) -> list[Job]:
        """Release schedules and claim jobs in one transaction."""
        release = self._release(scheduler_id, results)

        def release_and_acquire(
            database: Database,
        ) -> tuple[list[str | None], list[Job], list[Event]]:
            held = release(database)
            jobs, events = self._claims.acquire_jobs(
                database, scheduler_id, lease_duration, limit, skip_tasks
            )
            return held, jobs, events

        held, jobs, events = self._write(release_and_acquire)
        self._publish(release_events(results, held) + events)
        return jobs

    def _release(
        self, scheduler_id: str, results: Sequence[ScheduleResult]
    ) -> Callable[[Database], list[str | None]]:
        """The transaction that releases schedules; it returns the task id of each
        (``None`` for one that ``scheduler_id`` no longer held)."""
        changes, job_rows, run_rows = release_rows(
            self._codec, results, self._claims.keep_runs
        )

        def release(database: Database) -> list[str | None]:
            # The fire times' jobs go in with the release, in the same transaction: a
            # crash between the two would otherwise lose or repeat them.
            held = []
            for change, rows, runs in zip(changes, job_rows, run_rows, strict=True):
                task_id = schedules_sql.release_schedule(database, scheduler_id, change)
                if task_id is not None:
                    for row in rows:
                        jobs_sql.add_job_row(database, row)
                    runs_sql.add_run_rows(database, runs)
                held.append(task_id)
            return held

        return release

    def get_next_schedule_run_time(self) -> datetime | None:
        """Return when the next unpaused schedule can be claimed.

        That is its next fire time, or the end of its claim if a scheduler holds it,
        so that no scheduler wakes up for a schedule it cannot take.
        """
        found = self._read(schedules_sql.next_claimable_row)
        if found is None:
            return None
        return next_run_time(found[0], found[1])

    def extend_acquired_schedule_leases(
        self, scheduler_id: str, schedule_ids: set[str], duration: timedelta
    ) -> None:
        self._write(
            lambda db: schedules_sql.extend_schedule_claims(
                db, scheduler_id, schedule_ids, instant(utcnow() + duration)
            )
        )

    # Jobs

    def add_job(self, job: Job) -> None:
        """Queue ``job``, unclaimed (the claim fields of ``job`` are ignored).

        :raises SerializationError: naming the argument that the store's serializer
            cannot store; nothing is written
        """
        row = self._codec.job_row(job)
        self._write(lambda db: jobs_sql.add_job_row(db, row))
        self._publish(
            [JobAdded(job_id=job.id, task_id=job.task_id, schedule_id=job.schedule_id)]
        )

    def get_jobs(self, ids: Iterable[UUID] | None = None) -> list[Job]:
        """Return the jobs with the given ids (default: all), oldest first.

        A row that cannot be read is left out, and reported with
        ``JobDeserializationFailed`` and a log line.
        """
        ids = None if ids is None else list(ids)
        rows = self._read(lambda db: jobs_sql.job_rows(db, ids))
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

        Jobs past their start deadline are released instead (see the contract). A
        job that cannot be read is set aside for one lease, as in
        :meth:`acquire_schedules`, without counting as running.
        """

        jobs, events = self._write(
            lambda db: self._claims.acquire_jobs(
                db, scheduler_id, lease_duration, limit, skip_tasks
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
            self._codec, results, scheduler_id, self._claims.keep_runs, logger
        )

        def finish(database: Database) -> list[str | None]:
            task_ids = [
                jobs_sql.finish_job(database, str(job.id), row)
                for job, row, _ in finished
            ]
            for (job, row, run), task_id in zip(finished, task_ids, strict=True):
                if task_id is None:  # gone: taken over while it ran?
                    jobs_sql.replace_abandoned(
                        database, str(job.id), scheduler_id, row, run
                    )
            # Only the jobs this release removed: the first release wins.
            runs_sql.add_run_rows(
                database,
                (
                    run
                    for (_, _, run), task_id in zip(finished, task_ids, strict=True)
                    if task_id is not None and run is not None
                ),
            )
            return task_ids

        task_ids = self._write(finish)
        self._publish(
            [
                JobRemoved(job_id=job.id, task_id=task_id)
                for (job, _, _), task_id in zip(finished, task_ids, strict=True)
                if task_id is not None
            ]
        )

    def get_job_result(self, job_id: UUID) -> JobResult | None:
        row = self._write(lambda db: jobs_sql.pop_result_row(db, job_id))
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
        rows = self._read(
            lambda db: runs_sql.run_rows(
                db,
                schedule_id=schedule_id,
                task_id=task_id,
                since=since,
                until=until,
                limit=limit,
            )
        )
        return runs_sql.read_run_records(rows, self._connection.location)

    def extend_acquired_job_leases(
        self, scheduler_id: str, job_ids: set[UUID], duration: timedelta
    ) -> None:
        self._write(
            lambda db: jobs_sql.extend_job_claims(
                db, scheduler_id, job_ids, instant(utcnow() + duration)
            )
        )

    def reap_abandoned_jobs(self, scheduler_id: str) -> None:
        def reap(database: Database) -> list[Event]:
            now = utcnow()
            return [
                event
                for row in jobs_sql.held_job_rows(database, scheduler_id)
                for event in self._claims.give_up(
                    database, row, JobOutcome.abandoned, now, scheduler_id
                )
            ]

        self._publish(self._write(reap))

    def cleanup(self, scheduler_id: str | None = None) -> None:
        """See ``DataStore.cleanup``: ``scheduler_id``'s own lapsed claims are kept."""

        def clean(database: Database) -> list[Event]:
            now = utcnow()
            now_us = instant(now)
            jobs_sql.drop_expired_results(database, now_us)
            if self.history_retention is not None:
                runs_sql.prune_runs(database, now - self.history_retention)
            events = self._claims.abandon_expired_claims(database, now, scheduler_id)
            events += [
                ScheduleRemoved(schedule_id=id, task_id=task_id, finished=True)
                for id, task_id in schedules_sql.delete_finished_schedules(database)
            ]
            return events

        self._publish(self._write(clean))
