"""The job calls of :class:`~apsnb.datastores.memory.MemoryDataStore`: adding, claiming
and releasing jobs, their results and run records."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from .._enums import JobOutcome
from .._events import Event, JobAdded, JobReleased, JobRemoved
from .._runs import RunRecord
from .._structures import Job, JobResult, utcnow
from ._memory_jobs import JobTable
from ._memory_runs import RunLog

if TYPE_CHECKING:
    from ..abc import EventBroker


class JobCalls:
    """The store's job calls, mixed into ``MemoryDataStore``; they share its lock,
    tables and broker."""

    _lock: threading.Lock
    _jobs: JobTable
    _runs: RunLog
    _event_broker: EventBroker | None

    def _wants(self, event_type: type[Event]) -> bool:
        """Whether an event of ``event_type`` would reach anyone: events cost a µs
        or two each to make, and a job's ``JobRemoved`` usually has no subscriber."""
        broker = self._event_broker
        return broker is not None and broker.wants(event_type)

    def _publish(self, events: list[Event]) -> None:
        # Called without the lock held: a subscriber may call back into the store.
        broker = self._event_broker
        if broker is not None and events:
            broker.publish_all(events)

    def add_job(self, job: Job) -> None:
        """Queue ``job``, unclaimed (the claim fields of ``job`` are ignored)."""
        with self._lock:
            if job.id in self._jobs.jobs:
                raise ValueError(f"a job with the id {job.id} exists already")
            self._jobs.add(job.copy(acquired_by=None, acquired_until=None))
        self._publish(
            [JobAdded(job_id=job.id, task_id=job.task_id, schedule_id=job.schedule_id)]
        )

    def get_jobs(self, ids: Iterable[UUID] | None = None) -> list[Job]:
        with self._lock:
            jobs = self._jobs.jobs.values() if ids is None else self._jobs.in_order(ids)
            return [job.copy() for job in jobs]

    def acquire_jobs(
        self,
        scheduler_id: str,
        lease_duration: timedelta,
        limit: int | None = None,
        *,
        skip_tasks: Collection[str] = (),
    ) -> list[Job]:
        now = utcnow()
        events: list[Event] = []
        with self._lock:
            acquired = self._acquire_jobs(
                scheduler_id, now, lease_duration, limit, skip_tasks, events
            )
        self._publish(events)
        return acquired

    def _acquire_jobs(
        self,
        scheduler_id: str,
        now: datetime,
        lease_duration: timedelta,
        limit: int | None,
        skip_tasks: Collection[str],
        events: list[Event],
    ) -> list[Job]:
        """Claim jobs under the lock, adding the events to publish to ``events``."""
        # A claim that ran out means its scheduler died mid-job (running jobs'
        # claims are renewed): the job is abandoned, never run a second time.
        # Not the caller's own: it is alive (its loop was blocked, say, by a
        # notebook cell) and its jobs run on.
        events += self._abandon_expired_claims(now, spare=scheduler_id)
        for job in self._jobs.waiting_past_deadline(now):
            events += self._give_up_job(
                job, JobOutcome.missed_start_deadline, now, scheduler_id
            )
        claimed = self._jobs.claim(
            scheduler_id, now + lease_duration, limit, skip_tasks
        )
        if skip_tasks:
            self._jobs.wake_skipped()
        return [job.copy() for job in claimed]

    def release_job(self, scheduler_id: str, job: Job, result: JobResult) -> None:
        """Record ``result`` and remove the job.

        Whoever ran the job may release it, even after another scheduler took over
        its expired claim: the first release wins and later ones are ignored, but a
        late result replaces the ``abandoned`` one of such a takeover.
        """
        self.release_jobs(scheduler_id, [(job, result)])

    def release_jobs(
        self, scheduler_id: str, results: Sequence[tuple[Job, JobResult]]
    ) -> None:
        events: list[Event] = []
        announce = self._wants(JobRemoved)
        with self._lock:
            records = []
            for job, result in results:
                stored = self._jobs.jobs.get(job.id)
                if stored is not None:
                    self._jobs.finish(stored, result)
                    if self._runs.enabled:
                        records.append(
                            RunRecord.for_result(stored, result, scheduler_id)
                        )
                    if announce:
                        events.append(JobRemoved(job_id=job.id, task_id=stored.task_id))
                else:
                    # Gone: taken over while it ran? Its late result is the real one.
                    self._jobs.replace_abandoned(job.id, result)
                    if self._runs.enabled:
                        self._runs.replace_abandoned(
                            RunRecord.for_result(job, result, scheduler_id)
                        )
            if records:
                self._runs.add(records)
        self._publish(events)

    def return_jobs(self, scheduler_id: str, job_ids: Iterable[UUID]) -> bool:
        with self._lock:
            for job_id in job_ids:
                job = self._jobs.jobs.get(job_id)
                if job is not None and job.acquired_by == scheduler_id:
                    self._jobs.unclaim(job)
        return True

    def get_job_result(self, job_id: UUID) -> JobResult | None:
        with self._lock:
            result = self._jobs.pop_result(job_id)
        if result is None or result.expires_at <= utcnow():
            return None
        return result

    def get_runs(
        self,
        *,
        schedule_id: str | None = None,
        task_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        with self._lock:
            return self._runs.newest_first(
                schedule_id=schedule_id,
                task_id=task_id,
                since=since,
                until=until,
                limit=limit,
            )

    def extend_acquired_job_leases(
        self, scheduler_id: str, job_ids: set[UUID], duration: timedelta
    ) -> None:
        acquired_until = utcnow() + duration
        with self._lock:
            self._jobs.extend(scheduler_id, job_ids, acquired_until)

    def reap_abandoned_jobs(self, scheduler_id: str) -> None:
        now = utcnow()
        with self._lock:
            events = [
                event
                for job in self._jobs.claimed_by(scheduler_id)
                for event in self._give_up_job(
                    job, JobOutcome.abandoned, now, scheduler_id
                )
            ]
        self._publish(events)

    def _abandon_expired_claims(
        self, now: datetime, spare: str | None = None
    ) -> list[Event]:
        return [
            event
            for job in self._jobs.with_expired_claims(now)
            if job.acquired_by != spare
            for event in self._give_up_job(
                job, JobOutcome.abandoned, now, job.acquired_by
            )
        ]

    def _give_up_job(
        self, job: Job, outcome: JobOutcome, now: datetime, scheduler_id: str | None
    ) -> list[Event]:
        """Remove a job the store gives up on; return the events to publish.

        No scheduler runs such a job to announce how it ended, so the store sends
        the ``JobReleased`` a scheduler would have sent.
        """
        result = JobResult.from_job(job, outcome, finished_at=now)
        self._jobs.finish(job, result)
        if self._runs.enabled:
            self._runs.add([RunRecord.for_result(job, result, scheduler_id)])
        return [
            JobRemoved(job_id=job.id, task_id=job.task_id),
            JobReleased.for_result(job, result, scheduler_id),
        ]
