"""Rows of the SQLite store's tables, to and from tasks, schedules, jobs and results.

A structure's ``marshal()`` gives its plain fields (zoned datetime text, seconds,
enum values); this module adds what the tables need on top: the serializer's bytes
for arguments, return values and trigger states, JSON for metadata, and the UTC
microsecond columns that the indexes order by.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from .._exceptions import SerializationError
from .._state import load_zoned_datetime
from .._structures import Job, JobResult, Schedule, Task
from .._trust import AllowList, reading_with
from ..abc import Serializer
from ._indexes import instant

Row = dict[str, Any]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def fetch_rows(cursor: sqlite3.Cursor) -> list[Row]:
    """The rows of an executed query, as dicts by column name."""
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def microseconds(value: datetime | None) -> int | None:
    return None if value is None else instant(value)


def from_microseconds(value: int | None) -> datetime | None:
    return None if value is None else _EPOCH + timedelta(microseconds=value)


def claimable_at(
    paused: bool, next_fire_us: int | None, until_us: int | None
) -> int | None:
    """When a schedule can next be claimed (see the schema), or ``None`` if never."""
    if paused or next_fire_us is None:
        return None
    return next_fire_us if until_us is None else max(next_fire_us, until_us + 1)


def next_run_time(next_fire_time: str, acquired_until_us: int | None) -> datetime:
    """When a schedule can be claimed: its next fire time, or the end of its claim
    if a scheduler holds it, so that no scheduler wakes up for one it cannot take."""
    fire_time = load_zoned_datetime(next_fire_time)
    assert fire_time is not None
    acquired_until = from_microseconds(acquired_until_us)
    if acquired_until is None or acquired_until <= fire_time:
        return fire_time
    return acquired_until


def stored(data: bytes) -> str | bytes:
    """The serializer's bytes as stored: text when they are UTF-8 (JSON is), so that
    any SQLite browser shows them, else a blob (pickle). Lossless either way:
    reading encodes text back to the same bytes."""
    try:
        return data.decode()
    except UnicodeDecodeError:
        return data


class RowCodec:
    """Turns structures into rows and back, with the store's serializer."""

    __slots__ = ("allowed", "serializer")

    def __init__(self, serializer: Serializer, allowed: AllowList) -> None:
        self.serializer = serializer
        #: The modules whose trigger classes a row may name (see apsnb._trust).
        self.allowed = allowed

    def _load(self, value: str | bytes) -> Any:
        return self.serializer.deserialize(
            value.encode() if isinstance(value, str) else value
        )

    # Tasks

    def task_row(self, task: Task) -> Row:
        row = task.marshal()
        del row["running_jobs"]  # counted from the jobs table
        row["metadata"] = _json(task.metadata, f"the metadata of task {task.id!r}")
        return row

    def task(self, row: Mapping[str, Any], running_jobs: int) -> Task:
        data = dict(row, metadata=json.loads(row["metadata"]))
        return Task.unmarshal(data | {"running_jobs": running_jobs})

    # Schedules

    def schedule_row(self, schedule: Schedule) -> Row:
        """The row of ``schedule``; raises SerializationError naming what failed."""
        owner = f"schedule {schedule.id!r}"
        row = schedule.marshal()
        row["trigger"] = self.stored_trigger(schedule.trigger, row["trigger"], owner)
        row["args"] = self._arguments(schedule.args, "args", owner)
        row["kwargs"] = self._arguments(schedule.kwargs, "kwargs", owner)
        row["paused"] = int(schedule.paused)
        row["coalesce_policy"] = row.pop("coalesce")
        row["metadata"] = _json(schedule.metadata, f"the metadata of {owner}")
        del row["acquired_until"]
        next_fire_us = microseconds(schedule.next_fire_time)
        until_us = microseconds(schedule.acquired_until)
        row["next_fire_time_us"] = next_fire_us
        row["acquired_until_us"] = until_us
        row["claimable_at_us"] = claimable_at(schedule.paused, next_fire_us, until_us)
        return row

    def stored_trigger(self, trigger: object, state: Any, owner: str) -> str | bytes:
        """The trigger as stored: its class's import path and its state."""
        try:
            return stored(self.serializer.serialize(state))
        except SerializationError as error:
            raise SerializationError(
                f"the trigger of {owner} ({type(trigger).__name__})",
                f"its state holds {error.what}; {error.reason}. A trigger's "
                f"__getstate__() must return plain data",
            ) from None

    def schedule(self, row: Mapping[str, Any]) -> Schedule:
        """The schedule of a row; raises whatever reading it raised."""
        data = dict(row)
        data["trigger"] = self._load(row["trigger"])
        data["args"] = self._load(row["args"])
        data["kwargs"] = self._load(row["kwargs"])
        data["paused"] = bool(row["paused"])
        data["coalesce"] = row["coalesce_policy"]
        data["metadata"] = json.loads(row["metadata"])
        data["acquired_until"] = None
        with reading_with(self.allowed):
            schedule = Schedule.unmarshal(data)
        schedule.acquired_until = from_microseconds(row["acquired_until_us"])
        return schedule

    # Jobs

    def job_row(self, job: Job) -> Row:
        """The row of a new, unclaimed job; raises SerializationError naming what."""
        owner = f"job {job.id} (task {job.task_id!r})"
        row = job.marshal()
        row["args"] = self._arguments(job.args, "args", owner)
        row["kwargs"] = self._arguments(job.kwargs, "kwargs", owner)
        row["metadata"] = _json(job.metadata, f"the metadata of {owner}")
        row["start_deadline_us"] = microseconds(job.start_deadline)
        del row["acquired_until"]
        row["acquired_by"] = row["acquired_until_us"] = None
        return row

    def job(self, row: Mapping[str, Any]) -> Job:
        data = dict(row)
        data["args"] = self._load(row["args"])
        data["kwargs"] = self._load(row["kwargs"])
        data["metadata"] = json.loads(row["metadata"])
        data["acquired_until"] = None
        job = Job.unmarshal(data)
        job.acquired_until = from_microseconds(row["acquired_until_us"])
        return job

    def job_header(self, row: Mapping[str, Any]) -> Job:
        """The job of a row without its arguments: enough to give it up.

        Never fails: a job whose other columns cannot be read either keeps its ids.
        """
        try:
            data = dict(row, args=(), kwargs={}, metadata={}, acquired_until=None)
            return Job.unmarshal(data)
        except Exception:
            return Job(
                id=UUID(row["id"]),
                task_id=row["task_id"],
                schedule_id=row["schedule_id"],
            )

    # Job results

    def result_row(self, result: JobResult) -> tuple[Row, list[str]]:
        """The row of ``result``, and notes on what could not be kept in it.

        A return value or exception the serializer cannot store is left out (the
        traceback text stays, with the notes appended), so that the result itself
        is never lost.
        """
        row = result.marshal()
        row["expires_at_us"] = instant(result.expires_at)
        notes: list[str] = []
        for field in ("return_value", "exception"):
            value = row[field]
            row[field] = None
            if value is None:
                continue
            try:
                row[field] = stored(self.serializer.serialize(value))
            except SerializationError as error:
                notes.append(
                    f"[apsnb] the {field.replace('_', ' ')} was not stored: "
                    f"{type(self.serializer).__name__} cannot store {error.what}"
                )
        if notes:
            row["traceback"] = "\n".join([row["traceback"] or "", *notes]).lstrip("\n")
        return row, notes

    def result(self, row: Mapping[str, Any]) -> tuple[JobResult, list[str]]:
        """The result of a row, and notes on the values that could not be read.

        Such a value is left out (the traceback text gets the note), so that the
        outcome still reaches whoever waits for it.
        """
        data = dict(row)
        notes: list[str] = []
        for field in ("return_value", "exception"):
            if row[field] is not None:
                try:
                    data[field] = self._load(row[field])
                except Exception as error:
                    data[field] = None
                    notes.append(
                        f"[apsnb] the stored {field.replace('_', ' ')} could not be "
                        f"read: {error}"
                    )
        if notes:
            data["traceback"] = "\n".join([row["traceback"] or "", *notes]).lstrip("\n")
        return JobResult.unmarshal(data), notes

    def _arguments(
        self, value: tuple[Any, ...] | dict[str, Any], name: str, owner: str
    ) -> str | bytes:
        try:
            return stored(self.serializer.serialize(value))
        except SerializationError:
            pass
        # Find the argument at fault, to name it.
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            try:
                self.serializer.serialize(item)
            except SerializationError as error:
                raise SerializationError(
                    f"{name}[{key!r}] of {owner}", f"{error.what}; {error.reason}"
                ) from None
        raise SerializationError(
            f"the {name} of {owner}",
            f"{type(self.serializer).__name__} cannot store them together",
        )


def _json(value: Any, what: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise SerializationError(
            what,
            f"{error}; metadata holds JSON data only (dict with str keys, list, str, "
            f"int, float, bool, None)",
        ) from None
