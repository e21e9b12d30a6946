"""Changing schedules in place: pause, unpause, modify, run now, and re-adding one.

Every change goes through the store's ``update_schedule``, so it is one step in the
store: a scheduler that holds the schedule meanwhile cannot undo it. A new trigger
drops that scheduler's claim (its release, made with the old trigger, is ignored);
a change of settings keeps it (the fire times it is processing are still stored).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from .._converters import as_aware_datetime, as_choice, as_timedelta
from .._enums import CoalescePolicy, ConflictPolicy
from .._exceptions import (
    ConflictingIdError,
    InvalidTriggerArgument,
    InvalidTriggerArgumentType,
    ScheduleLookupError,
)
from .._state import copy_trigger
from .._structures import Job, Schedule
from .._trigger_contract import checked_fire_time
from ..abc import Trigger
from ._tasks import as_duration
from ._unset import UNSET, Unset, is_set

if TYPE_CHECKING:
    from ..abc import AsyncDataStore

#: How many times adding with ``ConflictPolicy.update`` looks again when another
#: writer adds or removes the same id in between.
_UPDATE_ATTEMPTS = 5


class ScheduleEditing:
    """Changing stored schedules; mixed into :class:`AsyncScheduler`."""

    data_store: AsyncDataStore
    logger: logging.Logger

    async def _start_services(self) -> None:  # provided by SchedulerLifecycle
        raise NotImplementedError

    async def get_schedule(self, id: str) -> Schedule:  # provided by AsyncScheduler
        raise NotImplementedError

    async def pause_schedule(self, id: str) -> None:
        """Stop a schedule from firing until it is unpaused."""
        await self._update_schedule(id, lambda schedule: schedule.copy(paused=True))

    async def unpause_schedule(
        self, id: str, *, resume_from: datetime | Literal["now"] | None = None
    ) -> None:
        """Let a paused schedule fire again.

        :param resume_from: skip the fire times before this time (``"now"``: the
            ones missed while paused); ``None`` keeps them, to be handled by the
            schedule's misfire and coalescing settings
        """
        bound = (
            None
            if resume_from is None
            else datetime.now(UTC)
            if resume_from == "now"
            else as_aware_datetime(resume_from, "resume_from")
        )

        def unpause(schedule: Schedule) -> Schedule:
            next_fire_time = schedule.next_fire_time
            if bound is None or next_fire_time is None or next_fire_time >= bound:
                return schedule.copy(paused=False)
            trigger = copy_trigger(schedule.trigger)
            while next_fire_time is not None and next_fire_time < bound:
                next_fire_time = trigger.next()
            return _retriggered(schedule.copy(paused=False), trigger, next_fire_time)

        await self._update_schedule(id, unpause)

    async def modify_schedule(
        self,
        id: str,
        *,
        trigger: Trigger | Unset = UNSET,
        args: Iterable[Any] | Unset = UNSET,
        kwargs: Mapping[str, Any] | Unset = UNSET,
        paused: bool | Unset = UNSET,
        coalesce: CoalescePolicy | str | Unset = UNSET,
        misfire_grace_time: timedelta | float | Unset | None = UNSET,
        max_jitter: timedelta | float | Unset | None = UNSET,
        job_executor: str | Unset | None = UNSET,
        job_result_expiration_time: timedelta | float | Unset = UNSET,
        metadata: Mapping[str, Any] | Unset = UNSET,
    ) -> Schedule:
        """Change a schedule in place, in one step; return it as stored.

        What is not given stays as it is. The schedule keeps its id, task and last
        fire time. A new ``trigger`` is copied and fires from now on: its fire times
        before now are skipped (as ``unpause_schedule(resume_from="now")`` does),
        and the old trigger's fire times not yet run are dropped.

        :raises ScheduleLookupError: if there is no schedule with that id
        :raises InvalidTriggerArgument: if the new trigger has no fire times left
        """
        changes: dict[str, Any] = {}
        if is_set(args):
            changes["args"] = tuple(args)
        if is_set(kwargs):
            changes["kwargs"] = dict(kwargs)
        if is_set(paused):
            changes["paused"] = bool(paused)
        if is_set(coalesce):
            changes["coalesce"] = as_choice(CoalescePolicy, coalesce, "coalesce")
        if is_set(misfire_grace_time):
            changes["misfire_grace_time"] = as_duration(
                misfire_grace_time, "misfire_grace_time"
            )
        if is_set(max_jitter):
            changes["max_jitter"] = as_duration(max_jitter, "max_jitter")
        if is_set(job_executor):
            if job_executor is not None:
                self._check_executor(job_executor, None)
            changes["job_executor"] = job_executor
        if is_set(job_result_expiration_time):
            changes["job_result_expiration_time"] = as_timedelta(
                job_result_expiration_time, "job_result_expiration_time"
            )
        if is_set(metadata):
            changes["metadata"] = dict(metadata)
        new_trigger: Trigger | None = None
        first_fire_time: datetime | None = None
        if is_set(trigger):
            new_trigger, first_fire_time = _started(trigger, "modify_schedule")
            first_fire_time = _skip_past(new_trigger, first_fire_time)
            if first_fire_time is None:
                raise InvalidTriggerArgument(
                    "modify_schedule", "trigger", trigger,
                    "it has no fire times after now (its end is in the past?)",
                )  # fmt: skip

        def modify(schedule: Schedule) -> Schedule:
            modified = schedule.copy(**changes)
            if new_trigger is None:
                return modified
            return _retriggered(modified, copy_trigger(new_trigger), first_fire_time)

        return await self._update_schedule(id, modify)

    async def run_schedule_now(self, id: str) -> UUID:
        """Add one job for a schedule now, as if it fired; return the job's id.

        The job gets the schedule's arguments, executor and metadata; the trigger
        and the next fire time are untouched, and a paused schedule stays paused.

        :raises ScheduleLookupError: if there is no schedule with that id
        """
        schedule = await self.get_schedule(id)
        task = await self.data_store.get_task(schedule.task_id)
        job = Job(
            task_id=schedule.task_id,
            args=schedule.args,
            kwargs=schedule.kwargs,
            schedule_id=schedule.id,
            executor=schedule.job_executor or task.job_executor,
            result_expiration_time=schedule.job_result_expiration_time,
            metadata=schedule.metadata,
        )
        await self.data_store.add_job(job)
        return job.id

    def _check_executor(self, name: str, func: Callable[..., Any] | None) -> None:
        raise NotImplementedError  # provided by TaskRegistry

    async def _update_schedule(
        self, id: str, update: Callable[[Schedule], Schedule]
    ) -> Schedule:
        await self._start_services()
        return await self.data_store.update_schedule(id, update)

    async def _store_schedule(
        self, schedule: Schedule, conflict_policy: ConflictPolicy
    ) -> None:
        """Add a new schedule, following ``conflict_policy`` if its id is taken."""
        if conflict_policy is not ConflictPolicy.update:
            await self.data_store.add_schedule(schedule, conflict_policy)
            return
        for _ in range(_UPDATE_ATTEMPTS):
            try:
                await self.data_store.add_schedule(schedule, ConflictPolicy.exception)
                return
            except ConflictingIdError:
                pass
            try:
                await self.data_store.update_schedule(
                    schedule.id, lambda stored: self._redefined(stored, schedule)
                )
                return
            except ScheduleLookupError:
                pass  # removed in between: add it again
        raise ConflictingIdError(schedule.id)

    def _redefined(self, stored: Schedule, new: Schedule) -> Schedule:
        """``stored`` with ``new``'s definition, keeping its history (and its
        progress, when the new trigger fires at the same times)."""
        redefined = new.copy(
            last_fire_time=stored.last_fire_time,
            acquired_by=stored.acquired_by,
            acquired_until=stored.acquired_until,
        )
        if _same_fire_times(stored, new):
            return redefined.copy(
                trigger=stored.trigger, next_fire_time=stored.next_fire_time
            )
        self.logger.info(
            "schedule %r now follows %r (it followed %r)",
            stored.id, new.trigger, stored.trigger,
        )  # fmt: skip
        return _retriggered(redefined, copy_trigger(new.trigger), new.next_fire_time)


def _same_fire_times(stored: Schedule, new: Schedule) -> bool:
    """Whether ``new``'s trigger fires at the times ``stored``'s still would.

    Both are compared from the later of their next fire times on, so a trigger
    made again in a cell (whose start is "now") counts as the same one.
    """
    if (
        type(stored.trigger) is not type(new.trigger)
        or stored.next_fire_time is None
        or new.next_fire_time is None
    ):
        return False
    start = max(stored.next_fire_time, new.next_fire_time)
    try:
        old_times = _fire_times_from(start, stored.next_fire_time, stored.trigger)
        new_times = _fire_times_from(start, new.next_fire_time, new.trigger)
    except Exception:
        return False  # a trigger that cannot say (or too far apart): a new one
    return old_times == new_times


#: How many fire times must agree, and how far to look to line them up.
_SAME_FIRE_TIMES = 3
_ALIGN_STEPS = 1000


def _fire_times_from(
    start: datetime, first: datetime, trigger: Trigger
) -> list[datetime | None]:
    """The first few fire times from ``start`` on, of a trigger whose next fire
    time is ``first`` (on a copy of ``trigger``)."""
    own = copy_trigger(trigger)
    fire_time: datetime | None = first
    steps = 0
    while fire_time is not None and fire_time < start:
        steps += 1
        if steps > _ALIGN_STEPS:
            raise OverflowError("the triggers are too far apart to compare")
        fire_time = own.next()
    times = [fire_time]
    while len(times) < _SAME_FIRE_TIMES and times[-1] is not None:
        times.append(own.next())
    return times


def _started(trigger: object, operation: str) -> tuple[Trigger, datetime]:
    """A copy of ``trigger`` advanced past its first fire time, and that time."""
    if not isinstance(trigger, Trigger):
        raise InvalidTriggerArgumentType("trigger", trigger, "an apsnb.abc.Trigger")
    own_trigger = copy_trigger(trigger)
    first_fire_time = checked_fire_time(trigger, own_trigger.next())
    if first_fire_time is None:
        raise InvalidTriggerArgument(
            operation, "trigger", trigger,
            "it has no fire times left: next() returned None at once (a trigger "
            "that has already fired, or whose years or end_time are past); give it "
            "fire times after now",
        )  # fmt: skip
    checked_fire_time(trigger, first_fire_time)
    return own_trigger, first_fire_time


#: How many past fire times modify_schedule skips at most; a trigger with more (an
#: interval of a second that started days ago) keeps the rest, for the schedule's
#: coalescing to turn into one catch-up run.
_SKIP_LIMIT = 10_000


def _skip_past(trigger: Trigger, fire_time: datetime | None) -> datetime | None:
    """The first fire time from now on, advancing ``trigger`` past the earlier ones."""
    now = datetime.now(UTC)
    for _ in range(_SKIP_LIMIT):
        if fire_time is None or fire_time >= now:
            break
        fire_time = trigger.next()
    return fire_time


def _retriggered(
    schedule: Schedule, trigger: Trigger, next_fire_time: datetime | None
) -> Schedule:
    """``schedule`` on a trigger of its own progress: whoever holds the schedule
    loses the claim, so its release, made with the old progress, is ignored."""
    return schedule.copy(
        trigger=trigger,
        next_fire_time=next_fire_time,
        acquired_by=None,
        acquired_until=None,
    )
