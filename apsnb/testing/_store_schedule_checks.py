"""Conformance checks of a data store's tasks and schedules."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import pytest

from .._enums import CoalescePolicy, ConflictPolicy
from .._exceptions import ConflictingIdError, TaskLookupError
from .._structures import Schedule, Task
from ._store_harness import (
    LEASE_END_WAIT,
    LONG_LEASE,
    SHORT_LEASE,
    advanced,
    finished,
    ids,
    job_ids,
    make_job,
    make_schedule,
    running,
    utcnow,
)

HOUR = timedelta(hours=1)


class TaskAndScheduleChecks:
    """The checks of tasks and schedules (mixed into ``DataStoreConformance``)."""

    async def test_add_get_and_remove_tasks(self, datastore: Any) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            task = Task(
                id="report",
                func="reports:build",
                job_executor="processpool",
                max_running_jobs=2,
                misfire_grace_time=timedelta(seconds=30),
                metadata={"team": "data"},
            )
            await store.add_task(task)
            await store.add_task(Task(id="backup"))
            assert await store.get_task("report") == task
            assert ids(await store.get_tasks()) == ["backup", "report"]
            await store.remove_task("backup")
            assert ids(await store.get_tasks()) == ["report"]
            with pytest.raises(TaskLookupError):
                await store.get_task("backup")
            with pytest.raises(TaskLookupError):
                await store.remove_task("backup")
            assert await running_store.new_events() == [
                ("TaskAdded", "report"),
                ("TaskAdded", "backup"),
                ("TaskRemoved", "backup"),
            ]

    async def test_replacing_a_task_keeps_its_running_job_count(
        self, datastore: Any
    ) -> None:
        async with running(
            datastore, Task(id="task", max_running_jobs=1)
        ) as running_store:
            store = running_store.store
            await running_store.claim(make_job(), "scheduler")
            await store.add_task(Task(id="task", max_running_jobs=3, func="m:f"))
            task = await store.get_task("task")
            assert (task.func, task.max_running_jobs, task.running_jobs) == (
                "m:f",
                3,
                1,
            )
            assert (await running_store.new_events())[-1] == ("TaskUpdated", "task")

    async def test_add_schedule_and_get_it_back(self, datastore: Any) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            next_fire_time = utcnow().astimezone(ZoneInfo("Europe/Helsinki")) + HOUR
            schedule = make_schedule("daily", next_fire_time)
            schedule.args, schedule.kwargs = (1, "a"), {"limit": [1, 2]}
            schedule.coalesce = CoalescePolicy.all
            schedule.misfire_grace_time = timedelta(seconds=30)
            schedule.max_jitter = timedelta(seconds=2)
            schedule.job_executor = "async"
            schedule.job_result_expiration_time = timedelta(minutes=1)
            schedule.metadata = {"owner": "me"}
            schedule.last_fire_time = next_fire_time - HOUR
            await store.add_task(Task(id="task"))
            await store.add_schedule(schedule, ConflictPolicy.exception)
            [stored] = await store.get_schedules()
            assert _fields(stored) == _fields(schedule)
            assert stored.trigger == schedule.trigger
            assert stored.next_fire_time.utcoffset() == next_fire_time.utcoffset()
            # The stored trigger continues where the given one was.
            assert stored.trigger.next() == next_fire_time + timedelta(minutes=1)
            assert (await running_store.new_events())[-1] == ("ScheduleAdded", "daily")

    async def test_get_schedules_by_id_sorted_by_id(self, datastore: Any) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            for schedule_id in ("c", "a", "b"):
                await running_store.add_schedule(schedule_id, utcnow() + HOUR)
            assert ids(await store.get_schedules()) == ["a", "b", "c"]
            assert ids(await store.get_schedules({"c", "a", "unknown"})) == ["a", "c"]
            assert await store.get_schedules(set()) == []

    async def test_add_schedule_with_replace_policy(self, datastore: Any) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            await store.add_schedule(
                make_schedule("s", utcnow()), ConflictPolicy.replace
            )
            replacement = make_schedule("s", utcnow() + HOUR, task_id="other")
            await store.add_schedule(replacement, ConflictPolicy.replace)
            [stored] = await store.get_schedules()
            assert (stored.task_id, stored.next_fire_time) == (
                "other",
                replacement.next_fire_time,
            )
            assert await running_store.new_events() == [
                ("ScheduleAdded", "s"),
                ("ScheduleUpdated", "s"),
            ]

    async def test_add_schedule_with_do_nothing_policy(self, datastore: Any) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            await running_store.add_schedule("s", utcnow())
            duplicate = make_schedule("s", utcnow(), task_id="other")
            await store.add_schedule(duplicate, ConflictPolicy.do_nothing)
            assert [s.task_id for s in await store.get_schedules()] == ["task"]
            assert await running_store.new_events() == [("ScheduleAdded", "s")]

    async def test_add_schedule_with_exception_policy(self, datastore: Any) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            await running_store.add_schedule("s", utcnow())
            duplicate = make_schedule("s", utcnow(), task_id="other")
            with pytest.raises(ConflictingIdError):
                await store.add_schedule(duplicate, ConflictPolicy.exception)
            assert [s.task_id for s in await store.get_schedules()] == ["task"]
            assert await running_store.new_events() == [("ScheduleAdded", "s")]

    async def test_remove_schedules(self, datastore: Any) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            for schedule_id in ("a", "b", "c"):
                await running_store.add_schedule(schedule_id, utcnow())
            await store.remove_schedules(["a", "c", "unknown"])
            assert ids(await store.get_schedules()) == ["b"]
            assert sorted((await running_store.new_events())[3:]) == [
                ("ScheduleRemoved", "a", False),
                ("ScheduleRemoved", "c", False),
            ]

    async def test_acquire_schedules_takes_due_ones_earliest_first(
        self, datastore: Any
    ) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            now = utcnow()
            due = {"late": now - HOUR, "later": now - 2 * HOUR, "now": now}
            for schedule_id, next_fire_time in due.items():
                await running_store.add_schedule(schedule_id, next_fire_time)
            await running_store.add_schedule("future", now + HOUR)
            await running_store.add_schedule("done", None)
            acquired = await store.acquire_schedules("scheduler", LONG_LEASE, 10)
            assert ids(acquired) == ["later", "late", "now"]
            for schedule in acquired:
                assert schedule.acquired_by == "scheduler"
                assert schedule.acquired_until is not None
                assert schedule.acquired_until >= now + LONG_LEASE

    async def test_acquire_schedules_respects_the_limit(self, datastore: Any) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            now = utcnow()
            for minutes in range(5):
                await running_store.add_schedule(
                    f"s{minutes}", now - timedelta(minutes=minutes)
                )
            first = await store.acquire_schedules("scheduler", LONG_LEASE, 2)
            rest = await store.acquire_schedules("other", LONG_LEASE, 10)
            assert (ids(first), ids(rest)) == (["s4", "s3"], ["s2", "s1", "s0"])
            assert await store.acquire_schedules("scheduler", LONG_LEASE, 0) == []

    async def test_acquire_schedules_skips_paused_ones(self, datastore: Any) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            await running_store.add_schedule("paused", utcnow() - HOUR, paused=True)
            await running_store.add_schedule("active", utcnow())
            assert ids(await store.acquire_schedules("s", LONG_LEASE, 10)) == ["active"]

    async def test_acquire_schedules_respects_another_schedulers_lease(
        self, datastore: Any
    ) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            await running_store.add_schedule("s", utcnow())
            assert ids(await store.acquire_schedules("one", LONG_LEASE, 10)) == ["s"]
            assert await store.acquire_schedules("two", LONG_LEASE, 10) == []

    async def test_an_expired_schedule_lease_is_taken_over(
        self, datastore: Any
    ) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            await running_store.add_schedule("s", utcnow())
            assert ids(await store.acquire_schedules("one", SHORT_LEASE, 10)) == ["s"]
            await anyio.sleep(LEASE_END_WAIT)
            [taken] = await store.acquire_schedules("two", LONG_LEASE, 10)
            assert taken.acquired_by == "two"
            # The first holder's late release no longer applies.
            await store.release_schedules("one", [finished(taken)])
            assert ids(await store.get_schedules()) == ["s"]

    async def test_a_scheduler_can_acquire_its_own_schedules_again(
        self, datastore: Any
    ) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            await running_store.add_schedule("s", utcnow())
            assert ids(await store.acquire_schedules("one", LONG_LEASE, 10)) == ["s"]
            [again] = await store.acquire_schedules("one", LONG_LEASE, 10)
            assert again.acquired_by == "one"
            # Claimed twice, it is released once, and then free for anyone.
            await store.release_schedules("one", [advanced(again)])
            [stored] = await store.get_schedules()
            assert (stored.acquired_by, stored.acquired_until) == (None, None)
            assert await store.acquire_schedules("two", LONG_LEASE, 10) == []

    async def test_release_schedules_stores_progress_and_drops_claims(
        self, datastore: Any
    ) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            now = utcnow()
            schedule = await running_store.claim_schedule("s", now)
            await store.release_schedules("one", [advanced(schedule)])
            [stored] = await store.get_schedules()
            assert (stored.last_fire_time, stored.next_fire_time) == (
                now,
                now + timedelta(minutes=1),
            )
            assert (stored.acquired_by, stored.acquired_until) == (None, None)
            assert stored.trigger.next() == now + timedelta(minutes=2)
            assert (await running_store.new_events())[-1] == ("ScheduleUpdated", "s")
            # Released, it can be claimed by another scheduler when due again.
            assert await store.get_next_schedule_run_time() == now + timedelta(
                minutes=1
            )

    async def test_release_schedules_adds_the_jobs_of_held_schedules_only(
        self, datastore: Any
    ) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            now = utcnow()
            await running_store.add_schedule("mine", now)
            await running_store.add_schedule("lost", now)
            schedules = {
                s.id: s for s in await store.acquire_schedules("one", LONG_LEASE, 10)
            }
            # "lost" was taken over meanwhile: its new holder makes its jobs.
            await store.remove_schedules(["lost"])
            await running_store.add_schedule("lost", now)
            mine, lost = make_job(schedule_id="mine"), make_job(schedule_id="lost")
            await store.release_schedules(
                "one",
                [
                    replace(advanced(schedules["mine"]), jobs=(mine,)),
                    replace(advanced(schedules["lost"]), jobs=(lost,)),
                ],
            )
            assert job_ids(await store.get_jobs()) == [mine.id]
            assert ("JobAdded", mine.id) in [
                event[:2] for event in await running_store.new_events()
            ]

    async def test_release_schedules_removes_finished_schedules(
        self, datastore: Any
    ) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            schedule = await running_store.claim_schedule("s", utcnow())
            await store.release_schedules("one", [finished(schedule)])
            assert await store.get_schedules() == []
            assert (await running_store.new_events())[-1] == (
                "ScheduleRemoved",
                "s",
                True,
            )

    async def test_get_next_schedule_run_time(self, datastore: Any) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            now = utcnow()
            assert await store.get_next_schedule_run_time() is None
            await running_store.add_schedule("paused", now - HOUR, paused=True)
            await running_store.add_schedule("done", None)
            assert await store.get_next_schedule_run_time() is None
            await running_store.add_schedule("b", now + HOUR)
            await running_store.add_schedule("a", now)
            assert await store.get_next_schedule_run_time() == now
            # A claimed schedule counts from when its claim ends, so that other
            # schedulers do not wake up for a schedule they cannot take.
            [claimed] = await store.acquire_schedules("one", timedelta(minutes=5), 10)
            run_time = await store.get_next_schedule_run_time()
            assert run_time is not None
            assert claimed.acquired_until is not None
            assert run_time == min(claimed.acquired_until, now + HOUR)

    async def test_extend_acquired_schedule_leases(self, datastore: Any) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            await running_store.add_schedule("s", utcnow())
            await store.acquire_schedules("one", SHORT_LEASE, 10)
            await store.extend_acquired_schedule_leases("one", {"s"}, LONG_LEASE)
            await store.extend_acquired_schedule_leases("two", {"s"}, SHORT_LEASE)
            await anyio.sleep(LEASE_END_WAIT)
            assert await store.acquire_schedules("two", LONG_LEASE, 10) == []
            [stored] = await store.get_schedules()
            assert stored.acquired_by == "one"
            assert stored.acquired_until is not None
            assert stored.acquired_until > utcnow() + LONG_LEASE / 2

    async def test_cleanup_removes_finished_schedules(self, datastore: Any) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            await running_store.add_schedule("done", None)
            await running_store.add_schedule("s", utcnow())
            await store.cleanup()
            assert ids(await store.get_schedules()) == ["s"]
            assert (await running_store.new_events())[-1] == (
                "ScheduleRemoved",
                "done",
                True,
            )


def _fields(schedule: Schedule) -> dict[str, Any]:
    """A schedule's fields apart from its trigger (triggers compare by settings)."""
    return {
        name: getattr(schedule, name)
        for name in Schedule.__dataclass_fields__
        if name != "trigger"
    }
