"""Errors about what a process runs: functions it cannot run where they are scheduled,
task functions it no longer has, and what a store names but this process did not
choose to import."""

from __future__ import annotations

from .base import ApsnbError

__all__ = (
    "InvalidAllowedModule",
    "TaskFunctionMissing",
    "UntrustedReference",
    "UnusableCallable",
)


def _callable_name(func: object) -> str:
    """``module:qualname`` (no memory address, unlike a function's repr)."""
    qualname = getattr(func, "__qualname__", None)
    if qualname is None:
        return repr(func)
    module = getattr(func, "__module__", None)
    return f"{module}:{qualname}" if module else qualname


class UnusableCallable(ApsnbError, ValueError):
    """Raised when a function cannot be run where it is scheduled to run."""

    def __init__(self, func: object, reason: str, fix: str) -> None:
        self.func = func
        super().__init__(f"{_callable_name(func)} {reason}; {fix}")


class TaskFunctionMissing(ApsnbError, LookupError):
    """Raised when a task's function is known to no one in this process.

    This happens to a function defined in a notebook after the kernel restarted: the
    stored task remembers its name, not its code.
    """

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        super().__init__(
            f"the task {task_id!r} has no function in this process (it was defined "
            f"in a notebook or script that has since restarted); run the cell that "
            f"defines it, then scheduler.configure_task({task_id!r}, func=<function>)"
        )


class UntrustedReference(ApsnbError, PermissionError):
    """Raised when a store names a function or trigger class this process did not choose.

    A store is written by others too, so what it names is imported only when this
    process was given it, has imported it already, or allows its module (the store's
    ``allowed_modules``).
    """

    def __init__(self, kind: str, reference: str) -> None:
        self.kind = kind
        self.reference = reference
        module = reference.partition(":")[0]
        if module == "__main__":
            how = (
                "it was defined in a notebook or script that has since restarted: run "
                "the cell that defines it again"
            )
            if kind == "task function":
                how += (
                    f", then scheduler.configure_task({reference!r}, func=<function>)"
                )
        else:
            how = (
                f"if you trust everyone who can write the store with it, allow its "
                f"module on the store: allowed_modules=[{module!r}] (as in "
                f"SQLiteDataStore(path, allowed_modules=[{module!r}]); apsnb worker: "
                f"--allow {module})"
            )
            if kind == "task function":
                how += (
                    f", or bind it: scheduler.configure_task({reference!r}, "
                    f"func=<function>)"
                )
            else:
                how += f", or import {module} in this process first"
        super().__init__(
            f"the store names the {kind} {reference!r}, which this process was not "
            f"given and whose module is not allowed, so it is not imported; {how}"
        )


class InvalidAllowedModule(ApsnbError, ValueError):
    """Raised when an ``allowed_modules`` entry is not a module or function path."""

    def __init__(self, entry: object) -> None:
        self.entry = entry
        super().__init__(
            f"allowed_modules entry {entry!r} is not a module name: give a module or "
            f"package ('mypkg', 'mypkg.jobs': it and its submodules) or one function "
            f"or class ('mypkg.jobs:refresh')"
        )
