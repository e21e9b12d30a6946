"""Data stores: the conformance suite on every store, and the thread adapter."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import anyio
import pytest

from apsnb import AsyncScheduler, JobOutcome, JobReleased
from apsnb._enums import ConflictPolicy
from apsnb._structures import Job, Schedule, Task
from apsnb.abc import AsyncDataStore, DataStore
from apsnb.datastores._thread_adapter import as_async_datastore
from apsnb.datastores.memory import MemoryDataStore
from apsnb.datastores.sqlite import SQLiteDataStore
from apsnb.eventbrokers.local import AsyncLocalEventBroker
from apsnb.testing.datastores import DataStoreConformance
from apsnb.triggers.interval import IntervalTrigger

pytestmark = pytest.mark.anyio


def noop() -> None:
    """A job that does nothing."""


class TestMemoryDataStore(DataStoreConformance):
    @pytest.fixture
    def datastore(self) -> MemoryDataStore:
        return MemoryDataStore()


class TestSQLiteDataStore(DataStoreConformance):
    @pytest.fixture
    def datastore(self, tmp_path: Path) -> Iterator[SQLiteDataStore]:
        store = SQLiteDataStore(tmp_path / "apsnb.sqlite")
        yield store
        store.stop()


class BlockingMemoryDataStore(MemoryDataStore):
    """The memory store as the adapter sees a store that blocks: run in threads."""

    blocking: ClassVar[bool] = True


class TestMemoryDataStoreInWorkerThreads(DataStoreConformance):
    @pytest.fixture
    def datastore(self) -> MemoryDataStore:
        return BlockingMemoryDataStore()


class StoreOfTwoSteps(MemoryDataStore):
    """A store that predates the combined release and claim: the default makes it
    two calls."""

    release_schedules_and_acquire_jobs = DataStore.release_schedules_and_acquire_jobs


class TestStoreOfTwoSteps(DataStoreConformance):
    @pytest.fixture
    def datastore(self) -> MemoryDataStore:
        return StoreOfTwoSteps()


class SlowStore(BlockingMemoryDataStore):
    """A store whose get_tasks takes a while and records the thread it ran in."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[int] = []

    def get_tasks(self) -> list[Task]:
        self.threads.append(threading.get_ident())
        time.sleep(0.2)
        return super().get_tasks()


class RecordingMemoryStore(MemoryDataStore):
    def __init__(self) -> None:
        super().__init__()
        self.threads: list[int] = []

    def get_tasks(self) -> list[Task]:
        self.threads.append(threading.get_ident())
        return super().get_tasks()


async def started(store: MemoryDataStore) -> AsyncDataStore:
    async_store = as_async_datastore(store)
    await async_store.start(AsyncLocalEventBroker())
    return async_store


async def test_a_blocking_store_runs_in_a_worker_thread_and_the_loop_goes_on() -> None:
    store = SlowStore()
    async_store = await started(store)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await anyio.sleep(0.01)
            ticks += 1

    async with anyio.create_task_group() as task_group:
        task_group.start_soon(tick)
        assert await async_store.get_tasks() == []
        task_group.cancel_scope.cancel()
    assert store.threads != [threading.get_ident()]
    assert ticks >= 5  # the loop kept running during the 0.2 s call


async def test_a_blocking_store_gets_one_call_at_a_time() -> None:
    store = SlowStore()
    async_store = await started(store)
    start = time.monotonic()
    async with anyio.create_task_group() as task_group:
        for _ in range(2):
            task_group.start_soon(async_store.get_tasks)
    assert time.monotonic() - start >= 0.4


class SlowParallelStore(SlowStore):
    """A blocking store that takes two calls side by side."""

    parallel_calls: ClassVar[int] = 2


async def test_a_store_that_takes_parallel_calls_gets_them_side_by_side() -> None:
    store = SlowParallelStore()
    async_store = await started(store)
    start = time.monotonic()
    async with anyio.create_task_group() as task_group:
        for _ in range(2):
            task_group.start_soon(async_store.get_tasks)
    assert time.monotonic() - start < 0.35
    assert len(set(store.threads)) == 2


async def test_the_memory_store_is_called_on_the_loop() -> None:
    store = RecordingMemoryStore()
    async_store = await started(store)
    await async_store.get_tasks()
    assert store.threads == [threading.get_ident()]


def test_as_async_datastore_keeps_async_stores_and_refuses_other_objects() -> None:
    adapted = as_async_datastore(MemoryDataStore())
    assert as_async_datastore(adapted) is adapted
    assert repr(adapted) == (
        "as_async_datastore(MemoryDataStore(tasks=0, schedules=0, jobs=0))"
    )
    with pytest.raises(TypeError, match="not a data store"):
        as_async_datastore("memory")  # type: ignore[arg-type]


def test_memory_store_copies_what_goes_in_and_out() -> None:
    store = MemoryDataStore()
    now = datetime.now(UTC)
    task = Task(id="task")
    store.add_task(task)
    task.max_running_jobs = 1
    store.get_task("task").func = "changed:here"
    assert store.get_task("task") == Task(id="task")

    trigger = IntervalTrigger(minutes=1, start_time=now)
    trigger.next()
    schedule = Schedule(id="s", task_id="task", trigger=trigger, next_fire_time=now)
    store.add_schedule(schedule, ConflictPolicy.exception)
    schedule.next_fire_time = None
    [listed] = store.get_schedules()
    assert listed.next_fire_time == now
    # Previewing a listed schedule's fire times does not advance the stored trigger.
    listed.trigger.next()
    assert store.get_schedules()[0].trigger.next() == now + timedelta(minutes=1)

    job = Job(task_id="task")
    store.add_job(job)
    [acquired] = store.acquire_jobs("one", timedelta(minutes=1))
    acquired.acquired_by = None
    assert store.get_jobs()[0].acquired_by == "one"


def test_memory_store_keeps_a_saturated_tasks_jobs_waiting_in_order() -> None:
    store = MemoryDataStore()
    store.add_task(Task(id="limited", max_running_jobs=1))
    blocked = [Job(task_id="limited") for _ in range(3)]
    for job in blocked:
        store.add_job(job)
    free = Job(task_id="free")
    store.add_job(free)
    lease = timedelta(minutes=1)
    assert [job.id for job in store.acquire_jobs("one", lease)] == [
        blocked[0].id,
        free.id,
    ]
    # A higher limit lets the waiting jobs run, oldest first.
    store.add_task(Task(id="limited", max_running_jobs=2))
    assert [job.id for job in store.acquire_jobs("one", lease)] == [blocked[1].id]
    store.remove_task("limited")
    assert [job.id for job in store.acquire_jobs("one", lease)] == [blocked[2].id]


def test_memory_store_queue_keeps_one_entry_per_task_however_often_it_wakes() -> None:
    from apsnb.datastores._indexes import JobQueue

    queue = JobQueue()
    first, second = Job(task_id="task"), Job(task_id="task")
    queue.push("task", 0, first.id)
    queue.push("task", 1, second.id)
    for _ in range(1000):  # each finished job of the task wakes it
        queue.wake("task")
    assert len(queue._ready) == 1
    never_saturated = lambda task_id: False  # noqa: E731
    assert queue.pop(never_saturated) == first.id
    # Saturated, the task drops out until woken; then its next job is there.
    assert queue.pop(lambda task_id: True) is None
    queue.wake("task")
    queue.wake("task")
    assert queue.pop(never_saturated) == second.id
    assert queue.pop(never_saturated) is None


def test_claim_ends_find_the_claims_that_ran_out_and_stay_small() -> None:
    from apsnb.datastores._indexes import ClaimEnds

    now = datetime.now(UTC)
    claims: dict[int, datetime] = {}  # key -> end of its claim, while claimed
    ends = ClaimEnds(lambda key, end: claims.get(key) == end)

    def claim(keys: list[int], end: datetime) -> None:
        claims.update(dict.fromkeys(keys, end))
        ends.add(end, keys)

    claim([1, 2, 3], now + timedelta(seconds=1))
    claim([4], now + timedelta(seconds=2))
    del claims[2]  # released
    ends.release()
    claims[3] = now + timedelta(seconds=5)  # renewed
    ends.renew(claims[3], [3])
    assert ends.ended_before(now + timedelta(seconds=1)) == []  # not before its end
    assert ends.ended_before(now + timedelta(seconds=3)) == [1, 4]
    assert ends.ended_before(now + timedelta(seconds=6)) == [3]

    # Claims released by the thousand leave their keys behind only for a while.
    for key in range(10, 10_010):
        claim([key], now + timedelta(seconds=60))
        del claims[key]
        ends.release()
    assert ends._size <= 2 * ends._live + 64 + 1


class StoreWithoutDueBy(BlockingMemoryDataStore):
    """A store written before ``due_by``: it claims what is due when called."""

    def acquire_schedules(  # type: ignore[override]
        self, scheduler_id: str, lease_duration: timedelta, limit: int
    ) -> list[Schedule]:
        return super().acquire_schedules(scheduler_id, lease_duration, limit)


class TestStoreWithoutDueBy(DataStoreConformance):
    @pytest.fixture
    def datastore(self) -> MemoryDataStore:
        return StoreWithoutDueBy()


class SlowClaims(BlockingMemoryDataStore):
    """A store whose claims of schedules take 30 ms, and that records them."""

    def __init__(self) -> None:
        super().__init__()
        #: (when the claim began, the fire times of the schedules it took)
        self.claims: list[tuple[datetime, list[datetime | None]]] = []

    def acquire_schedules(
        self,
        scheduler_id: str,
        lease_duration: timedelta,
        limit: int,
        *,
        due_by: datetime | None = None,
    ) -> list[Schedule]:
        began = datetime.now(UTC)
        time.sleep(0.03)
        claimed = super().acquire_schedules(
            scheduler_id, lease_duration, limit, due_by=due_by
        )
        if claimed:
            self.claims.append((began, [s.next_fire_time for s in claimed]))
        return claimed


async def fire_three_times(store: DataStore) -> list[JobReleased]:
    """Fire a schedule three times, 0.3 s apart, on ``store``; return the releases."""
    released: list[JobReleased] = []
    async with AsyncScheduler(store, identity="ahead") as scheduler:
        scheduler.subscribe(released.append, JobReleased)
        await scheduler.start_in_background()
        start = datetime.now(UTC) + timedelta(seconds=0.3)
        trigger = IntervalTrigger(seconds=0.3, start_time=start)
        await scheduler.add_schedule(noop, trigger, id="tick")
        with anyio.fail_after(10):
            while len(released) < 3:
                await anyio.sleep(0.05)
        await scheduler.stop()
    return released


async def test_a_slow_store_is_asked_ahead_and_no_job_starts_early() -> None:
    store = SlowClaims()
    released = await fire_three_times(store)
    # The claim that took a fire time began before it: the claim's 30 ms are not
    # added to the job's start.
    assert any(began < fire for began, fires in store.claims for fire in fires if fire)
    for event in released:
        assert event.outcome is JobOutcome.success
        assert event.started_at is not None and event.scheduled_start is not None
        assert event.started_at >= event.scheduled_start


async def test_a_store_that_predates_due_by_claims_when_due(caplog: Any) -> None:
    released = await fire_three_times(StoreWithoutDueBy())
    assert [event.outcome for event in released] == [JobOutcome.success] * 3
    assert "failed" not in caplog.text
