"""The jobs and job results of a MemoryDataStore, with their queues and leases."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from itertools import count
from uuid import UUID

from .._enums import JobOutcome
from .._structures import Job, JobResult
from ._indexes import ClaimEnds, JobQueue, TimeHeap, instant


class JobTable:
    """Jobs in the order they were added, the queue of waiting ones, claims, results.

    Not thread safe: the store calls it under its lock. Holds the stored objects;
    the store copies what it hands out.

    :param is_saturated: tells whether a task runs its ``max_running_jobs`` already
    """

    __slots__ = (
        "_claimed_ids",
        "_deadlines",
        "_is_saturated",
        "_leases",
        "_order",
        "_order_counter",
        "_result_expiry",
        "_results",
        "_skipped",
        "_waiting",
        "jobs",
        "running_jobs",
    )

    def __init__(self, is_saturated: Callable[[str], bool]) -> None:
        self._is_saturated = is_saturated
        self.jobs: dict[UUID, Job] = {}  # in the order they were added
        self.running_jobs: dict[str, int] = {}  # claimed jobs, by task id
        self._order: dict[UUID, int] = {}
        self._order_counter = count()
        self._waiting = JobQueue()
        self._skipped: set[str] = set()  # skipped by claim_next, to wake
        self._deadlines: TimeHeap[UUID] = TimeHeap()  # waiting jobs only
        self._leases: ClaimEnds[UUID] = ClaimEnds(self._holds)  # claimed jobs only
        self._claimed_ids: dict[str, set[UUID]] = {}  # by scheduler id
        self._results: dict[UUID, JobResult] = {}
        self._result_expiry: TimeHeap[UUID] = TimeHeap()

    def add(self, job: Job) -> None:
        """Store and queue an unclaimed job."""
        order = self._order[job.id] = next(self._order_counter)
        self.jobs[job.id] = job
        self._queue(job, order)

    def in_order(self, ids: Iterable[UUID]) -> list[Job]:
        """The stored jobs among ``ids``, oldest first."""
        found = {id for id in ids if id in self.jobs}
        return [self.jobs[id] for id in sorted(found, key=self._order.__getitem__)]

    def waiting_past_deadline(self, now: datetime) -> list[Job]:
        """The waiting jobs whose start deadline is before ``now``, oldest first."""
        return [self.jobs[id] for _, id in self._deadlines.pop_until(instant(now) - 1)]

    def claim(
        self,
        scheduler_id: str,
        acquired_until: datetime,
        limit: int | None,
        skip_tasks: Collection[str] = (),
    ) -> list[Job]:
        """Claim up to ``limit`` of the oldest waiting jobs of tasks that may run
        another one and are not in ``skip_tasks`` (those drop out of the queue until
        :meth:`wake_skipped`)."""
        passed_over = self._is_saturated
        if skip_tasks:
            skipped = self._skipped

            def passed_over(task_id: str) -> bool:
                if task_id in skip_tasks:
                    skipped.add(task_id)
                    return True
                return self._is_saturated(task_id)

        claimed: list[Job] = []
        jobs, running = self.jobs, self.running_jobs
        while limit is None or len(claimed) < limit:
            id = self._waiting.pop(passed_over)
            if id is None:
                break
            job = jobs.get(id)
            if job is None or job.acquired_by is not None:
                continue  # released or claimed since it was queued
            job.acquired_by = scheduler_id
            job.acquired_until = acquired_until
            if job.start_deadline is not None:
                self._deadlines.discard(id)
            running[job.task_id] = running.get(job.task_id, 0) + 1
            claimed.append(job)
        if claimed:
            ids = [job.id for job in claimed]
            self._claimed_ids.setdefault(scheduler_id, set()).update(ids)
            self._leases.add(acquired_until, ids)
        return claimed

    def claimed_by(self, scheduler_id: str) -> list[Job]:
        return self.in_order(self._claimed_ids.get(scheduler_id, ()))

    def with_expired_claims(self, now: datetime) -> list[Job]:
        """The jobs whose claims ended before ``now``, oldest claim first."""
        return [self.jobs[id] for id in self._leases.ended_before(now)]

    def extend(self, scheduler_id: str, job_ids: set[UUID], until: datetime) -> None:
        renewed = list(job_ids & self._claimed_ids.get(scheduler_id, set()))
        for id in renewed:
            self.jobs[id].acquired_until = until
        if renewed:
            self._leases.renew(until, renewed)

    def _holds(self, job_id: UUID, until: datetime) -> bool:
        """Whether the job is claimed until ``until`` (see ClaimEnds)."""
        job = self.jobs.get(job_id)
        return (
            job is not None
            and job.acquired_by is not None
            and job.acquired_until == until
        )

    def finish(self, job: Job, result: JobResult) -> None:
        """Remove a job; keep its result until it expires (if it ever should)."""
        self._unclaim(job)
        del self.jobs[job.id]
        del self._order[job.id]
        if job.start_deadline is not None:
            self._deadlines.discard(job.id)
        if result.expires_at > result.finished_at:
            self._results[job.id] = result
            self._result_expiry.set(job.id, instant(result.expires_at))

    def replace_abandoned(self, job_id: UUID, result: JobResult) -> None:
        """Put a late result in the place of a kept ``abandoned`` one."""
        kept = self._results.get(job_id)
        if (
            kept is not None
            and kept.outcome is JobOutcome.abandoned
            and result.expires_at > result.finished_at
        ):
            self._results[job_id] = result
            self._result_expiry.set(job_id, instant(result.expires_at))

    def unclaim(self, job: Job) -> None:
        """Drop a job's claim and queue it again, in its old place."""
        self._unclaim(job)
        self._queue(job, self._order[job.id])

    def pop_result(self, job_id: UUID) -> JobResult | None:
        self._result_expiry.discard(job_id)
        return self._results.pop(job_id, None)

    def drop_expired_results(self, now: datetime) -> None:
        for _, id in self._result_expiry.pop_until(instant(now)):
            del self._results[id]

    def wake(self, task_id: str) -> None:
        """Let a task's waiting jobs be claimed again (its limit may have changed)."""
        self._waiting.wake(task_id)

    def wake_skipped(self) -> None:
        """Put the tasks :meth:`claim_next` skipped back in the queue."""
        for task_id in self._skipped:
            self._waiting.wake(task_id)
        self._skipped.clear()

    def _queue(self, job: Job, order: int) -> None:
        self._waiting.push(job.task_id, order, job.id)
        if job.start_deadline is not None:
            self._deadlines.set(job.id, instant(job.start_deadline))

    def _unclaim(self, job: Job) -> None:
        if job.acquired_by is None:
            return
        held = self._claimed_ids[job.acquired_by]
        held.discard(job.id)
        if not held:
            del self._claimed_ids[job.acquired_by]
        job.acquired_by = job.acquired_until = None
        self._leases.release()
        running = self.running_jobs[job.task_id] - 1
        if running:
            self.running_jobs[job.task_id] = running
        else:
            del self.running_jobs[job.task_id]
        self._waiting.wake(job.task_id)
