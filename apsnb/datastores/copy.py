"""Copy tasks, schedules and waiting jobs from one data store to another.

The path a user takes when one machine is no longer enough: from an SQLite file to a
PostgreSQL database that schedulers on many hosts share.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from .._enums import ConflictPolicy
from .._events import Event, JobDeserializationFailed, ScheduleDeserializationFailed
from .._exceptions import CopyConflict, CopyIncomplete
from ..abc import AsyncDataStore, DataStore
from ..eventbrokers.local import LocalEventBroker
from .location import open_data_store

__all__ = ("CopyReport", "copy_data_store")


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What :func:`copy_data_store` copied, and the running jobs it left behind."""

    tasks: int
    schedules: int
    jobs: int
    running_jobs_left: int

    def __str__(self) -> str:
        text = (
            f"copied {self.tasks} tasks, {self.schedules} schedules and "
            f"{self.jobs} waiting jobs"
        )
        if self.running_jobs_left:
            text += (
                f"; left {self.running_jobs_left} running jobs behind (they finish "
                f"in the source)"
            )
        return text


def copy_data_store(
    source: str | os.PathLike[str] | DataStore,
    target: str | os.PathLike[str] | DataStore,
    *,
    replace: bool = False,
    allowed_modules: Iterable[str] = (),
) -> CopyReport:
    """Copy the tasks, schedules and waiting jobs of ``source`` into ``target``.

    Schedules keep their ids, triggers (with their progress: a schedule fires next
    where it would have in the source), arguments and settings; claims are not
    copied, so the target's schedulers take them up. Jobs that wait are copied;
    running ones are left to finish in the source and counted in the report. Job
    results are not copied. Stop the source's schedulers first, so that nothing
    fires in both places.

    Each is a store or a location, as :func:`open_data_store` takes it::

        copy_data_store("jobs.sqlite", "postgresql://apsnb@db.example.com/scheduling")

    Reading the source resolves trigger classes as any store does (see the trust
    rules in the stores' documentation): a class neither imported nor in
    ``allowed_modules`` is not imported, and then the copy is refused as a whole —
    it never leaves a schedule behind without saying so.

    :param replace: replace tasks and schedules whose ids the target has already
        (default: refuse, and copy nothing)
    :param allowed_modules: the modules whose trigger classes the source's rows may
        name, when ``source`` is a location (a store keeps its own allow-list)
    :raises CopyConflict: (a ``ConflictingIdError``) if ``replace`` is false and
        the target has schedules with ids the source has; nothing is copied
    :raises CopyIncomplete: if a schedule or job of the source cannot be read (its
        trigger class not allowed, say); nothing is copied
    """
    allowed = tuple(allowed_modules)
    if allowed and isinstance(source, DataStore | AsyncDataStore):
        raise TypeError(
            "allowed_modules is for a source given by its location; give the "
            "source store its own allowed_modules instead"
        )
    options = {"allowed_modules": allowed} if allowed else {}
    source_store = _synchronous(open_data_store(source, **options), "source")
    target_store = _synchronous(open_data_store(target), "target")
    unreadable: list[Event] = []
    broker = LocalEventBroker()
    broker.subscribe(
        unreadable.append, {ScheduleDeserializationFailed, JobDeserializationFailed}
    )
    source_store.start(broker)
    try:
        tasks = source_store.get_tasks()
        schedules = source_store.get_schedules()
        jobs = source_store.get_jobs()
    finally:
        source_store.stop()
    if unreadable:
        raise CopyIncomplete(repr(source_store), _rows(unreadable))
    waiting = [job for job in jobs if job.acquired_by is None]
    target_store.start(LocalEventBroker())
    try:
        existing = {schedule.id for schedule in target_store.get_schedules()}
        clashes = sorted(existing & {schedule.id for schedule in schedules})
        if clashes and not replace:
            raise CopyConflict(clashes, repr(target_store))
        policy = ConflictPolicy.replace
        for task in tasks:
            target_store.add_task(task)
        for schedule in schedules:
            unclaimed = schedule.copy(acquired_by=None, acquired_until=None)
            target_store.add_schedule(unclaimed, policy)
        known_jobs = {job.id for job in target_store.get_jobs()}
        for job in waiting:
            if job.id not in known_jobs:
                target_store.add_job(job)
    finally:
        target_store.stop()
    return CopyReport(
        len(tasks), len(schedules), len(waiting), len(jobs) - len(waiting)
    )


def _rows(events: list[Event]) -> list[tuple[str, BaseException]]:
    rows: list[tuple[str, BaseException]] = []
    for event in events:
        if isinstance(event, ScheduleDeserializationFailed):
            rows.append((f"schedule {event.schedule_id!r}", event.exception))
        elif isinstance(event, JobDeserializationFailed):
            rows.append((f"job {event.job_id}", event.exception))
    return rows


def _synchronous(store: DataStore | AsyncDataStore, role: str) -> DataStore:
    if not isinstance(store, DataStore):
        raise TypeError(
            f"the {role} {store!r} is an asynchronous store; copy_data_store takes "
            f"synchronous ones (SQLite, PostgreSQL, memory) or their locations"
        )
    return store
