"""What the SQLite and PostgreSQL stores share: every step of the ``DataStore``
contract, from the rows to write to the events to publish.

The steps about jobs are ``SQLJobQueue``'s (``_sql_queue``); here are those about
tasks and schedules, and the cleanup of the whole store.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from .._enums import ConflictPolicy
from .._events import Event, ScheduleRemoved, TaskAdded, TaskRemoved, TaskUpdated
from .._exceptions import ScheduleLookupError, TaskLookupError
from .._store_contract import _checked_update
from .._structures import Job, Schedule, ScheduleResult, Task, utcnow
from ._indexes import instant
from ._sql_queue import SQLJobQueue
from ._sqlite_rows import Row, next_run_time
from ._store_changes import release_events, release_rows, schedule_changed, schedule_put

__all__ = ("SQLDataStore",)

H = TypeVar("H")


class SQLDataStore(SQLJobQueue[H]):
    """A data store in an SQL database: the job queue of :class:`SQLJobQueue`, with
    tasks and schedules; ``H``: the type of a transaction's handle."""

    # Tasks

    def add_task(self, task: Task) -> None:
        row = self._codec.task_row(task)
        replaced = self._write(lambda handle: self._sql.put_task(handle, row))
        self._publish([(TaskUpdated if replaced else TaskAdded)(task_id=task.id)])

    def remove_task(self, task_id: str) -> None:
        if not self._write(lambda handle: self._sql.delete_task(handle, task_id)):
            raise TaskLookupError(task_id)
        self._publish([TaskRemoved(task_id=task_id)])

    def get_task(self, task_id: str) -> Task:
        def read(handle: H) -> tuple[list[Row], dict[str, int]]:
            rows = self._sql.task_rows(handle, task_id)
            return rows, self._sql.running_jobs(handle, task_id)

        rows, running = self._read(read)
        if not rows:
            raise TaskLookupError(task_id)
        return self._codec.task(rows[0], running.get(task_id, 0))

    def get_tasks(self) -> list[Task]:
        def read(handle: H) -> tuple[list[Row], dict[str, int]]:
            return self._sql.task_rows(handle), self._sql.running_jobs(handle)

        rows, running = self._read(read)
        return [self._codec.task(row, running.get(row["id"], 0)) for row in rows]

    # Schedules

    def get_schedules(self, ids: set[str] | None = None) -> list[Schedule]:
        """Return the schedules with the given ids (default: all), sorted by id.

        A row that cannot be read is left out, and reported with
        ``ScheduleDeserializationFailed`` and a log line.
        """
        rows = self._read(
            lambda handle: self._sql.schedule_rows(handle, ids), one_statement=True
        )
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
            lambda handle: self._sql.put_schedule(handle, row, conflict_policy)
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

        def change(handle: H) -> Schedule | None:
            row = self._sql.locked_schedule_row(handle, schedule_id)
            if row is None:
                return None
            schedule = _checked_update(self._codec.schedule(row), update)
            if schedule.next_fire_time is None:
                self._sql.delete_schedules(handle, [schedule_id])
            else:
                new_row = self._codec.schedule_row(schedule)
                self._sql.put_schedule(handle, new_row, ConflictPolicy.replace)
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
        removed = self._write(
            lambda handle: self._sql.delete_schedules(handle, ids), one_statement=True
        )
        self._publish(
            ScheduleRemoved(schedule_id=id, task_id=task_id, finished=False)
            for id, task_id in removed
        )

    def acquire_schedules(
        self,
        scheduler_id: str,
        lease_duration: timedelta,
        limit: int,
        *,
        due_by: datetime | None = None,
    ) -> list[Schedule]:
        """Claim up to ``limit`` due, unpaused schedules for ``scheduler_id``.

        A row that cannot be read is claimed too, by nobody (``acquired_by`` is
        ``"apsnb:unreadable"``) for one lease, and reported with
        ``ScheduleDeserializationFailed``: it is kept, tried again when the lease
        ends, and the scheduler does not wake up for it in between.
        """
        # The claim need not wait for the disk (where the database allows): if a
        # crash undoes it, the schedule is due again, and the holder's release,
        # which only changes schedules it still holds, adds no jobs for it (it is
        # durable).
        schedules, events = self._write(
            lambda handle: self._claims.acquire_schedules(
                handle, scheduler_id, lease_duration, limit, due_by
            ),
            durable=False,
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
        """Release schedules and claim jobs in one transaction: one commit to wait
        for instead of two."""
        release = self._release(scheduler_id, results)
        # A new job found among the claimable rows is the one just written (an id
        # stored with other contents fails the release): it is claimed as it is,
        # not decoded again from its row.
        new_jobs = {str(job.id): job for result in results for job in result.jobs}

        def release_and_acquire(
            handle: H,
        ) -> tuple[list[str | None], list[Job], list[Event]]:
            held = release(handle)
            jobs, events = self._claims.acquire_jobs(
                handle, scheduler_id, lease_duration, limit, skip_tasks, new_jobs
            )
            return held, jobs, events

        held, jobs, events = self._write(release_and_acquire)
        self._publish(release_events(results, held) + events)
        return jobs

    def _release(
        self, scheduler_id: str, results: Sequence[ScheduleResult]
    ) -> Callable[[H], list[str | None]]:
        """The transaction that releases schedules; it returns the task id of each
        (``None`` for one that ``scheduler_id`` no longer held)."""
        changes, job_rows, run_rows = release_rows(
            self._codec, results, self._claims.keep_runs
        )

        def release(handle: H) -> list[str | None]:
            # The fire times' jobs go in with the release, in the same transaction: a
            # crash between the two would otherwise lose or repeat them.
            return self._sql.release_schedules(
                handle, scheduler_id, changes, job_rows, run_rows
            )

        return release

    def get_next_schedule_run_time(self) -> datetime | None:
        """Return when the next unpaused schedule can be claimed.

        That is its next fire time, or the end of its claim if a scheduler holds it,
        so that no scheduler wakes up for a schedule it cannot take.
        """
        found = self._read(self._sql.next_claimable, one_statement=True)
        if found is None:
            return None
        return next_run_time(found[0], found[1])

    def extend_acquired_schedule_leases(
        self, scheduler_id: str, schedule_ids: set[str], duration: timedelta
    ) -> None:
        self._write(
            lambda handle: self._sql.extend_schedule_claims(
                handle, scheduler_id, schedule_ids, instant(utcnow() + duration)
            ),
            one_statement=True,
        )

    def cleanup(self, scheduler_id: str | None = None) -> None:
        """See ``DataStore.cleanup``: ``scheduler_id``'s own lapsed claims are kept."""

        def clean(handle: H) -> list[Event]:
            now = utcnow()
            self._sql.drop_expired_results(handle, instant(now))
            if self.history_retention is not None:
                self._sql.prune_runs(handle, now - self.history_retention)
            events = self._claims.abandon_expired_claims(handle, now, scheduler_id)
            events += [
                ScheduleRemoved(schedule_id=id, task_id=task_id, finished=True)
                for id, task_id in self._sql.delete_finished_schedules(handle)
            ]
            return events

        self._publish(self._write(clean))
