"""The schedules of a MemoryDataStore, indexed by when each can next be claimed."""

from __future__ import annotations

from copy import deepcopy
from datetime import datetime

from .._structures import Schedule, ScheduleResult
from ._indexes import TimeHeap, instant


class ScheduleTable:
    """Schedules by id, plus a heap of the times they can next be claimed.

    Not thread safe: the store calls it under its lock. Holds the stored objects;
    the store copies what it hands out.
    """

    __slots__ = ("_claim_times", "_claimed_ids", "_finished_ids", "schedules")

    def __init__(self) -> None:
        self.schedules: dict[str, Schedule] = {}
        # When each unpaused, unfinished schedule can next be claimed: its next fire
        # time, or the end of its claim if that is later.
        self._claim_times: TimeHeap[str] = TimeHeap()
        self._claimed_ids: dict[str, set[str]] = {}  # by scheduler id
        self._finished_ids: set[str] = set()  # added with no next fire time

    def put(self, schedule: Schedule) -> None:
        """Store a schedule whose id is not stored yet, with its claim as given."""
        self.schedules[schedule.id] = schedule
        if schedule.acquired_by is not None:
            self._claimed_ids.setdefault(schedule.acquired_by, set()).add(schedule.id)
        if schedule.next_fire_time is None:
            self._finished_ids.add(schedule.id)
        self._index(schedule)

    def delete(self, schedule_id: str) -> Schedule:
        schedule = self.schedules.pop(schedule_id)
        self._unclaim(schedule)
        self._claim_times.discard(schedule_id)
        self._finished_ids.discard(schedule_id)
        return schedule

    def finished_ids(self) -> list[str]:
        """The ids of the schedules stored without a next fire time, sorted."""
        return sorted(self._finished_ids)

    def acquire(
        self, scheduler_id: str, due_by: datetime, acquired_until: datetime, limit: int
    ) -> list[Schedule]:
        """Claim up to ``limit`` schedules due by ``due_by``, earliest fire time first."""
        due_us = instant(due_by)
        # Schedules this scheduler holds already may be claimed again at once.
        held = [
            schedule
            for id in self._claimed_ids.get(scheduler_id, ())
            if _is_due(schedule := self.schedules[id], due_us)
        ]
        popped: list[Schedule] = []
        in_fire_order = True
        if limit > 0:
            for _, id in self._claim_times.pop_until(due_us):
                schedule = self.schedules[id]
                # An expired claim comes out at its end, not at its fire time.
                in_fire_order = in_fire_order and schedule.acquired_until is None
                popped.append(schedule)
                if len(popped) == limit:
                    break
        if held or not in_fire_order:
            candidates = sorted(held, key=_fire_order)[:limit]
            held_ids = {schedule.id for schedule in candidates}
            candidates += [s for s in popped if s.id not in held_ids]
            candidates = sorted(candidates, key=_fire_order)[:limit]
        else:  # the usual case: the heap gave them earliest first already
            candidates = popped
        claimed = self._claimed_ids.setdefault(scheduler_id, set())
        # Each can be claimed again when its claim ends, since it is due by then
        # (unless the lease is shorter than the claim is made ahead: see _index).
        claim_ends = instant(acquired_until) + 1
        indexed_by_claim = claim_ends > due_us
        for schedule in candidates:
            holder = schedule.acquired_by
            if holder != scheduler_id:
                if holder is not None:
                    # Taking over an expired claim: the old holder may still use
                    # the trigger object, so the new holder gets its own.
                    schedule.trigger = deepcopy(schedule.trigger)
                    self._unclaim(schedule)
                claimed.add(schedule.id)
            schedule.acquired_by = scheduler_id
            schedule.acquired_until = acquired_until
            if indexed_by_claim:
                self._claim_times.set(schedule.id, claim_ends)
            else:
                self._index(schedule)
        if not claimed:
            del self._claimed_ids[scheduler_id]
        if candidates is not popped:
            chosen_ids = {schedule.id for schedule in candidates}
            for schedule in popped:  # those left out by the limit go back
                if schedule.id not in chosen_ids:
                    self._index(schedule)
        return candidates

    def release(self, scheduler_id: str, result: ScheduleResult) -> Schedule | None:
        """Apply ``result`` and drop the claim, or delete the schedule if finished.

        Returns the schedule, or ``None`` when ``scheduler_id`` does not hold it (it
        was removed, replaced or taken over meanwhile) and nothing was done.
        """
        schedule = self.schedules.get(result.schedule_id)
        if schedule is None or schedule.acquired_by != scheduler_id:
            return None
        if result.next_fire_time is None:
            return self.delete(schedule.id)
        self._unclaim(schedule)
        schedule.trigger = result.trigger
        schedule.last_fire_time = result.last_fire_time
        schedule.next_fire_time = result.next_fire_time
        self._index(schedule)
        return schedule

    def next_run_time(self) -> datetime | None:
        """When the next unpaused schedule can be claimed (see the store's method)."""
        first = self._claim_times.peek()
        if first is None:
            return None
        schedule = self.schedules[first[1]]
        assert schedule.next_fire_time is not None
        if schedule.acquired_until is None:
            return schedule.next_fire_time
        return max(schedule.next_fire_time, schedule.acquired_until)

    def extend(
        self, scheduler_id: str, schedule_ids: set[str], acquired_until: datetime
    ) -> None:
        for id in schedule_ids & self._claimed_ids.get(scheduler_id, set()):
            schedule = self.schedules[id]
            schedule.acquired_until = acquired_until
            self._index(schedule)

    def _unclaim(self, schedule: Schedule) -> None:
        if schedule.acquired_by is not None:
            held = self._claimed_ids[schedule.acquired_by]
            held.discard(schedule.id)
            if not held:
                del self._claimed_ids[schedule.acquired_by]
        schedule.acquired_by = schedule.acquired_until = None

    def _index(self, schedule: Schedule) -> None:
        """Put the schedule in the heap at the time it can be claimed next, if ever."""
        if schedule.paused or schedule.next_fire_time is None:
            self._claim_times.discard(schedule.id)
            return
        time = instant(schedule.next_fire_time)
        if schedule.acquired_until is not None:
            # A claim ends when now > acquired_until.
            time = max(time, instant(schedule.acquired_until) + 1)
        self._claim_times.set(schedule.id, time)


def _is_due(schedule: Schedule, now_us: int) -> bool:
    return (
        not schedule.paused
        and schedule.next_fire_time is not None
        and instant(schedule.next_fire_time) <= now_us
    )


def _fire_order(schedule: Schedule) -> tuple[int, str]:
    assert schedule.next_fire_time is not None
    return instant(schedule.next_fire_time), schedule.id
