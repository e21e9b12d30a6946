"""Triggers that break the trigger contract, and job functions that misbehave, for the
fault-injection tests (importable by module path, so the SQLite store can keep them)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from apsnb._state import require_version
from apsnb.abc import Trigger


class BadTrigger(Trigger):
    """Fires every ``step`` seconds from ``start``, then breaks the contract at its
    ``breaks_at``-th fire time: gives a naive datetime, repeats the last fire time, or
    goes back an hour (``how``: ``"naive"``, ``"repeat"``, ``"backwards"``)."""

    __slots__ = ("breaks_at", "count", "how", "last", "start", "step")

    def __init__(self, how: str, *, step: float = 0.05, breaks_at: int = 2) -> None:
        self.how = how
        self.step = step
        self.breaks_at = breaks_at
        self.start = datetime.now(UTC)
        self.last: datetime | None = None
        self.count = 0

    def next(self) -> datetime | None:
        self.count += 1
        if self.count < self.breaks_at or self.last is None:
            self.last = self.start + timedelta(seconds=self.step * self.count)
            return self.last
        if self.how == "naive":
            return (self.last + timedelta(seconds=self.step)).replace(tzinfo=None)
        if self.how == "repeat":
            return self.last
        return self.last - timedelta(hours=1)

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 1,
            "how": self.how,
            "step": self.step,
            "breaks_at": self.breaks_at,
            "start": self.start.timestamp(),
            "last": None if self.last is None else self.last.timestamp(),
            "count": self.count,
        }

    def __setstate__(self, state: Any) -> None:
        state = require_version(self, state, 1)
        self.how, self.step = state["how"], state["step"]
        self.breaks_at, self.count = state["breaks_at"], state["count"]
        self.start = datetime.fromtimestamp(state["start"], UTC)
        last = state["last"]
        self.last = None if last is None else datetime.fromtimestamp(last, UTC)


class UnsavableTrigger(BadTrigger):
    """Fires every ``step`` seconds, and cannot save its state once it has fired."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__("none", breaks_at=10**9)

    def __getstate__(self) -> dict[str, Any]:
        if self.count > 1:
            raise TypeError("this trigger cannot save its progress")
        return super().__getstate__()


class Boom(BaseException):
    """A job's own ``BaseException`` subclass (not an ``Exception``)."""


def raise_keyboard_interrupt() -> None:
    raise KeyboardInterrupt


async def raise_system_exit() -> None:
    raise SystemExit(3)


def raise_boom() -> None:
    raise Boom("boom")


def raise_value_error(text: str) -> None:
    raise ValueError(text)


def return_unstorable() -> object:
    return object()


def return_text(size: int) -> str:
    return "x" * size


def sleep_then_return(seconds: float, size: int = 4) -> str:
    time.sleep(seconds)
    return "done".ljust(size, ".")


def nothing() -> None:
    return None
