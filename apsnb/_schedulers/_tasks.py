"""Tasks: which function a job calls, where it runs, and how its jobs are limited.

A function is bound to its task in this process. Its import path is stored too, so
another process (or this one after a restart) can find it; a function defined in a
notebook has none, and its schedules wait until ``configure_task`` binds it again.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .._converters import as_timedelta
from .._exceptions import (
    InvalidChoice,
    InvalidSchedulerSetting,
    InvalidTriggerArgumentType,
    TaskFunctionMissing,
    TaskLookupError,
    UntrustedReference,
)
from .._marshalling import callable_from_ref, callable_to_ref
from .._structures import Task, TaskDefaults
from .._trust import AllowList
from ..executors.thread import ThreadPoolJobExecutor
from ._unset import UNSET, Unset, is_set

if TYPE_CHECKING:
    from ..abc import AsyncDataStore, JobExecutor
    from ._runtime import Runtime


class TaskRegistry:
    """Tasks and their functions; mixed into :class:`AsyncScheduler`."""

    data_store: AsyncDataStore
    job_executors: dict[str, JobExecutor]
    task_defaults: TaskDefaults
    _functions: dict[str, Callable[..., Any]]
    _allowed: AllowList
    _tasks: dict[str, Task]
    _runtime: Runtime | None

    async def _start_services(self) -> None:  # provided by SchedulerLifecycle
        raise NotImplementedError

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
            misfire_grace_time=as_duration(
                _pick(
                    misfire_grace_time,
                    existing.misfire_grace_time if existing else UNSET,
                    defaults.misfire_grace_time,
                ),
                "misfire_grace_time",
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
            executor = self.job_executors[task.job_executor]
            if isinstance(executor, ThreadPoolJobExecutor) and not _is_async(func):
                executor.prepare()  # its threads start before its first jobs
        await self.data_store.add_task(task)
        self._tasks[task_id] = task
        return task

    async def get_tasks(self) -> list[Task]:
        """Return every task, sorted by id."""
        await self._start_services()
        return await self.data_store.get_tasks()

    def _check_executor(self, executor: str, func: Callable[..., Any] | None) -> None:
        if executor not in self.job_executors:
            raise InvalidChoice("job_executor", executor, sorted(self.job_executors))
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
        """Whether this process may run ``task``'s jobs: it was given the function,
        or the store's ``allowed_modules`` allow importing it (the trust rule)."""
        if task.id in self._functions:
            return True
        return task.func is not None and self._allowed.allows(task.func)

    def waiting_schedules(self) -> dict[str, list[str]]:
        """Schedules that wait, by what they wait for: a task id or a trigger class.

        - A task whose function is defined in a notebook is known by name only to
          the store: after a kernel restart, its schedules wait until
          ``configure_task(task_id, func=...)`` binds it again. So do the tasks
          whose function's module the store does not allow (``allowed_modules``).
        - A trigger class defined in a notebook (``"__main__:Every"``), or from a
          module this process has not imported and the store does not allow: its
          schedules wait until the class is defined (or imported) again; they are
          read again within ``lease_duration``.

        Their fire times are kept, and follow the misfire rules once they can run.
        A schedule is listed once it is due (or once :meth:`get_schedules` met it).
        """
        runtime = self._runtime
        if runtime is None:
            return {}
        grouped: dict[str, list[str]] = {}
        for schedule_id, waits_for in runtime.waiting.items():
            grouped.setdefault(waits_for, []).append(schedule_id)
        return {what: sorted(ids) for what, ids in sorted(grouped.items())}

    async def _function_for(self, task_id: str) -> Callable[..., Any]:
        func = self._functions.get(task_id)
        if func is None:
            task = await self.data_store.get_task(task_id)
            if task.func is None:
                raise TaskFunctionMissing(task_id)
            if not self._allowed.allows(task.func):
                raise UntrustedReference("task function", task.func)
            func = self._functions[task_id] = callable_from_ref(task.func)
        return func


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


def as_duration(value: Any, setting: str) -> timedelta | None:
    """A duration from seconds or a timedelta; ``None`` stays ``None``.

    :raises InvalidSchedulerSetting: if it is negative
    """
    if value is None:
        return None
    duration = as_timedelta(value, setting)
    if duration < timedelta(0):
        raise InvalidSchedulerSetting(
            setting, value, "give a duration of 0 or more (None: no limit)"
        )
    return duration
