"""The PostgreSQL store on a real server: the conformance suite, schemas, errors."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from apsnb.datastores.postgresql import PostgreSQLDataStore
from apsnb.testing.datastores import DataStoreConformance

from .postgres_support import postgres_url

__all__ = ("postgres_url",)  # the fixture, for pytest


def fresh_schema() -> str:
    return f"apsnb_{uuid.uuid4().hex[:10]}"


class TestPostgreSQLDataStore(DataStoreConformance):
    @pytest.fixture
    def datastore(self, postgres_url: str) -> Iterator[PostgreSQLDataStore]:
        # A schema of its own per test: every test starts with empty tables.
        store = PostgreSQLDataStore(postgres_url, schema=fresh_schema())
        yield store
        store.stop()
