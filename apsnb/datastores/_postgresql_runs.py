"""The SQL of the PostgreSQL store's run history, run inside its transactions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ._indexes import instant
from ._postgresql_connection import Cursor
from ._postgresql_schedules import insert_rows
from ._postgresql_schema import Tables
from ._sqlite_rows import Row
from ._sqlite_runs import run_filter, run_row

__all__ = ("add_run_rows", "prune_runs", "run_row", "run_rows")


def add_run_rows(cur: Cursor, t: Tables, rows: Iterable[Row]) -> None:
    rows = list(rows)
    if rows:
        insert_rows(cur, t.runs, rows)


def run_rows(
    cur: Cursor,
    t: Tables,
    *,
    schedule_id: str | None,
    task_id: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int | None,
) -> list[Row]:
    """The matching rows, newest first."""
    where, parameters = run_filter(
        "%s", schedule_id=schedule_id, task_id=task_id, since=since, until=until
    )
    parameters.append(limit)  # LIMIT NULL: no limit
    return cur.execute(
        f"SELECT * FROM {t.runs} {where}"
        f"ORDER BY finished_at_us DESC, position DESC LIMIT %s",
        parameters,
    ).fetchall()


def prune_runs(cur: Cursor, t: Tables, before: datetime) -> None:
    cur.execute(f"DELETE FROM {t.runs} WHERE finished_at_us < %s", (instant(before),))
