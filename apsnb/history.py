"""The run history as a pandas DataFrame: what ran, what failed, what was skipped.

Needs pandas (``pip install 'apsnb[lab]'``)::

    from apsnb.history import run_history

    run_history("jobs.sqlite", schedule_id="daily-report", since="2026-03-27T00:00+02:00")

In a notebook with an ``AsyncScheduler``, turn its records into a table::

    runs_frame(await scheduler.get_runs(schedule_id="daily-report"))
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._converters import as_optional_aware_datetime
from ._runs import RunRecord

if TYPE_CHECKING:
    import pandas as pd

    from ._schedulers.sync import Scheduler
    from .abc import DataStore

__all__ = ("COLUMNS", "run_history", "runs_frame")

#: The columns of a run history table, in order.
COLUMNS = (
    "finished_at",
    "schedule_id",
    "scheduled_fire_time",
    "outcome",
    "duration",
    "started_at",
    "reason",
    "exception_type",
    "exception_message",
    "output_path",
    "task_id",
    "job_id",
    "scheduler_id",
)


def runs_frame(records: Iterable[RunRecord]) -> pd.DataFrame:
    """A table of run records, one row each, in the order given (``get_runs()``
    gives them newest first).

    ``finished_at`` and ``started_at`` are UTC timestamps; ``scheduled_fire_time``
    keeps each fire time's own zone (``object`` dtype when zones differ);
    ``duration`` is a ``Timedelta`` (``NaT`` for what never started); ``outcome`` is
    the :class:`~apsnb.JobOutcome` value (``"success"``, ``"error"``,
    ``"missed_start_deadline"``, ``"coalesced"``…).
    """
    import pandas as pd

    rows = [
        {
            "finished_at": record.finished_at,
            "schedule_id": record.schedule_id,
            "scheduled_fire_time": record.scheduled_fire_time,
            "outcome": record.outcome.value,
            "duration": record.duration,
            "started_at": record.started_at,
            "reason": record.reason,
            "exception_type": record.exception_type,
            "exception_message": record.exception_message,
            "output_path": record.output_path,
            "task_id": record.task_id,
            "job_id": None if record.job_id is None else str(record.job_id),
            "scheduler_id": record.scheduler_id,
        }
        for record in records
    ]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in ("finished_at", "started_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["duration"] = pd.to_timedelta(frame["duration"])
    return frame


def run_history(
    source: str | os.PathLike[str] | DataStore | Scheduler,
    *,
    schedule_id: str | None = None,
    task_id: str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    limit: int | None = 1000,
) -> pd.DataFrame:
    """The run history of a store as a table, newest first (see :func:`runs_frame`).

    :param source: a store location (an SQLite path, a store URL), a synchronous data
        store, or a thread-backed ``Scheduler`` (for an ``AsyncScheduler``, use
        ``runs_frame(await scheduler.get_runs(...))``)
    :param schedule_id: only this schedule's runs
    :param task_id: only this task's runs
    :param since: only runs that finished at or after this aware time (or ISO string)
    :param until: only runs that finished before this one
    :param limit: at most this many, the newest (``None``: all)
    """
    from ._exceptions import UnknownStoreLocation
    from ._schedulers.sync import Scheduler
    from .abc import DataStore
    from .datastores.location import open_data_store, sqlite_path

    filters: dict[str, Any] = {
        "schedule_id": schedule_id,
        "task_id": task_id,
        "since": as_optional_aware_datetime(since, "since"),
        "until": as_optional_aware_datetime(until, "until"),
        "limit": limit,
    }
    if isinstance(source, Scheduler):
        return runs_frame(source.get_runs(**filters))
    if isinstance(source, DataStore):
        return runs_frame(source.get_runs(**filters))
    path = sqlite_path(source)
    if path is not None and not path.exists():
        # Reading must not leave an empty store behind a mistyped path.
        raise UnknownStoreLocation(source, "no SQLite file exists there")
    store = open_data_store(source)
    if not isinstance(store, DataStore):
        raise TypeError(
            f"run_history reads synchronous stores; for {type(store).__name__} use "
            f"runs_frame(await store.get_runs(...))"
        )
    try:
        return runs_frame(store.get_runs(**filters))
    finally:
        store.stop()
