"""What a running scheduler knows of its store's tasks, read again when they may
have changed rather than once per fire time or job."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from .._exceptions import TaskFunctionMissing, TaskLookupError, UntrustedReference
from .._structures import Task

if TYPE_CHECKING:
    from .async_ import AsyncScheduler


class TaskView:
    """The store's tasks as last read, and those whose jobs this process may not run.

    Read again after a task event (this process's changes, and another's on a store
    or broker that tells), when a job or schedule names a task not seen yet, and at
    the latest ``max_age`` seconds after the last reading: a store shared with other
    processes that publish no events here (SQLite) shows their changes no later than
    it shows their schedules.

    :param max_age: seconds a reading stays good (the scheduler's poll interval)
    """

    __slots__ = (
        "_logger",
        "_read_at",
        "_reported",
        "_scheduler",
        "_tasks",
        "max_age",
        "skip",
    )

    def __init__(
        self, scheduler: AsyncScheduler, logger: logging.Logger, max_age: float
    ) -> None:
        self._scheduler = scheduler
        self._logger = logger
        self.max_age = max_age
        self._tasks: dict[str, Task] = {}
        self._read_at: float | None = None  # time.monotonic() of the last reading
        self._reported: set[str] = set()
        #: Tasks whose jobs this process may not run (function not bound here, or
        #: not allowed): their jobs stay in the store for a scheduler that can.
        self.skip: set[str] = set()

    def changed(self) -> None:
        """Read the tasks again before they are next used."""
        self._read_at = None

    def knows(self, task_id: str) -> bool:
        return task_id in self._tasks

    def fresh(self, within: float = 0.0) -> bool:
        """Whether the reading is good for ``within`` seconds more."""
        read_at = self._read_at
        return (
            read_at is not None and time.monotonic() + within - read_at < self.max_age
        )

    async def refresh(self, within: float = 0.0) -> None:
        """Read the tasks if they may have changed, or will be due for reading
        within ``within`` seconds; sort out the ones to skip."""
        if self.fresh(within):
            return
        self._read_at = time.monotonic()  # a task event meanwhile unsets it
        try:
            tasks = await self._scheduler.data_store.get_tasks()
        except BaseException:
            self._read_at = None
            raise
        self._tasks = {task.id: task for task in tasks}
        has_function = self._scheduler._has_function
        self.skip = {task.id for task in tasks if not has_function(task)}
        for task_id in self.skip - self._reported:
            self._reported.add(task_id)
            self._logger.warning(
                "jobs of task %r are left for a scheduler that can run them: %s",
                task_id, why_not_runnable(self._tasks[task_id]),
            )  # fmt: skip

    async def get(self, task_id: str) -> Task | None:
        """The task, or ``None`` if the store has none by that id."""
        await self.refresh()
        task = self._tasks.get(task_id)
        if task is None:
            # Added since the reading, by a process that could not say so?
            try:
                task = await self._scheduler.data_store.get_task(task_id)
            except TaskLookupError:
                return None
            self.changed()  # read them all again: which to skip may change too
        return task


def why_not_runnable(task: Task) -> Exception:
    """Why this process may not run ``task``'s jobs, with how to change that."""
    if task.func is None:
        return TaskFunctionMissing(task.id)
    return UntrustedReference("task function", task.func)
