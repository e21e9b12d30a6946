"""What the data store conformance checks share: a started store, its events, the
steps most checks begin with, data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import anyio

from .._enums import ConflictPolicy, JobOutcome
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
from .._structures import Job, JobResult, Schedule, ScheduleResult, Task, utcnow
from ..abc import AsyncDataStore, DataStore
from ..datastores._thread_adapter import as_async_datastore
from ..eventbrokers.local import AsyncLocalEventBroker
from ..triggers.interval import IntervalTrigger

#: A lease no test outlives, and one that has ended by the time a test looks again.
LONG_LEASE = timedelta(minutes=5)
SHORT_LEASE = timedelta(milliseconds=1)
#: Longer than SHORT_LEASE, with room for a coarse clock.
LEASE_END_WAIT = 0.03


@dataclass
class RunningStore:
    """A started store (async interface) and the events it has published."""

    store: AsyncDataStore
    events: list[Event] = field(default_factory=list)

    async def new_events(self) -> list[tuple[Any, ...]]:
        """Return the events published since the last call, as comparable tuples."""
        # Events published from a worker thread reach this loop as callbacks.
        for _ in range(5):
            await anyio.sleep(0)
        events, self.events[:] = list(self.events), []
        return [summarize(event) for event in events]

    async def add_schedule(
        self, schedule_id: str, next_fire_time: datetime | None, **options: Any
    ) -> Schedule:
        """Add ``make_schedule(schedule_id, next_fire_time, **options)``, which must
        be new; return it."""
        schedule = make_schedule(schedule_id, next_fire_time, **options)
        await self.store.add_schedule(schedule, ConflictPolicy.exception)
        return schedule

    async def claim_schedule(
        self, schedule_id: str, next_fire_time: datetime, scheduler_id: str = "one"
    ) -> Schedule:
        """Add a new schedule due at ``next_fire_time`` and acquire it, the only
        schedule due, for ``scheduler_id``; return it as acquired."""
        await self.add_schedule(schedule_id, next_fire_time)
        [acquired] = await self.store.acquire_schedules(scheduler_id, LONG_LEASE, 10)
        assert acquired.id == schedule_id
        return acquired

    async def add_jobs(self, *jobs: Job) -> None:
        for job in jobs:
            await self.store.add_job(job)

    async def outcome(self, job: Job) -> JobOutcome | None:
        """The outcome of ``job``'s result (read, so no longer kept), or ``None``
        if there is none."""
        result = await self.store.get_job_result(job.id)
        return None if result is None else result.outcome

    async def claim(
        self, job: Job, scheduler_id: str = "one", lease: timedelta = LONG_LEASE
    ) -> Job:
        """Add ``job`` and acquire it, the only job free to take, for
        ``scheduler_id``; return it as acquired."""
        await self.store.add_job(job)
        [acquired] = await self.store.acquire_jobs(scheduler_id, lease)
        assert acquired.id == job.id
        return acquired


@asynccontextmanager
async def running(
    datastore: DataStore | AsyncDataStore, *tasks: Task
) -> AsyncIterator[RunningStore]:
    """Start ``datastore`` with a local broker, recording every event it publishes,
    and add ``tasks`` to it."""
    broker = AsyncLocalEventBroker()
    await broker.start()
    running_store = RunningStore(as_async_datastore(datastore))
    broker.subscribe(running_store.events.append)
    await running_store.store.start(broker)
    try:
        for task in tasks:
            await running_store.store.add_task(task)
        yield running_store
    finally:
        await running_store.store.stop()
        await broker.stop()


def summarize(event: Event) -> tuple[Any, ...]:
    """An event as ``(class name, the ids it names…)``, leaving out timestamps."""
    name = type(event).__name__
    match event:
        case TaskAdded() | TaskUpdated() | TaskRemoved():
            return name, event.task_id
        case ScheduleAdded() | ScheduleUpdated():
            return name, event.schedule_id
        case ScheduleRemoved():
            return name, event.schedule_id, event.finished
        case JobAdded() | JobRemoved():
            return name, event.job_id
        case JobReleased():
            return name, event.job_id, event.outcome
    return (name,)


def make_schedule(
    schedule_id: str,
    next_fire_time: datetime | None,
    *,
    task_id: str = "task",
    paused: bool = False,
) -> Schedule:
    """A schedule firing every minute from ``next_fire_time``."""
    start = next_fire_time or utcnow()
    trigger = IntervalTrigger(minutes=1, start_time=start)
    trigger.next()  # the scheduler advances a trigger past the fire time it stores
    return Schedule(
        id=schedule_id,
        task_id=task_id,
        trigger=trigger,
        paused=paused,
        next_fire_time=next_fire_time,
    )


def advanced(schedule: Schedule) -> ScheduleResult:
    """What processing ``schedule`` makes: its trigger moved one fire time on."""
    next_fire_time = schedule.trigger.next()
    return ScheduleResult(
        schedule_id=schedule.id,
        task_id=schedule.task_id,
        trigger=schedule.trigger,
        last_fire_time=schedule.next_fire_time,
        next_fire_time=next_fire_time,
    )


def finished(schedule: Schedule) -> ScheduleResult:
    """What processing ``schedule`` makes when its trigger has no more fire times."""
    return ScheduleResult(
        schedule_id=schedule.id,
        task_id=schedule.task_id,
        trigger=schedule.trigger,
        last_fire_time=schedule.next_fire_time,
        next_fire_time=None,
    )


def make_job(task_id: str = "task", **changes: Any) -> Job:
    """A job whose result is kept for a minute."""
    changes.setdefault("result_expiration_time", timedelta(minutes=1))
    return Job(task_id=task_id, **changes)


def success(job: Job, return_value: Any = None) -> JobResult:
    return JobResult.from_job(
        job, JobOutcome.success, started_at=utcnow(), return_value=return_value
    )


def ids(items: list[Any]) -> list[Any]:
    return [item.id for item in items]


def job_ids(jobs: list[Job]) -> list[UUID]:
    return [job.id for job in jobs]
