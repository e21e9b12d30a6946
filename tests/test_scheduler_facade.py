"""The synchronous Scheduler mirrors AsyncScheduler; users' own stores work with both;
an idle scheduler sleeps."""

from __future__ import annotations

import inspect
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest

from apsnb import AsyncScheduler, JobReleased, Scheduler
from apsnb.datastores.memory import MemoryDataStore
from apsnb.triggers.date import DateTrigger
from apsnb.triggers.interval import IntervalTrigger
from tests.test_scheduler import add

pytestmark = pytest.mark.anyio


def public_names(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


def test_scheduler_has_every_public_name_of_async_scheduler() -> None:
    # The sync facade has the same methods; AsyncScheduler's extra attributes are set
    # in __init__ (data_store, identity…), not on the class.
    assert public_names(AsyncScheduler) <= public_names(Scheduler) | {"async_scheduler"}


@pytest.mark.parametrize(
    "name",
    sorted(
        name
        for name in public_names(AsyncScheduler)
        if not isinstance(getattr(AsyncScheduler, name), property)
    ),
)
def test_scheduler_methods_take_the_same_arguments(name: str) -> None:
    ours = inspect.signature(getattr(Scheduler, name))
    theirs = inspect.signature(getattr(AsyncScheduler, name))
    assert list(ours.parameters) == list(theirs.parameters)
    for parameter in ours.parameters:
        assert (
            ours.parameters[parameter].default == theirs.parameters[parameter].default
        )
        assert ours.parameters[parameter].kind == theirs.parameters[parameter].kind


def test_scheduler_constructor_takes_the_same_arguments() -> None:
    assert inspect.signature(Scheduler.__init__) == inspect.signature(
        AsyncScheduler.__init__
    )


def run_in_plain_python() -> tuple[int, list[str]]:
    released: list[str] = []
    with Scheduler(identity="plain") as scheduler:
        scheduler.subscribe(
            lambda event: released.append(event.outcome.name), JobReleased
        )
        scheduler.start_in_background()
        value = scheduler.run_job(add, args=(2, 3))
        scheduler.add_schedule(add, DateTrigger(datetime.now(UTC)), args=(1, 1))
        deadline = datetime.now(UTC) + timedelta(seconds=5)
        while len(released) < 2 and datetime.now(UTC) < deadline:
            threading.Event().wait(0.01)
    return value, released


async def test_scheduler_runs_jobs_and_schedules_from_plain_python() -> None:
    value, released = await anyio.to_thread.run_sync(run_in_plain_python)
    assert value == 5
    assert released == ["success", "success"]


class UsersOwnStore(MemoryDataStore):
    """A user's synchronous store, which blocks: the scheduler must call it in a thread."""

    blocking = True

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[int] = set()

    def acquire_jobs(self, *args: Any, **kwargs: Any) -> Any:
        self.threads.add(threading.get_ident())
        return super().acquire_jobs(*args, **kwargs)


async def test_a_users_blocking_store_is_called_off_the_event_loop() -> None:
    store = UsersOwnStore()
    scheduler = AsyncScheduler(store, identity="users-store")
    await scheduler.start_in_background()
    assert await scheduler.run_job(add, args=(1, 2)) == 3
    await scheduler.stop()
    assert store.threads and threading.get_ident() not in store.threads


def test_a_users_store_works_with_the_sync_scheduler_too() -> None:
    with Scheduler(UsersOwnStore(), identity="users-store-sync") as scheduler:
        scheduler.start_in_background()
        assert scheduler.run_job(add, args=(4, 4)) == 8


class CountingStore(MemoryDataStore):
    def __init__(self) -> None:
        super().__init__()
        self.acquisitions = 0

    def acquire_schedules(self, *args: Any, **kwargs: Any) -> Any:
        self.acquisitions += 1
        return super().acquire_schedules(*args, **kwargs)


async def test_an_idle_scheduler_sleeps_until_something_is_due() -> None:
    store = CountingStore()
    scheduler = AsyncScheduler(store, identity="idle")
    far = datetime.now(UTC) + timedelta(days=30)
    for number in range(1000):
        await scheduler.add_schedule(
            add, IntervalTrigger(hours=1, start_time=far), id=f"s{number}", args=(1, 1)
        )
    await scheduler.start_in_background()
    await anyio.sleep(0.2)
    before = store.acquisitions
    await anyio.sleep(1.5)
    assert store.acquisitions == before  # no polling while nothing is due
    # A new schedule that is due at once wakes it.
    await scheduler.add_schedule(add, DateTrigger(datetime.now(UTC)), args=(1, 1))
    await anyio.sleep(0.3)
    assert store.acquisitions > before
    await scheduler.stop()
