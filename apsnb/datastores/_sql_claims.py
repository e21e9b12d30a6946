"""Claims of the SQL stores: leasing schedules and jobs, and rows they cannot read.

Everything here runs inside one of the store's write transactions, so that "find
what is free" and "claim it" are one step no other connection or process can come
between. A row that cannot be read (a trigger class that is gone, a corrupt blob)
is claimed by nobody (:data:`UNREADABLE`) for one lease: it is kept as it is,
reported, not handed out, and looked at again only when that lease ends, so a bad
row neither makes the scheduler spin nor holds back the readable rows.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Generic, TypeVar
from uuid import UUID

from .._enums import JobOutcome
from .._events import (
    Event,
    JobDeserializationFailed,
    JobReleased,
    JobRemoved,
    ScheduleDeserializationFailed,
)
from .._exceptions import UntrustedReference
from .._runs import RunRecord
from .._structures import Job, JobResult, Schedule, utcnow
from ._indexes import instant
from ._sql_statements import Statements
from ._sqlite_rows import Row, RowCodec, from_microseconds
from ._sqlite_runs import run_row
from ._sqlite_schedules import UNREADABLE

__all__ = ("SQLClaims",)

H = TypeVar("H")


class SQLClaims(ABC, Generic[H]):
    """Claims due schedules and waiting jobs for schedulers, in one transaction.

    A subclass says how the jobs past their claim or start deadline are found
    (:meth:`_give_up_overdue`).
    """

    __slots__ = (
        "_codec",
        "_location",
        "_logger",
        "_sql",
        "_untrusted_reported",
        "keep_runs",
    )

    def __init__(
        self,
        statements: Statements[H],
        codec: RowCodec,
        location: str,
        logger: logging.Logger,
        *,
        keep_runs: bool,
    ) -> None:
        self._sql = statements
        self._codec = codec
        self._location = location
        self._logger = logger
        #: Whether jobs that end get a run record (the store's history retention).
        self.keep_runs = keep_runs
        #: Trigger classes refused by the trust rule and reported already: a row
        #: looked at again every lease must not repeat the warning.
        self._untrusted_reported: set[str] = set()

    def acquire_schedules(
        self,
        handle: H,
        scheduler_id: str,
        lease_duration: timedelta,
        limit: int,
        due_by: datetime | None = None,
    ) -> tuple[list[Schedule], list[Event]]:
        sql = self._sql
        now = utcnow()  # read in the transaction: a retried one looks again
        due_us = instant(now if due_by is None else max(now, due_by))
        until_us = instant(now + lease_duration)
        acquired: dict[str, Schedule] = {}
        events: list[Event] = []
        # Unreadable rows are set aside and do not count: look again until the
        # limit is met or nothing is left (each pass sets its bad rows aside).
        while len(acquired) < limit:
            due = sql.due_schedule_rows(handle, scheduler_id, due_us, limit)
            rows = [row for row in due if row["id"] not in acquired]
            rows = rows[: limit - len(acquired)]
            schedules, read_events = self.read_schedules(rows)
            readable = {schedule.id for schedule in schedules}
            bad = [row for row in rows if row["id"] not in readable]
            good = [row for row in rows if row["id"] in readable]
            sql.claim_schedules(handle, good, scheduler_id, until_us)
            sql.claim_schedules(handle, bad, UNREADABLE, until_us)
            acquired.update((schedule.id, schedule) for schedule in schedules)
            events += read_events
            if not bad:
                break
        acquired_until = from_microseconds(until_us)
        for schedule in acquired.values():
            schedule.acquired_by = scheduler_id
            schedule.acquired_until = acquired_until
        return sorted(acquired.values(), key=_fire_order), events

    def acquire_jobs(
        self,
        handle: H,
        scheduler_id: str,
        lease_duration: timedelta,
        limit: int | None,
        skip_tasks: Collection[str] = (),
        known: Mapping[str, Job] | None = None,
    ) -> tuple[list[Job], list[Event]]:
        """Claim jobs; ``known`` are jobs this transaction has just stored, by id,
        taken as they are instead of read back from their rows."""
        sql = self._sql
        now = utcnow()
        until_us = instant(now + lease_duration)
        events = self._give_up_overdue(handle, now, scheduler_id)
        acquired: list[Job] = []
        positions: dict[str, int] = {}
        # As for schedules: look again after setting unreadable rows aside, so that
        # they do not take the places of readable jobs.
        while limit is None or len(acquired) < limit:
            room = None if limit is None else limit - len(acquired)
            rows = sql.claimable_job_rows(handle, room, skip_tasks)
            jobs, read_events = self.read_jobs(rows, known)
            readable = {str(job.id) for job in jobs}
            bad = [row for row in rows if row["id"] not in readable]
            good = [row for row in rows if row["id"] in readable]
            sql.claim_jobs(handle, good, scheduler_id, until_us)
            sql.claim_jobs(handle, bad, UNREADABLE, until_us)
            acquired += jobs
            positions.update((row["id"], row["position"]) for row in good)
            events += read_events
            if not bad:
                break
        acquired_until = from_microseconds(until_us)
        for job in acquired:
            job.acquired_by = scheduler_id
            job.acquired_until = acquired_until
        # Oldest first across passes: a later pass may find an older job of a task
        # that had room only once its unreadable job was set aside.
        acquired.sort(key=lambda job: positions[str(job.id)])
        return acquired, events

    @abstractmethod
    def _give_up_overdue(
        self, handle: H, now: datetime, scheduler_id: str
    ) -> list[Event]:
        """Before a claim: give up the jobs whose claims ran out, as ``abandoned``
        (not ``scheduler_id``'s), and the waiting jobs past their start deadline, as
        ``missed_start_deadline``; return the events.

        A claim that ran out means its scheduler died mid-job (running jobs' claims
        are renewed): the job is abandoned, never run a second time. Not the
        caller's own: it is alive, and its claims lapsed only because the store was
        out of reach (locked, full) while the job ran on.
        """

    def abandon_expired_claims(
        self, handle: H, now: datetime, spare: str | None = None
    ) -> list[Event]:
        """Give up the jobs whose claims ran out, as ``abandoned``; return the events.

        Not the claims of ``spare``, a scheduler known to be alive.
        """
        expired = self._sql.expired_claim_rows(handle, instant(now))
        return self._abandon(handle, expired, now, spare)

    def _abandon(
        self, handle: H, expired: list[Row], now: datetime, spare: str | None
    ) -> list[Event]:
        """Give up jobs whose claims ran out (not ``spare``'s). A set-aside unreadable
        job is not abandoned (nothing ran it): it goes back to the queue, to be
        tried again."""
        self._sql.release_unreadable(
            handle, [row for row in expired if row["acquired_by"] == UNREADABLE]
        )
        return [
            event
            for row in expired
            if row["acquired_by"] not in (UNREADABLE, spare)
            for event in self.give_up(
                handle, row, JobOutcome.abandoned, now, row["acquired_by"]
            )
        ]

    def give_up(
        self,
        handle: H,
        row: Row,
        outcome: JobOutcome,
        now: datetime,
        scheduler_id: str | None,
    ) -> list[Event]:
        """Remove a job the store gives up on; return the events to publish.

        No scheduler runs such a job to announce how it ended, so the store sends
        the ``JobReleased`` a scheduler would have sent. Its arguments are not
        read, so this works for an unreadable job too.
        """
        job = self._codec.job_header(row)
        result = JobResult.from_job(job, outcome, finished_at=now)
        result_row = None
        if result.expires_at > result.finished_at:
            result_row, _ = self._codec.result_row(result)
        self._sql.finish_job(handle, row["id"], result_row)
        if self.keep_runs:
            record = RunRecord.for_result(job, result, scheduler_id)
            self._sql.add_run_rows(handle, [run_row(record)])
        return [
            JobRemoved(job_id=job.id, task_id=job.task_id),
            JobReleased.for_result(job, result, scheduler_id),
        ]

    def read_schedules(self, rows: list[Row]) -> tuple[list[Schedule], list[Event]]:
        """The schedules of the readable rows, and an event for each other row."""
        schedules: list[Schedule] = []
        events: list[Event] = []
        for row in rows:
            try:
                schedules.append(self._codec.schedule(row))
            except UntrustedReference as error:
                if error.reference not in self._untrusted_reported:
                    self._untrusted_reported.add(error.reference)
                    self._logger.warning(
                        "schedule %r in %s waits: %s", row["id"], self._location, error
                    )
                events.append(
                    ScheduleDeserializationFailed(
                        schedule_id=row["id"], exception=error
                    )
                )
            except Exception as error:
                self._log_unreadable("schedule", repr(row["id"]), error)
                events.append(
                    ScheduleDeserializationFailed(
                        schedule_id=row["id"], exception=error
                    )
                )
        return schedules, events

    def read_jobs(
        self, rows: list[Row], known: Mapping[str, Job] | None = None
    ) -> tuple[list[Job], list[Event]]:
        """The jobs of the readable rows, and an event for each other row; a job in
        ``known`` (by id) is copied instead of decoded from its row."""
        jobs: list[Job] = []
        events: list[Event] = []
        for row in rows:
            job = None if known is None else known.get(str(row["id"]))
            if job is not None:
                jobs.append(job.copy())
                continue
            try:
                jobs.append(self._codec.job(row))
            except Exception as error:
                self._log_unreadable("job", row["id"], error)
                events.append(
                    JobDeserializationFailed(job_id=UUID(row["id"]), exception=error)
                )
        return jobs, events

    def _log_unreadable(self, kind: str, name: str, error: Exception) -> None:
        self._logger.error(
            "%s %s in %s cannot be read; it is skipped and kept as it is: %s",
            kind,
            name,
            self._location,
            error,
        )


def _fire_order(schedule: Schedule) -> tuple[datetime, str]:
    assert schedule.next_fire_time is not None
    return schedule.next_fire_time, schedule.id
