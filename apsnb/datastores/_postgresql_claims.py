"""How the PostgreSQL store hands due schedules and waiting jobs to schedulers.

The same rules as the SQLite store's (see ``_sqlite_claims``): a claim lasts one
lease; a claim that ran out on a job means its scheduler died mid-run, and the job is
recorded as abandoned, never run twice; a row that cannot be read is set aside for one
lease. What differs is the locking: each claim locks only the rows it takes, skipping
rows that another scheduler is locking at that moment.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from .._enums import JobOutcome
from .._events import Event, JobReleased, JobRemoved
from .._runs import RunRecord
from .._structures import Job, JobResult, Schedule, utcnow
from . import _postgresql_jobs as jobs_sql
from . import _postgresql_runs as runs_sql
from . import _postgresql_schedules as schedules_sql
from ._indexes import instant
from ._postgresql_connection import Cursor
from ._postgresql_schema import Tables
from ._sqlite_claims import Claims
from ._sqlite_rows import Row, RowCodec, from_microseconds
from ._sqlite_schedules import UNREADABLE


class ServerClaims:
    """Claims due schedules and waiting jobs for schedulers, in one transaction."""

    __slots__ = (
        "_codec",
        "_reader",
        "_tables",
        "keep_runs",
        "read_jobs",
        "read_schedules",
    )

    def __init__(
        self, codec: RowCodec, location: str, tables: Tables, *, keep_runs: bool
    ) -> None:
        self._codec = codec
        self._tables = tables
        #: Whether jobs that end get a run record (the store's history retention).
        self.keep_runs = keep_runs
        # Reading rows (and reporting the unreadable ones) is the SQLite store's.
        self._reader = Claims(codec, location)
        self.read_schedules = self._reader.read_schedules
        self.read_jobs = self._reader.read_jobs

    def acquire_schedules(
        self, cur: Cursor, scheduler_id: str, lease_duration: timedelta, limit: int
    ) -> tuple[list[Schedule], list[Event]]:
        t = self._tables
        now = utcnow()  # read in the transaction: a retried one looks again
        now_us, until_us = instant(now), instant(now + lease_duration)
        acquired: dict[str, Schedule] = {}
        events: list[Event] = []
        while len(acquired) < limit:
            due = schedules_sql.due_schedule_rows(cur, t, scheduler_id, now_us, limit)
            rows = [row for row in due if row["id"] not in acquired]
            rows = rows[: limit - len(acquired)]
            schedules, read_events = self.read_schedules(rows)
            readable = {schedule.id for schedule in schedules}
            bad = [row for row in rows if row["id"] not in readable]
            good = [row for row in rows if row["id"] in readable]
            schedules_sql.claim_schedules(cur, t, good, scheduler_id, until_us)
            schedules_sql.claim_schedules(cur, t, bad, UNREADABLE, until_us)
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
        cur: Cursor,
        scheduler_id: str,
        lease_duration: timedelta,
        limit: int | None,
        skip_tasks: Collection[str] = (),
    ) -> tuple[list[Job], list[Event]]:
        t = self._tables
        now = utcnow()
        now_us, until_us = instant(now), instant(now + lease_duration)
        # Jobs whose claim ran out (abandoned; not the caller's own: it is alive,
        # its jobs run on) and jobs past their start deadline, in one query.
        overdue = jobs_sql.overdue_rows(cur, t, now_us)
        expired = [row for row in overdue if row["acquired_until_us"] is not None]
        events: list[Event] = self._abandon(cur, expired, now, scheduler_id)
        for row in overdue:
            if row["acquired_until_us"] is None:
                events += self.give_up(
                    cur, row, JobOutcome.missed_start_deadline, now, scheduler_id
                )
        acquired: list[Job] = []
        positions: dict[str, int] = {}
        while limit is None or len(acquired) < limit:
            room = None if limit is None else limit - len(acquired)
            rows = jobs_sql.claimable_job_rows(cur, t, room, skip_tasks)
            jobs, read_events = self.read_jobs(rows)
            readable = {str(job.id) for job in jobs}
            bad = [row for row in rows if row["id"] not in readable]
            good = [row for row in rows if row["id"] in readable]
            jobs_sql.claim_jobs(cur, t, good, scheduler_id, until_us)
            jobs_sql.claim_jobs(cur, t, bad, UNREADABLE, until_us)
            acquired += jobs
            positions.update((row["id"], row["position"]) for row in good)
            events += read_events
            if not bad:
                break
        acquired_until = from_microseconds(until_us)
        for job in acquired:
            job.acquired_by = scheduler_id
            job.acquired_until = acquired_until
        acquired.sort(key=lambda job: positions[str(job.id)])
        return acquired, events

    def abandon_expired_claims(
        self, cur: Cursor, now: datetime, spare: str | None = None
    ) -> list[Event]:
        """Give up the jobs whose claims ran out, as ``abandoned``; return the events.

        Not those of ``spare``, a scheduler known to be alive.
        """
        expired = jobs_sql.expired_claim_rows(cur, self._tables, instant(now))
        return self._abandon(cur, expired, now, spare)

    def _abandon(
        self, cur: Cursor, expired: list[Row], now: datetime, spare: str | None
    ) -> list[Event]:
        """Give up jobs whose claims ran out (not ``spare``'s); an unreadable one goes
        back to the queue instead (nothing ran it)."""
        jobs_sql.release_unreadable(
            cur,
            self._tables,
            [row for row in expired if row["acquired_by"] == UNREADABLE],
        )
        return [
            event
            for row in expired
            if row["acquired_by"] not in (UNREADABLE, spare)
            for event in self.give_up(
                cur, row, JobOutcome.abandoned, now, row["acquired_by"]
            )
        ]

    def give_up(
        self,
        cur: Cursor,
        row: Row,
        outcome: JobOutcome,
        now: datetime,
        scheduler_id: str | None,
    ) -> list[Event]:
        """Remove a job the store gives up on; return the events to publish."""
        job = self._codec.job_header(row)
        result = JobResult.from_job(job, outcome, finished_at=now)
        result_row = None
        if result.expires_at > result.finished_at:
            result_row, _ = self._codec.result_row(result)
        jobs_sql.finish_jobs(cur, self._tables, [(row["id"], result_row)])
        if self.keep_runs:
            record = RunRecord.for_result(job, result, scheduler_id)
            runs_sql.add_run_rows(cur, self._tables, [runs_sql.run_row(record)])
        return [
            JobRemoved(job_id=job.id, task_id=job.task_id),
            JobReleased.for_result(job, result, scheduler_id),
        ]


def _fire_order(schedule: Schedule) -> tuple[datetime, str]:
    assert schedule.next_fire_time is not None
    return schedule.next_fire_time, schedule.id
