"""A flag a scheduler loop sleeps on, set by the events that concern it."""

from __future__ import annotations

import anyio

__all__ = ("Wakeup",)


class Wakeup:
    """A flag a loop sleeps on, set by events from any thread of the loop's callbacks."""

    __slots__ = ("_event", "_set")

    def __init__(self) -> None:
        self._event = anyio.Event()
        # Set once per wait: it is set per job added or released, and a flag of
        # our own answers the repeats for a tenth of what the event's set() costs.
        self._set = False

    def set(self) -> None:
        if not self._set:
            self._set = True
            self._event.set()

    async def wait(self, timeout: float | None) -> bool:
        """Sleep until set or ``timeout`` seconds pass; then clear. Return whether
        it was set."""
        if not self._set:
            with anyio.move_on_after(timeout):
                await self._event.wait()
        woken = self._set
        self._event = anyio.Event()
        self._set = False
        return woken
