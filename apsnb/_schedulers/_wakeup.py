"""A flag a scheduler loop sleeps on, set by the events that concern it."""

from __future__ import annotations

import anyio

__all__ = ("Wakeup",)


class Wakeup:
    """A flag a loop sleeps on, set by events from any thread of the loop's callbacks."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = anyio.Event()

    def set(self) -> None:
        self._event.set()

    async def wait(self, timeout: float | None) -> bool:
        """Sleep until set or ``timeout`` seconds pass; then clear. Return whether
        it was set."""
        if not self._event.is_set():
            with anyio.move_on_after(timeout):
                await self._event.wait()
        woken = self._event.is_set()
        self._event = anyio.Event()
        return woken
