"""``AsyncScheduler``: the scheduler, on the event loop of the caller (a notebook kernel's).

The scheduler runs as one background task of the loop that started it, so a notebook
cell can start it and return while it keeps running, later cells can add or remove
schedules, and any cell can stop it. Starting a scheduler with the identity of one that
already runs in this process (re-running the cell that creates it) stops the old one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from datetime import timedelta
from typing import Any
from uuid import uuid4

from .._converters import as_choice, as_timedelta
from .._enums import CoalescePolicy, ConflictPolicy, SchedulerRole
from .._exceptions import (
    InvalidSchedulerSetting,
    InvalidTriggerArgument,
    ScheduleLookupError,
)
from .._structures import Job, Schedule, Task, TaskDefaults
from .._trust import AllowList
from ..abc import (
    AsyncDataStore,
    AsyncEventBroker,
    DataStore,
    EventBroker,
    JobExecutor,
    Trigger,
)
from ._editing import ScheduleEditing, _started
from ._events_and_runs import EventsAndRuns
from ._job_calls import JobCalls
from ._lifecycle import SchedulerLifecycle, default_identity
from ._output import start_capturing, stop_capturing
from ._restarts import refuse_lambda, warn_if_kept_by_name_only
from ._tasks import TaskRegistry, as_duration
from ._unset import UNSET, Unset, is_set

__all__ = ("AsyncScheduler", "current_job")

#: The job being run, inside a job function (``apsnb.current_job.get()``).
current_job: ContextVar[Job | None] = ContextVar("apsnb_current_job", default=None)


class AsyncScheduler(
    SchedulerLifecycle, TaskRegistry, ScheduleEditing, JobCalls, EventsAndRuns
):
    """Runs tasks on schedules, in the asyncio event loop that starts it.

    In a notebook::

        scheduler = AsyncScheduler()
        await scheduler.start_in_background()   # returns at once; keeps running
        await scheduler.add_schedule(report, CronTrigger(minute="*/5"))
        ...
        await scheduler.stop()                  # in any later cell

    :param data_store: where tasks, schedules and jobs live (default: in memory): a
        store, or the path of an SQLite file or a store URL (see
        :func:`~apsnb.datastores.location.open_data_store`)
    :param event_broker: delivers events (default: the store's
        ``default_event_broker()`` if it has one, as the PostgreSQL store does, so
        that its processes wake each other; else a local broker)
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
        data_store: DataStore | AsyncDataStore | str | os.PathLike[str] | None = None,
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
        from ..datastores.location import open_data_store
        from ..datastores.memory import MemoryDataStore
        from ..eventbrokers._adapters import as_async_broker
        from ..eventbrokers.local import AsyncLocalEventBroker
        from ..executors.async_ import AsyncJobExecutor
        from ..executors.subprocess import ProcessPoolJobExecutor
        from ..executors.thread import ThreadPoolJobExecutor

        store = MemoryDataStore() if data_store is None else open_data_store(data_store)
        #: Task functions the store may name beyond those given here (the trust rule).
        self._allowed = AllowList(getattr(store, "allowed_modules", ()))
        #: Whether the store outlives this process: then what lives only in this
        #: process (a notebook function, a lambda) is said or refused when scheduled.
        self._persistent = not isinstance(store, MemoryDataStore)
        self._warned: set[str] = set()
        self.data_store: AsyncDataStore = as_async_datastore(store)
        # A store shared by processes may come with a broker that reaches them all
        # (PostgreSQL: LISTEN/NOTIFY on the same database).
        make_broker = getattr(store, "default_event_broker", None)
        self.event_broker: AsyncEventBroker = as_async_broker(
            event_broker
            or (make_broker() if make_broker is not None else AsyncLocalEventBroker())
        )
        self.identity = identity or default_identity()
        self.role = as_choice(SchedulerRole, role, "role")
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
        if self.lease_duration <= timedelta(0):
            raise InvalidSchedulerSetting(
                "lease_duration", lease_duration,
                "a claim must last a while: give a duration above 0 (the default "
                "is 30 s; running jobs renew their claims every half lease)",
            )  # fmt: skip
        self.job_executors: dict[str, JobExecutor] = {
            "async": AsyncJobExecutor(),
            "threadpool": ThreadPoolJobExecutor(),
            "processpool": ProcessPoolJobExecutor(),
            **(job_executors or {}),
        }
        self.task_defaults = task_defaults or TaskDefaults()
        self.logger = logger or logging.getLogger("apsnb")
        self._init_lifecycle()
        self._functions: dict[str, Callable[..., Any]] = {}
        #: Tasks this scheduler configured, as it stored them (dropped when a
        #: TaskUpdated or TaskRemoved event says another writer changed them).
        self._tasks: dict[str, Task] = {}
        self._current_job = current_job
        self._capture_job_output = False

    def __repr__(self) -> str:
        return f"<AsyncScheduler {self.identity!r} {self._state.name}>"

    @property
    def capture_job_output(self) -> bool:
        """Whether what jobs print is captured (default: ``False``).

        When ``True``, what a job writes to ``sys.stdout`` and ``sys.stderr`` (from
        the loop or a worker thread; not from another process) is kept with it and
        reported in its ``JobReleased`` event (``output``), instead of landing in
        whichever notebook cell ran last; a job that raised is then logged at
        ``INFO``, not ``ERROR``, as its event reports it. ``ScheduleDashboard``
        turns this on while it is open, and shows both in its feed.
        """
        return self._capture_job_output

    @capture_job_output.setter
    def capture_job_output(self, value: bool) -> None:
        value = bool(value)
        if value != self._capture_job_output:
            (start_capturing if value else stop_capturing)()
            self._capture_job_output = value

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
        conflict_policy: ConflictPolicy | str = ConflictPolicy.update,
    ) -> str:
        """Schedule a function (or a task, by id) to run at a trigger's fire times.

        The trigger is copied: the object you pass is not advanced. Returns the
        schedule's id.

        Functions defined in a notebook run in this process; asking for
        ``job_executor="processpool"`` with one fails here, with what to do instead.

        When a schedule with this ``id`` exists (a notebook cell run again), the
        default ``conflict_policy="update"`` makes it what this call says (task,
        trigger, arguments, settings), keeping its id and last fire time. It keeps
        its progress too when the new trigger fires at the same times from now on
        (the same cron expression, say); otherwise it starts over on the new
        trigger. ``"do_nothing"`` keeps the stored schedule as it is, ``"replace"``
        replaces it whole, and ``"exception"`` raises ``ConflictingIdError``.
        """
        if self._persistent and callable(func_or_task_id):
            refuse_lambda(func_or_task_id)
        own_trigger, next_fire_time = _started(trigger, "add_schedule")
        await self._start_services()
        task = await self._task_for(func_or_task_id)
        if is_set(job_executor):
            self._check_executor(job_executor, self._functions.get(task.id))
        schedule = Schedule(
            id=id or str(uuid4()),
            task_id=task.id,
            trigger=own_trigger,
            args=tuple(args or ()),
            kwargs=dict(kwargs or {}),
            paused=paused,
            coalesce=as_choice(CoalescePolicy, coalesce, "coalesce"),
            misfire_grace_time=as_duration(misfire_grace_time, "misfire_grace_time")
            if is_set(misfire_grace_time)
            else None,
            max_jitter=as_duration(max_jitter, "max_jitter"),
            job_executor=job_executor if is_set(job_executor) else None,
            job_result_expiration_time=as_timedelta(
                job_result_expiration_time, "job_result_expiration_time"
            ),
            metadata=dict(metadata or {}),
            next_fire_time=next_fire_time,
        )
        await self._store_schedule(
            schedule, as_choice(ConflictPolicy, conflict_policy, "conflict_policy")
        )
        if self._persistent:
            warn_if_kept_by_name_only(
                self.logger, self._warned, task.id,
                self._functions.get(task.id), trigger, schedule.id,
            )  # fmt: skip
        return schedule.id

    async def add_notebook_schedule(
        self,
        path: str | os.PathLike[str],
        trigger: Trigger,
        *,
        id: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        output_dir: str | os.PathLike[str] | None = None,
        timeout: timedelta | float | None = None,
        kernel_name: str | None = None,
        **options: Any,
    ) -> str:
        """Schedule a whole notebook (:func:`apsnb.notebooks.run_notebook`); return the
        schedule's id (by default the notebook's name, ``report`` for ``report.ipynb``).

        The short form of ``add_schedule(run_notebook, trigger, kwargs=dict(path=…,
        …))``, which checks the notebook, its parameters, timeout and kernel now
        (raising what :func:`~apsnb.notebooks.check_notebook` raises) and stores
        absolute paths, so a worker started elsewhere finds them. ``options`` are
        those of :meth:`add_schedule` (``paused``, ``coalesce``,
        ``misfire_grace_time``…).
        """
        from ..notebooks import notebook_kwargs, run_notebook

        notebook, kwargs = notebook_kwargs(
            path,
            parameters=parameters,
            output_dir=output_dir,
            timeout=timeout,
            kernel_name=kernel_name,
        )
        return await self.add_schedule(
            run_notebook, trigger, id=id or notebook.stem, kwargs=kwargs, **options
        )

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

    async def cleanup(self) -> None:
        """Purge expired job results, old run records and finished schedules now."""
        await self._start_services()
        await self.data_store.cleanup(self.identity)
