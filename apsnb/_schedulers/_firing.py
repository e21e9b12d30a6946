"""Turning a due schedule into jobs: which fire times, how late they may start, jitter.

Pure functions of a schedule, its task and the current time, so the rules can be
tested without a running scheduler.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from .._enums import CoalescePolicy
from .._ids import new_job_id
from .._runs import RunRecord
from .._structures import Job, Schedule, ScheduleResult, Task, positional_builder
from .._trigger_contract import check_later, checked_fire_time

#: Jobs one schedule may get in one pass with ``CoalescePolicy.all``; the rest come in
#: the next pass, so a trigger that fires every second after a week's sleep cannot
#: stall the loop with a week of jobs at once.
MAX_JOBS_PER_PASS = 1000
#: Missed fire times skipped in one pass under ``earliest``/``latest`` (about a second
#: of work). Beyond it the schedule gets one more job in the next pass.
MAX_SKIPPED_PER_PASS = 5_000_000
#: Coalesced fire times listed one by one in the run history, per schedule and pass;
#: the rest get one record that says how many there were.
MAX_LISTED_SKIPS = 10_000

_NO_JITTER = timedelta(0)


def due_fire_times(
    schedule: Schedule, now: datetime
) -> tuple[list[datetime], datetime | None, int]:
    """Return the schedule's fire times up to ``now``, the first one after it, and
    how many were due.

    Advances ``schedule.trigger``; the first fire time is ``schedule.next_fire_time``.
    When only one job is made (``earliest``/``latest``), the first
    ``MAX_LISTED_SKIPS + 1`` fire times and the last are kept, however many there
    were.

    :raises InvalidFireTime: if the trigger gives a naive fire time, or one not later
        than the one before (which would otherwise fire forever, or never again)
    """
    keep_all = schedule.coalesce is CoalescePolicy.all
    limit = MAX_JOBS_PER_PASS if keep_all else MAX_SKIPPED_PER_PASS
    kept = limit if keep_all else MAX_LISTED_SKIPS + 2
    fire_times: list[datetime] = []
    trigger = schedule.trigger
    next_fire_time = schedule.next_fire_time
    stamp = None if next_fire_time is None else next_fire_time.timestamp()
    now_stamp = now.timestamp()
    count = 0
    while stamp is not None and stamp <= now_stamp:
        if count < kept:
            fire_times.append(next_fire_time)  # type: ignore[arg-type]
        else:
            fire_times[-1] = next_fire_time  # type: ignore[call-overload]
        count += 1
        # A naive value would break every comparison after it, and a repeated or
        # earlier one would fire forever: refuse them here, where the loop finishes
        # the schedule of a trigger that raises. (The checks are called only when
        # they would fail: they run once per fire time.)
        next_fire_time = trigger.next()
        if next_fire_time is None:
            stamp = None
        else:
            if type(next_fire_time) is not datetime or next_fire_time.tzinfo is None:
                checked_fire_time(trigger, next_fire_time)
            previous_stamp, stamp = stamp, next_fire_time.timestamp()
            if stamp <= previous_stamp:
                check_later(trigger, next_fire_time, previous_stamp)
        if count >= limit:
            break
    return fire_times, next_fire_time, count


def coalesced(fire_times: list[datetime], policy: CoalescePolicy) -> list[datetime]:
    """The fire times that get a job under the coalescing policy."""
    if not fire_times or policy is CoalescePolicy.all:
        return fire_times
    if policy is CoalescePolicy.earliest:
        return fire_times[:1]
    return fire_times[-1:]


def jitter_for(
    fire_time: datetime,
    next_fire_time: datetime | None,
    max_jitter: timedelta | None,
    uniform: Callable[[float, float], float] = random.uniform,
) -> timedelta:
    """A random delay in ``[0, max_jitter]``, kept short of the next fire time."""
    if not max_jitter:
        return _NO_JITTER
    limit = max_jitter.total_seconds()
    if next_fire_time is not None:
        # A jittered job must not start after the next fire time's job would.
        limit = min(
            limit, max(0.0, (next_fire_time - fire_time).total_seconds() - 1e-6)
        )
    return timedelta(seconds=uniform(0, limit))


def jobs_for(
    schedule: Schedule,
    task: Task,
    now: datetime,
    default_executor: str,
) -> ScheduleResult:
    """Return a due schedule's new progress, with the jobs it makes now and the run
    records of the fire times that coalescing gave no job."""
    fire_times, next_fire_time, count = due_fire_times(schedule, now)
    grace = schedule.misfire_grace_time
    if grace is None:
        grace = task.misfire_grace_time
    jobs = []
    executor = schedule.job_executor or task.job_executor or default_executor
    max_jitter = schedule.max_jitter
    for fire_time in coalesced(fire_times, schedule.coalesce):
        jitter = (
            jitter_for(fire_time, next_fire_time, max_jitter)
            if max_jitter
            else _NO_JITTER
        )
        jobs.append(
            _new_job(
                new_job_id(),
                schedule.task_id,
                schedule.args,
                schedule.kwargs,
                schedule.id,
                fire_time,  # scheduled_fire_time
                executor,
                jitter,
                None if grace is None else fire_time + jitter + grace,  # start_deadline
                schedule.job_result_expiration_time,
                schedule.metadata,
                now,  # created_at
                None,  # acquired_by
                None,  # acquired_until
            )
        )
    missed: list[RunRecord] = []
    if count > 1 and schedule.coalesce is not CoalescePolicy.all:
        job = jobs[0]
        skipped = [time for time in fire_times if time != job.scheduled_fire_time]
        skipped = skipped[:MAX_LISTED_SKIPS]
        missed = RunRecord.coalesced(
            job, skipped, omitted=count - 1 - len(skipped), now=now
        )
    return _new_schedule_result(
        schedule.id,
        schedule.task_id,
        schedule.trigger,
        fire_times[-1] if fire_times else schedule.last_fire_time,  # last_fire_time
        next_fire_time,
        tuple(jobs),
        tuple(missed) if missed else (),
    )


# A job and a schedule result are made per fire time: filled in field by field, in
# field order, they cost half of what ``__init__``'s keyword arguments do.
_new_job = positional_builder(Job)
_new_schedule_result = positional_builder(ScheduleResult)
