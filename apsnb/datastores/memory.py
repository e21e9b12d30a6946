"""A data store that keeps everything in this process's memory (the default)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from copy import deepcopy
from datetime import datetime, timedelta
from typing import ClassVar
from uuid import UUID

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
from .._exceptions import (
    ConflictingIdError,
    InvalidSchedulerSetting,
    ScheduleLookupError,
    TaskLookupError,
)
from .._runs import DEFAULT_HISTORY_RETENTION, RunRecord, check_retention
from .._structures import Job, JobResult, Schedule, ScheduleResult, Task, utcnow
from ..abc import DataStore, EventBroker, _checked_update
from ._memory_jobs import JobTable
from ._memory_runs import RunLog
from ._memory_schedules import ScheduleTable

__all__ = ("MemoryDataStore",)

#: The most run records a MemoryDataStore keeps unless told otherwise.
DEFAULT_HISTORY_LIMIT = 100_000


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
        self, scheduler_id: str, lease_duration: timedelta, limit: int
    ) -> list[Schedule]:
        now = utcnow()
        with self._lock:
            acquired = self._schedules.acquire(
                scheduler_id, now, now + lease_duration, limit
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
        for result in results:
            schedule = self._schedules.release(scheduler_id, result)
            if schedule is None:
                continue
            for job in result.jobs:
                self._jobs.add(job.copy(acquired_by=None, acquired_until=None))
                events.append(
                    JobAdded(
                        job_id=job.id, task_id=job.task_id, schedule_id=job.schedule_id
                    )
                )
            if result.missed and self._runs.enabled:
                self._runs.add(result.missed)
            if result.next_fire_time is None:
                events.append(_removed(schedule, finished=True))
            else:
                events.append(
                    ScheduleUpdated(
                        schedule_id=schedule.id,
                        task_id=schedule.task_id,
                        next_fire_time=schedule.next_fire_time,
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

    # Jobs

    def add_job(self, job: Job) -> None:
        """Queue ``job``, unclaimed (the claim fields of ``job`` are ignored)."""
        with self._lock:
            if job.id in self._jobs.jobs:
                raise ValueError(f"a job with the id {job.id} exists already")
            self._jobs.add(job.copy(acquired_by=None, acquired_until=None))
        self._publish(
            [JobAdded(job_id=job.id, task_id=job.task_id, schedule_id=job.schedule_id)]
        )

    def get_jobs(self, ids: Iterable[UUID] | None = None) -> list[Job]:
        with self._lock:
            jobs = self._jobs.jobs.values() if ids is None else self._jobs.in_order(ids)
            return [job.copy() for job in jobs]

    def acquire_jobs(
        self,
        scheduler_id: str,
        lease_duration: timedelta,
        limit: int | None = None,
        *,
        skip_tasks: Collection[str] = (),
    ) -> list[Job]:
        now = utcnow()
        events: list[Event] = []
        with self._lock:
            acquired = self._acquire_jobs(
                scheduler_id, now, lease_duration, limit, skip_tasks, events
            )
        self._publish(events)
        return acquired

    def _acquire_jobs(
        self,
        scheduler_id: str,
        now: datetime,
        lease_duration: timedelta,
        limit: int | None,
        skip_tasks: Collection[str],
        events: list[Event],
    ) -> list[Job]:
        """Claim jobs under the lock, adding the events to publish to ``events``."""
        # A claim that ran out means its scheduler died mid-job (running jobs'
        # claims are renewed): the job is abandoned, never run a second time.
        # Not the caller's own: it is alive (its loop was blocked, say, by a
        # notebook cell) and its jobs run on.
        events += self._abandon_expired_claims(now, spare=scheduler_id)
        for job in self._jobs.waiting_past_deadline(now):
            events += self._give_up_job(
                job, JobOutcome.missed_start_deadline, now, scheduler_id
            )
        acquired: list[Job] = []
        acquired_until = now + lease_duration
        while limit is None or len(acquired) < limit:
            job = self._jobs.claim_next(scheduler_id, acquired_until, skip_tasks)
            if job is None:
                break
            acquired.append(job.copy())
        if skip_tasks:
            self._jobs.wake_skipped()
        return acquired

    def release_job(self, scheduler_id: str, job: Job, result: JobResult) -> None:
        """Record ``result`` and remove the job.

        Whoever ran the job may release it, even after another scheduler took over
        its expired claim: the first release wins and later ones are ignored, but a
        late result replaces the ``abandoned`` one of such a takeover.
        """
        self.release_jobs(scheduler_id, [(job, result)])

    def release_jobs(
        self, scheduler_id: str, results: Sequence[tuple[Job, JobResult]]
    ) -> None:
        events: list[Event] = []
        with self._lock:
            records = []
            for job, result in results:
                stored = self._jobs.jobs.get(job.id)
                if stored is not None:
                    self._jobs.finish(stored, result)
                    if self._runs.enabled:
                        records.append(
                            RunRecord.for_result(stored, result, scheduler_id)
                        )
                    events.append(JobRemoved(job_id=job.id, task_id=stored.task_id))
                else:
                    # Gone: taken over while it ran? Its late result is the real one.
                    self._jobs.replace_abandoned(job.id, result)
                    if self._runs.enabled:
                        self._runs.replace_abandoned(
                            RunRecord.for_result(job, result, scheduler_id)
                        )
            if records:
                self._runs.add(records)
        self._publish(events)

    def get_job_result(self, job_id: UUID) -> JobResult | None:
        with self._lock:
            result = self._jobs.pop_result(job_id)
        if result is None or result.expires_at <= utcnow():
            return None
        return result

    def get_runs(
        self,
        *,
        schedule_id: str | None = None,
        task_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        with self._lock:
            return self._runs.newest_first(
                schedule_id=schedule_id,
                task_id=task_id,
                since=since,
                until=until,
                limit=limit,
            )

    def extend_acquired_job_leases(
        self, scheduler_id: str, job_ids: set[UUID], duration: timedelta
    ) -> None:
        acquired_until = utcnow() + duration
        with self._lock:
            self._jobs.extend(scheduler_id, job_ids, acquired_until)

    def reap_abandoned_jobs(self, scheduler_id: str) -> None:
        now = utcnow()
        with self._lock:
            events = [
                event
                for job in self._jobs.claimed_by(scheduler_id)
                for event in self._give_up_job(
                    job, JobOutcome.abandoned, now, scheduler_id
                )
            ]
        self._publish(events)

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

    def _abandon_expired_claims(
        self, now: datetime, spare: str | None = None
    ) -> list[Event]:
        return [
            event
            for job in self._jobs.with_expired_claims(now)
            if job.acquired_by != spare
            for event in self._give_up_job(
                job, JobOutcome.abandoned, now, job.acquired_by
            )
        ]

    def _give_up_job(
        self, job: Job, outcome: JobOutcome, now: datetime, scheduler_id: str | None
    ) -> list[Event]:
        """Remove a job the store gives up on; return the events to publish.

        No scheduler runs such a job to announce how it ended, so the store sends
        the ``JobReleased`` a scheduler would have sent.
        """
        result = JobResult.from_job(job, outcome, finished_at=now)
        self._jobs.finish(job, result)
        if self._runs.enabled:
            self._runs.add([RunRecord.for_result(job, result, scheduler_id)])
        return [
            JobRemoved(job_id=job.id, task_id=job.task_id),
            JobReleased.for_result(job, result, scheduler_id),
        ]


def _removed(schedule: Schedule, *, finished: bool) -> ScheduleRemoved:
    return ScheduleRemoved(
        schedule_id=schedule.id, task_id=schedule.task_id, finished=finished
    )
