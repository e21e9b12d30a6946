"""The PostgreSQL store's steps: the functions of its SQL modules, on its tables.

Each step passes the store's ``Tables`` (its schema) to the function of
``_postgresql_schedules``, ``_postgresql_jobs`` or ``_postgresql_runs`` that does
it; the releases, which batch their rows, are written out here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from uuid import UUID

from .._enums import ConflictPolicy
from .._structures import Job
from . import _postgresql_jobs as jobs_sql
from . import _postgresql_runs as runs_sql
from . import _postgresql_schedules as schedules_sql
from ._postgresql_connection import Cursor
from ._postgresql_schema import Tables
from ._sql_statements import Statements
from ._sqlite_rows import Row

__all__ = ("PostgreSQLStatements",)


class PostgreSQLStatements(Statements[Cursor]):
    """How the PostgreSQL store runs each step, on the cursor of a transaction."""

    __slots__ = ("tables",)

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    # Tasks

    def put_task(self, handle: Cursor, row: Row) -> bool:
        return schedules_sql.put_task(handle, self.tables, row)

    def delete_task(self, handle: Cursor, task_id: str) -> int:
        handle.execute(f"DELETE FROM {self.tables.tasks} WHERE id = %s", (task_id,))
        return handle.rowcount

    def task_rows(self, handle: Cursor, task_id: str | None = None) -> list[Row]:
        return schedules_sql.task_rows(handle, self.tables, task_id)

    def running_jobs(
        self, handle: Cursor, task_id: str | None = None
    ) -> dict[str, int]:
        return schedules_sql.running_jobs(handle, self.tables, task_id)

    # Schedules

    def schedule_rows(self, handle: Cursor, ids: set[str] | None) -> list[Row]:
        return schedules_sql.schedule_rows(handle, self.tables, ids)

    def locked_schedule_row(self, handle: Cursor, schedule_id: str) -> Row | None:
        return schedules_sql.locked_schedule_row(handle, self.tables, schedule_id)

    def put_schedule(
        self, handle: Cursor, row: Row, conflict_policy: ConflictPolicy
    ) -> bool | None:
        return schedules_sql.put_schedule(handle, self.tables, row, conflict_policy)

    def delete_schedules(
        self, handle: Cursor, ids: Iterable[str]
    ) -> list[tuple[str, str]]:
        return schedules_sql.delete_schedules(handle, self.tables, ids)

    def due_schedule_rows(
        self, handle: Cursor, scheduler_id: str, due_us: int, limit: int
    ) -> list[Row]:
        return schedules_sql.due_schedule_rows(
            handle, self.tables, scheduler_id, due_us, limit
        )

    def claim_schedules(
        self, handle: Cursor, rows: list[Row], holder: str, until_us: int
    ) -> None:
        schedules_sql.claim_schedules(handle, self.tables, rows, holder, until_us)

    def release_schedules(
        self,
        handle: Cursor,
        scheduler_id: str,
        changes: list[Row],
        job_rows: list[list[Row]],
        run_rows: list[list[Row]],
    ) -> list[str | None]:
        t = self.tables
        held = schedules_sql.release_schedules(handle, t, scheduler_id, changes)

        def of_held(rows_per_schedule: list[list[Row]]) -> list[Row]:
            """The rows of the schedules released (held by ``scheduler_id``)."""
            return [
                row
                for task_id, rows in zip(held, rows_per_schedule, strict=True)
                if task_id is not None
                for row in rows
            ]

        jobs_sql.add_job_rows(handle, t, of_held(job_rows))
        runs_sql.add_run_rows(handle, t, of_held(run_rows))
        return held

    def next_claimable(self, handle: Cursor) -> tuple[str, int | None] | None:
        found = schedules_sql.next_claimable_row(handle, self.tables)
        if found is None:
            return None
        return found["next_fire_time"], found["acquired_until_us"]

    def extend_schedule_claims(
        self, handle: Cursor, scheduler_id: str, ids: set[str], until_us: int
    ) -> None:
        schedules_sql.extend_schedule_claims(
            handle, self.tables, scheduler_id, ids, until_us
        )

    def delete_finished_schedules(self, handle: Cursor) -> list[tuple[str, str]]:
        return schedules_sql.delete_finished_schedules(handle, self.tables)

    # Jobs

    def add_job_rows(self, handle: Cursor, rows: list[Row]) -> None:
        jobs_sql.add_job_rows(handle, self.tables, rows)

    def job_rows(self, handle: Cursor, ids: Iterable[UUID] | None) -> list[Row]:
        return jobs_sql.job_rows(handle, self.tables, ids)

    def claimable_job_rows(
        self, handle: Cursor, limit: int | None, skip_tasks: Collection[str]
    ) -> list[Row]:
        return jobs_sql.claimable_job_rows(handle, self.tables, limit, skip_tasks)

    def claim_jobs(
        self, handle: Cursor, rows: list[Row], holder: str, until_us: int
    ) -> None:
        jobs_sql.claim_jobs(handle, self.tables, rows, holder, until_us)

    def held_job_rows(self, handle: Cursor, scheduler_id: str) -> list[Row]:
        return jobs_sql.held_job_rows(handle, self.tables, scheduler_id)

    def expired_claim_rows(self, handle: Cursor, now_us: int) -> list[Row]:
        return jobs_sql.expired_claim_rows(handle, self.tables, now_us)

    def release_unreadable(self, handle: Cursor, rows: list[Row]) -> None:
        jobs_sql.release_unreadable(handle, self.tables, rows)

    def extend_job_claims(
        self, handle: Cursor, scheduler_id: str, ids: set[UUID], until_us: int
    ) -> None:
        jobs_sql.extend_job_claims(handle, self.tables, scheduler_id, ids, until_us)

    def unclaim_jobs(self, handle: Cursor, scheduler_id: str, ids: set[UUID]) -> None:
        jobs_sql.unclaim_jobs(handle, self.tables, scheduler_id, ids)

    def finish_job(self, handle: Cursor, job_id: str, result_row: Row | None) -> None:
        jobs_sql.finish_jobs(handle, self.tables, [(job_id, result_row)])

    def finish_jobs(
        self,
        handle: Cursor,
        scheduler_id: str,
        finished: list[tuple[Job, Row | None, Row | None]],
    ) -> list[str | None]:
        t = self.tables
        ids = [str(job.id) for job, _, _ in finished]
        runs = {
            id: run
            for id, (_, _, run) in zip(ids, finished, strict=True)
            if run is not None
        }
        deleted = jobs_sql.finish_jobs(
            handle,
            t,
            [(id, row) for id, (_, row, _) in zip(ids, finished, strict=True)],
        )
        for id, (_, row, _) in zip(ids, finished, strict=True):
            if id not in deleted:  # gone: taken over while it ran?
                jobs_sql.replace_abandoned(
                    handle, t, id, scheduler_id, row, runs.get(id)
                )
        # Only the jobs this release removed: the first release wins.
        runs_sql.add_run_rows(handle, t, (runs[id] for id in deleted if id in runs))
        return [deleted.get(id) for id in ids]

    def pop_result_row(self, handle: Cursor, job_id: UUID) -> Row | None:
        return jobs_sql.pop_result_row(handle, self.tables, job_id)

    def drop_expired_results(self, handle: Cursor, now_us: int) -> None:
        jobs_sql.drop_expired_results(handle, self.tables, now_us)

    # Runs

    def add_run_rows(self, handle: Cursor, rows: Iterable[Row]) -> None:
        runs_sql.add_run_rows(handle, self.tables, rows)

    def run_rows(
        self,
        handle: Cursor,
        *,
        schedule_id: str | None,
        task_id: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int | None,
    ) -> list[Row]:
        return runs_sql.run_rows(
            handle,
            self.tables,
            schedule_id=schedule_id,
            task_id=task_id,
            since=since,
            until=until,
            limit=limit,
        )

    def prune_runs(self, handle: Cursor, before: datetime) -> None:
        runs_sql.prune_runs(handle, self.tables, before)
