"""``AsyncScheduler``: the scheduler, on the event loop of the caller (a notebook kernel's).

The scheduler runs as one background task of the loop that started it, so a notebook
cell can start it and return while it keeps running, later cells can add or remove
schedules, and any cell can stop it. Starting a scheduler with the identity of one that
already runs in this process (re-running the cell that creates it) stops the old one.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from uuid import UUID, uuid4

import anyio

from .._converters import as_aware_datetime, as_timedelta
from .._enums import CoalescePolicy, ConflictPolicy, JobOutcome, RunState, SchedulerRole
from .._events import (
    Event,
    JobAdded,
    JobReleased,
    ScheduleAdded,
    SchedulerStarted,
    SchedulerStopped,
    ScheduleUpdated,
    TaskAdded,
    TaskRemoved,
    TaskUpdated,
)
from .._exceptions import (
    InvalidTriggerArgument,
    InvalidTriggerArgumentType,
    JobCancelled,
    JobDeadlineMissed,
    JobLookupError,
    JobResultNotReady,
    ScheduleLookupError,
    SchedulerNotRunning,
    TaskFunctionMissing,
    TaskLookupError,
)
from .._marshalling import callable_from_ref, callable_to_ref
from .._structures import Job, JobResult, Schedule, Task, TaskDefaults
from ..abc import (
    AsyncDataStore,
    AsyncEventBroker,
    DataStore,
    EventBroker,
    JobExecutor,
    Subscription,
    Trigger,
)
from ._runtime import Runtime
from ._unset import UNSET, Unset, is_set

__all__ = ("AsyncScheduler", "current_job")

#: The job being run, inside a job function (``apsnb.current_job.get()``).
current_job: ContextVar[Job | None] = ContextVar("apsnb_current_job", default=None)

#: Running schedulers of this process, by identity: a new one replaces an old one.
_running: dict[str, AsyncScheduler] = {}
_RESULT_POLL = 1.0  # seconds between checks for results stored by other processes
_RUN_JOB_RESULT_TTL = timedelta(hours=1)


def _default_identity() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class AsyncScheduler:
    """Runs tasks on schedules, in the asyncio event loop that starts it.

    In a notebook::

        scheduler = AsyncScheduler()
        await scheduler.start_in_background()   # returns at once; keeps running
        await scheduler.add_schedule(report, CronTrigger(minute="*/5"))
        ...
        await scheduler.stop()                  # in any later cell

    :param data_store: where tasks, schedules and jobs live (default: in memory)
    :param event_broker: delivers events (default: a local broker)
    :param identity: the scheduler's id in the data store (default: host and process
        id). Starting a second scheduler with the same identity in this process stops
        the first one.
    :param role: process schedules, run jobs, or both
    :param max_concurrent_jobs: how many jobs may run at once
    :param cleanup_interval: how often to purge expired results and finished
        schedules (``None``: never)
    :param lease_duration: how long a claim on a schedule or job lasts
    :param job_executors: extra or replacement executors by name (built in:
        ``"async"``, ``"threadpool"``, ``"processpool"``)
    :param task_defaults: settings for tasks that give none
    :param logger: where to log (default: the ``apsnb`` logger)
    """

    def __init__(
        self,
        data_store: DataStore | AsyncDataStore | None = None,
        event_broker: EventBroker | AsyncEventBroker | None = None,
        *,
        identity: str | None = None,
        role: SchedulerRole | str = SchedulerRole.both,
        max_concurrent_jobs: int = 100,
        cleanup_interval: timedelta | float | None = timedelta(minutes=15),
        lease_duration: timedelta | float = timedelta(seconds=30),
        job_executors: Mapping[str, JobExecutor] | None = None,
        task_defaults: TaskDefaults | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        from ..datastores._thread_adapter import as_async_datastore
        from ..datastores.memory import MemoryDataStore
        from ..eventbrokers._adapters import as_async_broker
        from ..eventbrokers.local import AsyncLocalEventBroker
        from ..executors.async_ import AsyncJobExecutor
        from ..executors.subprocess import ProcessPoolJobExecutor
        from ..executors.thread import ThreadPoolJobExecutor

        self.data_store: AsyncDataStore = as_async_datastore(
            data_store or MemoryDataStore()
        )
        self.event_broker: AsyncEventBroker = as_async_broker(
            event_broker or AsyncLocalEventBroker()
        )
        self.identity = identity or _default_identity()
        self.role = SchedulerRole(role)
        if max_concurrent_jobs < 1:
            raise InvalidTriggerArgument(
                "AsyncScheduler",
                "max_concurrent_jobs",
                max_concurrent_jobs,
                "it must be at least 1",
            )
        self.max_concurrent_jobs = max_concurrent_jobs
        self.cleanup_interval = (
            None
            if cleanup_interval is None
            else as_timedelta(cleanup_interval, "cleanup_interval")
        )
        self.lease_duration = as_timedelta(lease_duration, "lease_duration")
        self.job_executors: dict[str, JobExecutor] = {
            "async": AsyncJobExecutor(),
            "threadpool": ThreadPoolJobExecutor(),
            "processpool": ProcessPoolJobExecutor(),
            **(job_executors or {}),
        }
        self.task_defaults = task_defaults or TaskDefaults()
        self.logger = logger or logging.getLogger("apsnb")
        self._state = RunState.stopped
        self._services_started = False
        self._functions: dict[str, Callable[..., Any]] = {}
        #: Tasks this scheduler configured, as it stored them (dropped when a
        #: TaskUpdated or TaskRemoved event says another writer changed them).
        self._tasks: dict[str, Task] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop_requested: asyncio.Event | None = None
        self._stopped = threading.Event()
        self._stopped.set()
        self._runtime: Runtime | None = None
        self._current_job = current_job

    def __repr__(self) -> str:
        return f"<AsyncScheduler {self.identity!r} {self._state.name}>"

    @property
    def state(self) -> RunState:
        """Whether the scheduler is starting, started, stopping or stopped."""
        return self._state

    # Life cycle

    async def __aenter__(self) -> AsyncScheduler:
        await self._start_services()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _start_services(self) -> None:
        if not self._services_started:
            await self.event_broker.start()
            await self.data_store.start(self.event_broker)
            self._services_started = True

    async def _stop_services(self) -> None:
        if self._services_started:
            self._services_started = False
            try:
                await self.data_store.stop()
            finally:
                await self.event_broker.stop()

    async def start_in_background(self) -> None:
        """Start processing schedules and jobs in a background task, and return.

        The task belongs to the running event loop (in a notebook: the kernel's), so
        the scheduler keeps running after the cell returns. Calling it again while
        running does nothing. If another scheduler with the same identity runs in this
        process (the same cell run before), it is stopped first.
        """
        if self._state in (RunState.starting, RunState.started):
            return
        await _stop_previous(self)
        self._state = RunState.starting
        self._stopped.clear()
        self._loop = asyncio.get_running_loop()
        self._stop_requested = asyncio.Event()
        started: asyncio.Future[None] = self._loop.create_future()
        _running[self.identity] = self
        self._task = self._loop.create_task(
            self._run(started), name=f"apsnb {self.identity}"
        )
        await started

    async def run_until_stopped(self) -> None:
        """Start, and return only when the scheduler has stopped."""
        await self.start_in_background()
        await self.wait_until_stopped()

    async def wait_until_stopped(self) -> None:
        """Wait until the scheduler stops (returns at once if it is not running)."""
        task = self._task
        if task is not None and self._loop is asyncio.get_running_loop():
            await asyncio.wait([task])
        else:
            await anyio.to_thread.run_sync(self._stopped.wait)

    async def stop(self) -> None:
        """Stop the scheduler: cancel running jobs (recorded as cancelled) and close the
        data store and event broker. Does nothing if it is not running."""
        loop, requested = self._loop, self._stop_requested
        if loop is not None and loop.is_closed():
            # Its loop ended without stopping it (asyncio.run() returned): nothing runs.
            self._forget_closed_loop()
            return
        if self._state in (RunState.starting, RunState.started) and loop and requested:
            self._state = RunState.stopping
            if loop is asyncio.get_running_loop():
                requested.set()
            else:
                loop.call_soon_threadsafe(requested.set)
            await self.wait_until_stopped()
        elif self._state is RunState.stopped:
            await self._stop_services()

    def _forget_closed_loop(self) -> None:
        self._state = RunState.stopped
        self._services_started = False
        self._loop = self._task = self._stop_requested = None
        if _running.get(self.identity) is self:
            del _running[self.identity]
        self._stopped.set()

    async def _run(self, started: asyncio.Future[None]) -> None:
        runtime = self._runtime = Runtime(self, self.logger)
        failure: BaseException | None = None
        try:
            await self._start_services()
            for executor in self.job_executors.values():
                await executor.start()
            subscription = self.event_broker.subscribe(
                runtime.on_event,
                {
                    ScheduleAdded,
                    ScheduleUpdated,
                    JobAdded,
                    TaskAdded,
                    TaskUpdated,
                    TaskRemoved,
                },
            )
            try:
                await self.data_store.reap_abandoned_jobs(self.identity)
                async with anyio.create_task_group() as task_group:
                    await runtime.run(task_group)
                    self._state = RunState.started
                    await self.event_broker.publish_local(SchedulerStarted())
                    started.set_result(None)
                    assert self._stop_requested is not None
                    await self._stop_requested.wait()
                    task_group.cancel_scope.cancel()
            finally:
                subscription.unsubscribe()
                for executor in self.job_executors.values():
                    await executor.stop()
        except BaseException as error:
            failure = error
            if not started.done():
                started.set_exception(error)
            elif not isinstance(error, asyncio.CancelledError):
                self.logger.exception("the scheduler %r crashed", self.identity)
        finally:
            self._state = RunState.stopped
            with anyio.CancelScope(shield=True):
                try:
                    await self.event_broker.publish_local(
                        SchedulerStopped(exception=failure)
                    )
                    await self._stop_services()
                finally:
                    if _running.get(self.identity) is self:
                        del _running[self.identity]
                    self._stopped.set()

    # Tasks

    async def configure_task(
        self,
        func_or_task_id: Callable[..., Any] | str,
        *,
        func: Callable[..., Any] | Unset = UNSET,
        job_executor: str | Unset = UNSET,
        misfire_grace_time: timedelta | float | Unset | None = UNSET,
        max_running_jobs: int | Unset | None = UNSET,
        metadata: Mapping[str, Any] | Unset = UNSET,
    ) -> Task:
        """Add or update a task, and bind its function in this process.

        Passing a function made in a notebook binds it again after a kernel restart
        (its task keeps the id ``"__main__:name"``).
        """
        await self._start_services()
        if callable(func_or_task_id):
            func, task_id = func_or_task_id, task_id_for(func_or_task_id)
        else:
            task_id = func_or_task_id
        try:
            existing: Task | None = await self.data_store.get_task(task_id)
        except TaskLookupError:
            existing = None
        defaults = self.task_defaults
        if is_set(func):
            executor = _pick(
                job_executor, existing and existing.job_executor, defaults.job_executor
            )
            executor = executor or ("async" if _is_async(func) else "threadpool")
            ref = callable_to_ref(func)
        elif existing is not None:
            executor = _pick(job_executor, existing.job_executor)
            ref = existing.func
        else:
            raise TaskLookupError(task_id)
        self._check_executor(executor, func if is_set(func) else None)
        task = Task(
            id=task_id,
            func=ref,
            job_executor=executor,
            max_running_jobs=_pick(
                max_running_jobs,
                existing.max_running_jobs if existing else UNSET,
                defaults.max_running_jobs,
            ),
            misfire_grace_time=_duration(
                _pick(
                    misfire_grace_time,
                    existing.misfire_grace_time if existing else UNSET,
                    defaults.misfire_grace_time,
                )
            ),
            metadata=dict(
                _pick(
                    metadata,
                    existing.metadata if existing else UNSET,
                    defaults.metadata,
                )
            ),
        )
        if is_set(func):
            self._functions[task_id] = func
        await self.data_store.add_task(task)
        self._tasks[task_id] = task
        return task

    async def get_tasks(self) -> list[Task]:
        """Return every task, sorted by id."""
        await self._start_services()
        return await self.data_store.get_tasks()

    def _check_executor(self, executor: str, func: Callable[..., Any] | None) -> None:
        if executor not in self.job_executors:
            raise InvalidTriggerArgument(
                "task", "job_executor", executor,
                f"there is no such executor; choose one of {sorted(self.job_executors)}",
            )  # fmt: skip
        if executor == "processpool" and func is not None:
            from ..executors.subprocess import check_runnable_in_subprocess

            check_runnable_in_subprocess(func)

    async def _task_for(self, func_or_task_id: Callable[..., Any] | str) -> Task:
        if callable(func_or_task_id):
            task_id = task_id_for(func_or_task_id)
            bound = self._functions.get(task_id)
            if bound is func_or_task_id:
                # This process configured the task: skip a store round trip per job.
                known = self._tasks.get(task_id)
                if known is None:
                    known = self._tasks[task_id] = await self.data_store.get_task(
                        task_id
                    )
                return known
            return await self.configure_task(func_or_task_id)
        if not isinstance(func_or_task_id, str):
            raise InvalidTriggerArgumentType(
                "func_or_task_id", func_or_task_id, "a function or a task id"
            )
        return await self.data_store.get_task(func_or_task_id)

    def _forget_task(self, task_id: str) -> None:
        self._tasks.pop(task_id, None)

    def _has_function(self, task: Task) -> bool:
        """Whether this process can run ``task``'s jobs."""
        return task.id in self._functions or task.func is not None

    def waiting_schedules(self) -> dict[str, list[str]]:
        """Schedules that wait for their task's function, by task id.

        A function defined in a notebook is known by name only to the store: after a
        kernel restart, its schedules wait (their fire times are kept, and follow the
        misfire rules later) until ``configure_task(task_id, func=...)`` binds it again.
        """
        runtime = self._runtime
        if runtime is None:
            return {}
        return {task: sorted(ids) for task, ids in sorted(runtime.waiting.items())}

    async def _function_for(self, task_id: str) -> Callable[..., Any]:
        func = self._functions.get(task_id)
        if func is None:
            task = await self.data_store.get_task(task_id)
            if task.func is None:
                raise TaskFunctionMissing(task_id)
            func = self._functions[task_id] = callable_from_ref(task.func)
        return func

    # Schedules

    async def add_schedule(
        self,
        func_or_task_id: Callable[..., Any] | str,
        trigger: Trigger,
        *,
        id: str | None = None,
        args: Iterable[Any] | None = None,
        kwargs: Mapping[str, Any] | None = None,
        paused: bool = False,
        job_executor: str | Unset = UNSET,
        coalesce: CoalescePolicy | str = CoalescePolicy.latest,
        misfire_grace_time: timedelta | float | Unset | None = UNSET,
        max_jitter: timedelta | float | None = None,
        job_result_expiration_time: timedelta | float = 0,
        metadata: Mapping[str, Any] | None = None,
        conflict_policy: ConflictPolicy | str = ConflictPolicy.do_nothing,
    ) -> str:
        """Schedule a function (or a task, by id) to run at a trigger's fire times.

        The trigger is copied: the object you pass is not advanced. Returns the
        schedule's id. Functions defined in a notebook run in this process; asking for
        ``job_executor="processpool"`` with one fails here, with what to do instead.
        """
        if not isinstance(trigger, Trigger):
            raise InvalidTriggerArgumentType("trigger", trigger, "an apsnb.abc.Trigger")
        await self._start_services()
        task = await self._task_for(func_or_task_id)
        if is_set(job_executor):
            self._check_executor(job_executor, self._functions.get(task.id))
        own_trigger = _copy_trigger(trigger)
        next_fire_time = own_trigger.next()
        if next_fire_time is None:
            raise InvalidTriggerArgument(
                "add_schedule", "trigger", trigger,
                "it has no fire times left (its end is in the past?)",
            )  # fmt: skip
        schedule = Schedule(
            id=id or str(uuid4()),
            task_id=task.id,
            trigger=own_trigger,
            args=tuple(args or ()),
            kwargs=dict(kwargs or {}),
            paused=paused,
            coalesce=CoalescePolicy(coalesce),
            misfire_grace_time=_duration(misfire_grace_time)
            if is_set(misfire_grace_time)
            else None,
            max_jitter=_duration(max_jitter),
            job_executor=job_executor if is_set(job_executor) else None,
            job_result_expiration_time=as_timedelta(
                job_result_expiration_time, "job_result_expiration_time"
            ),
            metadata=dict(metadata or {}),
            next_fire_time=next_fire_time,
        )
        await self.data_store.add_schedule(schedule, ConflictPolicy(conflict_policy))
        return schedule.id

    async def get_schedule(self, id: str) -> Schedule:
        """Return the schedule with this id. :raises ScheduleLookupError:"""
        await self._start_services()
        schedules = await self.data_store.get_schedules({id})
        if not schedules:
            raise ScheduleLookupError(id)
        return schedules[0]

    async def get_schedules(self) -> list[Schedule]:
        """Return every schedule, sorted by id."""
        await self._start_services()
        return await self.data_store.get_schedules()

    async def remove_schedule(self, id: str) -> None:
        """Remove a schedule (its running jobs finish). :raises ScheduleLookupError:"""
        await self.get_schedule(id)
        await self.data_store.remove_schedules({id})

    async def pause_schedule(self, id: str) -> None:
        """Stop a schedule from firing until it is unpaused."""
        schedule = await self.get_schedule(id)
        await self.data_store.add_schedule(
            schedule.copy(paused=True), ConflictPolicy.replace
        )

    async def unpause_schedule(
        self, id: str, *, resume_from: datetime | Literal["now"] | None = None
    ) -> None:
        """Let a paused schedule fire again.

        :param resume_from: skip the fire times before this time (``"now"``: the
            ones missed while paused); ``None`` keeps them, to be handled by the
            schedule's misfire and coalescing settings
        """
        schedule = await self.get_schedule(id)
        next_fire_time = schedule.next_fire_time
        if resume_from is not None:
            bound = (
                datetime.now(UTC)
                if resume_from == "now"
                else as_aware_datetime(resume_from, "resume_from")
            )
            while next_fire_time is not None and next_fire_time < bound:
                next_fire_time = schedule.trigger.next()
        if next_fire_time is None:
            await self.data_store.remove_schedules({id})
            return
        await self.data_store.add_schedule(
            schedule.copy(paused=False, next_fire_time=next_fire_time),
            ConflictPolicy.replace,
        )

    # Jobs

    async def add_job(
        self,
        func_or_task_id: Callable[..., Any] | str,
        *,
        args: Iterable[Any] | None = None,
        kwargs: Mapping[str, Any] | None = None,
        job_executor: str | Unset = UNSET,
        metadata: Mapping[str, Any] | None = None,
        result_expiration_time: timedelta | float = 0,
    ) -> UUID:
        """Add a job to run as soon as possible; return its id.

        :param result_expiration_time: how long to keep the result for
            :meth:`get_job_result` (0: not kept)
        """
        await self._start_services()
        task = await self._task_for(func_or_task_id)
        if is_set(job_executor):
            self._check_executor(job_executor, self._functions.get(task.id))
        job = Job(
            task_id=task.id,
            args=tuple(args or ()),
            kwargs=dict(kwargs or {}),
            executor=job_executor if is_set(job_executor) else task.job_executor,
            result_expiration_time=as_timedelta(
                result_expiration_time, "result_expiration_time"
            ),
            metadata=dict(metadata or {}),
        )
        await self.data_store.add_job(job)
        return job.id

    async def get_jobs(self) -> list[Job]:
        """Return the jobs waiting or running, oldest first."""
        await self._start_services()
        return await self.data_store.get_jobs()

    async def get_job_result(self, job_id: UUID, *, wait: bool = True) -> JobResult:
        """Return (and forget) a job's result.

        :param wait: wait for the job to finish; else raise ``JobResultNotReady``
        :raises JobLookupError: if there is no such job, or its result was not kept
        """
        await self._start_services()
        released = anyio.Event()
        subscription = self.event_broker.subscribe(
            lambda event: released.set() if event.job_id == job_id else None,
            {JobReleased},
        )
        try:
            while True:
                # Look for the job before its result: a job released in between is
                # then seen with its result, never as missing.
                pending = await self.data_store.get_jobs({job_id})
                result = await self.data_store.get_job_result(job_id)
                if result is not None:
                    return result
                if not pending:
                    raise JobLookupError(job_id)
                if not wait:
                    raise JobResultNotReady(job_id)
                with anyio.move_on_after(_RESULT_POLL):
                    await released.wait()
        finally:
            subscription.unsubscribe()

    async def run_job(
        self,
        func_or_task_id: Callable[..., Any] | str,
        *,
        args: Iterable[Any] | None = None,
        kwargs: Mapping[str, Any] | None = None,
        job_executor: str | Unset = UNSET,
        metadata: Mapping[str, Any] | None = None,
    ) -> Any:
        """Run a job through the scheduler and return what the function returned.

        Raises what the function raised, ``JobCancelled`` or ``JobDeadlineMissed``.
        The scheduler must be running.
        """
        if self._state is not RunState.started:
            raise SchedulerNotRunning("run_job")
        job_id = await self.add_job(
            func_or_task_id,
            args=args,
            kwargs=kwargs,
            job_executor=job_executor,
            metadata=metadata,
            result_expiration_time=_RUN_JOB_RESULT_TTL,
        )
        result = await self.get_job_result(job_id)
        if result.outcome is JobOutcome.success:
            return result.return_value
        if result.outcome is JobOutcome.error:
            if result.exception is not None:
                raise result.exception
            raise RuntimeError(f"job {job_id} failed:\n{result.traceback}")
        if result.outcome is JobOutcome.missed_start_deadline:
            raise JobDeadlineMissed(job_id)
        raise JobCancelled(job_id)

    # Events

    def subscribe(
        self,
        callback: Callable[[Any], Any],
        event_types: type[Event] | Iterable[type[Event]] | None = None,
        *,
        one_shot: bool = False,
    ) -> Subscription:
        """Call ``callback(event)`` for events of the given types (default: all).

        Subscribed from a notebook cell, the callback runs on the kernel's loop.
        """
        if isinstance(event_types, type):
            event_types = {event_types}
        return self.event_broker.subscribe(callback, event_types, one_shot=one_shot)

    async def get_next_event(
        self, event_types: type[Event] | Iterable[type[Event]]
    ) -> Event:
        """Wait for the next event of the given types and return it."""
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()

        def deliver(event: Event) -> None:
            if not future.done():
                future.set_result(event)

        with self.subscribe(deliver, event_types, one_shot=True):
            return await future

    async def cleanup(self) -> None:
        """Purge expired job results and finished schedules now."""
        await self._start_services()
        await self.data_store.cleanup()


def task_id_for(func: Callable[..., Any]) -> str:
    """The task id of a function: its import path, or ``module:qualname`` for one made
    in a notebook; lambdas also get their object id, since they have no name."""
    ref = callable_to_ref(func)
    if ref is not None:
        return ref
    module = getattr(func, "__module__", None) or "__main__"
    qualname = getattr(func, "__qualname__", None) or type(func).__qualname__
    if "<lambda>" in qualname:
        return f"{module}:{qualname}@{id(func):x}"
    return f"{module}:{qualname}"


async def _stop_previous(scheduler: AsyncScheduler) -> None:
    previous = _running.get(scheduler.identity)
    if previous is not None and previous is not scheduler:
        scheduler.logger.warning(
            "stopping the scheduler %r started earlier in this process (same identity); "
            "give schedulers different identities to run them side by side",
            scheduler.identity,
        )
        await previous.stop()


def _copy_trigger(trigger: Trigger) -> Trigger:
    clone = type(trigger).__new__(type(trigger))
    clone.__setstate__(trigger.__getstate__())
    return clone


def _is_async(func: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        getattr(func, "__call__", None)  # noqa: B004 (async callable objects)
    )


def _pick(*values: Any) -> Any:
    """The first value that is set (not UNSET)."""
    for value in values:
        if is_set(value):
            return value
    return None


def _duration(value: Any) -> timedelta | None:
    return None if value is None else as_timedelta(value, "duration")
