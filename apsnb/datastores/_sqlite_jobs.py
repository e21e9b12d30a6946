"""The SQL of the SQLite store's jobs and job results, run inside its transactions.

As in ``_sqlite_schedules``: each function reads and writes rows of a transaction
the store opened and returns what it did.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable
from uuid import UUID

from sqlite_utils import Database

from ._sqlite_rows import Row, fetch_rows
from ._sqlite_runs import add_run_rows
from ._sqlite_schedules import UNREADABLE, chunks, insert, placeholders
from ._sqlite_schema import JOBS, RESULTS, RUNS, TASKS


def add_job_row(database: Database, row: Row) -> None:
    try:
        insert(database, JOBS, row)
    except sqlite3.IntegrityError:
        raise ValueError(f"a job with the id {row['id']} exists already") from None


def job_rows(database: Database, ids: Iterable[UUID] | None) -> list[Row]:
    """The rows of the jobs with these ids (default: all), oldest first."""
    if ids is None:
        return fetch_rows(database.execute(f"SELECT * FROM {JOBS} ORDER BY position"))
    rows = [
        row
        for batch in chunks({str(id) for id in ids})
        for row in fetch_rows(
            database.execute(
                f"SELECT * FROM {JOBS} WHERE id IN ({placeholders(batch)})", batch
            )
        )
    ]
    return sorted(rows, key=lambda row: row["position"])


def waiting_past_deadline(database: Database, now_us: int) -> list[Row]:
    return fetch_rows(
        database.execute(
            # Without statistics the planner would walk the whole queue instead.
            f"SELECT * FROM {JOBS} INDEXED BY {JOBS}_deadline "
            f"WHERE acquired_by IS NULL AND start_deadline_us < ? ORDER BY position",
            (now_us,),
        )
    )


def claimable_job_rows(
    database: Database,
    limit: int | None,
    running: dict[str, int],
    skip_tasks: Collection[str] = (),
) -> list[Row]:
    """The oldest waiting jobs, up to ``limit``, of tasks that may run more jobs.

    Visits each task with waiting jobs (a skip through the queue index, one lookup a
    task) and takes its oldest jobs, as many as its ``max_running_jobs`` leaves
    room for; so a saturated task's thousand waiting jobs cost nothing to skip.
    """
    candidates: list[Row] = []
    task_id: str | None = None
    while True:
        if task_id is None:
            found = database.execute(
                f"SELECT task_id FROM {JOBS} WHERE acquired_by IS NULL "
                f"ORDER BY task_id LIMIT 1"
            ).fetchone()
        else:
            found = database.execute(
                f"SELECT task_id FROM {JOBS} WHERE acquired_by IS NULL AND task_id > ? "
                f"ORDER BY task_id LIMIT 1",
                (task_id,),
            ).fetchone()
        if found is None:
            break
        task_id = found[0]
        if task_id in skip_tasks:
            continue
        room = _room(database, task_id, running.get(task_id, 0))
        if limit is not None:
            room = limit if room is None else min(room, limit)
        if room == 0:
            continue
        candidates += fetch_rows(
            database.execute(
                f"SELECT * FROM {JOBS} WHERE acquired_by IS NULL AND task_id = ? "
                f"ORDER BY position LIMIT ?",
                (task_id, -1 if room is None else room),
            )
        )
    candidates.sort(key=lambda row: row["position"])
    return candidates if limit is None else candidates[:limit]


def _room(database: Database, task_id: str, running: int) -> int | None:
    """How many more jobs of a task may run (``None``: no limit)."""
    row = database.execute(
        f"SELECT max_running_jobs FROM {TASKS} WHERE id = ?", (task_id,)
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return max(row[0] - running, 0)


def claim_jobs(
    database: Database, rows: Iterable[Row], holder: str, until_us: int
) -> None:
    database.conn.executemany(
        f"UPDATE {JOBS} SET acquired_by = ?, acquired_until_us = ? WHERE position = ?",
        [(holder, until_us, row["position"]) for row in rows],
    )


def held_job_rows(database: Database, scheduler_id: str) -> list[Row]:
    return fetch_rows(
        database.execute(
            f"SELECT * FROM {JOBS} WHERE acquired_by = ? ORDER BY position",
            (scheduler_id,),
        )
    )


def expired_claim_rows(database: Database, now_us: int) -> list[Row]:
    return fetch_rows(
        database.execute(
            f"SELECT * FROM {JOBS} INDEXED BY {JOBS}_lease_end "
            f"WHERE acquired_until_us < ? ORDER BY position",
            (now_us,),
        )
    )


def release_unreadable(database: Database, rows: Iterable[Row]) -> None:
    """Put jobs set aside as unreadable back in the queue, to be tried again."""
    database.conn.executemany(
        f"UPDATE {JOBS} SET acquired_by = NULL, acquired_until_us = NULL "
        f"WHERE position = ? AND acquired_by = '{UNREADABLE}'",
        [(row["position"],) for row in rows],
    )


def extend_job_claims(
    database: Database, scheduler_id: str, ids: set[UUID], until_us: int
) -> None:
    for batch in chunks(str(id) for id in ids):
        database.execute(
            f"UPDATE {JOBS} SET acquired_until_us = ? "
            f"WHERE acquired_by = ? AND id IN ({placeholders(batch)})",
            [until_us, scheduler_id, *batch],
        )


def unclaim_jobs(database: Database, scheduler_id: str, ids: set[UUID]) -> None:
    """Drop ``scheduler_id``'s claims on these jobs: they wait again, in their
    places (their positions are kept)."""
    for batch in chunks(str(id) for id in ids):
        database.execute(
            f"UPDATE {JOBS} SET acquired_by = NULL, acquired_until_us = NULL "
            f"WHERE acquired_by = ? AND id IN ({placeholders(batch)})",
            [scheduler_id, *batch],
        )


def finish_job(database: Database, job_id: str, result_row: Row | None) -> str | None:
    """Delete a job and keep its result (if given); return its task id, or ``None``
    when the job is gone already (released before: the first release wins)."""
    found = database.execute(
        f"SELECT position, task_id FROM {JOBS} WHERE id = ?", (job_id,)
    ).fetchone()
    if found is None:
        return None
    database.execute(f"DELETE FROM {JOBS} WHERE position = ?", (found[0],))
    if result_row is not None:
        database.execute(f"DELETE FROM {RESULTS} WHERE job_id = ?", (job_id,))
        insert(database, RESULTS, result_row)
    return found[1]


def pop_result_row(database: Database, job_id: UUID) -> Row | None:
    rows = fetch_rows(
        database.execute(f"SELECT * FROM {RESULTS} WHERE job_id = ?", (str(job_id),))
    )
    if not rows:
        return None
    database.execute(f"DELETE FROM {RESULTS} WHERE job_id = ?", (str(job_id),))
    return rows[0]


def drop_expired_results(database: Database, now_us: int) -> None:
    database.execute(f"DELETE FROM {RESULTS} WHERE expires_at_us <= ?", (now_us,))


def replace_abandoned(
    database: Database,
    job_id: str,
    scheduler_id: str,
    result_row: Row | None,
    run_row: Row | None,
) -> None:
    """Put a late result in the place of the ``abandoned`` one that another scheduler
    recorded for ``scheduler_id``'s job when its claim lapsed (the store was out of
    reach while the job ran on): the job has one outcome, the real one. A result
    already read (``get_job_result``) stays read."""
    abandoned = ("abandoned", job_id)
    if (
        result_row is not None
        and database.execute(
            f"DELETE FROM {RESULTS} WHERE outcome = ? AND job_id = ?", abandoned
        ).rowcount
    ):
        insert(database, RESULTS, result_row)
    if (
        run_row is not None
        and database.execute(
            f"DELETE FROM {RUNS} WHERE outcome = ? AND job_id = ? AND scheduler_id = ?",
            (*abandoned, scheduler_id),
        ).rowcount
    ):
        add_run_rows(database, [run_row])
