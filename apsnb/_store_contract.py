"""The data store contract: :class:`DataStore`, which ``apsnb.abc`` exports (subclass
it from there), and what stores share to keep it (``claims_ahead``,
``_checked_update``). :class:`AsyncDataStore`, the same contract with coroutine
methods, is in ``_async_store_contract``.

The docstrings are the contract; the conformance suite in ``apsnb.testing`` checks it.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from ._enums import ConflictPolicy
    from ._runs import RunRecord
    from ._structures import Job, JobResult, Schedule, ScheduleResult, Task
    from .abc import EventBroker

__all__ = ("DataStore", "claims_ahead")


def claims_ahead(acquire_schedules: Callable[..., object]) -> bool:
    """Whether a store's ``acquire_schedules`` names ``due_by`` among its parameters.

    A store written before it is called without it, and claims only what is due
    when called; so is a wrapper that takes ``**kwargs``, which may pass them on to
    such a store (it loses a few milliseconds of start latency, never a fire time).
    """
    import inspect  # only when a scheduler starts: ``import apsnb`` stays light

    return "due_by" in inspect.signature(acquire_schedules).parameters


class DataStore(metaclass=ABCMeta):
    """Keeps tasks, schedules, jobs and job results (synchronous, thread safe).

    A store publishes an event to the broker it was started with for every change it
    makes: ``TaskAdded``/``TaskUpdated``/``TaskRemoved``, ``ScheduleAdded``/
    ``ScheduleUpdated``/``ScheduleRemoved``, ``JobAdded``/``JobRemoved``, and
    ``ScheduleDeserializationFailed``/``JobDeserializationFailed`` for rows it cannot
    read (which it skips, keeps, and never deletes). The async scheduler runs each call
    of a synchronous store in a worker thread.

    A store keeps a run history: a :class:`~apsnb.RunRecord` for every job that ends
    (released by a scheduler, or given up by the store), written in the same step
    that removes the job, and one for every fire time that coalescing gave no job,
    written in the step that releases its schedule. Records do not depend on job
    results expiring; ``cleanup()`` drops those older than the store's retention.
    """

    __slots__ = ()

    @abstractmethod
    def start(self, event_broker: EventBroker) -> None:
        """Open the store; publish events to ``event_broker`` from now on."""

    @abstractmethod
    def stop(self, *, force: bool = False) -> None:
        """Close the store."""

    @abstractmethod
    def add_task(self, task: Task) -> None:
        """Add ``task``, or replace the task with its id (keeping its running count)."""

    @abstractmethod
    def remove_task(self, task_id: str) -> None:
        """Remove a task. :raises TaskLookupError: if there is none with that id"""

    @abstractmethod
    def get_task(self, task_id: str) -> Task:
        """Return a task. :raises TaskLookupError: if there is none with that id"""

    @abstractmethod
    def get_tasks(self) -> list[Task]:
        """Return every task, sorted by id."""

    @abstractmethod
    def get_schedules(self, ids: set[str] | None = None) -> list[Schedule]:
        """Return the schedules with the given ids (default: all), sorted by id."""

    @abstractmethod
    def add_schedule(self, schedule: Schedule, conflict_policy: ConflictPolicy) -> None:
        """Add ``schedule``; if its id exists, follow ``conflict_policy``.

        :raises ConflictingIdError: with ``ConflictPolicy.exception`` on a conflict
        """

    def update_schedule(
        self, schedule_id: str, update: Callable[[Schedule], Schedule]
    ) -> Schedule:
        """Change a stored schedule in one step; return it as stored.

        ``update`` gets the stored schedule and returns its new version (same id);
        the store writes it whole, claim fields included, so that nothing changes
        the schedule in between, and publishes ``ScheduleUpdated`` (or, when the
        new version has no ``next_fire_time``, removes it and publishes
        ``ScheduleRemoved``). ``update`` may be called more
        than once (a store may retry its transaction), so it must only compute.

        This default reads and then replaces, which is not atomic; stores override
        it to do both in one transaction.

        :raises ScheduleLookupError: if there is no schedule with that id
        """
        from ._enums import ConflictPolicy
        from ._exceptions import ScheduleLookupError

        stored = self.get_schedules({schedule_id})
        if not stored:
            raise ScheduleLookupError(schedule_id)
        schedule = _checked_update(stored[0], update)
        if schedule.next_fire_time is None:
            self.remove_schedules({schedule_id})
        else:
            self.add_schedule(schedule, ConflictPolicy.replace)
        return schedule

    @abstractmethod
    def remove_schedules(self, ids: Iterable[str]) -> None:
        """Remove the schedules with these ids (unknown ids are ignored)."""

    @abstractmethod
    def acquire_schedules(
        self,
        scheduler_id: str,
        lease_duration: timedelta,
        limit: int,
        *,
        due_by: datetime | None = None,
    ) -> list[Schedule]:
        """Claim up to ``limit`` due, unpaused schedules for ``scheduler_id``.

        A schedule can be claimed when it is not claimed, its claim has expired, or
        ``scheduler_id`` holds it. The claim lasts ``lease_duration``.

        ``due_by`` (default: now) is the time by which a schedule is due, and by
        which a claim has ended: a scheduler claims a moment before a fire time so
        that only the release stands between the fire time and the job's start. It
        is a few milliseconds ahead, never a lease's length. A store written before
        ``due_by`` may leave it out (see :func:`claims_ahead`).
        """

    @abstractmethod
    def release_schedules(
        self, scheduler_id: str, results: Sequence[ScheduleResult]
    ) -> None:
        """Store the processed schedules' triggers and fire times, drop the claims,
        and add each result's ``jobs`` and ``missed`` run records, all in one step.

        Only schedules ``scheduler_id`` still holds are changed, and only their jobs
        are added: a schedule whose claim was taken over is processed by its new
        holder. Doing both in one step means a crash never loses or repeats a fire
        time. Schedules whose ``next_fire_time`` is ``None`` are finished and removed.
        """

    def release_schedules_and_acquire_jobs(
        self,
        scheduler_id: str,
        results: Sequence[ScheduleResult],
        lease_duration: timedelta,
        limit: int,
        *,
        skip_tasks: Collection[str] = (),
    ) -> list[Job]:
        """:meth:`release_schedules`, then :meth:`acquire_jobs` for the same
        scheduler, as one step when the store can make it one.

        A scheduler that fires schedules and runs jobs claims the jobs it has just
        made without a second round trip (and, on a server, a second commit to wait
        for). The claim follows :meth:`acquire_jobs`' rules: oldest first, so jobs
        that were waiting before go first, and each task's ``max_running_jobs``. This
        default makes the two calls one after the other.
        """
        self.release_schedules(scheduler_id, results)
        if limit <= 0:
            return []
        if not skip_tasks:  # as a store that predates skip_tasks takes it
            return self.acquire_jobs(scheduler_id, lease_duration, limit)
        return self.acquire_jobs(
            scheduler_id, lease_duration, limit, skip_tasks=skip_tasks
        )

    @abstractmethod
    def get_next_schedule_run_time(self) -> datetime | None:
        """Return the earliest next fire time of the unpaused schedules, if any."""

    @abstractmethod
    def add_job(self, job: Job) -> None:
        """Add a job for a worker to run."""

    @abstractmethod
    def get_jobs(self, ids: Iterable[UUID] | None = None) -> list[Job]:
        """Return the jobs with the given ids (default: all), oldest first."""

    @abstractmethod
    def acquire_jobs(
        self,
        scheduler_id: str,
        lease_duration: timedelta,
        limit: int | None = None,
        *,
        skip_tasks: Collection[str] = (),
    ) -> list[Job]:
        """Claim up to ``limit`` jobs for ``scheduler_id`` to run, oldest first.

        Respects each task's ``max_running_jobs``; a job whose start deadline has
        passed is released with ``JobOutcome.missed_start_deadline`` instead, and a
        job whose claim ran out (its scheduler died mid-run) with
        ``JobOutcome.abandoned`` (the store records the result and publishes
        ``JobReleased`` for it, as a scheduler would).

        The jobs of the tasks in ``skip_tasks`` are left waiting, in their places,
        for another scheduler: the caller cannot run them (their function is not
        known or not trusted in its process).
        """

    @abstractmethod
    def release_job(self, scheduler_id: str, job: Job, result: JobResult) -> None:
        """Record a finished job's result and its run record, and remove the job.

        The first release of a job wins; a later one is ignored, unless the job was
        given up as ``abandoned`` for ``scheduler_id`` (another scheduler found its
        claim lapsed while it ran): then the late result and run record replace the
        ``abandoned`` ones, so that the job keeps its real outcome.
        """

    def release_jobs(
        self, scheduler_id: str, results: Sequence[tuple[Job, JobResult]]
    ) -> None:
        """Release several finished jobs at once (as :meth:`release_job` each).

        The scheduler releases jobs that finish together with one call; a store that
        can do them in one transaction (SQLite) overrides this.
        """
        for job, result in results:
            self.release_job(scheduler_id, job, result)

    def return_jobs(self, scheduler_id: str, job_ids: Iterable[UUID]) -> bool:
        """Hand claimed jobs back unrun: they wait again, in their places, for any
        scheduler; return whether the store did (it has this step).

        For a scheduler that claimed jobs it finds it cannot run (their task was
        added by another process, with a function this one may not import). Only
        the claims ``scheduler_id`` holds are dropped. This default cannot, and says
        so: the scheduler then records such a job as failed, with the reason.
        """
        return False

    @abstractmethod
    def get_job_result(self, job_id: UUID) -> JobResult | None:
        """Return (and forget) a job's result, or ``None`` if there is none yet."""

    @abstractmethod
    def get_runs(
        self,
        *,
        schedule_id: str | None = None,
        task_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        """Return run records, newest first (by ``finished_at``, then the order
        they were written in).

        :param schedule_id: only the runs of this schedule
        :param task_id: only the runs of this task
        :param since: only records that finished at or after this time
        :param until: only records that finished before this time
        :param limit: at most this many (the newest)
        """

    @abstractmethod
    def extend_acquired_schedule_leases(
        self, scheduler_id: str, schedule_ids: set[str], duration: timedelta
    ) -> None:
        """Extend the claims ``scheduler_id`` holds on these schedules."""

    @abstractmethod
    def extend_acquired_job_leases(
        self, scheduler_id: str, job_ids: set[UUID], duration: timedelta
    ) -> None:
        """Extend the claims ``scheduler_id`` holds on these jobs."""

    @abstractmethod
    def reap_abandoned_jobs(self, scheduler_id: str) -> None:
        """Release the jobs ``scheduler_id`` held before it (re)started, with the
        outcome ``abandoned`` (publishing ``JobReleased`` for each)."""

    @abstractmethod
    def cleanup(self, scheduler_id: str | None = None) -> None:
        """Drop expired results and run records older than the retention, release
        jobs with expired claims (``abandoned``), and remove finished schedules.

        The lapsed claims of ``scheduler_id``, the scheduler asking, are kept: it is
        alive, so its jobs still run (a lock held past the lease, say).
        """


def _checked_update(
    schedule: Schedule, update: Callable[[Schedule], Schedule]
) -> Schedule:
    """Apply a store's ``update_schedule`` function to ``schedule``, which it must
    not rename (stores call this inside their transaction)."""
    updated = update(schedule)
    if updated.id != schedule.id:
        raise ValueError(
            f"an update of schedule {schedule.id!r} returned the schedule "
            f"{updated.id!r}; it must keep the id (add a new schedule instead)"
        )
    return updated
