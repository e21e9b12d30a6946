"""A fresh PostgreSQL database for a test run, on the server the environment names.

The server is ``APSNB_TEST_POSTGRES_URL`` if set, else the machine's own at
``postgresql://postgres:postgres@127.0.0.1:5432/postgres`` (``.ci/start-postgres``
starts Debian's cluster and sets that password). Each test run creates a database of
its own there and drops it at the end. Without a server the tests skip, saying how to
get one, unless ``APSNB_REQUIRE_POSTGRES=1`` makes that a failure.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

LOCAL_URL = "postgresql://postgres:postgres@127.0.0.1:5432/postgres"
HOW_TO = (
    "no PostgreSQL server for the PostgreSQL store's tests: set APSNB_TEST_POSTGRES_URL "
    "to a superuser URL (postgresql://user:password@host:5432/postgres), or start the "
    "machine's server with .ci/start-postgres (Debian: apt-get install postgresql)"
)


def server_url() -> str:
    return os.environ.get("APSNB_TEST_POSTGRES_URL") or LOCAL_URL


def is_local_cluster(url: str) -> bool:
    """Whether ``url`` is the machine's Debian cluster, which tests may restart."""
    return not os.environ.get("APSNB_TEST_POSTGRES_URL") and url.startswith(
        "postgresql://postgres:postgres@127.0.0.1:5432/"
    )


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def _unavailable(reason: str) -> None:
    if os.environ.get("APSNB_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"APSNB_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
    pytest.skip(f"{HOW_TO} ({reason})")


def administer(url: str, statement: str, *, patience: float = 20.0) -> None:
    """Run ``statement`` on the server, through a restart of it (another test run on
    this machine may be restarting it): a refused connection is tried again."""
    import psycopg

    deadline = time.monotonic() + patience
    while True:
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=5) as admin:
                admin.execute(statement)
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a database created for this test run (dropped afterwards)."""
    try:
        import psycopg
    except ImportError:
        _unavailable("psycopg is not installed (pip install 'apsnb[postgresql]')")
    url = server_url()
    name = f"apsnb_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        administer(url, f'CREATE DATABASE "{name}"', patience=5)
    except psycopg.Error as error:
        _unavailable(f"{url.split('@')[-1]}: {str(error).strip()}")
    try:
        yield with_database(url, name)
    finally:
        administer(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
