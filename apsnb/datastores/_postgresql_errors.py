"""Which PostgreSQL failures pass (retry them) and which are for good (name them).

Decided by the SQLSTATE the server sends (``psycopg.Error.sqlstate``) and by the
exception's type, not by the message text, which the server translates into its own
locale. A failure to connect carries no SQLSTATE (libpq keeps it to itself): it is
temporary when the server cannot be reached at all (down, restarting), when this
store has connected before (the server is starting up again), or when the server
says, in English, that it is starting, stopping or recovering; and permanent when a
reachable server turns away a store that never got in (a wrong password, a database
that does not exist): those the user must fix.
"""

from __future__ import annotations

import socket

import psycopg
from psycopg.conninfo import conninfo_to_dict

from .._exceptions import (
    DataStoreAccessDenied,
    DataStoreError,
    DataStoreFull,
    DataStoreReadOnly,
    DataStoreSchemaError,
)

#: SQLSTATE classes and codes that go away by themselves.
TEMPORARY_CLASSES = frozenset(
    {
        "08",  # connection exception
        "53",  # insufficient resources (too many connections, out of memory)
        "57",  # operator intervention (shutdown, restart, cancelled by the admin)
    }
)
TEMPORARY_CODES = frozenset(
    {
        "40001",  # serialization_failure
        "40P01",  # deadlock_detected
        "55P03",  # lock_not_available
        "25006",  # read_only_sql_transaction: a standby mid-failover
    }
)
#: Raised by psycopg_pool when no connection could be had in time.
_POOL_ERRORS: tuple[type[BaseException], ...]
try:
    from psycopg_pool import PoolTimeout, TooManyRequests

    _POOL_ERRORS = (PoolTimeout, TooManyRequests)
except ImportError:  # pragma: no cover - psycopg_pool comes with the extra
    _POOL_ERRORS = ()


def is_temporary(error: BaseException) -> bool:
    """Whether ``error`` is a failure that retrying (after reconnecting) fixes.

    A failure without an SQLSTATE is a lost or refused connection; for a store that
    never connected, :func:`server_answers` tells the two apart first.
    """
    if isinstance(error, _POOL_ERRORS):
        return True
    if not isinstance(error, psycopg.Error):
        return False
    code = error.sqlstate
    if code is not None:
        if code in TEMPORARY_CODES:
            return True
        return code[:2] in TEMPORARY_CLASSES and code != "57014"  # query_canceled
    return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)


def server_answers(conninfo: str) -> bool:
    """Whether the server that ``conninfo`` names accepts a socket at all.

    A reachable server that refused a login did so for a reason the user must fix; an
    unreachable one is down or restarting. ``True`` when it cannot be told (several
    hosts, a service file).
    """
    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.Error:
        return True
    host = str(params.get("host") or "/var/run/postgresql")
    port = str(params.get("port") or 5432)
    if "," in host or "," in port:
        return True
    try:
        if host.startswith("/"):
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(2)
                sock.connect(f"{host}/.s.PGSQL.{port}")
        else:
            socket.create_connection((host, int(port)), timeout=2).close()
    except (OSError, ValueError):
        return False
    return True


#: What a server that is starting, stopping or recovering says to a new connection
#: (SQLSTATE 57P03, which libpq does not pass on for a failed connection).
_NOT_READY = (
    "the database system is starting up",
    "the database system is shutting down",
    "the database system is in recovery mode",
    "the database system is not yet accepting connections",
    "the database system is not accepting connections",
)


def turned_away_for_now(error: BaseException) -> bool:
    """Whether a failed connection says the server is starting, stopping or
    recovering: it answers, but only for now.

    The one place the message text decides, since a failed connection carries no
    SQLSTATE: a server that speaks English says so in these words; one that speaks
    another language is taken at its refusal, as a login it turned away.
    """
    message = str(error)
    return any(phrase in message for phrase in _NOT_READY)


def refused_for_good(error: BaseException, conninfo: str) -> bool:
    """Whether a failure to connect, of a client that never got in, is for good: a
    server that answers turned it away (a wrong password, a missing database), and
    not because it is starting or stopping."""
    return server_answers(conninfo) and not turned_away_for_now(error)


def describe(conninfo: str) -> str:
    """How a store names its database in messages: never with the password."""
    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.Error:
        return "PostgreSQL database (unreadable connection string)"
    user = f"{params['user']}@" if params.get("user") else ""
    host = params.get("host") or "local socket"
    port = f":{params['port']}" if params.get("port") else ""
    return f"PostgreSQL database {user}{host}{port}/{params.get('dbname') or ''}"


def permanent_error(error: psycopg.Error, location: str) -> DataStoreError:
    """The named apsnb error for a PostgreSQL failure that retrying would not fix."""
    code = error.sqlstate
    # On one line: the server's message may quote the statement with a caret under it.
    message = " ".join(str(error).split())
    detail = f"{message} (SQLSTATE {code or 'none: the connection failed'})"
    if code is None:
        return DataStoreAccessDenied(
            location,
            f"the server turned the connection away: {detail}",
            "check the user name and password in the URL (or ~/.pgpass), that the "
            "database exists (createdb NAME) and that pg_hba.conf lets this host in",
        )
    if code.startswith("28") or code == "3D000":
        return DataStoreAccessDenied(
            location,
            f"the server refused the login: {detail}",
            "check the user name, the password and the database name in the URL; "
            "create the database with createdb NAME",
        )
    if code == "42501":
        return DataStoreAccessDenied(
            location,
            f"permission denied: {detail}",
            "grant this role USAGE and CREATE on the schema, and SELECT, INSERT, "
            "UPDATE and DELETE on apsnb's tables (or let the schema's owner connect "
            "once to create them)",
        )
    if code == "25006":
        return DataStoreReadOnly(
            location,
            f"the server only reads: {detail}",
            "point the URL at the primary server, not a standby",
        )
    if code[:2] in ("53",):
        return DataStoreFull(
            location,
            f"the server ran out of a resource: {detail}",
            "free disk space on the server, or raise its limits",
        )
    if code[:2] == "42" or code[:2] == "3F":
        return DataStoreSchemaError(
            location,
            f"apsnb's tables are missing or damaged: {detail}",
            "were they changed by another program? Restore them from a backup, or "
            "drop them so that apsnb creates them again",
        )
    return DataStoreError(
        location,
        f"PostgreSQL failed: {detail}",
        "this is not a failure that retrying could wait out; check the server's log",
    )
