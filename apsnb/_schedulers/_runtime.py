"""The scheduler's engine: the loops that turn due schedules into jobs and run them.

It runs inside one background task (see ``AsyncScheduler.start_in_background``) and
sleeps until something is due or a store event says something changed: no polling.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import anyio
from anyio.abc import TaskGroup

from .._enums import SchedulerRole
from .._events import (
    Event,
    JobAdded,
    ScheduleAdded,
    ScheduleDeserializationFailed,
    ScheduleRemoved,
    ScheduleUpdated,
    TaskAdded,
    TaskRemoved,
    TaskUpdated,
)
from .._exceptions import DataStoreError, UntrustedReference
from .._structures import Schedule, ScheduleResult, Task, utcnow
from ..datastores._thread_adapter import takes_due_by
from ._backoff import MAX_IDLE_SECONDS, Backoff, loop_backoff
from ._firing import jobs_for
from ._job_runner import JobRunner
from ._on_time import ClaimLead, due_now, until_due, wait_before
from ._task_view import TaskView, why_not_runnable
from ._wakeup import Wakeup

if TYPE_CHECKING:
    from .async_ import AsyncScheduler

# Tuples, not unions: on_event sees two events per fire time, and isinstance()
# checks a tuple faster than a union it builds at each call.
_SCHEDULE_CHANGES = (ScheduleAdded, ScheduleUpdated)
_TASK_CHANGES = (TaskAdded, TaskUpdated, TaskRemoved)

#: Seconds a scheduler lets new jobs gather before taking them from a store that it
#: calls in a worker thread (SQLite): a few ms of latency for far fewer round trips.
GATHER_DELAY = 0.002
#: Schedules taken from the store in one pass.
SCHEDULE_BATCH = 100
#: Seconds before a reading of the tasks ends that the schedules loop reads them
#: again, so that a fire time claimed ahead never waits for the tasks.
TASKS_READ_AHEAD = 0.1


class Runtime:
    """The loops of one running scheduler."""

    def __init__(self, scheduler: AsyncScheduler, logger: logging.Logger) -> None:
        self.scheduler = scheduler
        self.logger = logger
        self.schedules_changed = Wakeup()
        self.jobs_changed = Wakeup()
        #: Job slots reserved by a claim under way (see _reserved).
        self._claiming = 0
        self._next_wakeup: datetime | None = None
        # A store shared with other processes (SQLite) cannot tell us what they
        # change, so the loops look at it at least this often.
        poll = getattr(scheduler.data_store, "poll_interval", None)
        self.max_idle = (
            MAX_IDLE_SECONDS if poll is None else min(poll, MAX_IDLE_SECONDS)
        )
        self.tasks = TaskView(scheduler, logger, self.max_idle)
        self.jobs = JobRunner(scheduler, logger, self.tasks, self.jobs_changed)
        #: Schedules that cannot fire here, by id, and what each waits for: the id
        #: of a task whose function this process may not run (not bound here, not
        #: allowed), or a trigger class it may not read (see apsnb._trust).
        self.waiting: dict[str, str] = {}

    def on_event(self, event: Event) -> None:
        """Wake the loop that an event concerns (called on the scheduler's loop)."""
        if isinstance(event, _SCHEDULE_CHANGES):
            # Our own releases publish ScheduleUpdated too; wake only for earlier times.
            wakeup = self._next_wakeup
            fire_time = event.next_fire_time
            if fire_time is not None and (wakeup is None or fire_time < wakeup):
                self.schedules_changed.set()
        elif isinstance(event, JobAdded):
            if not self.tasks.knows(event.task_id):
                self.tasks.changed()
            self.jobs_changed.set()
        elif isinstance(event, _TASK_CHANGES):
            self.tasks.changed()
            if event.task_id in self.tasks.skip:
                self.jobs_changed.set()  # its jobs may be ours to run now
            if not isinstance(event, TaskAdded):
                self.scheduler._forget_task(event.task_id)
            if event.task_id in self.waiting.values():
                self.schedules_changed.set()  # its function may be here now
        elif isinstance(event, ScheduleDeserializationFailed):
            error = event.exception
            if isinstance(error, UntrustedReference):
                # The store said why (once); list it, to be seen and brought back.
                self.waiting[event.schedule_id] = error.reference
        elif isinstance(event, ScheduleRemoved):
            self.waiting.pop(event.schedule_id, None)

    async def run(self, task_group: TaskGroup) -> None:
        role = self.scheduler.role
        if role is not SchedulerRole.worker:
            task_group.start_soon(
                self._guarded, self.process_schedules, name="schedules"
            )
        if role is not SchedulerRole.scheduler:
            task_group.start_soon(self._guarded, self.process_jobs, name="jobs")
            task_group.start_soon(
                self._guarded, self.jobs.renew_leases, name="job leases"
            )
        task_group.start_soon(self._guarded, self.clean_up, name="cleanup")

    async def _guarded(self, loop: Callable[..., Any], *args: Any) -> None:
        """Run a loop, and run it again after an interrupt (a notebook cell's Ctrl-C)
        or a failure (a store that stays unreachable after its own retries): the
        scheduler keeps going, and says what went wrong. The loop is given the
        :class:`Backoff` to tell of its successes."""
        backoff = loop_backoff()
        while True:
            try:
                await loop(backoff, *args)
                return
            except KeyboardInterrupt:
                self.logger.warning(
                    "ignored an interrupt in the scheduler's %s loop", loop.__name__
                )
            except Exception:
                pause = backoff.failed()
                self.logger.exception(
                    "the scheduler's %s loop failed; trying again in %g s",
                    loop.__name__, pause,
                )  # fmt: skip
                await anyio.sleep(pause)

    async def process_schedules(self, backoff: Backoff) -> None:
        store = self.scheduler.data_store
        identity = self.scheduler.identity
        lease = self.scheduler.lease_duration
        # The claim is made about as long before a fire time as a claim takes, so
        # that only the release (with the jobs' claim) stands between the fire time
        # and the jobs' start: on a server, one round trip instead of two.
        lead = ClaimLead() if takes_due_by(store) else None
        while True:
            # Read the tasks now if due for it by the fire time, not in it.
            await self.tasks.refresh(within=TASKS_READ_AHEAD)
            if lead is None:
                schedules = await store.acquire_schedules(
                    identity, lease, SCHEDULE_BATCH
                )
            else:
                with lead.timing() as due_by:
                    schedules = await store.acquire_schedules(
                        identity, lease, SCHEDULE_BATCH, due_by=due_by
                    )
            if schedules:
                # Those due now fire now (a wait could take a job past its start
                # deadline); those claimed ahead, at their fire time.
                due, ahead = due_now(schedules)
                if due:
                    await self._fire_claimed(due)
                if ahead:
                    try:
                        await until_due(ahead)
                    except anyio.get_cancelled_exc_class():
                        # Stopping: the others may fire them, now rather than
                        # when this scheduler's claim would have run out.
                        with anyio.CancelScope(shield=True):
                            await self._give_back(ahead)
                        raise
                    await self._fire_claimed(ahead)
                if len(schedules) == SCHEDULE_BATCH:
                    continue  # more may be due
            next_time = await store.get_next_schedule_run_time()
            backoff.succeeded()
            self._next_wakeup = next_time
            await self._sleep_until(next_time, 0.0 if lead is None else lead.ahead)

    async def _sleep_until(self, next_time: datetime | None, ahead: float) -> None:
        """Sleep until ``ahead`` seconds before ``next_time``, the next poll, or a
        change that concerns the schedules loop."""
        if next_time is None:
            await self.schedules_changed.wait(self.max_idle)
            return
        delay = wait_before(next_time) - ahead
        if delay >= self.max_idle:
            await self.schedules_changed.wait(self.max_idle)
        elif not await self.schedules_changed.wait(max(0.0, delay)):
            # A long wait ends a little early (timer slack): wait out the rest here,
            # not with another look at the store.
            rest = (next_time - utcnow()).total_seconds() - ahead
            if rest > 0:
                await self.schedules_changed.wait(rest)

    async def _fire_claimed(self, schedules: list[Schedule]) -> None:
        """Fire claimed schedules and release them, even if the scheduler stops
        meanwhile: a claim dropped halfway would hold its schedules back from every
        other scheduler until it ran out. (The store calls are bounded by the
        store's own retries.)"""
        with anyio.CancelScope(shield=True):
            await self._fire(schedules)

    async def _give_back(self, schedules: list[Schedule]) -> None:
        """Release schedules claimed ahead of their fire time, unfired."""
        unchanged = [_unfired(schedule) for schedule in schedules]
        try:
            await self.scheduler.data_store.release_schedules(
                self.scheduler.identity, unchanged
            )
        except Exception:
            self.logger.exception(
                "could not hand back %d schedule(s) claimed ahead of their fire "
                "time; other schedulers take them when the claim runs out",
                len(schedules),
            )

    async def _fire(self, schedules: list[Any]) -> None:
        now = utcnow()
        results = []
        # Each task is looked up once per batch: a batch is mostly one task's schedules.
        runnable: dict[str, tuple[Task | None, bool]] = {}
        for schedule in schedules:
            looked_up = runnable.get(schedule.task_id)
            if looked_up is None:
                task = await self.tasks.get(schedule.task_id)
                looked_up = runnable[schedule.task_id] = (
                    task,
                    task is not None and self.scheduler._has_function(task),
                )
            task, has_function = looked_up
            if task is None or not has_function:
                # Keep the claim and fire nothing: a notebook function after a kernel
                # restart, or one this process may not import. Its fire times wait,
                # to follow the misfire rules once the function is bound (and
                # configure_task wakes this loop).
                self._hold(schedule.id, schedule.task_id, task)
                continue
            if self.waiting:
                self.waiting.pop(schedule.id, None)
            try:
                result = jobs_for(schedule, task, now, "threadpool")
            except Exception:
                # A trigger that raises (a custom one, MaxIterationsReached) finishes
                # its schedule rather than failing the loop for every schedule.
                self.logger.exception(
                    "the trigger of schedule %r raised; the schedule is finished "
                    "(the others go on)",
                    schedule.id,
                )
                result = _unfired(schedule, finished=True)
            results.append(result)
        # The store adds the jobs as it releases the schedules, in one step, and
        # hands back the ones this scheduler may start at once.
        try:
            await self._release_and_start(results)
        except DataStoreError:
            raise  # the store is out of reach: the loop pauses and tries again
        except Exception:
            # A result the store refuses (a trigger whose state it cannot store)
            # must not hold back the rest of the batch: release them one by one.
            await self._release_one_by_one(results)

    async def _release_and_start(self, results: list[ScheduleResult]) -> None:
        """Release fired schedules; claim and start their jobs in the same store call
        when this scheduler runs jobs and has room for them."""
        store = self.scheduler.data_store
        identity = self.scheduler.identity
        free = self._free_slots()
        if free <= 0 or not any(result.jobs for result in results):
            await store.release_schedules(identity, results)
            return
        with self._reserved(free):
            jobs = await store.release_schedules_and_acquire_jobs(
                identity,
                results,
                self.scheduler.lease_duration,
                free,
                skip_tasks=self.tasks.skip,
            )
        await self.jobs.start(jobs)

    @contextmanager
    def _reserved(self, slots: int) -> Iterator[None]:
        """Hold ``slots`` job slots while a claim is under way: the schedules loop
        and the jobs loop may both be claiming, and must not fill the same room."""
        self._claiming += slots
        try:
            yield
        finally:
            self._claiming -= slots

    def _free_slots(self) -> int:
        """How many more jobs this scheduler may claim now."""
        if self.jobs.draining or self.scheduler.role is SchedulerRole.scheduler:
            return 0
        return (
            self.scheduler.max_concurrent_jobs
            - len(self.jobs.running_jobs)
            + self.jobs.storing
            - self._claiming
        )

    async def _release_one_by_one(self, results: list[ScheduleResult]) -> None:
        store = self.scheduler.data_store
        for result in results:
            try:
                await store.release_schedules(self.scheduler.identity, [result])
            except DataStoreError:
                raise
            except Exception:
                self.logger.exception(
                    "schedule %r cannot be stored after firing (its trigger's state?); "
                    "it is removed, the others go on", result.schedule_id,
                )  # fmt: skip
                await store.remove_schedules({result.schedule_id})

    def _hold(self, schedule_id: str, task_id: str, task: Task | None) -> None:
        if self.waiting.get(schedule_id) == task_id:
            return
        reported = task_id in self.waiting.values()  # once per task, not schedule
        self.waiting[schedule_id] = task_id
        if reported:
            return
        if task is None:
            why = f"its task {task_id!r} is not in the store"
        else:
            why = str(why_not_runnable(task))
        self.logger.warning("schedule %r waits: %s", schedule_id, why)

    async def process_jobs(self, backoff: Backoff) -> None:
        try:
            await self._take_jobs(backoff)
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await self.jobs.stop()
            raise

    async def _take_jobs(self, backoff: Backoff) -> None:
        store = self.scheduler.data_store
        identity = self.scheduler.identity
        lease = self.scheduler.lease_duration
        # How long to let new jobs gather before taking them: nothing for a store
        # called on the loop (memory), a little for one called in a thread.
        gather_delay = 0.0 if getattr(store, "inline", True) else GATHER_DELAY
        while True:
            free = self._free_slots()
            jobs = []
            if free > 0:
                await self.tasks.refresh()
                skip = self.tasks.skip
                with self._reserved(free):
                    if skip:
                        jobs = await store.acquire_jobs(
                            identity, lease, free, skip_tasks=skip
                        )
                    else:  # as a store that predates skip_tasks takes it
                        jobs = await store.acquire_jobs(identity, lease, free)
            backoff.succeeded()
            await self.jobs.start(jobs)
            if jobs and len(jobs) == free:
                await self.jobs_changed.wait(None)  # full: a finished job wakes us
            else:
                # Fewer than asked for: nothing more can be taken now. A new job,
                # a finished one or the next poll wakes us (no second, empty look).
                await self.jobs_changed.wait(self.max_idle)
            if gather_delay:
                # A store in another thread costs a round trip per call: let jobs
                # added in a burst gather, to take them in one call.
                await anyio.sleep(gather_delay)

    async def clean_up(self, backoff: Backoff) -> None:
        interval = self.scheduler.cleanup_interval
        if interval is None:
            return
        while True:
            await anyio.sleep(interval.total_seconds())
            try:
                await self.scheduler.data_store.cleanup(self.scheduler.identity)
            except Exception:
                self.logger.exception(
                    "the data store's cleanup failed; trying again later"
                )


def _unfired(schedule: Schedule, *, finished: bool = False) -> ScheduleResult:
    """A result that releases a schedule with no jobs: as it was claimed, or
    ``finished`` (no next fire time, which ends it)."""
    return ScheduleResult(
        schedule_id=schedule.id,
        task_id=schedule.task_id,
        trigger=schedule.trigger,
        last_fire_time=schedule.last_fire_time,
        next_fire_time=None if finished else schedule.next_fire_time,
    )
