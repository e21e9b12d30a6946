"""The SQL of the SQLite store's run history, run inside its transactions."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from .._runs import RunRecord
from ._indexes import instant
from ._sqlite_rows import Row, fetch_rows
from ._sqlite_schema import RUNS

logger = logging.getLogger("apsnb.datastores")

_COLUMNS = (
    "task_id",
    "outcome",
    "finished_at",
    "finished_at_us",
    "schedule_id",
    "job_id",
    "scheduled_fire_time",
    "started_at",
    "scheduler_id",
    "reason",
    "exception_type",
    "exception_message",
    "output_path",
)
_INSERT = (
    f"INSERT INTO {RUNS} ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join(':' + name for name in _COLUMNS)})"
)


def run_row(record: RunRecord) -> Row:
    row = record.marshal()
    row["finished_at_us"] = instant(record.finished_at)
    return row


def add_run_rows(database: Database, rows: Iterable[Row]) -> None:
    rows = list(rows)
    if rows:
        database.conn.executemany(_INSERT, rows)


def run_rows(
    database: Database,
    *,
    schedule_id: str | None,
    task_id: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int | None,
) -> list[Row]:
    """The matching rows, newest first."""
    where, parameters = run_filter(
        "?", schedule_id=schedule_id, task_id=task_id, since=since, until=until
    )
    parameters.append(-1 if limit is None else limit)
    return fetch_rows(
        database.execute(
            f"SELECT * FROM {RUNS} {where}"
            f"ORDER BY finished_at_us DESC, position DESC LIMIT ?",
            parameters,
        )
    )


def run_filter(
    placeholder: str,
    *,
    schedule_id: str | None,
    task_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> tuple[str, list[Any]]:
    """The ``WHERE`` clause of a run history query (with a space after it; empty
    when nothing is asked for) and its parameters, marked with ``placeholder``."""
    conditions: list[str] = []
    parameters: list[Any] = []
    for condition, value in (
        ("schedule_id = ", schedule_id),
        ("task_id = ", task_id),
        ("finished_at_us >= ", None if since is None else instant(since)),
        ("finished_at_us < ", None if until is None else instant(until)),
    ):
        if value is not None:
            conditions.append(condition + placeholder)
            parameters.append(value)
    where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
    return where, parameters


def read_run_records(rows: Iterable[Row], location: str) -> list[RunRecord]:
    """The records of the rows; a row that cannot be read is left out and logged."""
    records = []
    for row in rows:
        try:
            records.append(RunRecord.unmarshal(row))
        except Exception as error:
            logger.error(
                "run record %s in %s cannot be read; it is skipped: %s",
                row.get("position"), location, error,
            )  # fmt: skip
    return records


def prune_runs(database: Database, before: datetime) -> None:
    database.execute(f"DELETE FROM {RUNS} WHERE finished_at_us < ?", (instant(before),))
