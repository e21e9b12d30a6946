"""The PostgreSQL store's connections: a pool, one transaction a call, retried.

Each store call runs as one ``READ COMMITTED`` transaction on a connection from a
``psycopg_pool`` pool. Claims lock the rows they take (``FOR UPDATE SKIP LOCKED``),
so schedulers on many hosts never wait for each other's rows, and never take the same
one. A temporary failure (connection lost, server restarting, serialization failure,
deadlock) rolls the transaction back and runs it again on a fresh connection, with
exponential backoff, a bounded number of times; a permanent one raises at once.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from psycopg.rows import dict_row
from psycopg.types.string import TextLoader
from psycopg_pool import ConnectionPool
from tenacity import RetryCallState

from .._exceptions import DataStoreError, DataStoreUnavailable
from ._postgresql_errors import (
    describe,
    is_temporary,
    permanent_error,
    refused_for_good,
)
from ._postgresql_schema import Tables, prepare_schema
from ._retry import RetrySettings, retrying

R = TypeVar("R")
Cursor = psycopg.Cursor[dict[str, Any]]

logger = logging.getLogger("apsnb.datastores.postgresql")


@dataclass(frozen=True, slots=True, kw_only=True)
class PostgreSQLRetrySettings(RetrySettings):
    """How a PostgreSQL store retries temporary failures (see :class:`RetrySettings`).

    The store also reconnects before each new attempt; when the attempts run out it
    raises ``DataStoreUnavailable`` (the scheduler tries again later). The defaults
    wait longer than SQLite's: ``total_time`` covers a server restart or a failover.
    """

    attempts: int = 20
    total_time: float = 60.0
    initial_delay: float = 0.05
    max_delay: float = 5.0


class PostgreSQLConnection:
    """A pool of connections to the store's database, and transactions on it.

    :param target: a connection URL (the store opens its own pool) or a
        ``psycopg_pool.ConnectionPool`` (used as it is, left open by :meth:`close`)
    :param max_connections: the size of the store's own pool
    """

    def __init__(
        self,
        target: str | ConnectionPool,
        *,
        tables: Tables,
        retry: PostgreSQLRetrySettings,
        max_connections: int,
    ) -> None:
        self.tables = tables
        self._retry = retry
        self._max_connections = max_connections
        self._pool: ConnectionPool | None = None
        self._owned = isinstance(target, str)
        if isinstance(target, str):
            self.conninfo = target
        elif isinstance(target, ConnectionPool):
            self._pool = target
            self.conninfo = target.conninfo
        else:
            raise TypeError(
                f"expected a PostgreSQL URL or a psycopg_pool.ConnectionPool, got "
                f"{type(target).__name__}"
            )
        self.location = describe(self.conninfo)
        if tables.schema is not None:
            self.location += f", schema {tables.schema!r}"
        self._connected_before = False
        self._opening = threading.Lock()
        self._prepared: weakref.WeakSet[psycopg.Connection[Any]] = weakref.WeakSet()
        self._retrying = retrying(
            retry, is_temporary=self._is_temporary, before_sleep=self._log_retry
        )

    @property
    def pool(self) -> ConnectionPool | None:
        return self._pool

    def open(self) -> None:
        """Check the database (create or migrate apsnb's tables), open the pool."""
        self._retried(self._open)

    def _open(self) -> None:
        with self._opening:  # two threads calling a stopped store open one pool
            self._open_once()

    def _open_once(self) -> None:
        if self._pool is None:
            # A connection of our own first: a wrong password or a missing database
            # is reported at once, not as a pool that never fills.
            with psycopg.connect(self.conninfo, autocommit=True) as connection:
                self._connected_before = True
                prepare_schema(connection, self.tables, self.location)
            self._pool = ConnectionPool(
                self.conninfo,
                min_size=1,
                max_size=self._max_connections,
                kwargs={"autocommit": True},
                open=False,
                name="apsnb",
            )
            self._pool.open(wait=False)
        else:
            if self._owned is False and self._pool.closed:
                self._pool.open(wait=False)
            with self._pool.connection(timeout=self._retry.total_time) as connection:
                self._connected_before = True
                prepare_schema(connection, self.tables, self.location)

    def close(self) -> None:
        """Close the pool if the store opened it (it is opened again by open())."""
        pool, owned = self._pool, self._owned
        if owned and pool is not None:
            self._pool = None
            pool.close()

    def transaction(
        self,
        operation: Callable[[Cursor], R],
        *,
        one_statement: bool = False,
        durable: bool = True,
    ) -> R:
        """Run ``operation`` in one transaction, retried after temporary failures.

        ``operation`` may run several times, so it must only read and write the
        database and return what it found; the caller acts on the result once.
        With ``one_statement`` it runs one SQL statement, which is a transaction by
        itself: the round trips of ``BEGIN`` and ``COMMIT`` are saved. A transaction
        that is not ``durable`` commits without waiting for the disk; a crash of
        the server may undo it, so it is only for changes whose loss is harmless.
        """
        return self._retried(self._attempt, operation, one_statement, durable)

    def _attempt(
        self, operation: Callable[[Cursor], R], one_statement: bool, durable: bool
    ) -> R:
        pool = self._pool
        if pool is None:  # stopped: used again
            self._open()
            pool = self._pool
            assert pool is not None
        with pool.connection(timeout=max(self._retry.max_delay, 1.0)) as connection:
            if connection not in self._prepared:
                # Read jsonb and uuid as text: the rows are decoded like SQLite's.
                connection.adapters.register_loader("jsonb", TextLoader)
                connection.adapters.register_loader("uuid", TextLoader)
                self._prepared.add(connection)
            with connection.cursor(row_factory=dict_row) as cur:
                if one_statement:
                    return operation(cur)
                with connection.transaction():
                    if not durable:
                        cur.execute("SET LOCAL synchronous_commit = off")
                    return operation(cur)

    def _is_temporary(self, error: BaseException) -> bool:
        if not is_temporary(error):
            return False
        if error.sqlstate is None and not self._connected_before:  # type: ignore[attr-defined]
            # Never got in: a server that answers refused the login for good,
            # unless it said it is starting or stopping.
            return not refused_for_good(error, self.conninfo)
        return True

    def _retried(self, func: Callable[..., R], *args: Any) -> R:
        started = time.monotonic()
        try:
            return self._retrying(func, *args)
        except DataStoreError:
            raise
        except psycopg.Error as error:
            if self._is_temporary(error):
                raise DataStoreUnavailable(
                    self.location,
                    self._retrying.statistics.get("attempt_number", 1),
                    time.monotonic() - started,
                    str(error).strip(),
                ) from error
            raise permanent_error(error, self.location) from error
        except Exception as error:
            if is_temporary(error):  # the pool timed out
                raise DataStoreUnavailable(
                    self.location,
                    self._retrying.statistics.get("attempt_number", 1),
                    time.monotonic() - started,
                    str(error).strip(),
                ) from error
            raise

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        if self._pool is not None:
            self._pool.check()  # drop the pool's other connections that broke too
        logger.warning(
            "%s: temporary failure (%s: %s; attempt %d of %d); retrying in %.2f s",
            self.location,
            type(error).__name__,
            getattr(error, "sqlstate", None) or str(error).strip().splitlines()[0],
            state.attempt_number,
            self._retry.attempts,
            delay,
        )
