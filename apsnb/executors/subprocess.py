"""Run jobs in worker processes, and check that a function can be run there."""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable
from typing import Any

import anyio.to_process
from anyio import CapacityLimiter

from .._exceptions import UnusableCallable
from .._structures import Job
from ..abc import JobExecutor

__all__ = ("ProcessPoolJobExecutor", "check_runnable_in_subprocess")

_MOVE_IT = (
    "move it to a .py module next to the notebook and import it from there, "
    "or use job_executor='threadpool'"
)


class ProcessPoolJobExecutor(JobExecutor):
    """Runs a job's function in a worker process, for CPU-bound work.

    A worker process has its own interpreter, so a long computation neither holds the
    kernel's GIL nor freezes the notebook. The function and its arguments are sent
    to the worker by pickling: the function must be importable by its module and
    name (defined in a ``.py`` file, not in a notebook cell), which
    :func:`check_runnable_in_subprocess` checks; arguments and the return value must
    be picklable. An ``async def`` function is run with ``asyncio.run`` in the worker.

    Worker processes are started on first use and reused; they end with the event
    loop. Cancelling the task that awaits :meth:`run_job` kills the worker running it.

    :param max_workers: how many jobs may run in processes at the same time
        (default: the number of CPUs)
    """

    __slots__ = ("_limiter", "max_workers")

    def __init__(self, max_workers: int | None = None) -> None:
        max_workers = max_workers if max_workers is not None else os.cpu_count() or 1
        if max_workers < 1:
            raise ValueError(f"max_workers={max_workers!r}: it must be at least 1")
        self.max_workers = max_workers
        self._limiter: CapacityLimiter | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(max_workers={self.max_workers})"

    async def start(self) -> None:
        self._limiter = CapacityLimiter(self.max_workers)

    async def stop(self) -> None:
        self._limiter = None

    async def run_job(self, func: Callable[..., Any], job: Job) -> Any:
        check_runnable_in_subprocess(func)
        if self._limiter is None:
            await self.start()
        return await anyio.to_process.run_sync(
            _call_in_worker,
            func,
            job.args,
            job.kwargs,
            cancellable=True,
            limiter=self._limiter,
        )


def _call_in_worker(
    func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """Run in the worker process: call ``func``, and run what it returns if awaitable."""
    result = func(*args, **kwargs)
    if inspect.isawaitable(result):
        result = asyncio.run(_await(result))
    return result


async def _await(awaitable: Any) -> Any:
    return await awaitable


def check_runnable_in_subprocess(func: Callable[..., Any]) -> None:
    """Check that another process can import ``func`` by reference, to run it there.

    Accepted: functions and classes defined at the top level of an importable module,
    builtins, methods of such classes, and ``functools.partial`` objects of these.
    (The arguments are not checked; they must be picklable.)

    :raises UnusableCallable: for lambdas, functions nested in other functions,
        functions defined in the notebook (``__main__``), methods of objects whose
        class is not importable, and functions whose module cannot be imported; the
        message says what to do instead
    """
    target: object = func
    while isinstance(target, functools.partial):
        target = target.func
    problem = _reference_problem(target)
    if problem is not None:
        raise UnusableCallable(func, problem, _MOVE_IT)


def _reference_problem(target: object) -> str | None:
    """Say why ``target`` cannot be pickled by reference, or return ``None``."""
    if inspect.ismethod(target):
        owner = target.__self__
        owner_class = owner if inspect.isclass(owner) else type(owner)
        problem = _reference_problem(owner_class)
        if problem is not None:
            return f"is a method of {owner_class.__qualname__}, which {problem}"
        return None
    if inspect.isbuiltin(target):
        return None  # builtin functions and methods pickle by value or by name
    if not (inspect.isfunction(target) or inspect.isclass(target)):
        # A callable object is pickled with its class.
        return _reference_problem(type(target))
    qualname: str = target.__qualname__
    module_name: str | None = target.__module__
    if module_name is None:  # made by exec() without a __name__
        return "belongs to no module, so another process cannot import it"
    if target.__name__ == "<lambda>":
        return "is a lambda, which has no name another process could import"
    if "<locals>" in qualname:
        return "is defined inside another function, so another process cannot import it"
    if module_name == "__main__":
        main = sys.modules.get("__main__")
        if getattr(main, "__file__", None) is None or not _reachable(target, main):
            return (
                "is defined in the notebook (__main__), so another process cannot "
                "import it"
            )
        return None  # a script's __main__ is run again in the worker
    module = sys.modules.get(module_name)
    if module is None:
        try:
            spec = importlib.util.find_spec(module_name)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            return f"comes from the module {module_name!r}, which cannot be imported"
        return None
    if not _reachable(target, module):
        return (
            f"is not reachable as {module_name}.{qualname} (it was replaced or "
            f"created dynamically), so another process cannot import it"
        )
    return None


def _reachable(target: object, module: object) -> bool:
    found: object = module
    for part in target.__qualname__.split("."):  # type: ignore[attr-defined]
        found = getattr(found, part, None)
        if found is None:
            return False
    return found is target
