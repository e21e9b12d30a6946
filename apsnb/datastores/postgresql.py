"""A data store in a PostgreSQL database: schedulers on many hosts share it.

Needs ``pip install 'apsnb[postgresql]'`` (psycopg 3 and psycopg_pool).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import ClassVar, TypeVar

from psycopg_pool import ConnectionPool

from .._runs import DEFAULT_HISTORY_RETENTION, keeps_runs
from ..abc import EventBroker, Serializer
from ._postgresql_claims import PostgreSQLClaims
from ._postgresql_connection import (
    Cursor,
    PostgreSQLConnection,
    PostgreSQLRetrySettings,
)
from ._postgresql_schema import Tables
from ._postgresql_statements import PostgreSQLStatements
from ._sql_store import SQLDataStore

__all__ = ("PostgreSQLDataStore", "PostgreSQLRetrySettings")

R = TypeVar("R")

logger = logging.getLogger("apsnb.datastores.postgresql")


class PostgreSQLDataStore(SQLDataStore[Cursor]):
    """Keeps tasks, schedules, jobs and job results in a PostgreSQL database.

    The same tables and guarantees as :class:`~apsnb.datastores.sqlite.SQLiteDataStore`,
    for schedulers on any number of hosts: schedules and jobs are claimed under a
    lease with ``SELECT … FOR UPDATE SKIP LOCKED``, so no fire time runs twice and a
    dead scheduler's work is taken over when its lease ends. Temporary failures
    (connection lost, server restarting, serialization failure, deadlock) are retried
    on a fresh connection; permanent ones (wrong password, missing database,
    permission denied) raise at once, saying how to fix them.

    Pair it with :class:`~apsnb.eventbrokers.postgresql.PostgreSQLEventBroker` so a
    change made by one process wakes the others at once; without it they see it
    within ``poll_interval``.

    :param url_or_pool: a connection URL (``postgresql://user:password@host:5432/db``;
        the store keeps a pool of up to ``max_connections``), or a
        ``psycopg_pool.ConnectionPool`` to take connections from (its connections
        must be in autocommit mode; the store leaves the pool open when it stops)
    :param schema: the PostgreSQL schema of apsnb's tables (created if missing), so
        several installations can share one database; default: the connection's
        ``search_path`` (``public``)
    :param serializer: as for the SQLite store: JSON by default
    :param allowed_modules: as for the SQLite store: the modules whose task
        functions and trigger classes the database may name (see "Guarantees and
        threats" in docs/stores.md)
    :param poll_interval: the longest, in seconds, the scheduler goes without looking
        at the store
    :param max_connections: the size of the store's own pool
    :param retry: how often and how long temporary failures are retried
    :param history_retention: how long run records are kept (see :meth:`get_runs`);
        ``timedelta(0)`` keeps none, ``None`` keeps them all
    """

    #: Calls wait on the network: the scheduler runs them in a worker thread.
    blocking: ClassVar[bool] = True
    #: Calls the scheduler may make side by side, each on a connection of the pool:
    #: a claim of new jobs need not wait for the release of finished ones.
    parallel_calls: ClassVar[int] = 2

    _logger: ClassVar[logging.Logger] = logger
    _connection: PostgreSQLConnection

    def __init__(
        self,
        url_or_pool: str | ConnectionPool,
        *,
        schema: str | None = None,
        serializer: Serializer | None = None,
        allowed_modules: Iterable[str] = (),
        poll_interval: float = 1.0,
        max_connections: int = 4,
        retry: PostgreSQLRetrySettings = PostgreSQLRetrySettings(),  # noqa: B008
        history_retention: timedelta | None = DEFAULT_HISTORY_RETENTION,
    ) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections={max_connections!r}: give 1 or more")
        if schema is not None and (not isinstance(schema, str) or not schema.strip()):
            raise ValueError(f"schema={schema!r}: give a schema name, or None")
        super().__init__(
            serializer=serializer,
            allowed_modules=allowed_modules,
            poll_interval=poll_interval,
            history_retention=history_retention,
        )
        self.schema = schema
        self._tables = Tables(schema)
        self._connection = PostgreSQLConnection(
            url_or_pool,
            tables=self._tables,
            retry=retry,
            max_connections=max_connections,
        )
        self._sql = PostgreSQLStatements(self._tables)
        self._claims = PostgreSQLClaims(
            self._sql,
            self._codec,
            self._connection.location,
            logger,
            keep_runs=keeps_runs(self.history_retention),
        )

    def __repr__(self) -> str:
        schema = "" if self.schema is None else f", schema={self.schema!r}"
        return f"{type(self).__name__}({self._connection.location!r}{schema})"

    @property
    def location(self) -> str:
        """The database (host, port, name, user; never the password) and schema."""
        return self._connection.location

    def default_event_broker(self) -> EventBroker:
        """A :class:`~apsnb.eventbrokers.postgresql.PostgreSQLEventBroker` on this
        store's database, on a channel of this schema's own.

        A scheduler given this store and no broker uses it, so that its processes
        wake each other at once.
        """
        from ..eventbrokers.postgresql import PostgreSQLEventBroker

        channel = "apsnb" if self.schema is None else f"apsnb.{self.schema}"[:63]
        return PostgreSQLEventBroker(self._connection.conninfo, channel=channel)

    def start(self, event_broker: EventBroker) -> None:
        self._connection.open()
        self._event_broker = event_broker

    def _read(
        self, operation: Callable[[Cursor], R], *, one_statement: bool = False
    ) -> R:
        return self._connection.transaction(operation, one_statement=one_statement)

    def _write(
        self,
        operation: Callable[[Cursor], R],
        *,
        one_statement: bool = False,
        durable: bool = True,
    ) -> R:
        return self._connection.transaction(
            operation, one_statement=one_statement, durable=durable
        )
