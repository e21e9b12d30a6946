"""What both SQL stores build from a change: the rows to write, the events to publish.

The SQL that writes the rows stays in each store's own modules.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

from .._events import (
    Event,
    JobAdded,
    ScheduleAdded,
    ScheduleRemoved,
    ScheduleUpdated,
)
from .._runs import RunRecord
from .._state import dump_trigger, dump_zoned_datetime
from .._structures import Job, JobResult, Schedule, ScheduleResult, utcnow
from ..abc import EventBroker
from ._indexes import instant
from ._sqlite_rows import Row, RowCodec
from ._sqlite_runs import run_row

__all__ = (
    "finished_rows",
    "publish",
    "read_result",
    "release_events",
    "release_rows",
    "schedule_changed",
    "schedule_put",
)


def publish(broker: EventBroker | None, events: Iterable[Event]) -> None:
    # Called after the transaction, without the connection's lock: a subscriber
    # may call back into the store.
    if broker is not None:
        broker.publish_all(events)


def schedule_put(schedule: Schedule, replaced: bool) -> Event:
    """The event of ``schedule`` added, or put in place of one with its id."""
    event = ScheduleUpdated if replaced else ScheduleAdded
    return event(
        schedule_id=schedule.id,
        task_id=schedule.task_id,
        next_fire_time=schedule.next_fire_time,
    )


def schedule_changed(
    schedule_id: str, task_id: str, next_fire_time: datetime | None
) -> Event:
    """The event of a stored schedule changed: removed as finished if it has no
    next fire time, updated otherwise."""
    if next_fire_time is None:
        return ScheduleRemoved(schedule_id=schedule_id, task_id=task_id, finished=True)
    return ScheduleUpdated(
        schedule_id=schedule_id, task_id=task_id, next_fire_time=next_fire_time
    )


def release_rows(
    codec: RowCodec, results: Sequence[ScheduleResult], keep_runs: bool
) -> tuple[list[Row], list[list[Row]], list[list[Row]]]:
    """For each result: the schedule's changed columns, its jobs' rows and its
    missed runs' rows (none unless ``keep_runs``).

    All are built before the transaction, so that a value the serializer cannot
    store is refused before anything is written.
    """
    changes = [
        {
            "id": result.schedule_id,
            "trigger": codec.stored_trigger(
                result.trigger,
                dump_trigger(result.trigger),
                f"schedule {result.schedule_id!r}",
            ),
            "last_fire_time": dump_zoned_datetime(result.last_fire_time),
            "next_fire_time": dump_zoned_datetime(result.next_fire_time),
            "next_fire_time_us": (
                None
                if result.next_fire_time is None
                else instant(result.next_fire_time)
            ),
        }
        for result in results
    ]
    job_rows = [[codec.job_row(job) for job in result.jobs] for result in results]
    run_rows = [
        [run_row(record) for record in result.missed] if keep_runs else []
        for result in results
    ]
    return changes, job_rows, run_rows


def release_events(
    results: Sequence[ScheduleResult], held: Iterable[str | None]
) -> list[Event]:
    """The events of the released schedules; ``held`` gives, for each result, the
    schedule's task id, or ``None`` where the scheduler did not hold it (ignored)."""
    events: list[Event] = []
    for result, task_id in zip(results, held, strict=True):
        if task_id is None:
            continue  # not held by the scheduler: ignored
        events.extend(
            JobAdded(job_id=job.id, task_id=job.task_id, schedule_id=job.schedule_id)
            for job in result.jobs
        )
        events.append(
            schedule_changed(result.schedule_id, task_id, result.next_fire_time)
        )
    return events


def finished_rows(
    codec: RowCodec,
    results: Sequence[tuple[Job, JobResult]],
    scheduler_id: str,
    keep_runs: bool,
    logger: logging.Logger,
) -> list[tuple[Job, Row | None, Row | None]]:
    """For each finished job: its result's row (``None`` if the result expires at
    once) and its run's row (``None`` unless ``keep_runs``).

    What the serializer cannot store is left out of the result's row, with a log
    line.
    """
    finished = []
    for job, result in results:
        row = None
        if result.expires_at > result.finished_at:
            row, notes = codec.result_row(result)
            for note in notes:
                logger.warning("job %s: %s", job.id, note.removeprefix("[apsnb] "))
        run = None
        if keep_runs:
            run = run_row(RunRecord.for_result(job, result, scheduler_id))
        finished.append((job, row, run))
    return finished


def read_result(
    codec: RowCodec, row: Row | None, job_id: UUID, logger: logging.Logger
) -> JobResult | None:
    """The result stored in ``row``; ``None`` if there is none or it has expired."""
    if row is None:
        return None
    result, notes = codec.result(row)
    for note in notes:
        logger.warning("job %s: %s", job_id, note.removeprefix("[apsnb] "))
    return None if result.expires_at <= utcnow() else result
