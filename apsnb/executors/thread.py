"""Run jobs in worker threads."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from functools import partial
from inspect import isawaitable, iscoroutinefunction
from typing import Any

from .._structures import Job
from ..abc import JobExecutor
from ._workers import WorkerThreads

__all__ = ("ThreadPoolJobExecutor",)


class ThreadPoolJobExecutor(JobExecutor):
    """Runs a job's function in a worker thread (the default executor).

    A synchronous function, even one that sleeps or computes for minutes, never
    freezes the notebook: the kernel's loop stays free to run cells and fire other
    schedules. An ``async def`` function is awaited on the loop instead (no thread),
    and so is an awaitable a function returns (a synchronous wrapper returning a
    coroutine).

    Python cannot stop a thread: if the scheduler cancels a job (``stop()``), :meth:`run_job`
    raises the cancellation at once, but the function keeps running in its thread until
    it returns, and its result is discarded.

    :param max_workers: how many jobs may run in threads at the same time; more wait
        for a free slot
    """

    __slots__ = ("_threads_wanted", "_workers", "max_workers")

    def __init__(self, max_workers: int = 40) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers={max_workers!r}: it must be at least 1")
        self.max_workers = max_workers
        self._workers: WorkerThreads | None = None
        self._threads_wanted = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(max_workers={self.max_workers})"

    async def start(self) -> None:
        # Threads of the executor's own, not the loop's default pool: their number is
        # ours, and a job's hop to them and back costs a fifth of run_in_executor's.
        self._workers = WorkerThreads(
            asyncio.get_running_loop(), self.max_workers, "apsnb-job"
        )
        if self._threads_wanted:
            self._workers.start()

    def prepare(self) -> None:
        """Start the worker threads in the background: now if the executor runs,
        else when it starts. The scheduler calls it when a plain function is given
        to this executor, so that its first jobs find their threads ready.

        All the threads start at once, from a thread of their own, so a burst of
        jobs does not wait for them and the loop is not held up. Done when a plain
        function is given to the executor or at the first job that needs a thread,
        not at start: a scheduler whose jobs are all ``async def`` never pays for
        threads.
        """
        self._threads_wanted = True
        if self._workers is not None:
            self._workers.start()

    async def stop(self) -> None:
        workers, self._workers = self._workers, None
        if workers is not None:
            # Running jobs cannot be stopped; let them finish on their own.
            workers.stop()

    async def run_job(self, func: Callable[..., Any], job: Job) -> Any:
        if iscoroutinefunction(func):
            return await func(*job.args, **job.kwargs)
        if self._workers is None:
            await self.start()
            assert self._workers is not None
        if not self._workers.started:
            self._workers.start()
        # The job's context (``current_job``) goes with it into the thread.
        context = contextvars.copy_context()
        call = partial(context.run, func, *job.args, **job.kwargs)
        succeeded, result = await self._workers.submit(call)
        if not succeeded:
            raise result
        if isawaitable(result):
            result = await result
        return result
