"""Jobs on demand: adding one, listing those waiting, waiting for a result, and running
one through the scheduler to get what its function returned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import anyio

from .._converters import as_timedelta
from .._enums import RunState
from .._events import JobReleased
from .._exceptions import JobLookupError, JobResultNotReady, SchedulerNotRunning
from .._structures import Job, JobResult, Task
from ._outcomes import outcome_of
from ._unset import UNSET, Unset, is_set

if TYPE_CHECKING:
    from ..abc import AsyncDataStore, AsyncEventBroker
    from ._runtime import Runtime

_RESULT_POLL = 1.0  # seconds between checks for results stored by other processes
_RUN_JOB_RESULT_TTL = timedelta(hours=1)


class JobCalls:
    """Adding, awaiting and running jobs; mixed into :class:`AsyncScheduler`."""

    data_store: AsyncDataStore
    event_broker: AsyncEventBroker
    _functions: dict[str, Callable[..., Any]]
    _state: RunState
    _runtime: Runtime | None

    async def _start_services(self) -> None:  # provided by SchedulerLifecycle
        raise NotImplementedError

    async def _task_for(self, func_or_task_id: Callable[..., Any] | str) -> Task:
        raise NotImplementedError  # provided by TaskRegistry

    def _check_executor(self, executor: str, func: Callable[..., Any] | None) -> None:
        raise NotImplementedError  # provided by TaskRegistry

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
        job = await self._new_job(
            func_or_task_id, args, kwargs, job_executor, metadata,
            result_expiration_time,
        )  # fmt: skip
        await self.data_store.add_job(job)
        return job.id

    async def _new_job(
        self,
        func_or_task_id: Callable[..., Any] | str,
        args: Iterable[Any] | None,
        kwargs: Mapping[str, Any] | None,
        job_executor: str | Unset,
        metadata: Mapping[str, Any] | None,
        result_expiration_time: timedelta | float,
    ) -> Job:
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
        return job

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

        Raises what the function raised, ``JobCancelled`` or ``JobDeadlineMissed``;
        ``SerializationError`` if the data store cannot keep the return value (a
        value JSON cannot hold, in an SQLite store). The scheduler must be running.
        """
        runtime = self._runtime
        if self._state is not RunState.started or runtime is None:
            raise SchedulerNotRunning("run_job")
        job = await self._new_job(
            func_or_task_id, args, kwargs, job_executor, metadata, _RUN_JOB_RESULT_TTL
        )
        # Run here, the job's own result (its exception, its return value) is kept
        # in memory for this call: a store may keep only part of it.
        runtime.jobs.awaited.add(job.id)
        try:
            await self.data_store.add_job(job)
            stored = await self.get_job_result(job.id)
        finally:
            runtime.jobs.awaited.discard(job.id)
            local = runtime.jobs.local_results.pop(job.id, None)
        return outcome_of(stored, local)
