"""Lets the async scheduler use a synchronous data store without blocking its loop.

Each call of a synchronous store runs in a worker thread of the store's own, one
call at a time per store: SQLite takes one writer at a time anyway, so parallel
threads would only queue on its lock, and serial calls keep the order the scheduler
issued them in. A store whose class says ``blocking = False`` (``MemoryDataStore``)
is called directly on the event loop instead, which saves a thread hop per call, as
long as its events go to a broker that never blocks either (the local broker).

A call that is cancelled still waits for its thread to finish: a store operation is
never abandoned half-way (a claimed job must not be lost).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, ParamSpec, TypeVar
from uuid import UUID

import anyio

from .._store_contract import claims_ahead
from ..abc import AsyncDataStore, AsyncEventBroker, DataStore
from ..eventbrokers._adapters import as_sync_broker
from ..eventbrokers.local import LocalEventBroker

if TYPE_CHECKING:
    from .._enums import ConflictPolicy
    from .._runs import RunRecord
    from .._structures import Job, JobResult, Schedule, ScheduleResult, Task

P = ParamSpec("P")
R = TypeVar("R")


def as_async_datastore(store: DataStore | AsyncDataStore) -> AsyncDataStore:
    """Return ``store`` with the async interface.

    An :class:`AsyncDataStore` is returned as it is; a :class:`DataStore` is wrapped
    so that its calls run in a worker thread (or on the loop, if it never blocks).
    """
    if isinstance(store, AsyncDataStore):
        return store
    if isinstance(store, DataStore):
        return _SyncDataStoreAdapter(store)
    raise TypeError(
        f"{store!r} is not a data store; pass a DataStore or AsyncDataStore such as "
        f"apsnb.datastores.memory.MemoryDataStore()"
    )


def takes_due_by(store: AsyncDataStore) -> bool:
    """Whether ``store``, as :func:`as_async_datastore` gave it, may be asked to claim
    ahead of time (``acquire_schedules(..., due_by=...)``)."""
    if isinstance(store, _SyncDataStoreAdapter):
        return claims_ahead(store.wrapped.acquire_schedules)
    return claims_ahead(store.acquire_schedules)


class _SyncDataStoreAdapter(AsyncDataStore):
    """A synchronous store seen from async code (see the module docstring)."""

    __slots__ = ("_inline", "_store", "_thread")

    def __init__(self, store: DataStore) -> None:
        self._store = store
        self._thread: ThreadPoolExecutor | None = None  # made on first use
        self._inline = False  # decided by start(), once the broker is known

    def __repr__(self) -> str:
        return f"as_async_datastore({self._store!r})"

    @property
    def wrapped(self) -> DataStore:
        """The synchronous store itself."""
        return self._store

    @property
    def inline(self) -> bool:
        """Whether calls run on the event loop (a store that never blocks)."""
        return self._inline

    @property
    def poll_interval(self) -> float | None:
        """The wrapped store's ``poll_interval`` (see ``AsyncScheduler``), if any."""
        return getattr(self._store, "poll_interval", None)

    async def _call(self, func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        if self._inline:
            return func(*args, **kwargs)
        if self._thread is None:
            self._thread = ThreadPoolExecutor(
                getattr(self._store, "parallel_calls", 1),
                thread_name_prefix="apsnb-store",
            )
        # Threads of our own, a cheaper hop than anyio.to_thread with a limiter (a
        # few per job): one, so that calls run one at a time, in the order issued,
        # unless the store takes calls side by side (``parallel_calls``). Shielded:
        # a cancelled caller still waits for the call to finish (see the module).
        future = self._thread.submit(partial(func, *args, **kwargs))
        with anyio.CancelScope(shield=True):
            return await asyncio.wrap_future(future)

    async def start(self, event_broker: AsyncEventBroker) -> None:
        sync_broker = as_sync_broker(event_broker)
        # Inline only when neither the store nor the broker it publishes to blocks; a
        # view of another async broker also works only from worker threads.
        self._inline = not getattr(self._store, "blocking", True) and isinstance(
            sync_broker, LocalEventBroker
        )
        await self._call(self._store.start, sync_broker)

    async def stop(self, *, force: bool = False) -> None:
        try:
            await self._call(self._store.stop, force=force)
        finally:
            thread, self._thread = self._thread, None
            if thread is not None:
                thread.shutdown(wait=False)  # its last call has returned

    async def add_task(self, task: Task) -> None:
        await self._call(self._store.add_task, task)

    async def remove_task(self, task_id: str) -> None:
        await self._call(self._store.remove_task, task_id)

    async def get_task(self, task_id: str) -> Task:
        return await self._call(self._store.get_task, task_id)

    async def get_tasks(self) -> list[Task]:
        return await self._call(self._store.get_tasks)

    async def get_schedules(self, ids: set[str] | None = None) -> list[Schedule]:
        return await self._call(self._store.get_schedules, ids)

    async def add_schedule(
        self, schedule: Schedule, conflict_policy: ConflictPolicy
    ) -> None:
        await self._call(self._store.add_schedule, schedule, conflict_policy)

    async def update_schedule(
        self, schedule_id: str, update: Callable[[Schedule], Schedule]
    ) -> Schedule:
        return await self._call(self._store.update_schedule, schedule_id, update)

    async def remove_schedules(self, ids: Iterable[str]) -> None:
        await self._call(self._store.remove_schedules, ids)

    async def acquire_schedules(
        self,
        scheduler_id: str,
        lease_duration: timedelta,
        limit: int,
        *,
        due_by: datetime | None = None,
    ) -> list[Schedule]:
        if due_by is None:  # as a store that predates due_by takes it
            return await self._call(
                self._store.acquire_schedules, scheduler_id, lease_duration, limit
            )
        return await self._call(
            self._store.acquire_schedules,
            scheduler_id,
            lease_duration,
            limit,
            due_by=due_by,
        )

    async def release_schedules(
        self, scheduler_id: str, results: Sequence[ScheduleResult]
    ) -> None:
        await self._call(self._store.release_schedules, scheduler_id, results)

    async def release_schedules_and_acquire_jobs(
        self,
        scheduler_id: str,
        results: Sequence[ScheduleResult],
        lease_duration: timedelta,
        limit: int,
        *,
        skip_tasks: Collection[str] = (),
    ) -> list[Job]:
        return await self._call(
            partial(
                self._store.release_schedules_and_acquire_jobs, skip_tasks=skip_tasks
            ),
            scheduler_id,
            results,
            lease_duration,
            limit,
        )

    async def get_next_schedule_run_time(self) -> datetime | None:
        return await self._call(self._store.get_next_schedule_run_time)

    async def add_job(self, job: Job) -> None:
        await self._call(self._store.add_job, job)

    async def get_jobs(self, ids: Iterable[UUID] | None = None) -> list[Job]:
        return await self._call(self._store.get_jobs, ids)

    async def acquire_jobs(
        self,
        scheduler_id: str,
        lease_duration: timedelta,
        limit: int | None = None,
        *,
        skip_tasks: Collection[str] = (),
    ) -> list[Job]:
        if not skip_tasks:  # the common case, and stores that predate skip_tasks
            return await self._call(
                self._store.acquire_jobs, scheduler_id, lease_duration, limit
            )
        return await self._call(
            partial(self._store.acquire_jobs, skip_tasks=skip_tasks),
            scheduler_id,
            lease_duration,
            limit,
        )

    async def release_job(self, scheduler_id: str, job: Job, result: JobResult) -> None:
        await self._call(self._store.release_job, scheduler_id, job, result)

    async def release_jobs(
        self, scheduler_id: str, results: Sequence[tuple[Job, JobResult]]
    ) -> None:
        await self._call(self._store.release_jobs, scheduler_id, results)

    async def return_jobs(self, scheduler_id: str, job_ids: Iterable[UUID]) -> bool:
        return await self._call(self._store.return_jobs, scheduler_id, job_ids)

    async def get_job_result(self, job_id: UUID) -> JobResult | None:
        return await self._call(self._store.get_job_result, job_id)

    async def get_runs(
        self,
        *,
        schedule_id: str | None = None,
        task_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        return await self._call(
            self._store.get_runs,
            schedule_id=schedule_id,
            task_id=task_id,
            since=since,
            until=until,
            limit=limit,
        )

    async def extend_acquired_schedule_leases(
        self, scheduler_id: str, schedule_ids: set[str], duration: timedelta
    ) -> None:
        await self._call(
            self._store.extend_acquired_schedule_leases,
            scheduler_id,
            schedule_ids,
            duration,
        )

    async def extend_acquired_job_leases(
        self, scheduler_id: str, job_ids: set[UUID], duration: timedelta
    ) -> None:
        await self._call(
            self._store.extend_acquired_job_leases, scheduler_id, job_ids, duration
        )

    async def reap_abandoned_jobs(self, scheduler_id: str) -> None:
        await self._call(self._store.reap_abandoned_jobs, scheduler_id)

    async def cleanup(self, scheduler_id: str | None = None) -> None:
        await self._call(self._store.cleanup, scheduler_id)
