"""Conformance checks of the claims a scheduler takes and gives back in a step of
their own: claiming schedules ahead of their fire time (``acquire_schedules``'
``due_by``), ``release_schedules_and_acquire_jobs`` (firing schedules and claiming
their jobs for the scheduler that fired them, in one step) and ``return_jobs``
(handing claimed jobs back unrun)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from .._structures import Task
from ..datastores._thread_adapter import takes_due_by
from ._store_harness import (
    LONG_LEASE,
    SHORT_LEASE,
    advanced,
    ids,
    job_ids,
    make_job,
    running,
    success,
    utcnow,
)


def claiming_ahead(store: Any) -> Any:
    """``store``, or a skip for one written before ``due_by`` (it may leave it out)."""
    if not takes_due_by(store):
        pytest.skip("this store claims only what is due (no due_by)")
    return store


class FireChecks:
    """The checks of firing and claiming in one step (mixed into
    ``DataStoreConformance``)."""

    async def test_acquire_schedules_claims_ahead_up_to_due_by(
        self, datastore: Any
    ) -> None:
        async with running(datastore) as running_store:
            store = claiming_ahead(running_store.store)
            now = utcnow()
            await running_store.add_schedule("due", now - timedelta(seconds=1))
            await running_store.add_schedule("soon", now + timedelta(seconds=30))
            await running_store.add_schedule("later", now + timedelta(minutes=5))
            # A due_by in the past claims what is due now.
            past = now - timedelta(hours=1)
            claimed = await store.acquire_schedules("one", LONG_LEASE, 10, due_by=past)
            assert ids(claimed) == ["due"]
            ahead = now + timedelta(minutes=1)
            claimed = await store.acquire_schedules("two", LONG_LEASE, 10, due_by=ahead)
            assert ids(claimed) == ["soon"]
            assert claimed[0].acquired_by == "two"
            # Claims are still exclusive: "one" holds "due", "two" holds "soon".
            assert (
                await store.acquire_schedules("three", LONG_LEASE, 10, due_by=ahead)
                == []
            )
            # The holder's release applies as for any claim.
            result = advanced(claimed[0])
            await store.release_schedules("two", [result])
            [soon] = await store.get_schedules({"soon"})
            assert (soon.acquired_by, soon.next_fire_time) == (
                None,
                result.next_fire_time,
            )

    async def test_acquire_schedules_ahead_takes_over_claims_ending_by_then(
        self, datastore: Any
    ) -> None:
        async with running(datastore) as running_store:
            store = claiming_ahead(running_store.store)
            await running_store.add_schedule("s", utcnow())
            assert ids(await store.acquire_schedules("one", SHORT_LEASE, 10)) == ["s"]
            ahead = utcnow() + SHORT_LEASE + timedelta(seconds=1)
            [taken] = await store.acquire_schedules("two", LONG_LEASE, 10, due_by=ahead)
            assert taken.acquired_by == "two"

    async def test_release_and_acquire_claims_the_new_jobs(
        self, datastore: Any
    ) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            schedule = await running_store.claim_schedule("s", utcnow())
            new = [make_job(schedule_id="s"), make_job(schedule_id="s")]
            claimed = await store.release_schedules_and_acquire_jobs(
                "one", [replace(advanced(schedule), jobs=tuple(new))], LONG_LEASE, 10
            )
            assert job_ids(claimed) == job_ids(new)
            for job in claimed:
                assert job.acquired_by == "one"
                assert job.acquired_until is not None
            stored = await store.get_jobs()
            assert [(job.id, job.acquired_by) for job in stored] == [
                (job.id, "one") for job in new
            ]
            assert (await store.get_task("task")).running_jobs == 2
            [released] = await store.get_schedules()
            assert released.acquired_by is None
            assert released.last_fire_time == schedule.next_fire_time
            events = [event[:2] for event in await running_store.new_events()]
            assert ("JobAdded", new[0].id) in events
            assert ("ScheduleUpdated", "s") in events
            # Claimed, they are nobody else's to take; released, they are gone.
            assert await store.acquire_jobs("two", LONG_LEASE) == []
            await store.release_jobs("one", [(job, success(job)) for job in claimed])
            assert await store.get_jobs() == []

    async def test_release_and_acquire_takes_older_jobs_first_up_to_the_limit(
        self, datastore: Any
    ) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            older = make_job()
            await store.add_job(older)
            schedule = await running_store.claim_schedule("s", utcnow())
            new = [make_job(schedule_id="s") for _ in range(3)]
            claimed = await store.release_schedules_and_acquire_jobs(
                "one", [replace(advanced(schedule), jobs=tuple(new))], LONG_LEASE, 2
            )
            assert job_ids(claimed) == [older.id, new[0].id]
            left = await store.acquire_jobs("two", LONG_LEASE)
            assert job_ids(left) == job_ids(new[1:])

    async def test_release_and_acquire_respects_max_running_jobs_and_skip_tasks(
        self, datastore: Any
    ) -> None:
        tasks = (
            Task(id="limited", max_running_jobs=1),
            Task(id="task"),
            Task(id="elsewhere"),
        )
        async with running(datastore, *tasks) as running_store:
            store = running_store.store
            await running_store.add_schedule("a", utcnow(), task_id="limited")
            await running_store.add_schedule("b", utcnow(), task_id="elsewhere")
            schedules = {
                s.id: s for s in await store.acquire_schedules("one", LONG_LEASE, 10)
            }
            limited = [make_job("limited", schedule_id="a") for _ in range(2)]
            elsewhere = make_job("elsewhere", schedule_id="b")
            claimed = await store.release_schedules_and_acquire_jobs(
                "one",
                [
                    replace(advanced(schedules["a"]), jobs=tuple(limited)),
                    replace(advanced(schedules["b"]), jobs=(elsewhere,)),
                ],
                LONG_LEASE,
                10,
                skip_tasks={"elsewhere"},
            )
            assert job_ids(claimed) == [limited[0].id]
            left = await store.acquire_jobs("two", LONG_LEASE)
            assert job_ids(left) == [elsewhere.id]

    async def test_release_and_acquire_adds_no_jobs_for_a_schedule_not_held(
        self, datastore: Any
    ) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            schedule = await running_store.claim_schedule("s", utcnow())
            # Taken over meanwhile: its new holder makes its jobs.
            await store.remove_schedules(["s"])
            await running_store.add_schedule("s", utcnow())
            job = make_job(schedule_id="s")
            claimed = await store.release_schedules_and_acquire_jobs(
                "one", [replace(advanced(schedule), jobs=(job,))], LONG_LEASE, 10
            )
            assert claimed == []
            assert await store.get_jobs() == []

    async def test_release_and_acquire_with_no_room_only_releases(
        self, datastore: Any
    ) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            schedule = await running_store.claim_schedule("s", utcnow())
            job = make_job(schedule_id="s")
            claimed = await store.release_schedules_and_acquire_jobs(
                "one", [replace(advanced(schedule), jobs=(job,))], LONG_LEASE, 0
            )
            assert claimed == []
            [stored] = await store.get_jobs()
            assert (stored.id, stored.acquired_by) == (job.id, None)


class ReturnChecks:
    """The checks of handing claimed jobs back unrun (mixed into
    ``DataStoreConformance``)."""

    async def test_return_jobs_puts_claimed_jobs_back_in_their_places(
        self, datastore: Any
    ) -> None:
        async with running(
            datastore, Task(id="task", max_running_jobs=2)
        ) as running_store:
            store = running_store.store
            jobs = [make_job() for _ in range(3)]
            await running_store.add_jobs(*jobs)
            claimed = await store.acquire_jobs("one", LONG_LEASE, 2)
            assert job_ids(claimed) == job_ids(jobs[:2])
            # Only the holder's claims are dropped.
            assert await store.return_jobs("two", [jobs[0].id]) is True
            assert (await store.get_task("task")).running_jobs == 2
            assert await store.return_jobs("one", [jobs[0].id]) is True
            assert (await store.get_task("task")).running_jobs == 1
            stored = {job.id: job.acquired_by for job in await store.get_jobs()}
            assert stored == {jobs[0].id: None, jobs[1].id: "one", jobs[2].id: None}
            # Back in its place: taken before the job that was behind it.
            again = await store.acquire_jobs("two", LONG_LEASE)
            assert job_ids(again) == [jobs[0].id]
            await store.release_jobs("one", [(jobs[1], success(jobs[1]))])
            assert job_ids(await store.acquire_jobs("two", LONG_LEASE)) == [jobs[2].id]
