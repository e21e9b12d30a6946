"""The SQL of the SQLite store's tasks and schedules, run inside its transactions.

Each function takes the ``Database`` of a transaction the store opened, reads and
writes rows, and returns what it did; the store turns that into results and events
after the transaction commits (a transaction may run twice, after a lock).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlite_utils import Database

from .._enums import ConflictPolicy
from .._exceptions import ConflictingIdError
from ._sqlite_rows import Row, claimable_at, fetch_rows
from ._sqlite_schema import JOBS, SCHEDULES, TASKS

#: The holder of rows that could not be read: they are set aside for one lease, so
#: that they are tried again later instead of at every poll. No scheduler has this
#: id, so nobody releases them, and their jobs do not count as running.
UNREADABLE = "apsnb:unreadable"

#: Ids per ``IN (...)`` list; old SQLite builds allow 999 parameters a statement.
CHUNK = 500


def chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def placeholders(values: list[Any]) -> str:
    return ", ".join("?" * len(values))


def insert(database: Database, table: str, row: Row) -> None:
    columns = ", ".join(row)
    values = ", ".join(f":{name}" for name in row)
    database.execute(f"INSERT INTO {table} ({columns}) VALUES ({values})", row)


# Tasks


def put_task(database: Database, row: Row) -> bool:
    """Add or replace a task; return whether one with its id existed."""
    table = database[TASKS]
    existed = database.execute(
        f"SELECT 1 FROM {TASKS} WHERE id = ?", (row["id"],)
    ).fetchone()
    table.upsert(row, pk="id")  # type: ignore[union-attr]
    return existed is not None


def task_rows(database: Database, task_id: str | None = None) -> list[Row]:
    if task_id is None:
        return fetch_rows(database.execute(f"SELECT * FROM {TASKS} ORDER BY id"))
    cursor = database.execute(f"SELECT * FROM {TASKS} WHERE id = ?", (task_id,))
    return fetch_rows(cursor)


def running_jobs(database: Database, task_id: str | None = None) -> dict[str, int]:
    """How many claimed jobs each task has (one task's, if given).

    Counted from the claims themselves, in the same transaction that changes them,
    so the count cannot drift, even when a process dies holding jobs.
    """
    sql = (
        f"SELECT task_id, COUNT(*) FROM {JOBS} "
        f"WHERE acquired_by IS NOT NULL AND acquired_by <> ?"
    )
    params: tuple[Any, ...] = (UNREADABLE,)
    if task_id is not None:
        sql += " AND task_id = ?"
        params += (task_id,)
    return dict(database.execute(sql + " GROUP BY task_id", params).fetchall())


# Schedules


def schedule_rows(database: Database, ids: set[str] | None) -> list[Row]:
    """The rows with these ids (default: all), sorted by id."""
    if ids is None:
        return fetch_rows(database.execute(f"SELECT * FROM {SCHEDULES} ORDER BY id"))
    rows = [
        row
        for batch in chunks(ids)
        for row in fetch_rows(
            database.execute(
                f"SELECT * FROM {SCHEDULES} WHERE id IN ({placeholders(batch)})", batch
            )
        )
    ]
    return sorted(rows, key=lambda row: row["id"])


def put_schedule(
    database: Database, row: Row, conflict_policy: ConflictPolicy
) -> bool | None:
    """Add a schedule's row; return whether it replaced one (``None``: kept the old)."""
    exists = database.execute(
        f"SELECT 1 FROM {SCHEDULES} WHERE id = ?", (row["id"],)
    ).fetchone()
    if exists:
        if conflict_policy is ConflictPolicy.do_nothing:
            return None
        if conflict_policy is ConflictPolicy.exception:
            raise ConflictingIdError(row["id"])
        database.execute(f"DELETE FROM {SCHEDULES} WHERE id = ?", (row["id"],))
    insert(database, SCHEDULES, row)
    return exists is not None


def delete_schedules(database: Database, ids: Iterable[str]) -> list[tuple[str, str]]:
    """Delete the schedules with these ids; return the (id, task id) of each."""
    removed: list[tuple[str, str]] = []
    for batch in chunks(dict.fromkeys(ids)):
        marks = placeholders(batch)
        removed += database.execute(
            f"SELECT id, task_id FROM {SCHEDULES} WHERE id IN ({marks})", batch
        ).fetchall()
        database.execute(f"DELETE FROM {SCHEDULES} WHERE id IN ({marks})", batch)
    return removed


def due_schedule_rows(
    database: Database, scheduler_id: str, due_us: int, limit: int
) -> list[Row]:
    """Up to ``limit`` schedules ``scheduler_id`` may claim by ``due_us``, earliest fire first.

    The ones nobody holds (or whose claim ended) come from the claim-time index;
    the scheduler's own due ones may be taken again at once (it restarted).
    """
    if limit <= 0:
        return []
    free = fetch_rows(
        database.execute(
            f"SELECT * FROM {SCHEDULES} WHERE claimable_at_us <= ? "
            f"ORDER BY claimable_at_us, id LIMIT ?",
            (due_us, limit),
        )
    )
    held = fetch_rows(
        database.execute(
            f"SELECT * FROM {SCHEDULES} WHERE acquired_by = ? AND paused = 0 "
            f"AND next_fire_time_us <= ?",
            (scheduler_id, due_us),
        )
    )
    rows = {row["id"]: row for row in (*free, *held)}.values()
    return sorted(rows, key=lambda row: (row["next_fire_time_us"], row["id"]))[:limit]


def claim_schedules(
    database: Database, rows: Iterable[Row], holder: str, until_us: int
) -> None:
    database.conn.executemany(
        f"UPDATE {SCHEDULES} SET acquired_by = ?, acquired_until_us = ?, "
        f"claimable_at_us = ? WHERE id = ?",
        [
            (
                holder,
                until_us,
                claimable_at(False, row["next_fire_time_us"], until_us),
                row["id"],
            )
            for row in rows
        ],
    )


def release_schedule(database: Database, scheduler_id: str, changes: Row) -> str | None:
    """Store a processed schedule's progress and drop its claim.

    ``changes`` holds the new ``trigger``, ``last_fire_time``, ``next_fire_time``
    and ``next_fire_time_us`` (``None``: finished, and deleted). Returns the task id,
    or ``None`` when ``scheduler_id`` does not hold the schedule (it was removed,
    replaced or taken over) and nothing was done.
    """
    row = database.execute(
        f"SELECT task_id, acquired_by, paused FROM {SCHEDULES} WHERE id = ?",
        (changes["id"],),
    ).fetchone()
    if row is None or row[1] != scheduler_id:
        return None
    if changes["next_fire_time_us"] is None:
        database.execute(f"DELETE FROM {SCHEDULES} WHERE id = ?", (changes["id"],))
        return row[0]
    claimable = claimable_at(bool(row[2]), changes["next_fire_time_us"], None)
    database.execute(
        f"UPDATE {SCHEDULES} SET trigger = :trigger, last_fire_time = :last_fire_time, "
        f"next_fire_time = :next_fire_time, next_fire_time_us = :next_fire_time_us, "
        f"acquired_by = NULL, acquired_until_us = NULL, claimable_at_us = :claimable "
        f"WHERE id = :id",
        {**changes, "claimable": claimable},
    )
    return row[0]


def next_claimable_row(database: Database) -> tuple[str, int | None] | None:
    """The (next fire time text, claim end) of the schedule claimable soonest."""
    return database.execute(
        f"SELECT next_fire_time, acquired_until_us FROM {SCHEDULES} "
        f"WHERE claimable_at_us IS NOT NULL ORDER BY claimable_at_us, id LIMIT 1"
    ).fetchone()


def extend_schedule_claims(
    database: Database, scheduler_id: str, ids: set[str], until_us: int
) -> None:
    for batch in chunks(ids):
        database.execute(
            f"UPDATE {SCHEDULES} SET acquired_until_us = ?, claimable_at_us = "
            f"CASE WHEN claimable_at_us IS NULL THEN NULL "
            f"ELSE max(next_fire_time_us, ? + 1) END "
            f"WHERE acquired_by = ? AND id IN ({placeholders(batch)})",
            [until_us, until_us, scheduler_id, *batch],
        )


def delete_finished_schedules(database: Database) -> list[tuple[str, str]]:
    """Delete the schedules without a next fire time; return their (id, task id)."""
    finished = database.execute(
        f"SELECT id, task_id FROM {SCHEDULES} WHERE next_fire_time_us IS NULL "
        f"ORDER BY id"
    ).fetchall()
    if finished:
        database.execute(f"DELETE FROM {SCHEDULES} WHERE next_fire_time_us IS NULL")
    return finished
