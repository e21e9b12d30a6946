"""The errors apsnb raises: each names what was wrong and says how to fix it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any


class ApsnbError(Exception):
    """Base class of every error apsnb raises on purpose."""


class InvalidCronField(ApsnbError, ValueError):
    """Raised when a cron field holds an expression it cannot accept."""

    def __init__(self, field: str, value: object, reason: str, allowed: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        self.allowed = allowed
        super().__init__(f"{field}={value!r}: {reason}. {field} accepts {allowed}")


class InvalidCrontab(ApsnbError, ValueError):
    """Raised when a crontab string does not have the shape cron expects."""

    def __init__(self, expression: object, reason: str) -> None:
        self.expression = expression
        super().__init__(
            f"crontab {expression!r}: {reason}. Write 5 fields "
            f"('minute hour day month day_of_week'), 6 with seconds first, "
            f"or one of @yearly @annually @monthly @weekly @daily @midnight @hourly"
        )


class UnknownTimeZone(ApsnbError, ValueError):
    """Raised when a time zone name is not in the time zone database."""

    def __init__(self, name: object) -> None:
        self.name = name
        super().__init__(
            f"unknown time zone {name!r}: use an IANA name such as 'Europe/Helsinki', "
            f"'America/New_York' or 'UTC' (see zoneinfo.available_timezones()), "
            f"or pass a tzinfo object"
        )


class NaiveDatetimeError(ApsnbError, ValueError):
    """Raised when a datetime without a time zone is given where an instant is needed."""

    def __init__(self, argument: str, value: datetime | str) -> None:
        self.argument = argument
        self.value = value
        super().__init__(
            f"{argument}={value!r} has no time zone, so it does not name one instant. "
            f"Attach one, e.g. datetime(2026, 3, 29, 9, tzinfo=ZoneInfo('Europe/Helsinki'))"
            f", or pass an ISO string with an offset such as '2026-03-29T09:00:00+03:00'"
        )


class InvalidTriggerArgument(ApsnbError, ValueError):
    """Raised when a trigger argument has an acceptable type but an impossible value."""

    def __init__(self, trigger: str, argument: str, value: object, fix: str) -> None:
        self.trigger = trigger
        self.argument = argument
        self.value = value
        super().__init__(f"{trigger}({argument}={value!r}): {fix}")


class InvalidTriggerArgumentType(ApsnbError, TypeError):
    """Raised when a trigger argument is of a type the trigger cannot use."""

    def __init__(self, argument: str, value: object, expected: str) -> None:
        self.argument = argument
        self.value = value
        super().__init__(
            f"{argument}={value!r} is {with_article(type(value).__name__)}; "
            f"expected {expected}"
        )


class InvalidFireTime(ApsnbError, ValueError):
    """Raised when a trigger's ``next()`` returns something other than an aware
    datetime or ``None`` (``apsnb.lab.check_trigger`` finds every such problem)."""

    def __init__(self, trigger: object, what: str, fix: str) -> None:
        self.trigger = trigger
        super().__init__(f"{trigger!r}: {what}. Fix: {fix}")


class TriggerNeverFires(ApsnbError, ValueError):
    """Raised when a trigger's fields match no date at all, so it could never fire."""

    def __init__(self, trigger: str, reason: str) -> None:
        self.trigger = trigger
        super().__init__(
            f"{trigger} never fires: {reason}. A schedule that never fires is always a "
            f"mistake; check those fields"
        )


class TriggerStateError(ApsnbError, ValueError):
    """Raised when a trigger's saved state cannot be restored (unknown version, bad data)."""

    def __init__(self, trigger: str, reason: str) -> None:
        self.trigger = trigger
        super().__init__(f"cannot restore {trigger} from its saved state: {reason}")


class MaxIterationsReached(ApsnbError, RuntimeError):
    """Raised when an ``AndTrigger`` finds no common fire time in ``max_iterations`` steps.

    ``trace`` holds the children's fire times at the last few steps, oldest first, so
    one can see why they never agree.
    """

    def __init__(
        self,
        max_iterations: int,
        threshold_seconds: float,
        trace: Sequence[Sequence[Any]] = (),
    ) -> None:
        self.max_iterations = max_iterations
        self.threshold_seconds = threshold_seconds
        self.trace = [list(row) for row in trace]
        lines = [
            f"the triggers found no fire times within {threshold_seconds:g} s of each "
            f"other in {max_iterations} iterations. Check that they can coincide (an "
            f"interval with seconds against a cron on whole minutes never does), or "
            f"raise threshold or max_iterations"
        ]
        if self.trace:
            lines.append("last fire times of each child (one row per iteration):")
            lines.extend(
                "  " + " | ".join(_format_instant(value) for value in row)
                for row in self.trace
            )
        super().__init__("\n".join(lines))


def with_article(noun: str) -> str:
    """``an int``, ``a str``: the noun with its indefinite article."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _callable_name(func: object) -> str:
    """``module:qualname`` (no memory address, unlike a function's repr)."""
    qualname = getattr(func, "__qualname__", None)
    if qualname is None:
        return repr(func)
    module = getattr(func, "__module__", None)
    return f"{module}:{qualname}" if module else qualname


def _format_instant(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else repr(value)


class MaxSkipsReached(ApsnbError, RuntimeError):
    """Raised when an ``ExcludeTrigger`` drops ``max_skips`` fire times in a row."""

    def __init__(self, max_skips: int, first: datetime, last: datetime) -> None:
        self.max_skips = max_skips
        self.first = first
        self.last = last
        super().__init__(
            f"every one of {max_skips} fire times in a row, from {first.isoformat()} "
            f"to {last.isoformat()}, was excluded. Check that the excluded dates and "
            f"triggers leave some fire times, or raise max_skips"
        )


class InvalidChoice(ApsnbError, ValueError):
    """Raised when a setting that takes one of a few values gets another one."""

    def __init__(self, setting: str, value: object, choices: Sequence[str]) -> None:
        self.setting = setting
        self.value = value
        self.choices = tuple(choices)
        listed = ", ".join(map(repr, self.choices))
        super().__init__(
            f"{setting}={value!r} is not a valid value; choose one of {listed}"
        )


class InvalidTriggerForm(ApsnbError, ValueError):
    """Raised when a trigger composer's form cannot make a trigger.

    ``errors`` maps each field path (``"cron.minute"``, ``"timezone"``) to the message
    the composer shows next to that field.
    """

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        listed = "\n".join(f"  {path}: {message}" for path, message in errors.items())
        super().__init__(
            f"the form does not make a trigger yet; fix the fields marked in red "
            f"(also in .errors):\n{listed}"
        )


# The scheduler's errors.


class TaskLookupError(ApsnbError, LookupError):
    """Raised when no task has the given id."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        super().__init__(
            f"no task with the id {task_id!r}: add it with configure_task() or by "
            f"passing the function itself to add_schedule()/add_job()"
        )


class ScheduleLookupError(ApsnbError, LookupError):
    """Raised when no schedule has the given id."""

    def __init__(self, schedule_id: str) -> None:
        self.schedule_id = schedule_id
        super().__init__(
            f"no schedule with the id {schedule_id!r}; get_schedules() lists the "
            f"existing ones"
        )


class JobLookupError(ApsnbError, LookupError):
    """Raised when no job or job result has the given id."""

    def __init__(self, job_id: object) -> None:
        self.job_id = job_id
        super().__init__(
            f"no job with the id {job_id}: it never existed, or its result expired "
            f"or was already read (results are kept for result_expiration_time)"
        )


class JobResultNotReady(ApsnbError, LookupError):
    """Raised by ``get_job_result(wait=False)`` when the job has not finished yet."""

    def __init__(self, job_id: object) -> None:
        self.job_id = job_id
        super().__init__(
            f"job {job_id} has not finished yet; call get_job_result(job_id) (it "
            f"waits by default) or try again later"
        )


class JobCancelled(ApsnbError, RuntimeError):
    """Raised by ``get_job_result``/``run_job`` when the job was cancelled."""

    def __init__(self, job_id: object) -> None:
        self.job_id = job_id
        super().__init__(f"job {job_id} was cancelled before it finished")


class JobDeadlineMissed(ApsnbError, RuntimeError):
    """Raised by ``get_job_result``/``run_job`` when the job started too late."""

    def __init__(self, job_id: object) -> None:
        self.job_id = job_id
        super().__init__(
            f"job {job_id} was not run: it could not start before its deadline "
            f"(scheduled time + misfire_grace_time); raise misfire_grace_time to allow "
            f"late starts"
        )


class ConflictingIdError(ApsnbError, KeyError):
    """Raised when adding a schedule whose id exists, with ``ConflictPolicy.exception``."""

    def __init__(self, schedule_id: str) -> None:
        self.schedule_id = schedule_id
        super().__init__(
            f"a schedule with the id {schedule_id!r} exists already; pass "
            f"conflict_policy=ConflictPolicy.replace to replace it, or another id"
        )

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class CopyConflict(ConflictingIdError):
    """Raised when copying a store into one that has schedules with the same ids."""

    def __init__(self, schedule_ids: Sequence[str], target: str) -> None:
        self.schedule_id = schedule_ids[0]
        self.schedule_ids = list(schedule_ids)
        shown = ", ".join(repr(id) for id in schedule_ids[:5])
        more = f" and {len(schedule_ids) - 5} more" if len(schedule_ids) > 5 else ""
        Exception.__init__(
            self,
            f"{target} has schedules with the ids of {len(schedule_ids)} being copied "
            f"({shown}{more}); nothing was copied. Pass replace=True (apsnb copy "
            f"--replace) to replace them, or remove them from the target first",
        )


class CopyIncomplete(ApsnbError, RuntimeError):
    """Raised when the source of a copy has rows this process cannot read.

    A copy moves every row or none, so nothing is copied. Most often a schedule's
    trigger class lives in a module that is neither imported nor allowed.
    """

    def __init__(
        self, source: str, rows: Sequence[tuple[str, BaseException]]
    ) -> None:
        #: ``(what, error)`` for each row: ``"schedule 'id'"`` or ``"job <uuid>"``.
        self.rows = list(rows)
        self.modules = sorted(
            {
                error.reference.partition(":")[0]
                for _, error in rows
                if isinstance(error, UntrustedReference)
                and not error.reference.startswith("__main__:")
            }
        )
        shown = "; ".join(
            f"{what}: {_reason(error)}" for what, error in self.rows[:5]
        )
        more = f"; and {len(rows) - 5} more" if len(rows) > 5 else ""
        fix = "fix or remove those rows in the source, then copy again"
        if self.modules:
            options = " ".join(f"--allow {module}" for module in self.modules)
            fix = (
                f"if you trust everyone who can write the source, allow the modules "
                f"it names and copy again: apsnb copy {options} SOURCE TARGET "
                f"(copy_data_store(..., allowed_modules={self.modules!r}))"
            )
        super().__init__(
            f"{source} has {len(rows)} rows this process cannot read, so nothing "
            f"was copied (a copy takes every row or none): {shown}{more}. {fix}"
        )


def _reason(error: BaseException) -> str:
    if isinstance(error, UntrustedReference):
        return f"its {error.kind} {error.reference!r} is neither imported nor allowed"
    return f"{type(error).__name__}: {error}"


class SerializationError(ApsnbError, ValueError):
    """Raised when a value cannot be stored by the chosen serializer."""

    def __init__(self, what: str, reason: str) -> None:
        self.what = what
        self.reason = reason
        super().__init__(f"cannot store {what}: {reason}")


class DeserializationError(ApsnbError, ValueError):
    """Raised when stored data cannot be read back."""

    def __init__(self, what: str, reason: str) -> None:
        self.what = what
        super().__init__(f"cannot read {what}: {reason}")


class UnusableCallable(ApsnbError, ValueError):
    """Raised when a function cannot be run where it is scheduled to run."""

    def __init__(self, func: object, reason: str, fix: str) -> None:
        self.func = func
        super().__init__(f"{_callable_name(func)} {reason}; {fix}")


class SchedulerNotRunning(ApsnbError, RuntimeError):
    """Raised when an operation needs a running scheduler and it is not running."""

    def __init__(self, operation: str) -> None:
        super().__init__(
            f"{operation} needs a running scheduler: start it first with "
            f"'await scheduler.start_in_background()' (or scheduler.start_in_background() "
            f"for the synchronous Scheduler)"
        )


class InvalidSchedulerSetting(ApsnbError, ValueError):
    """Raised when a scheduler, task or schedule setting has an impossible value."""

    def __init__(self, setting: str, value: object, fix: str) -> None:
        self.setting = setting
        self.value = value
        super().__init__(f"{setting}={value!r}: {fix}")


class SchedulerIdentityInUse(ApsnbError, RuntimeError):
    """Raised when a scheduler with the same identity runs on an event loop that does
    not respond (blocked, most likely by the call that starts the new one)."""

    def __init__(self, identity: str) -> None:
        self.identity = identity
        super().__init__(
            f"a scheduler with the identity {identity!r} runs on another event loop "
            f"(the notebook kernel's?) that is blocked, by this very call most "
            f"likely, so it cannot be stopped from here; stop it first "
            f"('await scheduler.stop()' in a cell), or give this scheduler another "
            f"identity"
        )


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


# The errors of persistent data stores (SQLite). Each names the file and what to do;
# none of them is retried, apart from DataStoreBusy, raised once retries ran out.


class DataStoreError(ApsnbError, RuntimeError):
    """Raised when a data store fails for good (retrying would not help)."""

    def __init__(self, location: str, problem: str, fix: str) -> None:
        self.location = location
        self.problem = problem
        super().__init__(f"{location}: {problem}; {fix}")


class DataStoreBusy(DataStoreError):
    """Raised when a database stayed locked by others through every retry."""

    def __init__(self, location: str, attempts: int, seconds: float) -> None:
        super().__init__(
            location,
            f"the database stayed locked by another connection or process through "
            f"{attempts} attempts over {seconds:.1f} s",
            "a process may hold a long transaction (a DB browser with unsaved "
            "changes?); close it, or raise busy_timeout or the retry settings",
        )


class DataStoreUnavailable(DataStoreError):
    """Raised when a database server stayed unreachable through every retry."""

    def __init__(self, location: str, attempts: int, seconds: float, last: str) -> None:
        self.attempts = attempts
        super().__init__(
            location,
            f"the server could not be reached, or kept failing temporarily, through "
            f"{attempts} attempts over {seconds:.1f} s (last: {last})",
            "check that the server runs and that this host reaches it; the "
            "scheduler tries again by itself, or raise the store's retry settings",
        )


class IncompatibleDataStore(DataStoreError):
    """Raised when a database was written by a newer apsnb than this one."""

    def __init__(self, location: str, found: int, supported: int) -> None:
        self.found = found
        self.supported = supported
        super().__init__(
            location,
            f"its schema version is {found}, written by a newer apsnb; this apsnb "
            f"reads schema versions up to {supported}",
            "upgrade apsnb (pip install -U apsnb) in this environment, or use "
            "another file",
        )


class DataStoreCorrupt(DataStoreError):
    """Raised when a file is not an SQLite database, or is damaged."""


class DataStoreReadOnly(DataStoreError):
    """Raised when a change is asked of a database opened (or stored) read-only."""


class DataStoreAccessDenied(DataStoreError):
    """Raised when a database file cannot be opened (missing folder, permissions)."""


class DataStoreFull(DataStoreError):
    """Raised when the disk (or the database's size limit) is full."""


class DataStoreFileMissing(DataStoreError):
    """Raised when a database file was deleted while a store had it open."""

    def __init__(self, location: str) -> None:
        super().__init__(
            location,
            "the file was deleted while this store had it open; nothing is written "
            "until it is back, so that no change goes to a file nobody can see",
            "put the file back (restore it from a backup), or stop the scheduler "
            "and start it again to begin a new, empty store",
        )


class DataStoreSchemaError(DataStoreError):
    """Raised when apsnb's tables in a database are missing or damaged."""


class UnknownStoreLocation(ApsnbError, ValueError):
    """Raised when a store location is neither an SQLite path nor a known URL."""

    def __init__(self, location: object, reason: str) -> None:
        self.location = location
        super().__init__(
            f"data store location {location!r}: {reason}; give the path of an "
            f"SQLite file ('jobs.sqlite', '~/jobs.sqlite', 'sqlite:///jobs.sqlite') "
            f"or a PostgreSQL URL ('postgresql://user@host:5432/database')"
        )


class NotebookNotFound(ApsnbError, FileNotFoundError):
    """Raised when the notebook to run does not exist."""

    def __init__(self, path: object) -> None:
        self.path = path
        super().__init__(
            f"notebook {str(path)!r} does not exist; give the path of an .ipynb file "
            f"(a relative path is resolved from the current folder of the process "
            f"that runs it: prefer an absolute one for a worker)"
        )


class NotANotebook(ApsnbError, ValueError):
    """Raised when the file to run as a notebook is not a Jupyter notebook."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"{str(path)!r} is not a Jupyter notebook: {reason}; give an .ipynb file "
            f"that Jupyter opens"
        )


class InvalidNotebookParameters(ApsnbError, TypeError):
    """Raised when notebook parameters are not JSON data (what papermill injects)."""

    def __init__(self, where: str, value: object) -> None:
        self.where = where
        self.value = value
        super().__init__(
            f"notebook parameter {where} = {value!r} is a {type(value).__name__}; "
            f"parameters are JSON data: a dict with str keys of str, int, float, "
            f"bool, None, list or dict values (pass a datetime as an ISO string)"
        )


class InvalidNotebookTimeout(ApsnbError, ValueError):
    """Raised when a notebook run's timeout is not a positive duration."""

    def __init__(self, timeout: object) -> None:
        self.timeout = timeout
        super().__init__(
            f"timeout={timeout!r}: give seconds above 0 (a number or a timedelta), "
            f"or None for no limit"
        )


class UnknownKernel(ApsnbError, LookupError):
    """Raised when no Jupyter kernel of the requested name is installed."""

    def __init__(self, name: str, installed: Sequence[str]) -> None:
        self.name = name
        self.installed = tuple(installed)
        super().__init__(
            f"no Jupyter kernel named {name!r} is installed here (installed: "
            f"{', '.join(sorted(installed)) or 'none'}); pass one of those as "
            f"kernel_name, or install it (python -m ipykernel install --user "
            f"--name {name})"
        )


class NotebookFailed(ApsnbError, RuntimeError):
    """Raised when a scheduled notebook run fails: a cell raised, it ran past its
    timeout, or its kernel died. The executed copy is written all the same.

    :ivar output_path: the executed copy (``…-error.ipynb``)
    :ivar reason: ``"cell raised"``, ``"timed out"`` or ``"kernel died"``
    :ivar cell_index: the failing cell's index in the executed copy (``None`` when
        no cell raised)
    :ivar exception_type: the notebook's exception type (``"ZeroDivisionError"``)
    :ivar exception_message: its message
    """

    def __init__(
        self,
        message: str,
        *,
        output_path: str,
        reason: str,
        cell_index: int | None = None,
        exception_type: str | None = None,
        exception_message: str | None = None,
    ) -> None:
        self.output_path = output_path
        self.reason = reason
        self.cell_index = cell_index
        self.exception_type = exception_type
        self.exception_message = exception_message
        super().__init__(message)

    def __reduce__(self) -> Any:
        # Keyword-only fields: rebuilt explicitly, so the error crosses processes.
        return _rebuild_notebook_failed, (str(self), self._fields())

    def _fields(self) -> dict[str, Any]:
        return {
            "output_path": self.output_path,
            "reason": self.reason,
            "cell_index": self.cell_index,
            "exception_type": self.exception_type,
            "exception_message": self.exception_message,
        }


def _rebuild_notebook_failed(message: str, fields: dict[str, Any]) -> NotebookFailed:
    return NotebookFailed(message, **fields)
