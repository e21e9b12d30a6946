"""The SQLite store's steps: the functions of its SQL modules, gathered.

Most steps are the functions of ``_sqlite_schedules``, ``_sqlite_jobs`` and
``_sqlite_runs`` as they are; the few that combine them (releases, claims counted
against the running jobs) are written out here.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlite_utils import Database

from .._structures import Job
from . import _sqlite_jobs as jobs_sql
from . import _sqlite_runs as runs_sql
from . import _sqlite_schedules as schedules_sql
from ._sql_statements import Statements
from ._sqlite_rows import Row
from ._sqlite_schema import TASKS

__all__ = ("SQLiteStatements",)


class SQLiteStatements(Statements[Database]):
    """How the SQLite store runs each step, on the ``Database`` of a transaction."""

    __slots__ = ()

    # Tasks

    put_task = staticmethod(schedules_sql.put_task)
    task_rows = staticmethod(schedules_sql.task_rows)
    running_jobs = staticmethod(schedules_sql.running_jobs)

    def delete_task(self, handle: Database, task_id: str) -> int:
        return handle.execute(f"DELETE FROM {TASKS} WHERE id = ?", (task_id,)).rowcount

    # Schedules

    schedule_rows = staticmethod(schedules_sql.schedule_rows)
    put_schedule = staticmethod(schedules_sql.put_schedule)
    delete_schedules = staticmethod(schedules_sql.delete_schedules)
    due_schedule_rows = staticmethod(schedules_sql.due_schedule_rows)
    claim_schedules = staticmethod(schedules_sql.claim_schedules)
    next_claimable = staticmethod(schedules_sql.next_claimable_row)
    extend_schedule_claims = staticmethod(schedules_sql.extend_schedule_claims)
    delete_finished_schedules = staticmethod(schedules_sql.delete_finished_schedules)

    def locked_schedule_row(self, handle: Database, schedule_id: str) -> Row | None:
        # The store's write transactions lock the whole file (BEGIN IMMEDIATE).
        rows = schedules_sql.schedule_rows(handle, {schedule_id})
        return rows[0] if rows else None

    def release_schedules(
        self,
        handle: Database,
        scheduler_id: str,
        changes: list[Row],
        job_rows: list[list[Row]],
        run_rows: list[list[Row]],
    ) -> list[str | None]:
        held = []
        for change, rows, runs in zip(changes, job_rows, run_rows, strict=True):
            task_id = schedules_sql.release_schedule(handle, scheduler_id, change)
            if task_id is not None:
                for row in rows:
                    jobs_sql.add_job_row(handle, row)
                runs_sql.add_run_rows(handle, runs)
            held.append(task_id)
        return held

    # Jobs

    job_rows = staticmethod(jobs_sql.job_rows)
    claim_jobs = staticmethod(jobs_sql.claim_jobs)
    held_job_rows = staticmethod(jobs_sql.held_job_rows)
    expired_claim_rows = staticmethod(jobs_sql.expired_claim_rows)
    release_unreadable = staticmethod(jobs_sql.release_unreadable)
    extend_job_claims = staticmethod(jobs_sql.extend_job_claims)
    unclaim_jobs = staticmethod(jobs_sql.unclaim_jobs)
    finish_job = staticmethod(jobs_sql.finish_job)  # type: ignore[assignment]
    pop_result_row = staticmethod(jobs_sql.pop_result_row)
    drop_expired_results = staticmethod(jobs_sql.drop_expired_results)

    def add_job_rows(self, handle: Database, rows: list[Row]) -> None:
        for row in rows:
            jobs_sql.add_job_row(handle, row)

    def claimable_job_rows(
        self, handle: Database, limit: int | None, skip_tasks: Collection[str]
    ) -> list[Row]:
        # Counted here, in the transaction that claims: max_running_jobs holds
        # across every connection and process.
        running = schedules_sql.running_jobs(handle)
        return jobs_sql.claimable_job_rows(handle, limit, running, skip_tasks)

    def finish_jobs(
        self,
        handle: Database,
        scheduler_id: str,
        finished: list[tuple[Job, Row | None, Row | None]],
    ) -> list[str | None]:
        task_ids = [
            jobs_sql.finish_job(handle, str(job.id), row) for job, row, _ in finished
        ]
        for (job, row, run), task_id in zip(finished, task_ids, strict=True):
            if task_id is None:  # gone: taken over while it ran?
                jobs_sql.replace_abandoned(handle, str(job.id), scheduler_id, row, run)
        # Only the jobs this release removed: the first release wins.
        runs_sql.add_run_rows(
            handle,
            (
                run
                for (_, _, run), task_id in zip(finished, task_ids, strict=True)
                if task_id is not None and run is not None
            ),
        )
        return task_ids

    # Runs

    add_run_rows = staticmethod(runs_sql.add_run_rows)
    run_rows = staticmethod(runs_sql.run_rows)
    prune_runs = staticmethod(runs_sql.prune_runs)
