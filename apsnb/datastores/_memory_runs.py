"""The run history of a MemoryDataStore: records in time order, pruned by age."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from itertools import count, islice

from .._enums import JobOutcome
from .._runs import RunRecord, keeps_runs


class RunLog:
    """Run records ordered by ``finished_at``, then by when they were added.

    Records nearly always arrive in time order, so keeping the list sorted costs an
    append. They are ordered by their aware ``finished_at`` itself, which compares as
    the instant it is in any time zone. Not thread safe: the store calls it under
    its lock.

    :param retention: how long a record is kept (``None``: for ever; zero: none is
        kept at all)
    :param limit: the most records kept (the newest); older ones are dropped in
        chunks of a tenth, so that keeping the limit costs no more than appending
    """

    __slots__ = ("_entries", "_sequence", "limit", "retention")

    def __init__(self, retention: timedelta | None, limit: int | None) -> None:
        self.retention = retention
        self.limit = limit
        self._entries: list[tuple[datetime, int, RunRecord]] = []
        self._sequence = count()

    @property
    def enabled(self) -> bool:
        return keeps_runs(self.retention)

    def add(self, records: Iterable[RunRecord]) -> None:
        entries = self._entries
        for record in records:
            entry = (record.finished_at, next(self._sequence), record)
            if not entries or entries[-1] < entry:
                entries.append(entry)
            else:
                insort(entries, entry)
        limit = self.limit
        if limit is not None and len(entries) > limit + limit // 10:
            del entries[: len(entries) - limit]

    def replace_abandoned(self, record: RunRecord) -> None:
        """Put ``record`` in the place of the ``abandoned`` record of its job by its
        scheduler, if there is one (a takeover while the job ran on)."""
        entries = self._entries
        for index in range(len(entries) - 1, -1, -1):
            old = entries[index][2]
            if (
                old.job_id == record.job_id
                and old.outcome is JobOutcome.abandoned
                and old.scheduler_id == record.scheduler_id
            ):
                del entries[index]
                self.add([record])
                return

    def prune(self, now: datetime) -> None:
        """Drop the records older than the retention period."""
        if self.retention is None:
            return
        cutoff = bisect_left(self._entries, (now - self.retention, -1))
        del self._entries[:cutoff]

    def newest_first(
        self,
        *,
        schedule_id: str | None,
        task_id: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int | None,
    ) -> list[RunRecord]:
        """The records that match, newest first (``since`` inclusive, ``until`` not)."""
        entries = self._entries
        start = 0 if since is None else bisect_left(entries, (since, -1))
        if self.limit is not None:
            start = max(start, len(entries) - self.limit)  # the chunk not yet dropped
        end = len(entries)
        if until is not None:
            end = bisect_left(entries, (until, -1))
        matching: Iterator[RunRecord] = (
            record
            for record in (entries[i][2] for i in range(end - 1, start - 1, -1))
            if (schedule_id is None or record.schedule_id == schedule_id)
            and (task_id is None or record.task_id == task_id)
        )
        return list(matching if limit is None else islice(matching, limit))
