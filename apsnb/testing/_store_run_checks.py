"""Conformance checks of a data store's run history."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio

from .._enums import ConflictPolicy, JobOutcome
from .._runs import RunRecord
from .._structures import JobResult, Task
from ._store_harness import (
    LEASE_END_WAIT,
    LONG_LEASE,
    SHORT_LEASE,
    advanced,
    make_job,
    make_schedule,
    running,
    success,
    utcnow,
)

_HELSINKI = ZoneInfo("Europe/Helsinki")


class RunChecks:
    """The checks of the run history (mixed into ``DataStoreConformance``)."""

    async def test_released_job_leaves_a_run_record(self, datastore: Any) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            fire_time = utcnow().astimezone(_HELSINKI) - timedelta(seconds=5)
            job = make_job(schedule_id="daily", scheduled_fire_time=fire_time)
            acquired = await running_store.claim(job, "worker-1")
            started = utcnow() - timedelta(seconds=2)
            result = JobResult.from_job(
                acquired,
                JobOutcome.success,
                started_at=started,
                return_value={"output_path": "runs/daily/report.ipynb"},
            )
            await store.release_job("worker-1", acquired, result)
            [record] = await store.get_runs()
            assert record == RunRecord(
                task_id="task",
                outcome=JobOutcome.success,
                finished_at=result.finished_at,
                schedule_id="daily",
                job_id=job.id,
                scheduled_fire_time=fire_time,
                started_at=started,
                scheduler_id="worker-1",
                output_path="runs/daily/report.ipynb",
            )
            assert record.scheduled_fire_time.tzinfo == _HELSINKI  # type: ignore[union-attr]
            assert record.duration == result.finished_at - started

    async def test_failed_job_records_its_exception_type_and_message(
        self, datastore: Any
    ) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            job = make_job()
            acquired = await running_store.claim(job)
            error = ZeroDivisionError("division by zero")
            result = JobResult.from_job(
                acquired,
                JobOutcome.error,
                started_at=utcnow(),
                exception=error,
                traceback="Traceback…\nZeroDivisionError: division by zero\n",
            )
            await store.release_job("one", acquired, result)
            [record] = await store.get_runs()
            assert record.outcome is JobOutcome.error
            assert record.exception_type == "ZeroDivisionError"
            assert record.exception_message == "division by zero"
            assert record.reason is None

    async def test_run_record_outlives_the_job_result(self, datastore: Any) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            job = make_job(result_expiration_time=timedelta(0))
            acquired = await running_store.claim(job)
            await store.release_job("one", acquired, success(acquired))
            await store.cleanup()
            assert await store.get_job_result(job.id) is None
            assert [record.job_id for record in await store.get_runs()] == [job.id]

    async def test_a_job_released_twice_leaves_one_record(self, datastore: Any) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            job = make_job()
            acquired = await running_store.claim(job)
            await store.release_jobs("one", [(acquired, success(acquired))])
            await store.release_job("two", acquired, success(acquired))
            [record] = await store.get_runs()
            assert record.scheduler_id == "one"

    async def test_jobs_the_store_gives_up_leave_records_with_a_reason(
        self, datastore: Any
    ) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            fire_time = utcnow() - timedelta(hours=1)
            late = make_job(
                scheduled_fire_time=fire_time,
                start_deadline=fire_time + timedelta(minutes=10),
            )
            expiring = make_job()
            await running_store.claim(expiring, "crashed", SHORT_LEASE)
            await store.add_job(late)
            await anyio.sleep(LEASE_END_WAIT)
            assert await store.acquire_jobs("two", LONG_LEASE) == []
            records = {record.job_id: record for record in await store.get_runs()}
            missed, abandoned = records[late.id], records[expiring.id]
            assert missed.outcome is JobOutcome.missed_start_deadline
            assert missed.started_at is None and missed.duration is None
            assert missed.reason is not None and "misfire grace time" in missed.reason
            assert abandoned.outcome is JobOutcome.abandoned
            assert abandoned.reason is not None and "crashed" in abandoned.reason

    async def test_runs_are_newest_first_and_filtered(self, datastore: Any) -> None:
        async with running(
            datastore, Task(id="task"), Task(id="other")
        ) as running_store:
            store = running_store.store
            start = utcnow() - timedelta(hours=5)
            jobs = [
                make_job(schedule_id="a"),
                make_job(schedule_id="b"),
                make_job("other", schedule_id="a"),
                make_job(),
            ]
            await running_store.add_jobs(*jobs)
            acquired = await store.acquire_jobs("one", LONG_LEASE)
            # Released together, out of time order: the history is in time order.
            hours = [3, 1, 2, 4]
            await store.release_jobs(
                "one",
                [
                    (job, JobResult.from_job(
                        job, JobOutcome.success, finished_at=start + timedelta(hours=h)
                    ))
                    for job, h in zip(acquired, hours, strict=True)
                ],
            )  # fmt: skip
            newest_first = [jobs[3].id, jobs[0].id, jobs[2].id, jobs[1].id]

            async def ids(**filters: Any) -> list[Any]:
                return [record.job_id for record in await store.get_runs(**filters)]

            assert await ids() == newest_first
            assert await ids(limit=2) == newest_first[:2]
            assert await ids(schedule_id="a") == [jobs[0].id, jobs[2].id]
            assert await ids(schedule_id="a", limit=1) == [jobs[0].id]
            assert await ids(task_id="other") == [jobs[2].id]
            # since inclusive, until exclusive
            assert await ids(
                since=start + timedelta(hours=2), until=start + timedelta(hours=4)
            ) == [jobs[0].id, jobs[2].id]
            assert await ids(schedule_id="nothing") == []

    async def test_coalesced_fire_times_are_recorded_with_the_schedule_release(
        self, datastore: Any
    ) -> None:
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            now = utcnow()
            await running_store.add_schedule("s", now - timedelta(minutes=3))
            await running_store.add_schedule("lost", now - timedelta(minutes=3))
            schedules = await store.acquire_schedules("one", LONG_LEASE, 10)
            results = []
            for schedule in schedules:
                job = make_job(
                    schedule_id=schedule.id,
                    scheduled_fire_time=now - timedelta(minutes=1),
                )
                skipped = [now - timedelta(minutes=3), now - timedelta(minutes=2)]
                missed = RunRecord.coalesced(job, skipped, omitted=0, now=now)
                results.append(
                    replace(advanced(schedule), jobs=(job,), missed=tuple(missed))
                )
            # "lost" was taken over by another scheduler: its release is ignored.
            await store.remove_schedules(["lost"])
            await store.add_schedule(
                make_schedule("lost", now + timedelta(hours=1)), ConflictPolicy.replace
            )
            await store.release_schedules("one", results)
            records = await store.get_runs()
            assert [r.scheduled_fire_time for r in records] == [
                now - timedelta(minutes=2),
                now - timedelta(minutes=3),
            ]
            for record in records:
                assert record.outcome is JobOutcome.coalesced
                assert record.schedule_id == "s" and record.job_id is None
                assert record.reason is not None and "coalesced into" in record.reason

    async def test_cleanup_drops_run_records_older_than_the_retention(
        self, datastore: Any
    ) -> None:
        """Stores keep run records for 30 days unless told otherwise."""
        async with running(datastore, Task(id="task")) as running_store:
            store = running_store.store
            old, recent = make_job(), make_job()
            await running_store.add_jobs(old, recent)
            await store.acquire_jobs("one", LONG_LEASE)
            long_ago = utcnow() - timedelta(days=31)
            await store.release_job(
                "one", old, JobResult.from_job(old, JobOutcome.success, finished_at=long_ago)
            )  # fmt: skip
            await store.release_job("one", recent, success(recent))
            assert len(await store.get_runs()) == 2
            await store.cleanup()
            assert [record.job_id for record in await store.get_runs()] == [recent.id]
