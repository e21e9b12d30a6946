"""The SQL steps an SQL store is made of, one method a step.

``SQLDataStore`` and ``SQLClaims`` hold what the SQLite and PostgreSQL stores do;
each store supplies how it is done in its database, as a :class:`Statements`.
Each method runs inside a transaction the store opened, on that transaction's
``handle`` (SQLite: the ``Database``; PostgreSQL: the cursor), and returns what it
found or did; the store turns that into results and events once the transaction
commits (a transaction may run twice, after a lock or a temporary failure).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from .._enums import ConflictPolicy
from .._structures import Job
from ._sqlite_rows import Row

__all__ = ("Statements",)

H = TypeVar("H")


class Statements(ABC, Generic[H]):
    """How one SQL database runs each step of a store; ``H``: its handle's type."""

    __slots__ = ()

    # Tasks

    @abstractmethod
    def put_task(self, handle: H, row: Row) -> bool:
        """Add or replace a task; return whether one with its id existed."""

    @abstractmethod
    def delete_task(self, handle: H, task_id: str) -> int:
        """Delete a task; return how many rows went (0: there was none)."""

    @abstractmethod
    def task_rows(self, handle: H, task_id: str | None = None) -> list[Row]:
        """The rows of all tasks, by id, or of the one with ``task_id``."""

    @abstractmethod
    def running_jobs(self, handle: H, task_id: str | None = None) -> dict[str, int]:
        """How many claimed jobs each task has (one task's, if given)."""

    # Schedules

    @abstractmethod
    def schedule_rows(self, handle: H, ids: set[str] | None) -> list[Row]:
        """The rows of the schedules with these ids (default: all), by id."""

    @abstractmethod
    def locked_schedule_row(self, handle: H, schedule_id: str) -> Row | None:
        """A schedule's row, locked until the transaction ends (``None``: none)."""

    @abstractmethod
    def put_schedule(
        self, handle: H, row: Row, conflict_policy: ConflictPolicy
    ) -> bool | None:
        """Add a schedule's row; return whether it replaced one (``None``: kept the
        old one)."""

    @abstractmethod
    def delete_schedules(self, handle: H, ids: Iterable[str]) -> list[tuple[str, str]]:
        """Delete schedules; return the (id, task id) of each deleted."""

    @abstractmethod
    def due_schedule_rows(
        self, handle: H, scheduler_id: str, due_us: int, limit: int
    ) -> list[Row]:
        """Up to ``limit`` rows of the due, unpaused schedules ``scheduler_id`` may
        claim by ``due_us``, in fire order."""

    @abstractmethod
    def claim_schedules(
        self, handle: H, rows: list[Row], holder: str, until_us: int
    ) -> None:
        """Claim the schedules of ``rows`` for ``holder`` until ``until_us``."""

    @abstractmethod
    def release_schedules(
        self,
        handle: H,
        scheduler_id: str,
        changes: list[Row],
        job_rows: list[list[Row]],
        run_rows: list[list[Row]],
    ) -> list[str | None]:
        """Store each schedule's progress, drop its claim and add its jobs' and
        missed runs' rows; return its task id, or ``None`` (and do nothing for it)
        where ``scheduler_id`` does not hold it."""

    @abstractmethod
    def next_claimable(self, handle: H) -> tuple[str, int | None] | None:
        """The (next fire time text, claim end) of the schedule claimable soonest."""

    @abstractmethod
    def extend_schedule_claims(
        self, handle: H, scheduler_id: str, ids: set[str], until_us: int
    ) -> None:
        """Make ``scheduler_id``'s claims on these schedules last until ``until_us``."""

    @abstractmethod
    def delete_finished_schedules(self, handle: H) -> list[tuple[str, str]]:
        """Delete the schedules without a next fire time; return their (id, task id)."""

    # Jobs

    @abstractmethod
    def add_job_rows(self, handle: H, rows: list[Row]) -> None:
        """Queue jobs, unclaimed."""

    @abstractmethod
    def job_rows(self, handle: H, ids: Iterable[UUID] | None) -> list[Row]:
        """The rows of the jobs with these ids (default: all), oldest first."""

    @abstractmethod
    def claimable_job_rows(
        self, handle: H, limit: int | None, skip_tasks: Collection[str]
    ) -> list[Row]:
        """The oldest waiting jobs, up to ``limit``, that may run now (none of the
        tasks in ``skip_tasks``, none past their task's ``max_running_jobs``)."""

    @abstractmethod
    def claim_jobs(
        self, handle: H, rows: list[Row], holder: str, until_us: int
    ) -> None:
        """Claim the jobs of ``rows`` for ``holder`` until ``until_us``."""

    @abstractmethod
    def held_job_rows(self, handle: H, scheduler_id: str) -> list[Row]:
        """The rows of the jobs ``scheduler_id`` holds, oldest first."""

    @abstractmethod
    def expired_claim_rows(self, handle: H, now_us: int) -> list[Row]:
        """The rows of the jobs whose claims ran out, oldest first."""

    @abstractmethod
    def release_unreadable(self, handle: H, rows: list[Row]) -> None:
        """Put set-aside unreadable jobs back in the queue."""

    @abstractmethod
    def extend_job_claims(
        self, handle: H, scheduler_id: str, ids: set[UUID], until_us: int
    ) -> None:
        """Make ``scheduler_id``'s claims on these jobs last until ``until_us``."""

    @abstractmethod
    def unclaim_jobs(self, handle: H, scheduler_id: str, ids: set[UUID]) -> None:
        """Drop ``scheduler_id``'s claims on these jobs, keeping their places."""

    @abstractmethod
    def finish_job(self, handle: H, job_id: str, result_row: Row | None) -> None:
        """Delete a job and keep its result (if given), if the job is still there."""

    @abstractmethod
    def finish_jobs(
        self,
        handle: H,
        scheduler_id: str,
        finished: list[tuple[Job, Row | None, Row | None]],
    ) -> list[str | None]:
        """Delete jobs ``scheduler_id`` ran, with their result and run rows; return
        the task id of each job removed, ``None`` for one gone already.

        The first release wins: a job gone already gets no run row, but its result
        replaces an ``abandoned`` one recorded when its claim lapsed.
        """

    @abstractmethod
    def pop_result_row(self, handle: H, job_id: UUID) -> Row | None:
        """Delete and return a job's result row (``None``: there is none)."""

    @abstractmethod
    def drop_expired_results(self, handle: H, now_us: int) -> None:
        """Delete the results that have expired."""

    # Runs

    @abstractmethod
    def add_run_rows(self, handle: H, rows: Iterable[Row]) -> None:
        """Add run records' rows."""

    @abstractmethod
    def run_rows(
        self,
        handle: H,
        *,
        schedule_id: str | None,
        task_id: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int | None,
    ) -> list[Row]:
        """The matching run records' rows, newest first."""

    @abstractmethod
    def prune_runs(self, handle: H, before: datetime) -> None:
        """Delete the run records of runs that finished before ``before``."""
