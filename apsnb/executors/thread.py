"""Run jobs in worker threads."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from inspect import isawaitable, iscoroutinefunction
from typing import Any

from .._structures import Job
from ..abc import JobExecutor

__all__ = ("ThreadPoolJobExecutor",)

#: Seconds a worker waits for the others to start (a safety net: stop() frees them).
_WARM_UP_TIMEOUT = 10.0


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

    __slots__ = ("_pool", "_threads_wanted", "_warm_up", "max_workers")

    def __init__(self, max_workers: int = 40) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers={max_workers!r}: it must be at least 1")
        self.max_workers = max_workers
        self._pool: ThreadPoolExecutor | None = None
        self._warm_up: threading.Barrier | None = None
        self._threads_wanted = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(max_workers={self.max_workers})"

    async def start(self) -> None:
        # The executor's own pool, not the loop's default one: its size is ours, and
        # a cheaper hop than anyio.to_thread (about twice as many jobs a second).
        self._pool = ThreadPoolExecutor(
            self.max_workers, thread_name_prefix="apsnb-job"
        )
        self._warm_up = None
        if self._threads_wanted:
            self._start_threads()

    def prepare(self) -> None:
        """Start the worker threads in the background: now if the executor runs,
        else when it starts. The scheduler calls it when a plain function is given
        to this executor, so that its first jobs find their threads ready."""
        self._threads_wanted = True
        if self._pool is not None and self._warm_up is None:
            self._start_threads()

    def _start_threads(self) -> None:
        """Start every worker thread, so a burst of jobs does not wait for them.

        Each start blocks until its thread runs: 5 to 20 ms of the loop's time for 40
        of them on a busy machine. A thread of its own starts them, keeping all the
        workers busy at once (the pool would reuse an idle one instead). Done when a
        plain function is given to the executor (:meth:`prepare`) or at the first
        job that needs a thread, not at start: a scheduler whose jobs are all
        ``async def`` never pays for threads.
        """
        assert self._pool is not None
        self._warm_up = threading.Barrier(self.max_workers)
        threading.Thread(
            target=_start_threads,
            args=(self._pool, self._warm_up),
            name="apsnb-job-threads-start",
            daemon=True,
        ).start()

    async def stop(self) -> None:
        pool, self._pool = self._pool, None
        if self._warm_up is not None:
            self._warm_up.abort()  # frees the workers still waiting for the others
        if pool is not None:
            # Running jobs cannot be stopped; let them finish on their own.
            pool.shutdown(wait=False, cancel_futures=True)

    async def run_job(self, func: Callable[..., Any], job: Job) -> Any:
        if iscoroutinefunction(func):
            return await func(*job.args, **job.kwargs)
        if self._pool is None:
            await self.start()
        if self._warm_up is None:
            self._start_threads()
        # The job's context (``current_job``) goes with it into the thread.
        context = contextvars.copy_context()
        call = partial(context.run, func, *job.args, **job.kwargs)
        result = await asyncio.get_running_loop().run_in_executor(self._pool, call)
        if isawaitable(result):
            result = await result
        return result


def _start_threads(pool: ThreadPoolExecutor, barrier: threading.Barrier) -> None:
    try:
        for _ in range(barrier.parties):
            pool.submit(_wait_for_the_others, barrier)
    except RuntimeError:
        pass  # the executor stopped meanwhile: no threads are needed any more


def _wait_for_the_others(barrier: threading.Barrier) -> None:
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(_WARM_UP_TIMEOUT)
