"""Run jobs in worker threads."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from inspect import isawaitable, iscoroutinefunction
from typing import Any

import anyio.to_thread
from anyio import CapacityLimiter

from .._structures import Job
from ..abc import JobExecutor

__all__ = ("ThreadPoolJobExecutor",)


class ThreadPoolJobExecutor(JobExecutor):
    """Runs a job's function in a worker thread (the default executor).

    A synchronous function, even one that sleeps or computes for minutes, never
    freezes the notebook: the kernel's loop stays free to run cells and fire other
    schedules. An ``async def`` function is awaited on the loop instead (no thread),
    and so is an awaitable a function returns (a synchronous wrapper returning a
    coroutine).

    Python cannot stop a thread: if the scheduler cancels a job (``stop(force=True)``,
    a timeout), :meth:`run_job` raises the cancellation at once, but the function keeps
    running in its thread until it returns, and its result is discarded.

    :param max_workers: how many jobs may run in threads at the same time; more wait
        for a free slot
    """

    __slots__ = ("_limiter", "max_workers")

    def __init__(self, max_workers: int = 40) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers={max_workers!r}: it must be at least 1")
        self.max_workers = max_workers
        self._limiter: CapacityLimiter | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(max_workers={self.max_workers})"

    async def start(self) -> None:
        # A fresh limiter for each start: the sync Scheduler may restart on a new loop.
        self._limiter = CapacityLimiter(self.max_workers)

    async def stop(self) -> None:
        self._limiter = None

    async def run_job(self, func: Callable[..., Any], job: Job) -> Any:
        if iscoroutinefunction(func):
            return await func(*job.args, **job.kwargs)
        if self._limiter is None:
            await self.start()
        result = await anyio.to_thread.run_sync(
            partial(func, *job.args, **job.kwargs),
            abandon_on_cancel=True,
            limiter=self._limiter,
        )
        if isawaitable(result):
            result = await result
        return result
