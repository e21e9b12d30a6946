"""A data store that keeps everything in this process's memory (the default)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from copy import deepcopy
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import count
from typing import ClassVar
from uuid import UUID

from .._enums import ConflictPolicy, JobOutcome
from .._events import (
    Event,
    JobAdded,
    JobRemoved,
    ScheduleAdded,
    ScheduleRemoved,
    ScheduleUpdated,
    TaskAdded,
    TaskRemoved,
    TaskUpdated,
)
from .._exceptions import ConflictingIdError, TaskLookupError
from .._structures import Job, JobResult, Schedule, ScheduleResult, Task, utcnow
from ..abc import DataStore, EventBroker
from ._indexes import JobQueue, TimeHeap, instant

__all__ = ("MemoryDataStore",)


class MemoryDataStore(DataStore):
    """Keeps tasks, schedules, jobs and job results in memory, without serializing.

    Fast (every operation costs O(log n) or less), thread safe, and shared by any
    number of schedulers in this process; everything is lost when the process (the
    notebook's kernel) ends. Data survives ``stop()``, so a scheduler can be stopped
    and started again on the same store.

    What goes in and out is copied, so assigning to a field of a task, schedule or job
    you passed in or got back never changes what is stored. Two things are shared
    rather than copied, to stay fast: the ``args``, ``kwargs`` and ``metadata``
    containers (don't mutate them in place), and triggers. A trigger passed to
    ``add_schedule()`` or ``release_schedules()`` belongs to the store afterwards; the
    trigger of a schedule returned by ``acquire_schedules()`` belongs to the claim's
    holder until it releases the schedule. ``get_schedules()`` returns copies of the
    triggers, so previewing their fire times is safe.
    """

    #: The store's calls never block, so the async scheduler calls them directly on
    #: its event loop instead of in a worker thread.
    blocking: ClassVar[bool] = False

    def __init__(self) -> None:
        # One lock for everything: each call is short, and taking several locks in
        # the right order would cost more than it saves.
        self._lock = threading.Lock()
        self._event_broker: EventBroker | None = None
        self._tasks: dict[str, Task] = {}
        self._running_jobs: dict[str, int] = {}  # by task id
        self._schedules: dict[str, Schedule] = {}
        # When each unpaused, unfinished schedule can next be claimed: its next fire
        # time, or the end of its claim if that is later.
        self._schedule_times: TimeHeap[str] = TimeHeap()
        self._claimed_schedule_ids: dict[str, set[str]] = {}  # by scheduler id
        self._finished_schedule_ids: set[str] = set()
        self._jobs: dict[UUID, Job] = {}  # in the order they were added
        self._job_order: dict[UUID, int] = {}
        self._job_counter = count()
        self._waiting_jobs = JobQueue()
        self._job_deadlines: TimeHeap[UUID] = TimeHeap()  # waiting jobs only
        self._job_leases: TimeHeap[UUID] = TimeHeap()  # claimed jobs only
        self._claimed_job_ids: dict[str, set[UUID]] = {}  # by scheduler id
        self._job_results: dict[UUID, JobResult] = {}
        self._result_expiry: TimeHeap[UUID] = TimeHeap()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(tasks={len(self._tasks)}, "
            f"schedules={len(self._schedules)}, jobs={len(self._jobs)})"
        )

    def start(self, event_broker: EventBroker) -> None:
        self._event_broker = event_broker

    def stop(self, *, force: bool = False) -> None:
        self._event_broker = None

    def _publish(self, events: list[Event]) -> None:
        # Called without the lock held: a subscriber may call back into the store.
        broker = self._event_broker
        if broker is not None:
            for event in events:
                broker.publish(event)

    # Tasks

    def add_task(self, task: Task) -> None:
        with self._lock:
            replacing = task.id in self._tasks
            self._tasks[task.id] = replace(task, running_jobs=0)
            # A higher max_running_jobs may let its waiting jobs run.
            self._waiting_jobs.wake(task.id)
        event = TaskUpdated if replacing else TaskAdded
        self._publish([event(task_id=task.id)])

    def remove_task(self, task_id: str) -> None:
        with self._lock:
            if self._tasks.pop(task_id, None) is None:
                raise TaskLookupError(task_id)
            self._waiting_jobs.wake(task_id)
        self._publish([TaskRemoved(task_id=task_id)])

    def get_task(self, task_id: str) -> Task:
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                raise TaskLookupError(task_id)
            return self._copy_task(task)

    def get_tasks(self) -> list[Task]:
        with self._lock:
            return [self._copy_task(self._tasks[id]) for id in sorted(self._tasks)]

    def _copy_task(self, task: Task) -> Task:
        return replace(task, running_jobs=self._running_jobs.get(task.id, 0))

    def _is_saturated(self, task_id: str) -> bool:
        task = self._tasks.get(task_id)
        return (
            task is not None
            and task.max_running_jobs is not None
            and self._running_jobs.get(task_id, 0) >= task.max_running_jobs
        )

    # Schedules

    def get_schedules(self, ids: set[str] | None = None) -> list[Schedule]:
        with self._lock:
            chosen = (
                self._schedules.keys() if ids is None else ids & self._schedules.keys()
            )
            schedules = [self._schedules[id] for id in sorted(chosen)]
            return [replace(s, trigger=deepcopy(s.trigger)) for s in schedules]

    def add_schedule(self, schedule: Schedule, conflict_policy: ConflictPolicy) -> None:
        with self._lock:
            replacing = schedule.id in self._schedules
            if replacing:
                if conflict_policy is ConflictPolicy.do_nothing:
                    return
                if conflict_policy is ConflictPolicy.exception:
                    raise ConflictingIdError(schedule.id)
                self._delete_schedule(schedule.id)
            # The claim fields are kept as given: a paused copy of a claimed schedule
            # stays claimed, so its holder's release still applies to it.
            self._store_schedule(replace(schedule))
        event = ScheduleUpdated if replacing else ScheduleAdded
        self._publish(
            [
                event(
                    schedule_id=schedule.id,
                    task_id=schedule.task_id,
                    next_fire_time=schedule.next_fire_time,
                )
            ]
        )

    def remove_schedules(self, ids: Iterable[str]) -> None:
        with self._lock:
            removed = [self._delete_schedule(id) for id in ids if id in self._schedules]
        self._publish(
            [
                ScheduleRemoved(schedule_id=s.id, task_id=s.task_id, finished=False)
                for s in removed
            ]
        )

    def acquire_schedules(
        self, scheduler_id: str, lease_duration: timedelta, limit: int
    ) -> list[Schedule]:
        now = utcnow()
        now_us = instant(now)
        with self._lock:
            # Schedules this scheduler holds already may be claimed again at once.
            held = [
                schedule
                for id in self._claimed_schedule_ids.get(scheduler_id, ())
                if _is_due(schedule := self._schedules[id], now_us)
            ]
            candidates = sorted(held, key=_fire_order)[:limit]
            popped: list[Schedule] = []
            if limit > 0:
                for _, id in self._schedule_times.pop_until(now_us):
                    popped.append(self._schedules[id])
                    if len(popped) == limit:
                        break
            held_ids = {s.id for s in candidates}
            candidates += [s for s in popped if s.id not in held_ids]
            candidates = sorted(candidates, key=_fire_order)[:limit]
            acquired_until = now + lease_duration
            for schedule in candidates:
                if schedule.acquired_by not in (None, scheduler_id):
                    # Taking over an expired claim: the old holder may still have the
                    # trigger object, so it gets its own.
                    schedule.trigger = deepcopy(schedule.trigger)
                self._unclaim_schedule(schedule)
                schedule.acquired_by = scheduler_id
                schedule.acquired_until = acquired_until
                self._claimed_schedule_ids.setdefault(scheduler_id, set()).add(
                    schedule.id
                )
                self._index_schedule(schedule)
            chosen_ids = {s.id for s in candidates}
            for schedule in popped:  # those left out by the limit go back
                if schedule.id not in chosen_ids:
                    self._index_schedule(schedule)
            return [replace(schedule) for schedule in candidates]

    def release_schedules(
        self, scheduler_id: str, results: Sequence[ScheduleResult]
    ) -> None:
        events: list[Event] = []
        with self._lock:
            for result in results:
                schedule = self._schedules.get(result.schedule_id)
                if schedule is None or schedule.acquired_by != scheduler_id:
                    continue  # removed, replaced or taken over meanwhile
                if result.next_fire_time is None:
                    self._delete_schedule(schedule.id)
                    events.append(
                        ScheduleRemoved(
                            schedule_id=schedule.id,
                            task_id=schedule.task_id,
                            finished=True,
                        )
                    )
                    continue
                self._unclaim_schedule(schedule)
                schedule.trigger = result.trigger
                schedule.last_fire_time = result.last_fire_time
                schedule.next_fire_time = result.next_fire_time
                self._index_schedule(schedule)
                events.append(
                    ScheduleUpdated(
                        schedule_id=schedule.id,
                        task_id=schedule.task_id,
                        next_fire_time=schedule.next_fire_time,
                    )
                )
        self._publish(events)

    def get_next_schedule_run_time(self) -> datetime | None:
        """Return when the next unpaused schedule can be claimed.

        That is its next fire time, or the end of its claim if another scheduler
        claimed it, so that no scheduler wakes up for a schedule it cannot take.
        """
        with self._lock:
            first = self._schedule_times.peek()
            if first is None:
                return None
            schedule = self._schedules[first[1]]
            assert schedule.next_fire_time is not None
            if schedule.acquired_until is None:
                return schedule.next_fire_time
            return max(schedule.next_fire_time, schedule.acquired_until)

    def extend_acquired_schedule_leases(
        self, scheduler_id: str, schedule_ids: set[str], duration: timedelta
    ) -> None:
        acquired_until = utcnow() + duration
        with self._lock:
            for id in schedule_ids & self._claimed_schedule_ids.get(
                scheduler_id, set()
            ):
                schedule = self._schedules[id]
                schedule.acquired_until = acquired_until
                self._index_schedule(schedule)

    def _store_schedule(self, schedule: Schedule) -> None:
        self._schedules[schedule.id] = schedule
        if schedule.acquired_by is not None:
            self._claimed_schedule_ids.setdefault(schedule.acquired_by, set()).add(
                schedule.id
            )
        if schedule.next_fire_time is None:
            self._finished_schedule_ids.add(schedule.id)
        self._index_schedule(schedule)

    def _delete_schedule(self, schedule_id: str) -> Schedule:
        schedule = self._schedules.pop(schedule_id)
        self._unclaim_schedule(schedule)
        self._schedule_times.discard(schedule_id)
        self._finished_schedule_ids.discard(schedule_id)
        return schedule

    def _unclaim_schedule(self, schedule: Schedule) -> None:
        if schedule.acquired_by is not None:
            held = self._claimed_schedule_ids[schedule.acquired_by]
            held.discard(schedule.id)
            if not held:
                del self._claimed_schedule_ids[schedule.acquired_by]
        schedule.acquired_by = schedule.acquired_until = None

    def _index_schedule(self, schedule: Schedule) -> None:
        """Put the schedule in the heap at the time it can be claimed next, if ever."""
        if schedule.paused or schedule.next_fire_time is None:
            self._schedule_times.discard(schedule.id)
            return
        time = instant(schedule.next_fire_time)
        if schedule.acquired_until is not None:
            # A claim ends when now > acquired_until.
            time = max(time, instant(schedule.acquired_until) + 1)
        self._schedule_times.set(schedule.id, time)

    # Jobs

    def add_job(self, job: Job) -> None:
        """Queue ``job``, unclaimed (the claim fields of ``job`` are ignored)."""
        with self._lock:
            if job.id in self._jobs:
                raise ValueError(f"a job with the id {job.id} exists already")
            job = replace(job, acquired_by=None, acquired_until=None)
            self._jobs[job.id] = job
            self._job_order[job.id] = next(self._job_counter)
            self._queue_job(job)
        self._publish(
            [JobAdded(job_id=job.id, task_id=job.task_id, schedule_id=job.schedule_id)]
        )

    def get_jobs(self, ids: Iterable[UUID] | None = None) -> list[Job]:
        with self._lock:
            if ids is None:
                return [replace(job) for job in self._jobs.values()]
            found = {id for id in ids if id in self._jobs}
            return [
                replace(self._jobs[id]) for id in sorted(found, key=self._job_order.get)
            ]

    def acquire_jobs(
        self, scheduler_id: str, lease_duration: timedelta, limit: int | None = None
    ) -> list[Job]:
        now = utcnow()
        now_us = instant(now)
        events: list[Event] = []
        acquired: list[Job] = []
        with self._lock:
            # Jobs whose claim ended (now > acquired_until) wait in their old place.
            for _, id in self._job_leases.pop_until(now_us - 1):
                job = self._jobs[id]
                self._unclaim_job(job)
                self._queue_job(job)
            for _, id in self._job_deadlines.pop_until(now_us - 1):
                job = self._jobs[id]
                result = JobResult.from_job(
                    job, JobOutcome.missed_start_deadline, finished_at=now
                )
                events.append(self._finish_job(job, result))
            acquired_until = now + lease_duration
            while limit is None or len(acquired) < limit:
                id = self._waiting_jobs.pop(self._is_saturated)
                if id is None:
                    break
                job = self._jobs.get(id)
                if job is None or job.acquired_by is not None:
                    continue  # released or claimed since it was queued
                job.acquired_by = scheduler_id
                job.acquired_until = acquired_until
                self._job_deadlines.discard(id)
                self._job_leases.set(id, instant(acquired_until))
                self._claimed_job_ids.setdefault(scheduler_id, set()).add(id)
                self._running_jobs[job.task_id] = (
                    self._running_jobs.get(job.task_id, 0) + 1
                )
                acquired.append(replace(job))
        self._publish(events)
        return acquired

    def release_job(self, scheduler_id: str, job: Job, result: JobResult) -> None:
        """Record ``result`` and remove the job.

        Whoever ran the job may release it, even after another scheduler took over
        its expired claim; the first release wins and later ones are ignored.
        """
        with self._lock:
            stored = self._jobs.get(job.id)
            if stored is None:
                return
            event = self._finish_job(stored, result)
        self._publish([event])

    def get_job_result(self, job_id: UUID) -> JobResult | None:
        with self._lock:
            result = self._job_results.pop(job_id, None)
            self._result_expiry.discard(job_id)
        if result is None or result.expires_at <= utcnow():
            return None
        return result

    def extend_acquired_job_leases(
        self, scheduler_id: str, job_ids: set[UUID], duration: timedelta
    ) -> None:
        acquired_until = utcnow() + duration
        with self._lock:
            for id in job_ids & self._claimed_job_ids.get(scheduler_id, set()):
                self._jobs[id].acquired_until = acquired_until
                self._job_leases.set(id, instant(acquired_until))

    def reap_abandoned_jobs(self, scheduler_id: str) -> None:
        now = utcnow()
        with self._lock:
            jobs = [
                self._jobs[id] for id in self._claimed_job_ids.get(scheduler_id, ())
            ]
            events = [
                self._finish_job(
                    job, JobResult.from_job(job, JobOutcome.abandoned, finished_at=now)
                )
                for job in sorted(jobs, key=lambda job: self._job_order[job.id])
            ]
        self._publish(events)

    def cleanup(self) -> None:
        now = utcnow()
        now_us = instant(now)
        events: list[Event] = []
        with self._lock:
            for _, id in self._result_expiry.pop_until(now_us):
                del self._job_results[id]
            for _, id in self._job_leases.pop_until(now_us - 1):
                job = self._jobs[id]
                result = JobResult.from_job(job, JobOutcome.abandoned, finished_at=now)
                events.append(self._finish_job(job, result))
            for id in sorted(self._finished_schedule_ids):
                schedule = self._delete_schedule(id)
                events.append(
                    ScheduleRemoved(
                        schedule_id=id, task_id=schedule.task_id, finished=True
                    )
                )
        self._publish(events)

    def _queue_job(self, job: Job) -> None:
        self._waiting_jobs.push(job.task_id, self._job_order[job.id], job.id)
        if job.start_deadline is not None:
            self._job_deadlines.set(job.id, instant(job.start_deadline))

    def _unclaim_job(self, job: Job) -> None:
        if job.acquired_by is None:
            return
        held = self._claimed_job_ids[job.acquired_by]
        held.discard(job.id)
        if not held:
            del self._claimed_job_ids[job.acquired_by]
        job.acquired_by = job.acquired_until = None
        self._job_leases.discard(job.id)
        running = self._running_jobs[job.task_id] - 1
        if running:
            self._running_jobs[job.task_id] = running
        else:
            del self._running_jobs[job.task_id]
        self._waiting_jobs.wake(job.task_id)

    def _finish_job(self, job: Job, result: JobResult) -> JobRemoved:
        """Remove a job, keep its result until it expires; return the event to send."""
        self._unclaim_job(job)
        del self._jobs[job.id]
        del self._job_order[job.id]
        self._job_deadlines.discard(job.id)
        if result.expires_at > result.finished_at:
            self._job_results[job.id] = result
            self._result_expiry.set(job.id, instant(result.expires_at))
        return JobRemoved(job_id=job.id, task_id=job.task_id)


def _is_due(schedule: Schedule, now_us: int) -> bool:
    return (
        not schedule.paused
        and schedule.next_fire_time is not None
        and instant(schedule.next_fire_time) <= now_us
    )


def _fire_order(schedule: Schedule) -> tuple[int, str]:
    assert schedule.next_fire_time is not None
    return instant(schedule.next_fire_time), schedule.id
