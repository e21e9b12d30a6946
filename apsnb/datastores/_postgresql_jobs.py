"""The SQL of the PostgreSQL store's jobs and job results, run inside its transactions.

Waiting jobs are taken with ``FOR UPDATE SKIP LOCKED``: schedulers claiming at the
same time each get different jobs and never wait for one another. A task's
``max_running_jobs`` must hold across them all, so a claim first locks the rows of the
limited tasks it takes jobs of, then counts their running jobs: two schedulers never
count the same free places.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from uuid import UUID

from ._postgresql_connection import Cursor
from ._postgresql_schedules import binary, insert_rows, insert_sql, running_jobs
from ._postgresql_schema import Tables
from ._sqlite_rows import Row
from ._sqlite_schedules import UNREADABLE


def add_job_rows(cur: Cursor, t: Tables, rows: list[Row]) -> None:
    """Insert new jobs; raise ``ValueError`` for an id that another job has.

    A row that is there already, the same, is this very insert committed by an
    earlier attempt whose answer the connection lost: it is left as it is.
    """
    if not rows:
        return
    rows = [binary(row, "args", "kwargs") for row in rows]
    inserted = {
        found["id"]
        for found in insert_rows(
            cur, t.jobs, rows, "ON CONFLICT (id) DO NOTHING RETURNING id::text"
        )
    }
    clashes = [row for row in rows if row["id"] not in inserted]
    if not clashes:
        return
    stored = {
        found["id"]: found
        for found in cur.execute(
            f"SELECT id::text, task_id, created_at FROM {t.jobs} "
            f"WHERE id = ANY(%s::uuid[])",
            ([row["id"] for row in clashes],),
        ).fetchall()
    }
    for row in clashes:
        twin = stored.get(row["id"])
        if twin is None or (twin["task_id"], twin["created_at"]) != (
            row["task_id"],
            row["created_at"],
        ):
            raise ValueError(f"a job with the id {row['id']} exists already")


def job_rows(cur: Cursor, t: Tables, ids: Iterable[UUID] | None) -> list[Row]:
    """The rows of the jobs with these ids (default: all), oldest first."""
    if ids is None:
        return cur.execute(f"SELECT * FROM {t.jobs} ORDER BY position").fetchall()
    return cur.execute(
        f"SELECT * FROM {t.jobs} WHERE id = ANY(%s::uuid[]) ORDER BY position",
        ([str(id) for id in ids],),
    ).fetchall()


def overdue_rows(cur: Cursor, t: Tables, now_us: int) -> list[Row]:
    """Lock and return the jobs whose claim ran out, and the waiting jobs past their
    start deadline (each found on its partial index)."""
    return cur.execute(
        f"SELECT * FROM {t.jobs} WHERE acquired_until_us < %s "
        f"OR (acquired_by IS NULL AND start_deadline_us < %s) "
        f"ORDER BY position FOR UPDATE SKIP LOCKED",
        (now_us, now_us),
    ).fetchall()


def claimable_job_rows(
    cur: Cursor, t: Tables, limit: int | None, skip_tasks: Collection[str] = ()
) -> list[Row]:
    """Lock and return the oldest waiting jobs, up to ``limit``, that may run now
    (none of the tasks in ``skip_tasks``)."""
    if limit is not None and limit <= 0:
        return []
    limits = {
        row["id"]: row["max_running_jobs"]
        for row in cur.execute(
            f"SELECT id, max_running_jobs FROM {t.tasks} "
            f"WHERE max_running_jobs IS NOT NULL"
        ).fetchall()
        if row["id"] not in skip_tasks
    }
    candidates = cur.execute(
        f"SELECT * FROM {t.jobs} WHERE acquired_by IS NULL "
        f"AND task_id <> ALL(%s::text[]) ORDER BY position LIMIT %s "
        f"FOR UPDATE SKIP LOCKED",
        ([*limits, *skip_tasks], limit),
    ).fetchall()
    if limits:
        candidates += _limited_job_rows(cur, t, limits, limit)
        candidates.sort(key=lambda row: row["position"])
    return candidates if limit is None else candidates[:limit]


def _limited_job_rows(
    cur: Cursor, t: Tables, limits: dict[str, int], limit: int | None
) -> list[Row]:
    """The oldest waiting jobs of tasks with a limit, as many as each has room for."""
    waiting = [
        row["id"]
        for row in cur.execute(
            # In id order: two claims lock the same tasks in the same order.
            f"SELECT id FROM {t.tasks} AS task WHERE id = ANY(%s::text[]) AND EXISTS "
            f"(SELECT 1 FROM {t.jobs} WHERE acquired_by IS NULL AND task_id = task.id) "
            f"ORDER BY id FOR UPDATE OF task",
            (list(limits),),
        ).fetchall()
    ]
    if not waiting:
        return []
    # Counted after the locks, in a new snapshot: it sees every committed claim.
    running = running_jobs(cur, t)
    rows: list[Row] = []
    for task_id in waiting:
        room = max(limits[task_id] - running.get(task_id, 0), 0)
        if limit is not None:
            room = min(room, limit)
        if room:
            rows += cur.execute(
                f"SELECT * FROM {t.jobs} WHERE acquired_by IS NULL AND task_id = %s "
                f"ORDER BY position LIMIT %s FOR UPDATE SKIP LOCKED",
                (task_id, room),
            ).fetchall()
    return rows


def claim_jobs(
    cur: Cursor, t: Tables, rows: list[Row], holder: str, until_us: int
) -> None:
    if rows:
        cur.execute(
            f"UPDATE {t.jobs} SET acquired_by = %s, acquired_until_us = %s "
            f"WHERE position = ANY(%s::bigint[])",
            (holder, until_us, [row["position"] for row in rows]),
        )


def held_job_rows(cur: Cursor, t: Tables, scheduler_id: str) -> list[Row]:
    return cur.execute(
        f"SELECT * FROM {t.jobs} WHERE acquired_by = %s ORDER BY position FOR UPDATE",
        (scheduler_id,),
    ).fetchall()


def expired_claim_rows(cur: Cursor, t: Tables, now_us: int) -> list[Row]:
    return cur.execute(
        f"SELECT * FROM {t.jobs} WHERE acquired_until_us < %s ORDER BY position "
        f"FOR UPDATE SKIP LOCKED",
        (now_us,),
    ).fetchall()


def release_unreadable(cur: Cursor, t: Tables, rows: list[Row]) -> None:
    """Put jobs set aside as unreadable back in the queue, to be tried again."""
    if rows:
        cur.execute(
            f"UPDATE {t.jobs} SET acquired_by = NULL, acquired_until_us = NULL "
            f"WHERE position = ANY(%s::bigint[]) AND acquired_by = %s",
            ([row["position"] for row in rows], UNREADABLE),
        )


def extend_job_claims(
    cur: Cursor, t: Tables, scheduler_id: str, ids: set[UUID], until_us: int
) -> None:
    if ids:
        cur.execute(
            f"UPDATE {t.jobs} SET acquired_until_us = %s "
            f"WHERE acquired_by = %s AND id = ANY(%s::uuid[])",
            (until_us, scheduler_id, [str(id) for id in ids]),
        )


def unclaim_jobs(cur: Cursor, t: Tables, scheduler_id: str, ids: set[UUID]) -> None:
    """Drop ``scheduler_id``'s claims on these jobs: they wait again, in their
    places (their positions are kept)."""
    if ids:
        cur.execute(
            f"UPDATE {t.jobs} SET acquired_by = NULL, acquired_until_us = NULL "
            f"WHERE acquired_by = %s AND id = ANY(%s::uuid[])",
            (scheduler_id, [str(id) for id in ids]),
        )


def finish_jobs(
    cur: Cursor, t: Tables, finished: list[tuple[str, Row | None]]
) -> dict[str, str]:
    """Delete jobs and keep their results (where given).

    Returns the task id of each job deleted; a job that is gone already (released
    before: the first release wins) is left out, and so is its result.
    """
    if not finished:
        return {}
    deleted = {
        row["id"]: row["task_id"]
        for row in cur.execute(
            f"DELETE FROM {t.jobs} WHERE id = ANY(%s::uuid[]) RETURNING id, task_id",
            ([job_id for job_id, _ in finished],),
        ).fetchall()
    }
    # One row per job (a statement may change a row only once): the last given.
    results = list(
        {
            job_id: binary(row, "return_value", "exception")
            for job_id, row in finished
            if row is not None and job_id in deleted
        }.values()
    )
    if results:
        updates = ", ".join(
            f"{name} = EXCLUDED.{name}" for name in results[0] if name != "job_id"
        )
        insert_rows(
            cur, t.results, results, f"ON CONFLICT (job_id) DO UPDATE SET {updates}"
        )
    return deleted


def pop_result_row(cur: Cursor, t: Tables, job_id: UUID) -> Row | None:
    return cur.execute(
        f"DELETE FROM {t.results} WHERE job_id = %s RETURNING *", (str(job_id),)
    ).fetchone()


def drop_expired_results(cur: Cursor, t: Tables, now_us: int) -> None:
    cur.execute(f"DELETE FROM {t.results} WHERE expires_at_us <= %s", (now_us,))


def replace_abandoned(
    cur: Cursor,
    t: Tables,
    job_id: str,
    scheduler_id: str,
    result_row: Row | None,
    run_row: Row | None,
) -> None:
    """Put a late result in the place of the ``abandoned`` one that another scheduler
    recorded for ``scheduler_id``'s job when its claim lapsed (see the SQLite store's
    twin): the job has one outcome, the real one."""
    if (
        result_row is not None
        and cur.execute(
            f"DELETE FROM {t.results} WHERE outcome = 'abandoned' AND job_id = %s::uuid",
            (job_id,),
        ).rowcount
    ):
        row = binary(result_row, "return_value", "exception")
        cur.execute(insert_sql(t.results, row), row)
    if (
        run_row is not None
        and cur.execute(
            f"DELETE FROM {t.runs} "
            f"WHERE outcome = 'abandoned' AND job_id = %s AND scheduler_id = %s",
            (job_id, scheduler_id),
        ).rowcount
    ):
        cur.execute(insert_sql(t.runs, run_row), run_row)
