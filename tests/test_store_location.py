"""A store location (path or URL) means the same store everywhere it is accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from apsnb import AsyncScheduler
from apsnb._exceptions import UnknownStoreLocation
from apsnb.datastores.location import open_data_store
from apsnb.datastores.memory import MemoryDataStore
from apsnb.datastores.sqlite import SQLiteDataStore


def test_a_plain_path_opens_an_sqlite_file(tmp_path: Path) -> None:
    store = open_data_store(str(tmp_path / "jobs.sqlite"))
    assert isinstance(store, SQLiteDataStore)
    assert repr(store) == f"SQLiteDataStore({str(tmp_path / 'jobs.sqlite')!r})"


def test_a_home_relative_path_is_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for location in ("~/jobs.sqlite", Path("~/jobs.sqlite")):
        assert repr(open_data_store(location)) == (
            f"SQLiteDataStore({str(tmp_path / 'jobs.sqlite')!r})"
        )
    assert repr(SQLiteDataStore("~/jobs.sqlite")).endswith(
        f"{str(tmp_path / 'jobs.sqlite')!r})"
    )


def test_an_sqlite_url_is_relative_with_three_slashes_and_absolute_with_four(
    tmp_path: Path,
) -> None:
    assert repr(open_data_store("sqlite:///jobs.sqlite")) == (
        "SQLiteDataStore('jobs.sqlite')"
    )
    absolute = tmp_path / "jobs.sqlite"
    assert repr(open_data_store(f"sqlite:///{absolute}")) == (
        f"SQLiteDataStore({str(absolute)!r})"
    )


def test_a_store_is_returned_as_it_is() -> None:
    store = MemoryDataStore()
    assert open_data_store(store) is store


@pytest.mark.parametrize(
    ("location", "words"),
    [
        ("", "it is empty"),
        ("redis://localhost", "unknown scheme 'redis'"),
        ("sqlite://jobs.sqlite", "sqlite:///path"),
        (42, "it is an int, not a data store (MemoryDataStore(), SQLiteDataStore("),
    ],
)
def test_a_location_that_names_no_store_says_what_would(
    location: object, words: str
) -> None:
    with pytest.raises(UnknownStoreLocation, match="postgresql://") as caught:
        open_data_store(location)  # type: ignore[arg-type]
    assert words in str(caught.value)


def test_the_scheduler_takes_a_path_for_its_store(tmp_path: Path) -> None:
    scheduler = AsyncScheduler(tmp_path / "jobs.sqlite")
    assert "SQLiteDataStore" in repr(scheduler.data_store)


def test_the_scheduler_names_a_store_argument_of_the_wrong_type() -> None:
    with pytest.raises(
        UnknownStoreLocation, match="42: it is an int, not a data store"
    ):
        AsyncScheduler(42)  # type: ignore[arg-type]
