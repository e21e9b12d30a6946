"""The asynchronous data store contract: :class:`AsyncDataStore`, which ``apsnb.abc``
exports (subclass it from there).

The docstrings of :class:`~apsnb.abc.DataStore` (in ``_store_contract``) state the
contract; this class has the same methods, as coroutines.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from ._store_contract import _checked_update

if TYPE_CHECKING:
    from ._enums import ConflictPolicy
    from ._runs import RunRecord
    from ._structures import Job, JobResult, Schedule, ScheduleResult, Task
    from .abc import AsyncEventBroker

__all__ = ("AsyncDataStore",)


class AsyncDataStore(metaclass=ABCMeta):
    """Keeps tasks, schedules, jobs and job results (asynchronous, task safe).

    The same contract as :class:`DataStore`, with coroutine methods.
    """

    __slots__ = ()

    @abstractmethod
    async def start(self, event_broker: AsyncEventBroker) -> None: ...

    @abstractmethod
    async def stop(self, *, force: bool = False) -> None: ...

    @abstractmethod
    async def add_task(self, task: Task) -> None: ...

    @abstractmethod
    async def remove_task(self, task_id: str) -> None: ...

    @abstractmethod
    async def get_task(self, task_id: str) -> Task: ...

    @abstractmethod
    async def get_tasks(self) -> list[Task]: ...

    @abstractmethod
    async def get_schedules(self, ids: set[str] | None = None) -> list[Schedule]: ...

    @abstractmethod
    async def add_schedule(
        self, schedule: Schedule, conflict_policy: ConflictPolicy
    ) -> None: ...

    async def update_schedule(
        self, schedule_id: str, update: Callable[[Schedule], Schedule]
    ) -> Schedule:
        """Change a stored schedule in one step (see :meth:`DataStore.update_schedule`).

        This default reads and then replaces, which is not atomic; stores override it.
        """
        from ._enums import ConflictPolicy
        from ._exceptions import ScheduleLookupError

        stored = await self.get_schedules({schedule_id})
        if not stored:
            raise ScheduleLookupError(schedule_id)
        schedule = _checked_update(stored[0], update)
        if schedule.next_fire_time is None:
            await self.remove_schedules({schedule_id})
        else:
            await self.add_schedule(schedule, ConflictPolicy.replace)
        return schedule

    @abstractmethod
    async def remove_schedules(self, ids: Iterable[str]) -> None: ...

    @abstractmethod
    async def acquire_schedules(
        self,
        scheduler_id: str,
        lease_duration: timedelta,
        limit: int,
        *,
        due_by: datetime | None = None,
    ) -> list[Schedule]: ...

    @abstractmethod
    async def release_schedules(
        self, scheduler_id: str, results: Sequence[ScheduleResult]
    ) -> None: ...

    async def release_schedules_and_acquire_jobs(
        self,
        scheduler_id: str,
        results: Sequence[ScheduleResult],
        lease_duration: timedelta,
        limit: int,
        *,
        skip_tasks: Collection[str] = (),
    ) -> list[Job]:
        """See :meth:`DataStore.release_schedules_and_acquire_jobs`; this default
        makes the two calls one after the other."""
        await self.release_schedules(scheduler_id, results)
        if limit <= 0:
            return []
        if not skip_tasks:
            return await self.acquire_jobs(scheduler_id, lease_duration, limit)
        return await self.acquire_jobs(
            scheduler_id, lease_duration, limit, skip_tasks=skip_tasks
        )

    @abstractmethod
    async def get_next_schedule_run_time(self) -> datetime | None: ...

    @abstractmethod
    async def add_job(self, job: Job) -> None: ...

    @abstractmethod
    async def get_jobs(self, ids: Iterable[UUID] | None = None) -> list[Job]: ...

    @abstractmethod
    async def acquire_jobs(
        self,
        scheduler_id: str,
        lease_duration: timedelta,
        limit: int | None = None,
        *,
        skip_tasks: Collection[str] = (),
    ) -> list[Job]: ...

    @abstractmethod
    async def release_job(
        self, scheduler_id: str, job: Job, result: JobResult
    ) -> None: ...

    async def release_jobs(
        self, scheduler_id: str, results: Sequence[tuple[Job, JobResult]]
    ) -> None:
        """Release several finished jobs at once (see :meth:`DataStore.release_jobs`)."""
        for job, result in results:
            await self.release_job(scheduler_id, job, result)

    async def return_jobs(self, scheduler_id: str, job_ids: Iterable[UUID]) -> bool:
        """See :meth:`DataStore.return_jobs`; this default cannot."""
        return False

    @abstractmethod
    async def get_job_result(self, job_id: UUID) -> JobResult | None: ...

    @abstractmethod
    async def get_runs(
        self,
        *,
        schedule_id: str | None = None,
        task_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]: ...

    @abstractmethod
    async def extend_acquired_schedule_leases(
        self, scheduler_id: str, schedule_ids: set[str], duration: timedelta
    ) -> None: ...

    @abstractmethod
    async def extend_acquired_job_leases(
        self, scheduler_id: str, job_ids: set[UUID], duration: timedelta
    ) -> None: ...

    @abstractmethod
    async def reap_abandoned_jobs(self, scheduler_id: str) -> None: ...

    @abstractmethod
    async def cleanup(self, scheduler_id: str | None = None) -> None: ...
