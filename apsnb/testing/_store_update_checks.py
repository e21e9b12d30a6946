"""Conformance checks of a data store's ``update_schedule``."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import anyio
import pytest

from .._enums import CoalescePolicy, ConflictPolicy
from .._exceptions import ScheduleLookupError
from .._structures import Schedule, Task
from ..triggers.interval import IntervalTrigger
from ._store_harness import (
    advanced,
    make_job,
    make_schedule,
    running,
    utcnow,
)

HOUR = timedelta(hours=1)


def _retimed(schedule: Schedule, minutes: int) -> Schedule:
    """``schedule`` on a new trigger firing every ``minutes``, from an hour on."""
    trigger = IntervalTrigger(minutes=minutes, start_time=utcnow() + HOUR)
    next_fire_time = trigger.next()
    return schedule.copy(
        trigger=trigger,
        next_fire_time=next_fire_time,
        acquired_by=None,
        acquired_until=None,
    )


class ScheduleUpdateChecks:
    """The checks of ``update_schedule`` (mixed into ``DataStoreConformance``)."""

    async def test_update_schedule_changes_trigger_and_settings_keeping_id_and_history(
        self, datastore: Any
    ) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            schedule = make_schedule("s", utcnow() + HOUR)
            schedule.last_fire_time = utcnow() - HOUR
            await store.add_schedule(schedule, ConflictPolicy.exception)

            def change(stored: Schedule) -> Schedule:
                return _retimed(stored, 5).copy(
                    args=(2,),
                    kwargs={"to": "me"},
                    paused=True,
                    coalesce=CoalescePolicy.all,
                    misfire_grace_time=timedelta(seconds=9),
                    max_jitter=timedelta(seconds=3),
                )

            returned = await store.update_schedule("s", change)
            [stored] = await store.get_schedules()
            assert stored.id == returned.id == "s"
            assert stored.last_fire_time == schedule.last_fire_time
            assert stored.next_fire_time == returned.next_fire_time
            assert stored.trigger.__getstate__() == returned.trigger.__getstate__()
            assert (stored.args, stored.kwargs, stored.paused) == (
                (2,),
                {"to": "me"},
                True,
            )
            assert (stored.coalesce, stored.misfire_grace_time, stored.max_jitter) == (
                CoalescePolicy.all,
                timedelta(seconds=9),
                timedelta(seconds=3),
            )
            assert (await running_store.new_events())[-1] == ("ScheduleUpdated", "s")
            # Paused by the update: nothing to claim, nothing to wake up for.
            assert await store.get_next_schedule_run_time() is None

    async def test_update_schedule_of_an_unknown_id_raises(
        self, datastore: Any
    ) -> None:
        async with running(datastore) as running_store:
            with pytest.raises(ScheduleLookupError):
                await running_store.store.update_schedule("nope", lambda s: s)
            assert await running_store.new_events() == []

    async def test_failed_update_leaves_the_schedule_as_it_was(
        self, datastore: Any
    ) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            schedule = make_schedule("s", utcnow() + HOUR)
            await store.add_schedule(schedule, ConflictPolicy.exception)

            def fail(stored: Schedule) -> Schedule:
                raise KeyError("no")

            with pytest.raises(KeyError):
                await store.update_schedule("s", fail)
            with pytest.raises(ValueError, match="keep the id"):
                await store.update_schedule("s", lambda s: s.copy(id="other"))
            [stored] = await store.get_schedules()
            assert stored.next_fire_time == schedule.next_fire_time
            assert [s.id for s in await store.get_schedules()] == ["s"]

    async def test_update_schedule_without_a_next_fire_time_removes_it(
        self, datastore: Any
    ) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            await running_store.add_schedule("s", utcnow() + HOUR)
            await store.update_schedule("s", lambda s: s.copy(next_fire_time=None))
            assert await store.get_schedules() == []
            assert (await running_store.new_events())[-1][:2] == (
                "ScheduleRemoved",
                "s",
            )

    async def test_a_new_trigger_without_the_claim_outlives_the_holders_release(
        self, datastore: Any
    ) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            claimed = await running_store.claim_schedule(
                "s", utcnow() - HOUR, "scheduler"
            )
            updated = await store.update_schedule("s", lambda s: _retimed(s, 7))
            # The holder finishes with the old trigger: its result no longer applies.
            result = advanced(claimed)
            job = make_job(schedule_id="s", scheduled_fire_time=claimed.next_fire_time)
            await store.release_schedules("scheduler", [replace(result, jobs=(job,))])
            [stored] = await store.get_schedules()
            assert stored.next_fire_time == updated.next_fire_time
            assert stored.acquired_by is None
            assert await store.get_jobs() == []

    async def test_a_settings_update_keeping_the_claim_lets_the_holder_release(
        self, datastore: Any
    ) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            claimed = await running_store.claim_schedule(
                "s", utcnow() - HOUR, "scheduler"
            )
            await store.update_schedule("s", lambda s: s.copy(paused=True))
            result = advanced(claimed)
            await store.release_schedules("scheduler", [result])
            [stored] = await store.get_schedules()
            assert stored.next_fire_time == result.next_fire_time
            assert (stored.paused, stored.acquired_by) == (True, None)

    async def test_concurrent_updates_are_each_applied_once(
        self, datastore: Any
    ) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            await running_store.add_schedule("s", utcnow() + HOUR)

            def count(stored: Schedule) -> Schedule:
                counted = stored.metadata.get("count", 0) + 1
                return stored.copy(metadata={"count": counted})

            async with anyio.create_task_group() as group:
                for _ in range(10):
                    group.start_soon(store.update_schedule, "s", count)
            [stored] = await store.get_schedules()
            assert stored.metadata == {"count": 10}
