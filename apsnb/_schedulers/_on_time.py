"""Starting jobs on time: when the schedules loop wakes, how long before a fire time
it claims, and how it waits out the fire time itself."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import anyio

from .._structures import Schedule, utcnow

#: Linux may end a timed wait late by 0.1% of its length (timer slack, 1 ms for a
#: one-second wait), so a long wait for a fire time ends this share early and then
#: waits out the few milliseconds left, which end within the millisecond.
EARLY_WAKE_SHARE = 0.002
#: Waits shorter than this get at most the kernel's fixed 50 µs slack: no early wake.
EARLY_WAKE_MIN_SECONDS = 0.05
#: The longest a scheduler claims ahead of a fire time. A claim lasts a lease (30 s
#: by default), so this is far inside it; it bounds a store that turns slow.
MAX_LEAD_SECONDS = 0.05
#: How much of the lead is kept from one claim to the next: a slow claim raises it
#: at once, and quicker ones let it sink back over a few claims.
LEAD_DECAY = 0.8
#: Claims vary in length: claiming half as long again ahead makes most of them end
#: before the fire time (the scheduler then waits out the rest).
LEAD_MARGIN = 1.5
#: How late the event loop may end a timed wait (it waits in whole milliseconds).
TIMER_GRAIN = 0.001


class ClaimLead:
    """A claim's recent duration: claiming that long before a fire time means the
    claim is made when the time comes, instead of starting then."""

    __slots__ = ("seconds",)

    def __init__(self) -> None:
        self.seconds = 0.0

    @property
    def ahead(self) -> float:
        """Seconds before a fire time to claim: a claim's recent length, and the
        grain of the loop's timers, which may end a wait that much late (the last
        of the wait for the fire time itself is exact, see :func:`until_due`)."""
        return self.seconds + TIMER_GRAIN

    @contextmanager
    def timing(self) -> Iterator[datetime]:
        """Time one claim; yields the ``due_by`` to claim with."""
        started = time.perf_counter()
        yield utcnow() + timedelta(seconds=self.ahead)
        took = time.perf_counter() - started
        self.seconds = min(
            MAX_LEAD_SECONDS, max(took * LEAD_MARGIN, self.seconds * LEAD_DECAY)
        )


def wait_before(fire_time: datetime) -> float:
    """Seconds to wait for ``fire_time``, a little short of it if it is far enough."""
    seconds = max(0.0, (fire_time - utcnow()).total_seconds())
    if seconds > EARLY_WAKE_MIN_SECONDS:
        seconds -= seconds * EARLY_WAKE_SHARE
    return seconds


def due_now(schedules: list[Schedule]) -> tuple[list[Schedule], list[Schedule]]:
    """The schedules due now, and those claimed ahead of their fire time."""
    now = utcnow()
    due: list[Schedule] = []
    ahead: list[Schedule] = []
    for schedule in schedules:
        fire_time = schedule.next_fire_time
        (ahead if fire_time is not None and fire_time > now else due).append(schedule)
    return due, ahead


async def until_due(schedules: list[Schedule]) -> None:
    """Wait for the latest fire time of schedules claimed ahead (at most the lead).

    The event loop's timers end up to a millisecond late (its clock resolution and
    the selector's millisecond timeout), so the last millisecond is waited out by
    yielding to the loop instead: no job starts early, and none a millisecond late.
    """
    latest = max(
        (s.next_fire_time for s in schedules if s.next_fire_time is not None),
        default=None,
    )
    if latest is None:
        return
    seconds = (latest - utcnow()).total_seconds()
    if seconds > TIMER_GRAIN:
        await anyio.sleep(seconds - TIMER_GRAIN)
    while utcnow() < latest:
        await anyio.sleep(0)
