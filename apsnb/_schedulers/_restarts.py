"""What a persistent store can bring back after a kernel restart, said when scheduling.

A store keeps a task's function and a trigger's class by name. What lives only in
this process (a notebook's ``__main__``, a function's locals) has a name that nothing
can import after a restart: its schedules then wait until the notebook defines it
again. A lambda has no name at all, so its schedule could never run again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .._exceptions import UnusableCallable
from .._marshalling import callable_to_ref


def is_lambda(func: Callable[..., Any]) -> bool:
    return "<lambda>" in (getattr(func, "__qualname__", None) or "")


def refuse_lambda(func: Callable[..., Any]) -> None:
    """Refuse a lambda for a schedule in a persistent store.

    :raises UnusableCallable: saying to define the function with ``def``
    """
    if is_lambda(func):
        raise UnusableCallable(
            func,
            "is a lambda, so a persistent store cannot find it again: its task id "
            "holds a memory address, and after a restart its schedule would wait "
            "forever",
            "define it with def (in the notebook or in a module) and schedule that "
            "function, or use a MemoryDataStore",
        )


def warn_if_kept_by_name_only(
    logger: logging.Logger,
    warned: set[str],
    task_id: str,
    func: Callable[..., Any] | None,
    trigger: object,
    schedule_id: str,
) -> None:
    """Log, once per task and per trigger class, what will wait after a restart."""
    if func is not None and callable_to_ref(func) is None and task_id not in warned:
        warned.add(task_id)
        logger.warning(
            "the function of task %r lives only in this process (a notebook or "
            "script): the store keeps its name, not its code. After a restart its "
            "schedules wait (scheduler.waiting_schedules()) until you run the cell "
            "that defines it and scheduler.configure_task(%r, func=<function>); "
            "define it in a module to avoid this",
            task_id, task_id,
        )  # fmt: skip
    for reference in _trigger_classes(trigger):
        module, _, qualname = reference.partition(":")
        if (module == "__main__" or "<locals>" in qualname) and reference not in warned:
            warned.add(reference)
            logger.warning(
                "the trigger class %r lives only in this process (a notebook or "
                "script): the store keeps its name and state, not its code. After a "
                "restart schedule %r waits (scheduler.waiting_schedules()) until you "
                "run the cell that defines the class again; define it in a module "
                "to avoid this",
                reference, schedule_id,
            )  # fmt: skip


def _trigger_classes(trigger: Any) -> list[str]:
    """The class of ``trigger`` and of the triggers its state holds (``AndTrigger``)."""
    cls = type(trigger)
    found = [f"{cls.__module__}:{cls.__qualname__}"]
    pending = [trigger.__getstate__()]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            if isinstance(value.get("type"), str) and "state" in value:
                found.append(value["type"])
            pending.extend(value.values())
        elif isinstance(value, list | tuple):
            pending.extend(value)
    return found
