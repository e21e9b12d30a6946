"""A data store that keeps everything in this process's memory (the default)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from copy import deepcopy
from datetime import datetime, timedelta
from typing import ClassVar

from .._enums import ConflictPolicy
from .._events import (
    Event,
    ScheduleAdded,
    ScheduleRemoved,
    ScheduleUpdated,
    TaskAdded,
    TaskRemoved,
    TaskUpdated,
    new_job_added,
    new_schedule_updated,
)
from .._exceptions import (
    ConflictingIdError,
    InvalidSchedulerSetting,
    ScheduleLookupError,
    TaskLookupError,
)
from .._runs import DEFAULT_HISTORY_RETENTION, check_retention
from .._store_contract import _checked_update
from .._structures import Job, Schedule, ScheduleResult, Task, utcnow
from ..abc import DataStore, EventBroker
from ._memory_job_calls import JobCalls
from ._memory_jobs import JobTable
from ._memory_runs import RunLog
from ._memory_schedules import ScheduleTable

__all__ = ("MemoryDataStore",)

#: The most run records a MemoryDataStore keeps unless told otherwise.
DEFAULT_HISTORY_LIMIT = 100_000


class MemoryDataStore(JobCalls, DataStore):
    """Keeps tasks, schedules, jobs and job results in memory, without serializing.

    Fast (every operation costs O(log n) or less), thread safe, and shared by any
    number of schedulers in this process; everything is lost when the process (the
    notebook's kernel) ends. Data survives ``stop()``, so a scheduler can be stopped
    and started again on the same store.

    What goes in and out is copied, so assigning to a field of a task, schedule or job
    you passed in or got back never changes what is stored. Three things are shared
    rather than copied, to stay fast: the ``args``, ``kwargs`` and ``metadata``
    containers (don't mutate them in place), triggers, and the jobs of a schedule's
    result. A trigger passed to ``add_schedule()`` or ``release_schedules()`` belongs
    to the store afterwards, and so do the jobs of the results passed to
    ``release_schedules()`` (a scheduler makes them for the store, one per fire
    time); the trigger of a schedule returned by ``acquire_schedules()`` belongs to
    the claim's holder until it releases the schedule. ``get_schedules()`` returns
    copies of the triggers, so previewing their fire times is safe.

    :param history_retention: how long run records are kept (see :meth:`get_runs`);
        ``timedelta(0)`` keeps none, ``None`` keeps them all
    :param history_limit: the most run records kept, the newest (``None``: no
        limit): in memory, a job that runs every second would otherwise keep
        millions of records for its 30 days
    """

    #: The store's calls never block, so the async scheduler calls them directly on
    #: its event loop instead of in a worker thread.
    blocking: ClassVar[bool] = False

    def __init__(
        self,
        *,
        history_retention: timedelta | None = DEFAULT_HISTORY_RETENTION,
        history_limit: int | None = DEFAULT_HISTORY_LIMIT,
    ) -> None:
        # One lock for everything: each call is short, and taking several locks in
        # the right order would cost more than it saves.
        self._lock = threading.Lock()
        self._event_broker: EventBroker | None = None
        self._tasks: dict[str, Task] = {}
        self._schedules = ScheduleTable()
        self._jobs = JobTable(self._is_saturated)
        if history_limit is not None and (
            isinstance(history_limit, bool)
            or not isinstance(history_limit, int)
            or history_limit < 1
        ):
            raise InvalidSchedulerSetting(
                "history_limit", history_limit, "give a number of records (1 or more), "
                "or None for no limit",
            )  # fmt: skip
        self._runs = RunLog(check_retention(history_retention), history_limit)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(tasks={len(self._tasks)}, "
            f"schedules={len(self._schedules.schedules)}, "
            f"jobs={len(self._jobs.jobs)})"
        )

    def start(self, event_broker: EventBroker) -> None:
        self._event_broker = event_broker

    def stop(self, *, force: bool = False) -> None:
        self._event_broker = None

    # Tasks

    def add_task(self, task: Task) -> None:
        with self._lock:
            replacing = task.id in self._tasks
            self._tasks[task.id] = task.copy(running_jobs=0)
            # A higher max_running_jobs may let its waiting jobs run.
            self._jobs.wake(task.id)
        event = TaskUpdated if replacing else TaskAdded
        self._publish([event(task_id=task.id)])

    def remove_task(self, task_id: str) -> None:
        with self._lock:
            if self._tasks.pop(task_id, None) is None:
                raise TaskLookupError(task_id)
            self._jobs.wake(task_id)
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
        return task.copy(running_jobs=self._jobs.running_jobs.get(task.id, 0))

    def _is_saturated(self, task_id: str) -> bool:
        task = self._tasks.get(task_id)
        return (
            task is not None
            and task.max_running_jobs is not None
            and self._jobs.running_jobs.get(task_id, 0) >= task.max_running_jobs
        )

    # Schedules

    def get_schedules(self, ids: set[str] | None = None) -> list[Schedule]:
        with self._lock:
            stored = self._schedules.schedules
            chosen = stored.keys() if ids is None else stored.keys() & set(ids)
            schedules = [stored[id] for id in sorted(chosen)]
            return [s.copy(trigger=deepcopy(s.trigger)) for s in schedules]

    def add_schedule(self, schedule: Schedule, conflict_policy: ConflictPolicy) -> None:
        with self._lock:
            replacing = schedule.id in self._schedules.schedules
            if replacing:
                if conflict_policy is ConflictPolicy.do_nothing:
                    return
                if conflict_policy is ConflictPolicy.exception:
                    raise ConflictingIdError(schedule.id)
                self._schedules.delete(schedule.id)
            # The claim fields are kept as given: a paused copy of a claimed schedule
            # stays claimed, so its holder's release still applies to it.
            self._schedules.put(schedule.copy())
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

    def update_schedule(
        self, schedule_id: str, update: Callable[[Schedule], Schedule]
    ) -> Schedule:
        """Change a stored schedule in one step (see ``DataStore.update_schedule``)."""
        with self._lock:
            stored = self._schedules.schedules.get(schedule_id)
            if stored is None:
                raise ScheduleLookupError(schedule_id)
            current = stored.copy(trigger=deepcopy(stored.trigger))
            schedule = _checked_update(current, update).copy()
            self._schedules.delete(schedule_id)
            if schedule.next_fire_time is not None:
                self._schedules.put(schedule)
        if schedule.next_fire_time is None:
            event: Event = _removed(schedule, finished=True)
        else:
            event = ScheduleUpdated(
                schedule_id=schedule.id,
                task_id=schedule.task_id,
                next_fire_time=schedule.next_fire_time,
            )
        self._publish([event])
        return schedule.copy(trigger=deepcopy(schedule.trigger))

    def remove_schedules(self, ids: Iterable[str]) -> None:
        with self._lock:
            stored = self._schedules
            removed = [stored.delete(id) for id in ids if id in stored.schedules]
        self._publish([_removed(schedule, finished=False) for schedule in removed])

    def acquire_schedules(
        self,
        scheduler_id: str,
        lease_duration: timedelta,
        limit: int,
        *,
        due_by: datetime | None = None,
    ) -> list[Schedule]:
        now = utcnow()
        with self._lock:
            acquired = self._schedules.acquire(
                scheduler_id, max(now, due_by or now), now + lease_duration, limit
            )
            return [schedule.copy() for schedule in acquired]

    def release_schedules(
        self, scheduler_id: str, results: Sequence[ScheduleResult]
    ) -> None:
        with self._lock:
            events = self._release_schedules(scheduler_id, results)
        self._publish(events)

    def release_schedules_and_acquire_jobs(
        self,
        scheduler_id: str,
        results: Sequence[ScheduleResult],
        lease_duration: timedelta,
        limit: int,
        *,
        skip_tasks: Collection[str] = (),
    ) -> list[Job]:
        now = utcnow()
        with self._lock:
            events = self._release_schedules(scheduler_id, results)
            acquired = self._acquire_jobs(
                scheduler_id, now, lease_duration, limit, skip_tasks, events
            )
        self._publish(events)
        return acquired

    def _release_schedules(
        self, scheduler_id: str, results: Sequence[ScheduleResult]
    ) -> list[Event]:
        """Release schedules under the lock; return the events to publish."""
        events: list[Event] = []
        now = utcnow()  # one step: its events share a time (a clock read each costs)
        for result in results:
            schedule = self._schedules.release(scheduler_id, result)
            if schedule is None:
                continue
            for job in result.jobs:
                # The job is the store's now (see the class): kept as it is, unclaimed.
                job.acquired_by = job.acquired_until = None
                self._jobs.add(job)
                events.append(new_job_added(now, job.id, job.task_id, job.schedule_id))
            if result.missed and self._runs.enabled:
                self._runs.add(result.missed)
            if result.next_fire_time is None:
                events.append(_removed(schedule, finished=True))
            else:
                events.append(
                    new_schedule_updated(
                        now, schedule.id, schedule.task_id, schedule.next_fire_time
                    )
                )
        return events

    def get_next_schedule_run_time(self) -> datetime | None:
        """Return when the next unpaused schedule can be claimed.

        That is its next fire time, or the end of its claim if a scheduler holds it,
        so that no scheduler wakes up for a schedule it cannot take.
        """
        with self._lock:
            return self._schedules.next_run_time()

    def extend_acquired_schedule_leases(
        self, scheduler_id: str, schedule_ids: set[str], duration: timedelta
    ) -> None:
        acquired_until = utcnow() + duration
        with self._lock:
            self._schedules.extend(scheduler_id, schedule_ids, acquired_until)

    def cleanup(self, scheduler_id: str | None = None) -> None:
        now = utcnow()
        with self._lock:
            self._jobs.drop_expired_results(now)
            self._runs.prune(now)
            events = self._abandon_expired_claims(now, spare=scheduler_id)
            events += [
                _removed(self._schedules.delete(id), finished=True)
                for id in self._schedules.finished_ids()
            ]
        self._publish(events)


def _removed(schedule: Schedule, *, finished: bool) -> ScheduleRemoved:
    return ScheduleRemoved(
        schedule_id=schedule.id, task_id=schedule.task_id, finished=finished
    )
