"""Events as plain JSON, for brokers that carry them to other processes.

Only the events that tell another process something happened to shared state travel:
what a data store changed (tasks, schedules, jobs) and how a job ended. Reading one
builds one of these known classes from plain values, never anything a message names.
Events that carry an exception object (a row that could not be read, a scheduler that
crashed) stay in the process that raised them.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import datetime
from typing import Any
from uuid import UUID

from .._enums import JobOutcome
from .._events import (
    Event,
    JobAdded,
    JobReleased,
    JobRemoved,
    ScheduleAdded,
    ScheduleRemoved,
    ScheduleUpdated,
    TaskAdded,
    TaskRemoved,
    TaskUpdated,
)

#: The events that travel, by name.
TRAVELLING: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        TaskAdded,
        TaskUpdated,
        TaskRemoved,
        ScheduleAdded,
        ScheduleUpdated,
        ScheduleRemoved,
        JobAdded,
        JobRemoved,
        JobReleased,
    )
}

_DATETIMES = {"timestamp", "next_fire_time", "scheduled_start", "started_at"}


def encode(event: Event) -> dict[str, Any] | None:
    """``event`` as JSON-ready data, or ``None`` for an event that does not travel."""
    if TRAVELLING.get(type(event).__name__) is not type(event):
        return None
    data: dict[str, Any] = {"event": type(event).__name__}
    for field in fields(event):
        value = getattr(event, field.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, UUID | JobOutcome):
            value = str(value.value if isinstance(value, JobOutcome) else value)
        data[field.name] = value
    return data


def decode(data: dict[str, Any]) -> Event:
    """The event ``data`` holds; raises ``ValueError`` (or ``KeyError``) if malformed."""
    cls = TRAVELLING.get(data["event"])
    if cls is None:
        raise ValueError(f"unknown event {data['event']!r}")
    values: dict[str, Any] = {}
    for field in fields(cls):
        if field.name not in data:
            continue
        value = data[field.name]
        if value is not None:
            if field.name in _DATETIMES:
                value = datetime.fromisoformat(value)
            elif field.name == "job_id":
                value = UUID(value)
            elif field.name == "outcome":
                value = JobOutcome(value)
        values[field.name] = value
    return cls(**values)


def dumps(events: list[dict[str, Any]]) -> str:
    """Encoded events as ASCII text (so that its length in bytes is its length)."""
    return json.dumps(events, ensure_ascii=True, separators=(",", ":"))
