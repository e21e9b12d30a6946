"""Claims of the SQLite store: leasing schedules and jobs, and rows it cannot read.

Everything here runs inside the store's ``BEGIN IMMEDIATE`` transactions, so that
"find what is free" and "claim it" are one step no other connection or process can
come between. A row that cannot be read (a trigger class that is gone, a corrupt
blob) is claimed by nobody (:data:`UNREADABLE`) for one lease: it is kept as it is,
reported, not handed out, and looked at again only when that lease ends, so a bad
row neither makes the scheduler spin nor holds back the readable rows.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, timedelta
from uuid import UUID

from sqlite_utils import Database

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
from . import _sqlite_jobs as jobs_sql
from . import _sqlite_runs as runs_sql
from . import _sqlite_schedules as schedules_sql
from ._indexes import instant
from ._sqlite_rows import Row, RowCodec, from_microseconds
from ._sqlite_schedules import UNREADABLE

logger = logging.getLogger("apsnb.datastores.sqlite")


class Claims:
    """Claims due schedules and waiting jobs for schedulers, in one transaction."""

    __slots__ = ("_codec", "_location", "_untrusted_reported", "keep_runs")

    def __init__(
        self, codec: RowCodec, location: str, *, keep_runs: bool = True
    ) -> None:
        self._codec = codec
        self._location = location
        #: Whether jobs that end get a run record (the store's history retention).
        self.keep_runs = keep_runs
        #: Trigger classes refused by the trust rule and reported already: a row
        #: looked at again every lease must not repeat the warning.
        self._untrusted_reported: set[str] = set()

    def acquire_schedules(
        self,
        database: Database,
        scheduler_id: str,
        lease_duration: timedelta,
        limit: int,
    ) -> tuple[list[Schedule], list[Event]]:
        now = utcnow()  # read in the transaction: a retried one looks again
        now_us, until_us = instant(now), instant(now + lease_duration)
        acquired: dict[str, Schedule] = {}
        events: list[Event] = []
        # Unreadable rows are set aside and do not count: look again until the
        # limit is met or nothing is left (each pass sets its bad rows aside).
        while len(acquired) < limit:
            due = schedules_sql.due_schedule_rows(database, scheduler_id, now_us, limit)
            rows = [row for row in due if row["id"] not in acquired]
            rows = rows[: limit - len(acquired)]
            schedules, read_events = self.read_schedules(rows)
            readable = {schedule.id for schedule in schedules}
            bad = [row for row in rows if row["id"] not in readable]
            good = [row for row in rows if row["id"] in readable]
            schedules_sql.claim_schedules(database, good, scheduler_id, until_us)
            schedules_sql.claim_schedules(database, bad, UNREADABLE, until_us)
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
        database: Database,
        scheduler_id: str,
        lease_duration: timedelta,
        limit: int | None,
        skip_tasks: Collection[str] = (),
    ) -> tuple[list[Job], list[Event]]:
        now = utcnow()
        now_us, until_us = instant(now), instant(now + lease_duration)
        # A claim that ran out means its scheduler died mid-job (running jobs' claims
        # are renewed): the job is abandoned, never run a second time. Not the
        # caller's own: it is alive, and its claims lapsed only because the store
        # was out of reach (locked, full) while the job ran on.
        events: list[Event] = self.abandon_expired_claims(
            database, now, spare=scheduler_id
        )
        for row in jobs_sql.waiting_past_deadline(database, now_us):
            events += self.give_up(
                database, row, JobOutcome.missed_start_deadline, now, scheduler_id
            )
        acquired: list[Job] = []
        positions: dict[str, int] = {}
        # As for schedules: look again after setting unreadable rows aside, so that
        # they do not take the places of readable jobs.
        while limit is None or len(acquired) < limit:
            room = None if limit is None else limit - len(acquired)
            # Counted here, in the transaction that claims: max_running_jobs
            # holds across every connection and process.
            running = schedules_sql.running_jobs(database)
            rows = jobs_sql.claimable_job_rows(database, room, running, skip_tasks)
            jobs, read_events = self.read_jobs(rows)
            readable = {str(job.id) for job in jobs}
            bad = [row for row in rows if row["id"] not in readable]
            good = [row for row in rows if row["id"] in readable]
            jobs_sql.claim_jobs(database, good, scheduler_id, until_us)
            jobs_sql.claim_jobs(database, bad, UNREADABLE, until_us)
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

    def abandon_expired_claims(
        self, database: Database, now: datetime, spare: str | None = None
    ) -> list[Event]:
        """Give up the jobs whose claims ran out, as ``abandoned``; return the events.

        A set-aside unreadable job is not abandoned (nothing ran it): it goes back to
        the queue, to be tried again. Nor are the claims of ``spare``, a scheduler
        known to be alive.
        """
        expired = jobs_sql.expired_claim_rows(database, instant(now))
        jobs_sql.release_unreadable(
            database, [row for row in expired if row["acquired_by"] == UNREADABLE]
        )
        return [
            event
            for row in expired
            if row["acquired_by"] not in (UNREADABLE, spare)
            for event in self.give_up(
                database, row, JobOutcome.abandoned, now, row["acquired_by"]
            )
        ]

    def give_up(
        self,
        database: Database,
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
        jobs_sql.finish_job(database, row["id"], result_row)
        if self.keep_runs:
            record = RunRecord.for_result(job, result, scheduler_id)
            runs_sql.add_run_rows(database, [runs_sql.run_row(record)])
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
                    logger.warning(
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

    def read_jobs(self, rows: list[Row]) -> tuple[list[Job], list[Event]]:
        """The jobs of the readable rows, and an event for each other row."""
        jobs: list[Job] = []
        events: list[Event] = []
        for row in rows:
            try:
                jobs.append(self._codec.job(row))
            except Exception as error:
                self._log_unreadable("job", row["id"], error)
                events.append(
                    JobDeserializationFailed(job_id=UUID(row["id"]), exception=error)
                )
        return jobs, events

    def _log_unreadable(self, kind: str, name: str, error: Exception) -> None:
        logger.error(
            "%s %s in %s cannot be read; it is skipped and kept as it is: %s",
            kind,
            name,
            self._location,
            error,
        )


def _fire_order(schedule: Schedule) -> tuple[datetime, str]:
    assert schedule.next_fire_time is not None
    return schedule.next_fire_time, schedule.id
