"""How long the scheduler's loops pause after a failure, before they try again."""

from __future__ import annotations

__all__ = ("FIRST_PAUSE", "MAX_IDLE_SECONDS", "Backoff", "loop_backoff")

#: The longest the scheduler's loops sleep without looking at the store: a safety net
#: for stores shared with other processes that publish no events here (SQLite).
MAX_IDLE_SECONDS = 60.0
#: The first pause of a loop after a failure (a store that stays unreachable after its
#: own retries); pauses double up to MAX_IDLE_SECONDS, and start again here after a
#: success.
FIRST_PAUSE = 1.0


class Backoff:
    """Pauses that double after each failure, up to ``maximum``, and start again from
    ``initial`` after a success: a short fault after a long one costs a short pause,
    not the long one's last."""

    __slots__ = ("_next", "initial", "maximum")

    def __init__(self, initial: float, maximum: float) -> None:
        self.initial = initial
        self.maximum = maximum
        self._next = initial

    def failed(self) -> float:
        """Return how long to pause after a failure, and lengthen the next pause."""
        pause = self._next
        self._next = min(pause * 2, self.maximum)
        return pause

    def succeeded(self) -> None:
        """Start again from the shortest pause."""
        self._next = self.initial


def loop_backoff() -> Backoff:
    """The pauses of a scheduler loop that failed."""
    return Backoff(FIRST_PAUSE, MAX_IDLE_SECONDS)
