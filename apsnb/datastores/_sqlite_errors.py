"""Which SQLite failures pass (retry them) and which are for good (name them).

Decided by the error *code* SQLite gives (``sqlite3.Error.sqlite_errorcode``), never
by the message text, which differs between SQLite versions and locales. The low byte
of an extended code is its primary code: ``SQLITE_BUSY_SNAPSHOT`` (517) is a kind of
``SQLITE_BUSY`` (5).
"""

from __future__ import annotations

import sqlite3

from .._exceptions import (
    DataStoreAccessDenied,
    DataStoreCorrupt,
    DataStoreError,
    DataStoreFull,
    DataStoreReadOnly,
    DataStoreSchemaError,
)

SQLITE_ERROR = 1
SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_AUTH = 23
SQLITE_NOTADB = 26

#: Another connection holds a lock that this one needs: wait and try again.
TEMPORARY_CODES = frozenset({SQLITE_BUSY, SQLITE_LOCKED})


def primary_code(error: sqlite3.Error) -> int | None:
    """The primary result code of an SQLite error, if it carries one."""
    code = getattr(error, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def is_temporary(error: BaseException) -> bool:
    """Whether ``error`` is a lock held by someone else, which goes away by itself."""
    return isinstance(error, sqlite3.Error) and primary_code(error) in TEMPORARY_CODES


def permanent_error(error: sqlite3.Error, location: str) -> DataStoreError:
    """The named apsnb error for an SQLite failure that retrying would not fix."""
    code = primary_code(error)
    detail = f"{error} ({getattr(error, 'sqlite_errorname', 'no error code')})"
    if code in (SQLITE_NOTADB, SQLITE_CORRUPT):
        return DataStoreCorrupt(
            location,
            f"it is not an SQLite database, or it is damaged: {detail}",
            "check the path; restore the file from a backup, or move it away so "
            "that apsnb starts a new one",
        )
    if code == SQLITE_READONLY:
        return DataStoreReadOnly(
            location,
            f"the database can only be read here: {detail}",
            "give this process write permission on the file and its folder (SQLite "
            "writes -wal and -shm files next to it), or open it without mode=ro",
        )
    if code in (SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_AUTH):
        return DataStoreAccessDenied(
            location,
            f"the database cannot be opened: {detail}",
            "check that its folder exists and that this process may read and write "
            "there",
        )
    if code == SQLITE_FULL:
        return DataStoreFull(
            location,
            f"the disk is full: {detail}",
            "free some space (cleanup() drops expired job results), then try again",
        )
    if code == SQLITE_ERROR:
        return DataStoreSchemaError(
            location,
            f"apsnb's tables are missing or damaged: {detail}",
            "was the file changed by another program? Restore it from a backup, "
            "or move it away so that apsnb starts a new one",
        )
    return DataStoreError(
        location,
        f"SQLite failed: {detail}",
        "this is not a lock that retrying could wait out; check the file and the disk",
    )
