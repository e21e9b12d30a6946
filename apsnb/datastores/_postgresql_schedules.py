"""The SQL of the PostgreSQL store's tasks and schedules, run inside its transactions.

Each function takes the cursor of a transaction the store opened and the store's
``Tables``, reads and writes rows, and returns what it did; the store turns that into
results and events once the transaction commits (a transaction may run twice, after
a temporary failure). Lists of ids go in as one array parameter (``= ANY(%s)``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .._enums import ConflictPolicy
from .._exceptions import ConflictingIdError
from ._postgresql_connection import Cursor
from ._postgresql_schema import Tables
from ._sqlite_rows import Row
from ._sqlite_schedules import UNREADABLE

# Tasks


#: Parameters in one statement of many rows, well inside PostgreSQL's 65,535.
MAX_PARAMETERS = 30_000


def insert_sql(table: str, row: Row, suffix: str = "") -> str:
    columns = ", ".join(row)
    values = ", ".join(f"%({name})s" for name in row)
    return f"INSERT INTO {table} ({columns}) VALUES ({values}) {suffix}"


def values_lists(
    rows: list[Row], columns: Sequence[str], row_values: str
) -> Iterator[tuple[str, list[Any]]]:
    """``rows`` as ``VALUES`` lists of as many rows as fit a statement: each the SQL
    (``row_values`` once per row) and its parameters, in ``columns``' order.

    One statement of many rows costs the server one parse and one round trip, where
    ``executemany`` costs one execution per row (20 rows: ~0.3 ms against ~1.5 ms).
    """
    per_statement = max(1, MAX_PARAMETERS // len(columns))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        yield (
            ", ".join([row_values] * len(chunk)),
            [row[name] for row in chunk for name in columns],
        )


def insert_rows(
    cur: Cursor, table: str, rows: list[Row], suffix: str = ""
) -> list[Row]:
    """Insert ``rows`` (all with the same columns), many to a statement (see
    :func:`values_lists`); return the rows a ``RETURNING`` in ``suffix`` gives."""
    columns = list(rows[0])
    row_values = "(" + ", ".join(["%s"] * len(columns)) + ")"
    returned: list[Row] = []
    for values, parameters in values_lists(rows, columns, row_values):
        cur.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values} {suffix}",
            parameters,
        )
        if cur.description is not None:
            returned += cur.fetchall()
    return returned


def put_task(cur: Cursor, t: Tables, row: Row) -> bool:
    """Add or replace a task; return whether one with its id existed."""
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in row if name != "id")
    # xmax is 0 on a freshly inserted row, the updating transaction's id otherwise.
    cur.execute(
        insert_sql(
            t.tasks,
            row,
            f"ON CONFLICT (id) DO UPDATE SET {updates} RETURNING xmax <> 0 AS replaced",
        ),
        row,
    )
    found = cur.fetchone()
    return bool(found and found["replaced"])


def task_rows(cur: Cursor, t: Tables, task_id: str | None = None) -> list[Row]:
    if task_id is None:
        return cur.execute(f"SELECT * FROM {t.tasks} ORDER BY id").fetchall()
    return cur.execute(f"SELECT * FROM {t.tasks} WHERE id = %s", (task_id,)).fetchall()


def running_jobs(cur: Cursor, t: Tables, task_id: str | None = None) -> dict[str, int]:
    """How many claimed jobs each task has (one task's, if given), from the claims."""
    sql = (
        f"SELECT task_id, count(*) AS running FROM {t.jobs} "
        f"WHERE acquired_by IS NOT NULL AND acquired_by <> %s"
    )
    params: tuple[Any, ...] = (UNREADABLE,)
    if task_id is not None:
        sql += " AND task_id = %s"
        params += (task_id,)
    rows = cur.execute(sql + " GROUP BY task_id", params).fetchall()
    return {row["task_id"]: row["running"] for row in rows}


# Schedules


def binary(row: Row, *names: str) -> Row:
    """A codec row with the serializer's output as bytes, for ``bytea`` columns.

    The codec gives UTF-8 output (JSON) as text, which SQLite shows as it is;
    PostgreSQL would read such text as bytea escapes.
    """
    return {
        **row,
        **{
            name: row[name].encode()
            for name in names
            if name in row and isinstance(row[name], str)
        },
    }


def schedule_row(row: Row) -> Row:
    """A codec row as the table takes it (``paused`` is a boolean here)."""
    return {**binary(row, "trigger", "args", "kwargs"), "paused": bool(row["paused"])}


def schedule_rows(cur: Cursor, t: Tables, ids: set[str] | None) -> list[Row]:
    """The rows with these ids (default: all), sorted by id."""
    if ids is None:
        return cur.execute(f"SELECT * FROM {t.schedules} ORDER BY id").fetchall()
    return cur.execute(
        f"SELECT * FROM {t.schedules} WHERE id = ANY(%s::text[]) ORDER BY id",
        (list(ids),),
    ).fetchall()


def locked_schedule_row(cur: Cursor, t: Tables, schedule_id: str) -> Row | None:
    """The row of a schedule, locked until the transaction ends (``None``: none)."""
    return cur.execute(
        f"SELECT * FROM {t.schedules} WHERE id = %s FOR UPDATE", (schedule_id,)
    ).fetchone()


def put_schedule(
    cur: Cursor, t: Tables, row: Row, conflict_policy: ConflictPolicy
) -> bool | None:
    """Add a schedule's row; return whether it replaced one (``None``: kept the old)."""
    row = schedule_row(row)
    if conflict_policy is ConflictPolicy.do_nothing:
        cur.execute(
            insert_sql(t.schedules, row, "ON CONFLICT (id) DO NOTHING RETURNING id"),
            row,
        )
        return False if cur.fetchone() else None
    if conflict_policy is ConflictPolicy.exception:
        cur.execute(
            insert_sql(t.schedules, row, "ON CONFLICT (id) DO NOTHING RETURNING id"),
            row,
        )
        if cur.fetchone() is None and not _same_schedule(cur, t, row):
            raise ConflictingIdError(row["id"])
        return False
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in row if name != "id")
    cur.execute(
        insert_sql(
            t.schedules,
            row,
            f"ON CONFLICT (id) DO UPDATE SET {updates} RETURNING xmax <> 0 AS replaced",
        ),
        row,
    )
    found = cur.fetchone()
    return bool(found and found["replaced"])


def _same_schedule(cur: Cursor, t: Tables, row: Row) -> bool:
    """Whether the stored schedule with ``row``'s id is ``row`` itself: this insert,
    committed by an earlier attempt whose answer the connection lost."""
    names = ("task_id", "trigger", "args", "kwargs", "next_fire_time", "paused")
    stored = cur.execute(
        f"SELECT {', '.join(names)} FROM {t.schedules} WHERE id = %s", (row["id"],)
    ).fetchone()
    return stored is not None and all(
        bytes(stored[name]) == row[name]
        if isinstance(row[name], bytes)
        else stored[name] == row[name]
        for name in names
    )


def delete_schedules(
    cur: Cursor, t: Tables, ids: Iterable[str]
) -> list[tuple[str, str]]:
    """Delete the schedules with these ids; return the (id, task id) of each."""
    rows = cur.execute(
        f"DELETE FROM {t.schedules} WHERE id = ANY(%s::text[]) RETURNING id, task_id",
        (list(dict.fromkeys(ids)),),
    ).fetchall()
    return sorted((row["id"], row["task_id"]) for row in rows)


def due_schedule_rows(
    cur: Cursor, t: Tables, scheduler_id: str, due_us: int, limit: int
) -> list[Row]:
    """Lock and return up to ``limit`` schedules ``scheduler_id`` may claim by ``due_us``.

    Rows another transaction has locked (another scheduler claiming them right now)
    are skipped, not waited for; the scheduler's own due ones may be taken again at
    once (it restarted).
    """
    if limit <= 0:
        return []
    free = cur.execute(
        f"SELECT * FROM {t.schedules} WHERE claimable_at_us <= %s "
        f"ORDER BY claimable_at_us, id LIMIT %s FOR UPDATE SKIP LOCKED",
        (due_us, limit),
    ).fetchall()
    held = cur.execute(
        f"SELECT * FROM {t.schedules} WHERE acquired_by = %s AND NOT paused "
        f"AND next_fire_time_us <= %s FOR UPDATE SKIP LOCKED",
        (scheduler_id, due_us),
    ).fetchall()
    rows = {row["id"]: row for row in (*free, *held)}.values()
    return sorted(rows, key=lambda row: (row["next_fire_time_us"], row["id"]))[:limit]


def claim_schedules(
    cur: Cursor, t: Tables, rows: list[Row], holder: str, until_us: int
) -> None:
    if rows:
        cur.execute(
            f"UPDATE {t.schedules} SET acquired_by = %s, acquired_until_us = %s, "
            f"claimable_at_us = greatest(next_fire_time_us, %s) "
            f"WHERE id = ANY(%s::text[])",
            (holder, until_us, until_us + 1, [row["id"] for row in rows]),
        )


def release_schedules(
    cur: Cursor, t: Tables, scheduler_id: str, changes: list[Row]
) -> list[str | None]:
    """Store processed schedules' progress and drop their claims.

    Each change holds the new ``trigger``, ``last_fire_time``, ``next_fire_time`` and
    ``next_fire_time_us`` (``None``: finished, and deleted). Returns each one's task
    id, or ``None`` where ``scheduler_id`` does not hold the schedule (removed,
    replaced or taken over) and nothing was done.
    """
    if not changes:
        return []
    changes = [binary(change, "trigger") for change in changes]
    held: dict[str, str] = {}  # task ids of the schedules changed, by id
    finished = [c["id"] for c in changes if c["next_fire_time_us"] is None]
    if finished:
        held.update(
            (row["id"], row["task_id"])
            for row in cur.execute(
                f"DELETE FROM {t.schedules} WHERE id = ANY(%s::text[]) "
                f"AND acquired_by = %s RETURNING id, task_id",
                (sorted(finished), scheduler_id),
            ).fetchall()
        )
    # Many rows to a statement, as for inserts; the condition on the holder in the
    # statement itself, so no statement reads the claims first.
    updates = sorted(
        (c for c in changes if c["next_fire_time_us"] is not None),
        key=lambda change: change["id"],
    )
    columns = ("id", "trigger", "last_fire_time", "next_fire_time", "next_fire_time_us")
    row_values = "(%s::text, %s::bytea, %s::text, %s::text, %s::bigint)"
    for values, parameters in values_lists(updates, columns, row_values):
        held.update(
            (row["id"], row["task_id"])
            for row in cur.execute(
                f"UPDATE {t.schedules} AS s SET trigger = v.trigger, "
                f"last_fire_time = v.last_fire_time, "
                f"next_fire_time = v.next_fire_time, "
                f"next_fire_time_us = v.next_fire_time_us, acquired_by = NULL, "
                f"acquired_until_us = NULL, claimable_at_us = "
                f"CASE WHEN s.paused THEN NULL ELSE v.next_fire_time_us END "
                f"FROM (VALUES {values}) AS v({', '.join(columns)}) "
                f"WHERE s.id = v.id AND s.acquired_by = %s RETURNING s.id, s.task_id",
                [*parameters, scheduler_id],
            ).fetchall()
        )
    return [held.get(change["id"]) for change in changes]


def next_claimable_row(cur: Cursor, t: Tables) -> Row | None:
    """The next fire time text and claim end of the schedule claimable soonest."""
    return cur.execute(
        f"SELECT next_fire_time, acquired_until_us FROM {t.schedules} "
        f"WHERE claimable_at_us IS NOT NULL ORDER BY claimable_at_us, id LIMIT 1"
    ).fetchone()


def extend_schedule_claims(
    cur: Cursor, t: Tables, scheduler_id: str, ids: set[str], until_us: int
) -> None:
    if ids:
        cur.execute(
            f"UPDATE {t.schedules} SET acquired_until_us = %s, claimable_at_us = "
            f"CASE WHEN claimable_at_us IS NULL THEN NULL "
            f"ELSE greatest(next_fire_time_us, %s) END "
            f"WHERE acquired_by = %s AND id = ANY(%s::text[])",
            (until_us, until_us + 1, scheduler_id, list(ids)),
        )


def delete_finished_schedules(cur: Cursor, t: Tables) -> list[tuple[str, str]]:
    """Delete the schedules without a next fire time; return their (id, task id)."""
    rows = cur.execute(
        f"DELETE FROM {t.schedules} WHERE next_fire_time_us IS NULL "
        f"RETURNING id, task_id"
    ).fetchall()
    return sorted((row["id"], row["task_id"]) for row in rows)
