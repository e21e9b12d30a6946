"""How the PostgreSQL store hands due schedules and waiting jobs to schedulers.

The same rules as the SQLite store's (see ``_sql_claims``): a claim lasts one lease;
a claim that ran out on a job means its scheduler died mid-run, and the job is
recorded as abandoned, never run twice; a row that cannot be read is set aside for one
lease. What differs is the locking: each claim locks only the rows it takes, skipping
rows that another scheduler is locking at that moment.
"""

from __future__ import annotations

from datetime import datetime

from .._enums import JobOutcome
from .._events import Event
from . import _postgresql_jobs as jobs_sql
from ._indexes import instant
from ._postgresql_connection import Cursor
from ._postgresql_statements import PostgreSQLStatements
from ._sql_claims import SQLClaims

__all__ = ("PostgreSQLClaims",)


class PostgreSQLClaims(SQLClaims[Cursor]):
    """Claims due schedules and waiting jobs for schedulers, in one transaction."""

    __slots__ = ()

    _sql: PostgreSQLStatements

    def _give_up_overdue(
        self, handle: Cursor, now: datetime, scheduler_id: str
    ) -> list[Event]:
        # Jobs whose claim ran out and jobs past their start deadline, in one query.
        overdue = jobs_sql.overdue_rows(handle, self._sql.tables, instant(now))
        expired = [row for row in overdue if row["acquired_until_us"] is not None]
        events = self._abandon(handle, expired, now, scheduler_id)
        for row in overdue:
            if row["acquired_until_us"] is None:
                events += self.give_up(
                    handle, row, JobOutcome.missed_start_deadline, now, scheduler_id
                )
        return events
