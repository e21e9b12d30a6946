"""Run jobs on the event loop itself."""

from __future__ import annotations

from collections.abc import Callable
from inspect import isawaitable
from typing import Any

from .._structures import Job
from ..abc import JobExecutor

__all__ = ("AsyncJobExecutor",)


class AsyncJobExecutor(JobExecutor):
    """Runs a job's function on the scheduler's event loop (the kernel's, in a notebook).

    Made for ``async def`` functions: the coroutine is awaited on the loop, so it can
    use the notebook's objects freely and costs no thread. A plain function is called
    directly on the loop too, and *blocks it* until it returns: the kernel cannot run
    other cells' async code and the scheduler cannot fire meanwhile. Give such
    functions the thread pool executor instead.

    Cancelling the task that awaits :meth:`run_job` cancels the coroutine.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    async def run_job(self, func: Callable[..., Any], job: Job) -> Any:
        result = func(*job.args, **job.kwargs)
        if isawaitable(result):
            result = await result
        return result
