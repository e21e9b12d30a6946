"""One function that turns a store location (a path or a URL) into a data store.

The command line's STORE argument, ``AsyncScheduler("jobs.sqlite")`` and
``Scheduler("postgresql://…")`` all go through :func:`open_data_store`, so a location
means the same thing everywhere.
"""

from __future__ import annotations

import os
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .._exceptions import UnknownStoreLocation, with_article
from ..abc import AsyncDataStore, DataStore

__all__ = ("open_data_store", "sqlite_path")

#: URL schemes of server stores: the class to load lazily, and the extra it needs.
_SERVER_STORES = {
    "postgresql": ("apsnb.datastores.postgresql:PostgreSQLDataStore", "postgresql"),
    "postgres": ("apsnb.datastores.postgresql:PostgreSQLDataStore", "postgresql"),
}


def open_data_store(
    location: str | os.PathLike[str] | DataStore | AsyncDataStore, **options: Any
) -> DataStore | AsyncDataStore:
    """The data store that ``location`` names; a store is returned as it is.

    - an SQLite file: a path (``"jobs.sqlite"``, ``"~/jobs.sqlite"``, a
      :class:`~pathlib.Path`) or an ``sqlite:///path`` URL (``sqlite:////abs/path``
      for an absolute one);
    - a PostgreSQL database: ``postgresql://user@host:5432/database`` (needs
      ``pip install 'apsnb[postgresql]'``).

    ``options`` go to the store's constructor (``serializer=``, ``poll_interval=``…).

    :raises UnknownStoreLocation: if ``location`` is neither
    """
    if isinstance(location, DataStore | AsyncDataStore):
        return location
    if isinstance(location, os.PathLike):
        return _sqlite(Path(location), options)
    if not isinstance(location, str):
        raise UnknownStoreLocation(
            location,
            f"it is {with_article(type(location).__name__)}, not a data store "
            f"(MemoryDataStore(), SQLiteDataStore(path)…), a path or a URL",
        )
    path = sqlite_path(location)
    if path is not None:
        return _sqlite(path, options)
    scheme = urlsplit(location).scheme.lower()
    if scheme in _SERVER_STORES:
        reference, extra = _SERVER_STORES[scheme]
        module_name, _, class_name = reference.partition(":")
        try:
            store_class = getattr(import_module(module_name), class_name)
        except ImportError as exc:
            raise UnknownStoreLocation(
                location,
                f"this store needs pip install 'apsnb[{extra}]' ({exc})",
            ) from exc
        return store_class(location, **options)
    raise UnknownStoreLocation(location, f"unknown scheme {scheme!r}")


def sqlite_path(location: str | os.PathLike[str]) -> Path | None:
    """The SQLite file a location names (``~`` expanded), or ``None`` for a URL of
    another store; the file may not exist yet.

    :raises UnknownStoreLocation: for an empty location or a malformed sqlite URL
    """
    if isinstance(location, os.PathLike):
        return Path(location).expanduser()
    if not location.strip():
        raise UnknownStoreLocation(location, "it is empty")
    scheme = urlsplit(location).scheme.lower() if "://" in location else ""
    if not scheme:
        return Path(location).expanduser()
    if scheme != "sqlite":
        return None
    path = location.split("://", 1)[1]
    if not path.startswith("/"):
        raise UnknownStoreLocation(location, "an sqlite URL is sqlite:///path")
    return Path(path[1:] or "apsnb.sqlite").expanduser()


def _sqlite(path: Path, options: dict[str, Any]) -> DataStore:
    from .sqlite import SQLiteDataStore

    return SQLiteDataStore(path.expanduser(), **options)
