"""Conformance checks of a data store's jobs and job results."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import anyio

from .._enums import JobOutcome
from .._structures import Job, JobResult, Task
from ._store_harness import (
    LEASE_END_WAIT,
    LONG_LEASE,
    SHORT_LEASE,
    advanced,
    job_ids,
    make_job,
    running,
    success,
    utcnow,
)


class JobChecks:
    """The checks of jobs and results (mixed into ``DataStoreConformance``)."""

    async def test_add_and_get_jobs_oldest_first(self, datastore: Any) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            now = utcnow()
            first = make_job(
                args=(1, "a"),
                kwargs={"limit": [1, 2]},
                schedule_id="s",
                scheduled_fire_time=now,
                executor="async",
                jitter=timedelta(seconds=2),
                start_deadline=now + timedelta(minutes=1),
                metadata={"owner": "me"},
            )
            second, third = make_job(), make_job()
            await running_store.add_jobs(first, second, third)
            stored = await store.get_jobs()
            assert job_ids(stored) == job_ids([first, second, third])
            assert _fields(stored[0]) == _fields(first)
            found = await store.get_jobs([third.id, first.id, make_job().id])
            assert job_ids(found) == [first.id, third.id]
            assert await running_store.new_events() == [
                ("TaskAdded", "task"),
                *[("JobAdded", job.id) for job in (first, second, third)],
            ]

    async def test_acquire_jobs_oldest_first_up_to_the_limit(
        self, datastore: Any
    ) -> None:
        async with running(
            datastore, Task(id="task"), Task(id="other")
        ) as running_store:
            store = running_store.store
            jobs = [make_job(), make_job("other"), make_job(), make_job("other")]
            await running_store.add_jobs(*jobs)
            first = await store.acquire_jobs("one", LONG_LEASE, limit=3)
            assert job_ids(first) == job_ids(jobs[:3])
            for job in first:
                assert job.acquired_by == "one"
                assert job.acquired_until is not None
            assert job_ids(await store.acquire_jobs("two", LONG_LEASE)) == [jobs[3].id]
            assert await store.acquire_jobs("two", LONG_LEASE) == []

    async def test_acquire_jobs_respects_max_running_jobs(self, datastore: Any) -> None:
        async with running(
            datastore, Task(id="limited", max_running_jobs=1), Task(id="free")
        ) as running_store:
            store = running_store.store
            jobs = [make_job("limited"), make_job("limited"), make_job("free")]
            await running_store.add_jobs(*jobs)
            first = await store.acquire_jobs("one", LONG_LEASE)
            assert job_ids(first) == [jobs[0].id, jobs[2].id]
            assert (await store.get_task("limited")).running_jobs == 1
            assert await store.acquire_jobs("one", LONG_LEASE) == []
            await store.release_job("one", first[0], success(first[0]))
            assert job_ids(await store.acquire_jobs("one", LONG_LEASE)) == [jobs[1].id]

    async def test_acquire_jobs_releases_jobs_past_their_start_deadline(
        self, datastore: Any
    ) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            late = make_job(start_deadline=utcnow() - timedelta(seconds=1))
            on_time = make_job(start_deadline=utcnow() + timedelta(minutes=1))
            await store.add_job(late)
            await store.add_job(on_time)
            assert job_ids(await store.acquire_jobs("one", LONG_LEASE)) == [on_time.id]
            assert job_ids(await store.get_jobs()) == [on_time.id]
            assert await running_store.outcome(late) is JobOutcome.missed_start_deadline
            # No scheduler runs the job, so the store says how it ended.
            assert (await running_store.new_events())[-2:] == [
                ("JobRemoved", late.id),
                ("JobReleased", late.id, JobOutcome.missed_start_deadline),
            ]

    async def test_acquire_jobs_respects_leases_and_abandons_expired_ones(
        self, datastore: Any
    ) -> None:
        async with running(
            datastore, Task(id="task", max_running_jobs=1)
        ) as running_store:
            store = running_store.store
            held, expiring, waiting = make_job(), make_job(), make_job()
            await running_store.claim(held)
            assert await store.acquire_jobs("two", LONG_LEASE) == []
            await store.release_job("one", held, success(held))
            await running_store.claim(expiring, lease=SHORT_LEASE)
            await store.add_job(waiting)
            await anyio.sleep(LEASE_END_WAIT)
            # "one" died mid-job: its job is abandoned, not run a second time, and
            # its place (max_running_jobs=1) goes to the next job.
            [taken] = await store.acquire_jobs("two", LONG_LEASE)
            assert (taken.id, taken.acquired_by) == (waiting.id, "two")
            assert await running_store.outcome(expiring) is JobOutcome.abandoned
            assert (await store.get_task("task")).running_jobs == 1

    async def test_acquire_jobs_leaves_the_caller_s_own_expired_claims(
        self, datastore: Any
    ) -> None:
        # A scheduler that asks for jobs is alive: a claim of its own that ran out
        # (the store was locked while the job ran) is not a crash to clean up.
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            job = make_job()
            await running_store.claim(job, lease=SHORT_LEASE)
            await anyio.sleep(LEASE_END_WAIT)
            assert await store.acquire_jobs("one", LONG_LEASE) == []
            await store.release_job("one", job, success(job))
            assert await running_store.outcome(job) is JobOutcome.success

    async def test_a_late_release_replaces_the_abandoned_record_of_a_takeover(
        self, datastore: Any
    ) -> None:
        # "one" could not renew its claim (the store was locked) while its job ran
        # on; "two" took the job over as abandoned. The job's real result, released
        # late, takes that record's place: one job, one outcome, the real one.
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            job = make_job()
            await running_store.claim(job, lease=SHORT_LEASE)
            await anyio.sleep(LEASE_END_WAIT)
            assert await store.acquire_jobs("two", LONG_LEASE) == []
            await store.release_job("one", job, success(job, 42))
            result = await store.get_job_result(job.id)
            assert result is not None
            assert (result.outcome, result.return_value) == (JobOutcome.success, 42)
            runs = [run for run in await store.get_runs() if run.job_id == job.id]
            assert [run.outcome for run in runs] in ([JobOutcome.success], [])

    async def test_release_job_records_a_result_read_once(self, datastore: Any) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            job = make_job()
            acquired = await running_store.claim(job)
            assert await store.get_job_result(job.id) is None  # not finished yet
            result = success(acquired, return_value={"rows": 3})
            await store.release_job("one", acquired, result)
            assert await store.get_jobs() == []
            assert (await store.get_task("task")).running_jobs == 0
            assert await store.get_job_result(job.id) == result
            assert await store.get_job_result(job.id) is None
            assert (await running_store.new_events())[-1] == ("JobRemoved", job.id)

    async def test_results_without_expiration_time_are_not_kept(
        self, datastore: Any
    ) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            job = make_job(result_expiration_time=timedelta(0))
            acquired = await running_store.claim(job)
            await store.release_job("one", acquired, success(acquired))
            assert await store.get_job_result(job.id) is None

    async def test_cleanup_drops_expired_results(self, datastore: Any) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            expired, kept = make_job(), make_job()
            await running_store.add_jobs(expired, kept)
            await store.acquire_jobs("one", LONG_LEASE)
            long_ago = utcnow() - timedelta(hours=2)
            old_result = JobResult.from_job(
                expired, JobOutcome.success, finished_at=long_ago
            )
            await store.release_job("one", expired, old_result)
            await store.release_job("one", kept, success(kept))
            await store.cleanup()
            assert await store.get_job_result(expired.id) is None
            assert await store.get_job_result(kept.id) is not None

    async def test_extend_acquired_job_leases(self, datastore: Any) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            job = make_job()
            await running_store.claim(job, lease=SHORT_LEASE)
            await store.extend_acquired_job_leases("one", {job.id}, LONG_LEASE)
            await store.extend_acquired_job_leases("two", {job.id}, SHORT_LEASE)
            await anyio.sleep(LEASE_END_WAIT)
            assert await store.acquire_jobs("two", LONG_LEASE) == []
            [stored] = await store.get_jobs()
            assert stored.acquired_by == "one"

    async def test_reap_abandoned_jobs(self, datastore: Any) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            mine, theirs, waiting = make_job(), make_job(), make_job()
            await running_store.claim(mine)
            await running_store.claim(theirs, "two")
            await store.add_job(waiting)
            await store.reap_abandoned_jobs("one")
            assert job_ids(await store.get_jobs()) == [theirs.id, waiting.id]
            assert await running_store.outcome(mine) is JobOutcome.abandoned
            assert (await store.get_task("task")).running_jobs == 1
            assert (await running_store.new_events())[-2:] == [
                ("JobRemoved", mine.id),
                ("JobReleased", mine.id, JobOutcome.abandoned),
            ]

    async def test_cleanup_abandons_jobs_whose_lease_expired(
        self, datastore: Any
    ) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            expiring, held = make_job(), make_job()
            await running_store.claim(expiring, lease=SHORT_LEASE)
            await running_store.claim(held, "two")
            await anyio.sleep(LEASE_END_WAIT)
            await store.cleanup()
            assert job_ids(await store.get_jobs()) == [held.id]
            assert await running_store.outcome(expiring) is JobOutcome.abandoned
            assert (await running_store.new_events())[-2:] == [
                ("JobRemoved", expiring.id),
                ("JobReleased", expiring.id, JobOutcome.abandoned),
            ]

    async def test_acquire_jobs_leaves_the_jobs_of_skipped_tasks_in_place(
        self, datastore: Any
    ) -> None:
        # A scheduler that cannot run a task's function leaves its jobs to others.
        async with running(
            datastore, Task(id="task"), Task(id="elsewhere", max_running_jobs=5)
        ) as running_store:
            store = running_store.store
            first = make_job(task_id="elsewhere")
            second, third = make_job(), make_job(task_id="elsewhere")
            await running_store.add_jobs(first, second, third)
            taken = await store.acquire_jobs(
                "one", LONG_LEASE, skip_tasks={"elsewhere"}
            )
            assert job_ids(taken) == [second.id]
            assert (
                await store.acquire_jobs("one", LONG_LEASE, skip_tasks={"elsewhere"})
                == []
            )
            later = await store.acquire_jobs("two", LONG_LEASE, 1)
            assert job_ids(later) == [first.id]  # still the oldest
            assert job_ids(await store.acquire_jobs("two", LONG_LEASE)) == [third.id]

    async def test_cleanup_keeps_the_lapsed_claims_of_the_scheduler_asking(
        self, datastore: Any
    ) -> None:
        # A scheduler is alive when it cleans up: its job still runs, however late.
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            own, other = make_job(), make_job()
            await running_store.claim(other, "two", SHORT_LEASE)
            await store.add_job(own)  # claimed last: no one else looks at it
            await store.acquire_jobs("one", SHORT_LEASE)
            await anyio.sleep(LEASE_END_WAIT)
            await store.cleanup("one")
            assert job_ids(await store.get_jobs()) == [own.id]
            assert await store.get_job_result(own.id) is None
            assert await running_store.outcome(other) is JobOutcome.abandoned
            await store.release_job("one", own, success(own))
            assert await running_store.outcome(own) is JobOutcome.success

    async def test_every_change_publishes_its_event_in_order(
        self, datastore: Any
    ) -> None:
        async with running(datastore) as running_store:
            store = running_store.store
            await store.add_task(Task(id="task"))
            await store.add_task(Task(id="task"))
            schedule = await running_store.claim_schedule("s", utcnow())
            job = make_job(schedule_id="s")
            await store.add_job(job)
            await store.release_schedules("one", [advanced(schedule)])
            [acquired] = await store.acquire_jobs("one", LONG_LEASE)
            await store.release_job("one", acquired, success(acquired))
            await store.remove_schedules(["s"])
            await store.remove_task("task")
            assert await running_store.new_events() == [
                ("TaskAdded", "task"),
                ("TaskUpdated", "task"),
                ("ScheduleAdded", "s"),
                ("JobAdded", job.id),
                ("ScheduleUpdated", "s"),
                ("JobRemoved", job.id),
                ("ScheduleRemoved", "s", False),
                ("TaskRemoved", "task"),
            ]


def _fields(job: Job) -> dict[str, Any]:
    return {name: getattr(job, name) for name in Job.__dataclass_fields__}
