"""The SQLite store's connection: opened right, one transaction at a time, retried.

Every read-modify-write runs in ``BEGIN IMMEDIATE``, which takes the database's write
lock *before* reading. A deferred transaction that reads and then writes may find,
when it tries to write, that another connection committed meanwhile; SQLite then fails
at once with ``SQLITE_BUSY_SNAPSHOT`` (waiting would not help, its snapshot is stale)
instead of waiting out the busy timeout. Taking the lock first makes every conflict a
plain wait, which the busy timeout and the retries below absorb.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from sqlite_utils import Database
from tenacity import RetryCallState

from .._exceptions import (
    DataStoreBusy,
    DataStoreCorrupt,
    DataStoreError,
    DataStoreFileMissing,
    DataStoreSchemaError,
)
from ._retry import RetrySettings, retrying
from ._sqlite_errors import is_temporary, permanent_error

R = TypeVar("R")

logger = logging.getLogger("apsnb.datastores.sqlite")


class SQLiteConnection:
    """One connection to the store's database, guarded by a lock.

    A single connection, opened with ``check_same_thread=False`` and used by one
    thread at a time: SQLite lets one connection write at a time anyway, so more
    connections in one process would only queue on SQLite's lock instead of this
    one (and turn waits into busy retries). The scheduler calls a store one call at a
    time already. The connection is opened again on demand after :meth:`close`.

    :param target: a path, or a sqlite-utils ``Database`` to use as it is
    :param prepare: run (with retries) after each opening: the schema check
    """

    def __init__(
        self,
        target: str | os.PathLike[str] | Database,
        *,
        busy_timeout: float,
        retry: RetrySettings,
        prepare: Callable[[Database, str], None],
    ) -> None:
        self._lock = threading.Lock()
        self._busy_timeout = busy_timeout
        self._retry = retry
        self._prepare = prepare
        self._database: Database | None = None
        self._configured = False
        self._path: str | None = None
        self._owned = True  # closed by close(); a given Database is the user's
        #: The opened file's (device, inode): another file at the path means the
        #: file was replaced (or deleted) behind this connection's back.
        self._identity: tuple[int, int] | None = None
        if isinstance(target, Database):
            self.location = _describe(target)
            if _usable_from_any_thread(target, self.location):
                self._database = target
                self._owned = False
            else:
                # A file can take a second connection, one that any thread may use.
                self._path = _file_of(target)
        else:
            self._path = os.path.expanduser(os.fspath(target))
            self.location = f"SQLite database {self._path!r}"
        self._retrying = retrying(
            retry, is_temporary=is_temporary, before_sleep=self._log_retry
        )
        with self._lock:
            self._open()

    @property
    def path(self) -> str | None:
        """The database file (``None`` for an in-memory database)."""
        if self._path is not None:
            return self._path
        return None if self._database is None else _file_of(self._database)

    def read(self, operation: Callable[[Database], R]) -> R:
        """Run ``operation`` in a read transaction (one consistent snapshot)."""
        return self._run(operation, "BEGIN")

    def write(self, operation: Callable[[Database], R]) -> R:
        """Run ``operation`` in a ``BEGIN IMMEDIATE`` transaction.

        ``operation`` may run several times (after a lock was met), so it must only
        read and write the database and return what it found; the caller acts on
        the result (publishes events) once it returns.
        """
        return self._run(operation, "BEGIN IMMEDIATE")

    def close(self) -> None:
        """Close the connection if the store opened it (it reopens when used)."""
        with self._lock:
            if self._owned and self._database is not None:
                self._database.close()
                self._database = None
                self._configured = False
            self._identity = None  # a file deleted meanwhile starts afresh

    def _run(self, operation: Callable[[Database], R], begin: str) -> R:
        with self._lock:
            self._check_identity()
            database = self._open()
            try:
                return self._retried(_in_transaction, database, operation, begin)
            except (DataStoreCorrupt, DataStoreSchemaError):
                # Damaged, perhaps to be restored in place: a new connection reads
                # the file afresh, where this one may keep stale pages.
                self._drop()
                raise

    def _check_identity(self) -> None:
        """Notice a file deleted or replaced under the open connection.

        SQLite keeps writing to the file it opened, even once it is unlinked: the
        changes would vanish with the connection, and any other process opening the
        path would see another store. So a deleted file stops every call with
        :class:`DataStoreFileMissing` until it is back, and a replaced one is opened
        anew (SQLite's -wal file at the path belongs to the old one: the old
        connection is closed first, which folds it into the old file).
        """
        if self._identity is None or self._path is None:
            return
        try:
            found = os.stat(self._path)
        except FileNotFoundError:
            self._drop()
            raise DataStoreFileMissing(self.location) from None
        if (found.st_dev, found.st_ino) != self._identity:
            if self._database is not None:
                logger.warning(
                    "%s was replaced by another file while open; using the new "
                    "file from now on (whatever was written to the old one after "
                    "the swap stays in the old one)",
                    self.location,
                )
            self._drop()

    def _drop(self) -> None:
        """Close an owned connection for good; the next call opens the file again."""
        if self._owned and self._database is not None:
            with contextlib.suppress(sqlite3.Error):
                self._database.close()
            self._database = None
            self._configured = False

    def _open(self) -> Database:
        """The open database; opens and prepares it first if needed."""
        if self._database is None:
            assert self._path is not None
            if self._identity is not None and not os.path.exists(self._path):
                # Opened before: never start a new, empty file in its place.
                raise DataStoreFileMissing(self.location)
            try:
                connection = sqlite3.connect(
                    self._path,
                    timeout=self._busy_timeout,
                    check_same_thread=False,  # this class's lock guards it
                    isolation_level=None,  # autocommit: transactions are explicit
                )
            except sqlite3.Error as error:
                raise permanent_error(error, self.location) from error
            self._database = Database(connection, execute_plugins=False)
            self._configured = False
            with contextlib.suppress(OSError):
                found = os.stat(self._path)
                self._identity = (found.st_dev, found.st_ino)
        if not self._configured:
            try:
                self._retried(self._configure, self._database)
            except BaseException:
                if self._owned:
                    self._database.close()
                    self._database = None
                raise
            self._configured = True
        return self._database

    def _configure(self, database: Database) -> None:
        connection = database.conn
        if connection.in_transaction:
            raise DataStoreError(
                self.location,
                "the given connection has a transaction open",
                "commit or roll it back before handing the database to the store",
            )
        # Python's sqlite3 would otherwise open transactions by itself before
        # writes; the store begins and ends every transaction explicitly.
        connection.isolation_level = None
        connection.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
        connection.execute("PRAGMA foreign_keys = ON")
        # WAL: readers never wait for the writer, and the writer never waits for
        # readers; a commit needs no fsync with synchronous=NORMAL (a power loss may
        # lose the last commits, never corrupt the file; a killed process loses
        # nothing). In-memory databases stay in "memory" mode.
        connection.execute("PRAGMA journal_mode = WAL").fetchall()
        connection.execute("PRAGMA synchronous = NORMAL")
        self._prepare(database, self.location)

    def _retried(self, func: Callable[..., R], *args: object) -> R:
        started = time.monotonic()
        try:
            return self._retrying(func, *args)
        except sqlite3.Error as error:
            if is_temporary(error):
                raise DataStoreBusy(
                    self.location,
                    self._retrying.statistics.get("attempt_number", 1),
                    time.monotonic() - started,
                ) from error
            raise permanent_error(error, self.location) from error

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        logger.warning(
            "%s is locked by another connection (%s; attempt %d of %d failed); "
            "retrying in %.2f s",
            self.location,
            getattr(error, "sqlite_errorname", error),
            state.attempt_number,
            self._retry.attempts,
            delay,
        )


def _in_transaction(
    database: Database, operation: Callable[[Database], R], begin: str
) -> R:
    connection = database.conn
    connection.execute(begin)
    try:
        result = operation(database)
        connection.execute("COMMIT")
    except BaseException:
        # A failed COMMIT (busy, in rollback-journal mode) leaves the transaction
        # open; some errors have rolled it back already.
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return result


def _describe(database: Database) -> str:
    path = _file_of(database)
    return f"SQLite database {path!r}" if path else "in-memory SQLite database"


def _file_of(database: Database) -> str | None:
    """The file of a database's main schema ('' or None when in memory)."""
    for row in database.conn.execute("PRAGMA database_list"):
        if row[1] == "main":
            return row[2] or None
    return None


def _usable_from_any_thread(database: Database, location: str) -> bool:
    """Whether any thread may use ``database``'s connection.

    sqlite-utils opens paths with Python's default ``check_same_thread=True``, but
    the scheduler calls the store from worker threads.
    """
    failure: list[BaseException] = []

    def probe() -> None:
        try:
            database.conn.execute("SELECT 1").fetchall()
        except sqlite3.ProgrammingError as error:
            failure.append(error)

    thread = threading.Thread(target=probe, name="apsnb-sqlite-probe")
    thread.start()
    thread.join()
    if not failure:
        return True
    if _file_of(database) is None:
        raise DataStoreError(
            location,
            "its connection can only be used by the thread that opened it, and the "
            "scheduler calls the store from worker threads",
            "open it with Database(sqlite3.connect(':memory:', "
            "check_same_thread=False)), or pass a file path",
        )
    return False
