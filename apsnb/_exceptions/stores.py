"""Errors about data stores: where they are, what they hold (serializing it, copying
it) and how a database fails."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import ApsnbError
from .scheduler import ConflictingIdError
from .trust import UntrustedReference

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = (
    "CopyConflict",
    "CopyIncomplete",
    "DataStoreAccessDenied",
    "DataStoreBusy",
    "DataStoreCorrupt",
    "DataStoreError",
    "DataStoreFileMissing",
    "DataStoreFull",
    "DataStoreReadOnly",
    "DataStoreSchemaError",
    "DataStoreUnavailable",
    "DeserializationError",
    "IncompatibleDataStore",
    "SerializationError",
    "UnknownStoreLocation",
)


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

    def __init__(self, source: str, rows: Sequence[tuple[str, BaseException]]) -> None:
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
        shown = "; ".join(f"{what}: {_reason(error)}" for what, error in self.rows[:5])
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
