"""Events: what data stores and schedulers publish when something changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from ._enums import JobOutcome
from ._structures import Job, JobResult, positional_builder, utcnow

__all__ = (
    "DataStoreEvent",
    "Event",
    "JobAcquired",
    "JobAdded",
    "JobDeserializationFailed",
    "JobReleased",
    "JobRemoved",
    "ScheduleAdded",
    "ScheduleDeserializationFailed",
    "ScheduleRemoved",
    "ScheduleUpdated",
    "SchedulerEvent",
    "SchedulerStarted",
    "SchedulerStopped",
    "TaskAdded",
    "TaskRemoved",
    "TaskUpdated",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base class of every event; ``timestamp`` is when it happened (UTC)."""

    timestamp: datetime = field(default_factory=utcnow)


@dataclass(frozen=True, slots=True, kw_only=True)
class DataStoreEvent(Event):
    """Base class of the events a data store publishes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskAdded(DataStoreEvent):
    """A task was added."""

    task_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskUpdated(DataStoreEvent):
    """A task was replaced by a new definition."""

    task_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskRemoved(DataStoreEvent):
    """A task was removed."""

    task_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleAdded(DataStoreEvent):
    """A schedule was added."""

    schedule_id: str
    task_id: str
    next_fire_time: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleUpdated(DataStoreEvent):
    """A schedule changed (replaced, paused, unpaused, or advanced by processing)."""

    schedule_id: str
    task_id: str
    next_fire_time: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleRemoved(DataStoreEvent):
    """A schedule was removed; ``finished`` when its trigger had no more fire times."""

    schedule_id: str
    task_id: str
    finished: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class JobAdded(DataStoreEvent):
    """A job was added and waits for a worker."""

    job_id: UUID
    task_id: str
    schedule_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class JobRemoved(DataStoreEvent):
    """A job was removed (after it finished)."""

    job_id: UUID
    task_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleDeserializationFailed(DataStoreEvent):
    """A stored schedule could not be read; it is skipped and kept as it is."""

    schedule_id: str
    exception: BaseException


@dataclass(frozen=True, slots=True, kw_only=True)
class JobDeserializationFailed(DataStoreEvent):
    """A stored job could not be read; it is skipped and kept as it is."""

    job_id: UUID
    exception: BaseException


@dataclass(frozen=True, slots=True, kw_only=True)
class SchedulerEvent(Event):
    """Base class of the events a scheduler publishes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SchedulerStarted(SchedulerEvent):
    """The scheduler started."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SchedulerStopped(SchedulerEvent):
    """The scheduler stopped; ``exception`` is what stopped it, if it crashed."""

    exception: BaseException | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JobAcquired(SchedulerEvent):
    """A scheduler took a job to run it."""

    job_id: UUID
    scheduler_id: str
    task_id: str
    schedule_id: str | None = None
    scheduled_start: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JobReleased(SchedulerEvent):
    """A job finished (or was given up), with its outcome."""

    job_id: UUID
    scheduler_id: str
    task_id: str
    outcome: JobOutcome
    schedule_id: str | None = None
    scheduled_start: datetime | None = None
    started_at: datetime | None = None
    exception_type: str | None = None
    exception_message: str | None = None
    exception_traceback: str | None = None
    #: What the job printed, when its scheduler captures job output (see
    #: ``AsyncScheduler.capture_job_output``); ``None`` otherwise.
    output: str | None = None

    @classmethod
    def for_result(
        cls,
        job: Job,
        result: JobResult,
        scheduler_id: str | None,
        *,
        output: str | None = None,
    ) -> JobReleased:
        """The event announcing ``result``, the way ``job`` ended."""
        error = result.exception
        values = (
            result.finished_at,  # its timestamp: when it happened, and no clock read
            job.id,
            scheduler_id or "",
            job.task_id,
            result.outcome,
            job.schedule_id,
            job.scheduled_start,
            result.started_at,
            None if error is None else type(error).__qualname__,
            None if error is None else str(error),
            result.traceback,
            output,
        )
        if cls is not JobReleased:  # a subclass may have fields of its own
            return cls(
                **dict(zip(JobReleased.__dataclass_fields__, values, strict=True))
            )
        return _build_job_released(*values)


# One is made per job: set its fields directly, without the keyword arguments of
# __init__, which cost about as much again as the setting.
_build_job_released = positional_builder(JobReleased)
#: JobAdded and ScheduleUpdated made from their field values in field order
#: (timestamp first): a store makes one of each per fire time.
new_job_added = positional_builder(JobAdded)
new_schedule_updated = positional_builder(ScheduleUpdated)
