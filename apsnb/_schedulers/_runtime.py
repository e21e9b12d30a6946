"""The scheduler's engine: the loops that turn due schedules into jobs and run them.

It runs inside one background task (see ``AsyncScheduler.start_in_background``) and
sleeps until something is due or a store event says something changed: no polling.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import anyio
from anyio.abc import TaskGroup

from .._enums import JobOutcome, RunState, SchedulerRole
from .._events import (
    Event,
    JobAcquired,
    JobAdded,
    JobReleased,
    ScheduleAdded,
    ScheduleDeserializationFailed,
    ScheduleRemoved,
    ScheduleUpdated,
    TaskAdded,
    TaskRemoved,
    TaskUpdated,
)
from .._exceptions import (
    DataStoreError,
    TaskFunctionMissing,
    TaskLookupError,
    UntrustedReference,
)
from .._structures import Job, JobResult, Schedule, ScheduleResult, Task, utcnow
from ._backoff import Backoff
from ._firing import jobs_for
from ._output import JobOutput, job_traceback

if TYPE_CHECKING:
    from .async_ import AsyncScheduler

#: Seconds a scheduler lets new jobs gather before taking them from a store that it
#: calls in a worker thread (SQLite): a few ms of latency for far fewer round trips.
GATHER_DELAY = 0.002
#: Schedules taken from the store in one pass.
SCHEDULE_BATCH = 100
#: The longest the loops sleep without looking at the store: a safety net for stores
#: shared with other processes that publish no events here (SQLite).
MAX_IDLE = timedelta(seconds=60)
#: Linux may end a timed wait late by 0.1% of its length (timer slack, 1 ms for a
#: one-second wait), so a long wait for a fire time ends this share early and the
#: loop waits out the few milliseconds left, which end within the millisecond.
EARLY_WAKE_SHARE = 0.002
#: Waits shorter than this get at most the kernel's fixed 50 µs slack: no early wake.
EARLY_WAKE_MIN_SECONDS = 0.05
#: The first pause of a loop after a failure (a store that stays unreachable after its
#: own retries); pauses double up to MAX_IDLE, and start again here after a success.
FIRST_PAUSE = 1.0


class Wakeup:
    """A flag a loop sleeps on, set by events from any thread of the loop's callbacks."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = anyio.Event()

    def set(self) -> None:
        self._event.set()

    async def wait(self, timeout: float | None) -> bool:
        """Sleep until set or ``timeout`` seconds pass; then clear. Return whether
        it was set."""
        if not self._event.is_set():
            with anyio.move_on_after(timeout):
                await self._event.wait()
        woken = self._event.is_set()
        self._event = anyio.Event()
        return woken


class Runtime:
    """The loops of one running scheduler."""

    def __init__(self, scheduler: AsyncScheduler, logger: logging.Logger) -> None:
        self.scheduler = scheduler
        self.logger = logger
        self.schedules_changed = Wakeup()
        self.jobs_changed = Wakeup()
        self.running_jobs: set[Any] = set()
        #: Set by a stop with a grace period: running jobs finish, no new ones start.
        self.draining = False
        #: What captured jobs printed, until their release is announced.
        self._outputs: dict[Any, str | None] = {}
        #: The tasks of the running jobs (see _start_job).
        self._job_tasks: set[asyncio.Task[None]] = set()
        #: Finished jobs waiting to be released, and the task releasing them.
        self._releases: list[tuple[Job, JobResult]] = []
        self._releasing: asyncio.Task[None] | None = None
        self._release_backoff = self._backoff()
        #: Jobs whose result a ``run_job`` call waits for, and those results as they
        #: were in memory (with the exception and return value a store may not keep).
        self.awaited: set[Any] = set()
        self.local_results: dict[Any, JobResult] = {}
        #: Set when a job is taken, so the lease loop sleeps while none runs.
        self.jobs_taken = Wakeup()
        #: Tasks whose jobs this process may not run (function not bound here, or
        #: not allowed): their jobs stay in the store for a scheduler that can.
        #: Sorted out from the store's tasks when a task event, a job of a task not
        #: seen yet or an idle poll says they may have changed, not per job.
        self.skip_tasks: set[str] = set()
        self._known_tasks: set[str] = set()
        self._skip_reported: set[str] = set()
        self._tasks_changed = True
        #: Job slots reserved by a claim under way (see _free_slots).
        self._claiming = 0
        self._next_wakeup: datetime | None = None
        # A store shared with other processes (SQLite) cannot tell us what they
        # change, so the loops look at it at least this often.
        poll = getattr(scheduler.data_store, "poll_interval", None)
        self.max_idle = (
            MAX_IDLE.total_seconds()
            if poll is None
            else min(poll, MAX_IDLE.total_seconds())
        )
        #: Schedules that cannot fire here, by id, and what each waits for: the id
        #: of a task whose function this process may not run (not bound here, not
        #: allowed), or a trigger class it may not read (see apsnb._trust).
        self.waiting: dict[str, str] = {}

    def on_event(self, event: Event) -> None:
        """Wake the loop that an event concerns (called on the scheduler's loop)."""
        if isinstance(event, ScheduleAdded | ScheduleUpdated):
            # Our own releases publish ScheduleUpdated too; wake only for earlier times.
            wakeup = self._next_wakeup
            fire_time = event.next_fire_time
            if fire_time is not None and (wakeup is None or fire_time < wakeup):
                self.schedules_changed.set()
        elif isinstance(event, JobAdded):
            if event.task_id not in self._known_tasks:
                self._tasks_changed = True
            self.jobs_changed.set()
        elif isinstance(event, TaskAdded | TaskUpdated | TaskRemoved):
            self._tasks_changed = True
            if event.task_id in self.skip_tasks:
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
                self._guarded, self.extend_job_leases, name="job leases"
            )
        task_group.start_soon(self._guarded, self.clean_up, name="cleanup")

    def _backoff(self) -> Backoff:
        return Backoff(FIRST_PAUSE, MAX_IDLE.total_seconds())

    async def _guarded(self, loop: Callable[..., Any], *args: Any) -> None:
        """Run a loop, and run it again after an interrupt (a notebook cell's Ctrl-C)
        or a failure (a store that stays unreachable after its own retries): the
        scheduler keeps going, and says what went wrong. The loop is given the
        :class:`Backoff` to tell of its successes."""
        backoff = self._backoff()
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
        while True:
            schedules = await store.acquire_schedules(identity, lease, SCHEDULE_BATCH)
            if schedules:
                await self._fire(schedules)
                if len(schedules) == SCHEDULE_BATCH:
                    continue  # more may be due
            next_time = await store.get_next_schedule_run_time()
            backoff.succeeded()
            self._next_wakeup = next_time
            delay = self.max_idle
            if next_time is not None:
                delay = min(delay, _wait_before(next_time))
            await self.schedules_changed.wait(delay)

    async def _fire(self, schedules: list[Any]) -> None:
        store = self.scheduler.data_store
        now = utcnow()
        tasks: dict[str, Task | None] = {}
        results = []
        for schedule in schedules:
            if schedule.task_id not in tasks:
                try:
                    tasks[schedule.task_id] = await store.get_task(schedule.task_id)
                except TaskLookupError:
                    tasks[schedule.task_id] = None
            task = tasks[schedule.task_id]
            if task is None or not self.scheduler._has_function(task):
                # Keep the claim and fire nothing: a notebook function after a kernel
                # restart, or one this process may not import. Its fire times wait,
                # to follow the misfire rules once the function is bound (and
                # configure_task wakes this loop).
                self._hold(schedule.id, schedule.task_id, task)
                continue
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
                result = _finished(schedule)
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
        if self._tasks_changed:
            await self._sort_tasks()
        self._claiming += free  # the jobs loop may claim meanwhile: not the same room
        try:
            jobs = await store.release_schedules_and_acquire_jobs(
                identity,
                results,
                self.scheduler.lease_duration,
                free,
                skip_tasks=self.skip_tasks,
            )
        finally:
            self._claiming -= free
        await self._start_jobs(jobs)

    def _free_slots(self) -> int:
        """How many more jobs this scheduler may claim now."""
        if self.draining or self.scheduler.role is SchedulerRole.scheduler:
            return 0
        return (
            self.scheduler.max_concurrent_jobs
            - len(self.running_jobs)
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
        elif task.func is None:
            why = str(TaskFunctionMissing(task_id))
        else:
            why = str(UntrustedReference("task function", task.func))
        self.logger.warning("schedule %r waits: %s", schedule_id, why)

    async def process_jobs(self, backoff: Backoff) -> None:
        try:
            await self._take_jobs(backoff)
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await self._stop_jobs()
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
            if free > 0 and self._tasks_changed:
                await self._sort_tasks()
            jobs = []
            if free > 0:
                self._claiming += free
                try:
                    if self.skip_tasks:
                        jobs = await store.acquire_jobs(
                            identity, lease, free, skip_tasks=self.skip_tasks
                        )
                    else:  # as a store that predates skip_tasks takes it
                        jobs = await store.acquire_jobs(identity, lease, free)
                finally:
                    self._claiming -= free
            backoff.succeeded()
            await self._start_jobs(jobs)
            if jobs and len(jobs) == free:
                await self.jobs_changed.wait(None)  # full: a finished job wakes us
            else:
                # Fewer than asked for: nothing more can be taken now. A new job,
                # a finished one or the next poll wakes us (no second, empty look).
                if not await self.jobs_changed.wait(self.max_idle):
                    self._tasks_changed = True  # another process may have added some
            if gather_delay:
                # A store in another thread costs a round trip per call: let jobs
                # added in a burst gather, to take them in one call.
                await anyio.sleep(gather_delay)

    async def _sort_tasks(self) -> None:
        """Find the tasks whose jobs this process may not run (see skip_tasks)."""
        self._tasks_changed = False
        tasks = await self.scheduler.data_store.get_tasks()
        self._known_tasks = {task.id for task in tasks}
        has_function = self.scheduler._has_function
        self.skip_tasks = {task.id for task in tasks if not has_function(task)}
        for task in tasks:
            if task.id in self.skip_tasks and task.id not in self._skip_reported:
                self._skip_reported.add(task.id)
                why = (
                    TaskFunctionMissing(task.id)
                    if task.func is None
                    else UntrustedReference("task function", task.func)
                )
                self.logger.warning(
                    "jobs of task %r are left for a scheduler that can run them: %s",
                    task.id, why,
                )  # fmt: skip

    async def _start_jobs(self, jobs: list[Job]) -> None:
        """Start claimed jobs, each in a task of its own."""
        if not jobs:
            return
        self.jobs_taken.set()
        identity = self.scheduler.identity
        publish = self.scheduler.event_broker.publish_local
        for job in jobs:
            self.running_jobs.add(job.id)
            await publish(
                JobAcquired(
                    job_id=job.id,
                    scheduler_id=identity,
                    task_id=job.task_id,
                    schedule_id=job.schedule_id,
                    scheduled_start=job.scheduled_start,
                )
            )
            self._start_job(job)

    def _start_job(self, job: Job) -> None:
        # A plain asyncio task per job: a task group's costs five times as much to
        # start (a fifth of a trivial job's cost), and _stop_jobs gives jobs the one
        # thing it would add, being cancelled and waited for when the scheduler stops.
        # (One name for all: formatting each job's id into it would cost a µs a job.)
        task = asyncio.get_running_loop().create_task(
            self.run_job(job), name="apsnb job"
        )
        self._job_tasks.add(task)
        task.add_done_callback(self._job_tasks.discard)

    async def drain(self, seconds: float) -> None:
        """Take no more jobs; wait up to ``seconds`` for the running ones to end."""
        self.draining = True
        with anyio.move_on_after(seconds):
            while self._job_tasks:
                await asyncio.wait(set(self._job_tasks))

    async def _stop_jobs(self) -> None:
        """Cancel the running jobs, wait until they end, and release them all."""
        tasks = set(self._job_tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        if self._releasing is not None:
            await self._releasing

    async def extend_job_leases(self, backoff: Backoff) -> None:
        """Renew the claims on running jobs every half lease, as long as they run.

        A job may run longer than ``lease_duration``: without renewal its claim would
        end mid-run, and another scheduler sharing the store would take it back and
        run it a second time (or ``cleanup()`` would call it abandoned).
        """
        store = self.scheduler.data_store
        identity = self.scheduler.identity
        lease = self.scheduler.lease_duration
        while True:
            if not self.running_jobs:
                await self.jobs_taken.wait(None)  # idle: no wake-ups
                continue
            await anyio.sleep(lease.total_seconds() / 2)
            running = set(self.running_jobs)
            if not running:
                continue
            try:
                await store.extend_acquired_job_leases(identity, running, lease)
            except Exception:
                self.logger.exception(
                    "could not renew the claims on running jobs; trying again later"
                )

    async def run_job(self, job: Job) -> None:
        """Run a job in its own task; then queue it to be released."""
        started_at: datetime | None = None
        try:
            func = self.scheduler._functions.get(job.task_id)
            if func is None:
                try:
                    func = await self.scheduler._function_for(job.task_id)
                except (UntrustedReference, TaskFunctionMissing):
                    # A task added since the tasks were last sorted (by a process
                    # that could not say so): pass its other jobs over from now on.
                    self._tasks_changed = True
                    raise
            start = job.scheduled_start
            if start is not None:
                delay = (start - utcnow()).total_seconds()
                if delay > 0:
                    await anyio.sleep(delay)  # the jitter
            if job.start_deadline is not None and utcnow() > job.start_deadline:
                result = JobResult.from_job(job, JobOutcome.missed_start_deadline)
            else:
                executor = self.scheduler.job_executors[job.executor]
                started_at = utcnow()
                token = self.scheduler._current_job.set(job)
                output = JobOutput() if self.scheduler.capture_job_output else None
                try:
                    if output is None:
                        value = await executor.run_job(func, job)
                    else:
                        with output:
                            value = await executor.run_job(func, job)
                finally:
                    self.scheduler._current_job.reset(token)
                    if output is not None:
                        self._outputs[job.id] = output.text()
                result = JobResult.from_job(
                    job, JobOutcome.success, started_at=started_at, return_value=value
                )
        except asyncio.CancelledError:
            # The scheduler stops (_stop_jobs); the task ends here, with its record.
            result = JobResult.from_job(
                job, JobOutcome.cancelled, started_at=started_at
            )
        except BaseException as error:
            # KeyboardInterrupt, SystemExit or another BaseException that the *job*
            # raised is its outcome, not the scheduler's end.
            result = JobResult.from_job(
                job,
                JobOutcome.error,
                started_at=started_at,
                exception=error,
                traceback=job_traceback(error),
            )
        if job.id in self.awaited:
            self.local_results[job.id] = result
        self._releases.append((job, result))
        if self._releasing is None:
            self._releasing = asyncio.get_running_loop().create_task(
                self._release_queued(), name="apsnb job releases"
            )

    async def _release_queued(self) -> None:
        """Release finished jobs; jobs that finish meanwhile go in the same call.

        Group commit: one task releases everything queued until the queue is empty,
        in one store call per round, so a burst of short jobs costs a handful of
        transactions instead of one each. It runs apart from the jobs' tasks, so a
        job cancelled as the scheduler stops still gets released.
        """
        try:
            while self._releases:
                batch, self._releases = self._releases, []
                if await self._store_releases(batch):
                    for released, released_result in batch:
                        await self._announce(released, released_result)
                for released, _ in batch:
                    self.running_jobs.discard(released.id)
                self.jobs_changed.set()
        finally:
            self._releasing = None

    async def _store_releases(self, batch: list[tuple[Job, JobResult]]) -> bool:
        """Store finished jobs' results, trying again until the store takes them.

        A full disk or a locked file must not lose a result: the jobs stay running
        (their claims renewed) meanwhile. Only a scheduler that is stopping gives up
        after one more try; the claims then run out and another scheduler records
        the jobs as abandoned.
        """
        backoff = self._release_backoff
        while True:
            try:
                await self.scheduler.data_store.release_jobs(
                    self.scheduler.identity, batch
                )
            except Exception:
                stopping = self.scheduler.state is not RunState.started
                pause = backoff.failed()
                self.logger.exception(
                    "could not store the results of %d finished job(s) (%s); %s",
                    len(batch),
                    ", ".join(str(job.id) for job, _ in batch),
                    "giving up, as the scheduler stops"
                    if stopping
                    else f"trying again in {pause:g} s",
                )
                if stopping:
                    return False
                requested = self.scheduler._stop_requested
                with anyio.move_on_after(pause):
                    if requested is None:
                        await anyio.sleep(pause)
                    else:
                        await requested.wait()  # a stop ends the pause
            else:
                backoff.succeeded()
                return True

    async def _announce(self, job: Job, result: JobResult) -> None:
        captured = job.id in self._outputs
        output = self._outputs.pop(job.id, None)
        await self.scheduler.event_broker.publish_local(
            JobReleased.for_result(job, result, self.scheduler.identity, output=output)
        )
        if result.outcome is JobOutcome.error:
            # Captured jobs are reported where their output goes (the dashboard):
            # logged below WARNING, they stay out of the notebook's cells.
            self.logger.log(
                logging.INFO if captured else logging.ERROR,
                "job %s (task %r) raised:\n%s", job.id, job.task_id, result.traceback,
            )  # fmt: skip

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


def _wait_before(fire_time: datetime) -> float:
    """Seconds to wait for ``fire_time``, a little short of it if it is far enough."""
    seconds = max(0.0, (fire_time - utcnow()).total_seconds())
    if seconds > EARLY_WAKE_MIN_SECONDS:
        seconds -= seconds * EARLY_WAKE_SHARE
    return seconds


def _finished(schedule: Schedule) -> ScheduleResult:
    """The result that ends a schedule: no next fire time, no jobs."""
    return ScheduleResult(
        schedule_id=schedule.id,
        task_id=schedule.task_id,
        trigger=schedule.trigger,
        last_fire_time=schedule.last_fire_time,
        next_fire_time=None,
    )
