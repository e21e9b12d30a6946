"""A data store in an SQLite file: survives kernel restarts, shared by processes."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import ClassVar, TypeVar

from sqlite_utils import Database

from .._runs import DEFAULT_HISTORY_RETENTION, keeps_runs
from ..abc import EventBroker, Serializer
from ._sql_store import SQLDataStore
from ._sqlite_claims import SQLiteClaims
from ._sqlite_connection import RetrySettings, SQLiteConnection
from ._sqlite_schema import prepare_schema
from ._sqlite_statements import SQLiteStatements

__all__ = ("RetrySettings", "SQLiteDataStore")

R = TypeVar("R")

logger = logging.getLogger("apsnb.datastores.sqlite")


class SQLiteDataStore(SQLDataStore[Database]):
    """Keeps tasks, schedules, jobs and job results in an SQLite database file.

    Everything survives a kernel restart, and several schedulers (kernels,
    processes) can share one file: schedules and jobs are claimed under a lease in
    one ``BEGIN IMMEDIATE`` transaction, so no fire time runs twice; when a crashed
    process's claims end, its schedules are taken over and its jobs recorded as
    abandoned. A change made by another
    process is seen within about ``poll_interval`` seconds.

    :param path_or_db: the database file (created if missing; its folder must
        exist), or a sqlite-utils ``Database`` to use. A ``Database`` whose
        connection only its own thread may use (sqlite-utils' default) gets a
        second connection to the same file, as the scheduler calls the store from
        worker threads.
    :param serializer: turns arguments, return values and trigger states into
        bytes: :class:`~apsnb.serializers.json.JSONSerializer` by default (reading
        never runs code), or :class:`~apsnb.serializers.pickle.PickleSerializer`
        for any picklable value (reading a pickle runs code: trusted files only)
    :param allowed_modules: modules (and their submodules) whose task functions
        and trigger classes the store's contents may name: whoever can write the
        file can then make this process import and run them. ``"mypkg"``,
        ``"mypkg.jobs"`` or one function, ``"mypkg.jobs:refresh"``. Without it,
        only functions a scheduler was given in this process run, and only trigger
        classes already imported (or apsnb's own) are read; see "Guarantees and
        threats" in docs/stores.md
    :param poll_interval: the longest, in seconds, the scheduler goes without
        looking at the store (other processes cannot wake it)
    :param busy_timeout: how long, in seconds, SQLite waits for another
        connection's lock before an attempt fails
    :param retry: how often and how long to try again when the database stays
        locked (see :class:`RetrySettings`)
    :param history_retention: how long run records are kept (see :meth:`get_runs`);
        ``timedelta(0)`` keeps none, ``None`` keeps them all
    """

    #: The store's calls block on disk and locks: the scheduler runs them in a
    #: worker thread.
    blocking: ClassVar[bool] = True

    _logger: ClassVar[logging.Logger] = logger
    _connection: SQLiteConnection

    def __init__(
        self,
        path_or_db: str | os.PathLike[str] | Database = "apsnb.sqlite",
        *,
        serializer: Serializer | None = None,
        allowed_modules: Iterable[str] = (),
        poll_interval: float = 1.0,
        busy_timeout: float = 5.0,
        retry: RetrySettings = RetrySettings(),  # noqa: B008 (frozen)
        history_retention: timedelta | None = DEFAULT_HISTORY_RETENTION,
    ) -> None:
        if not busy_timeout >= 0:
            raise ValueError(f"busy_timeout={busy_timeout!r}: give seconds, 0 or more")
        super().__init__(
            serializer=serializer,
            allowed_modules=allowed_modules,
            poll_interval=poll_interval,
            history_retention=history_retention,
        )
        self._connection = SQLiteConnection(
            path_or_db, busy_timeout=busy_timeout, retry=retry, prepare=prepare_schema
        )
        self._sql = SQLiteStatements()
        self._claims = SQLiteClaims(
            self._sql,
            self._codec,
            self._connection.location,
            logger,
            keep_runs=keeps_runs(self.history_retention),
        )

    def __repr__(self) -> str:
        path = self._connection.path
        return f"{type(self).__name__}({'<in memory>' if path is None else repr(path)})"

    def start(self, event_broker: EventBroker) -> None:
        self._event_broker = event_broker
        self._connection.read(lambda database: None)  # open it again after stop()

    def _read(
        self, operation: Callable[[Database], R], *, one_statement: bool = False
    ) -> R:
        return self._connection.read(operation)

    def _write(
        self,
        operation: Callable[[Database], R],
        *,
        one_statement: bool = False,
        durable: bool = True,
    ) -> R:
        # Both options are moot here: a statement costs no round trip, and no
        # commit waits for the disk (WAL with synchronous=NORMAL).
        return self._connection.write(operation)
