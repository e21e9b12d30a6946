"""Claims of the SQLite store: as ``_sql_claims`` says, in ``BEGIN IMMEDIATE``
transactions, which hold the whole file: no other connection or process comes
between finding what is free and claiming it.
"""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from .._enums import JobOutcome
from .._events import Event
from . import _sqlite_jobs as jobs_sql
from ._indexes import instant
from ._sql_claims import SQLClaims

__all__ = ("SQLiteClaims",)


class SQLiteClaims(SQLClaims[Database]):
    """Claims due schedules and waiting jobs for schedulers, in one transaction."""

    __slots__ = ()

    def _give_up_overdue(
        self, handle: Database, now: datetime, scheduler_id: str
    ) -> list[Event]:
        events = self.abandon_expired_claims(handle, now, spare=scheduler_id)
        # Looked for once the lapsed claims are given up: an unreadable job put
        # back in the queue may be past its deadline too.
        for row in jobs_sql.waiting_past_deadline(handle, instant(now)):
            events += self.give_up(
                handle, row, JobOutcome.missed_start_deadline, now, scheduler_id
            )
        return events
