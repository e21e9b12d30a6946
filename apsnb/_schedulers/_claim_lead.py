"""How long before a fire time a scheduler claims its schedules."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from .._structures import utcnow

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
        of the wait for the fire time itself is exact, see ``_until_due``)."""
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
