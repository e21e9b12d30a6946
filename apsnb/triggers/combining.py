"""Triggers that combine the fire times of other triggers."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from .._converters import as_int, as_timedelta, as_trigger_list
from .._exceptions import InvalidTriggerArgument, MaxIterationsReached
from .._state import (
    dump_fire_times,
    dump_trigger,
    load_fire_times,
    load_trigger,
    require_version,
    restoring,
)
from ..abc import Trigger

__all__ = ("AndTrigger", "OrTrigger")

# How many iterations an AndTrigger shows when it gives up.
_TRACE_LENGTH = 5


def _format_seconds(value: timedelta) -> str:
    seconds = value.total_seconds()
    return repr(int(seconds) if seconds.is_integer() else seconds)


class _CombiningTrigger(Trigger):
    """The children and their pending fire times, saved and restored alike."""

    __slots__ = ("_pending", "triggers")

    triggers: list[Trigger]
    # Each child's next fire time (None: that child is finished); None before the
    # first call to next().
    _pending: list[datetime | None] | None

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 1,
            "triggers": [dump_trigger(trigger) for trigger in self.triggers],
            "next_fire_times": dump_fire_times(self._pending),
        }

    def _restore(self, state: Any) -> Any:
        state = require_version(self, state, 1)
        with restoring(self):
            self.triggers = [load_trigger(child) for child in state["triggers"]]
            self._pending = load_fire_times(
                state["next_fire_times"], self.triggers, "next_fire_times"
            )
        return state

    def _start(self) -> list[datetime | None]:
        if self._pending is None:
            self._pending = [trigger.next() for trigger in self.triggers]
        return self._pending


class AndTrigger(_CombiningTrigger):
    """Fires when all the given triggers fire within ``threshold`` of each other.

    Each child's next fire time is compared by real instant. While they are not all
    within ``threshold`` of the latest one, every child whose fire time is more than
    ``threshold`` before the latest is advanced. When they are, the earliest of them
    is returned and every child is advanced.

    Unlike APScheduler 4.0.0a6, which advances every child within ``threshold`` of
    the *earliest* fire time, this never skips a real agreement: with a threshold of
    1 s and children at 0, 0.8 and 1.5 s, a6 also advances the child at 0.8 s and
    misses the match 1.0/0.8/1.5 when the first child's next fire time is at 1.0 s.

    The trigger is finished as soon as any child is finished.

    :param triggers: the triggers to combine
    :param threshold: the largest difference between the children's fire times that
        still counts as firing together, in seconds or as a timedelta
    :param max_iterations: how many times to advance the children looking for a
        match before raising ``MaxIterationsReached``
    """

    __slots__ = ("max_iterations", "threshold")

    threshold: timedelta
    max_iterations: int

    def __init__(
        self,
        triggers: Iterable[Trigger],
        threshold: float | timedelta = 1,
        max_iterations: int = 10000,
    ) -> None:
        self.triggers = as_trigger_list(triggers, "AndTrigger")
        self.threshold = as_timedelta(threshold, "threshold")
        if self.threshold < timedelta(0):
            raise InvalidTriggerArgument(
                "AndTrigger", "threshold", threshold, "threshold must not be negative"
            )
        self.max_iterations = as_int(max_iterations, "max_iterations")
        if self.max_iterations < 1:
            raise InvalidTriggerArgument(
                "AndTrigger",
                "max_iterations",
                max_iterations,
                "max_iterations must be 1 or more",
            )
        self._pending = None

    def next(self) -> datetime | None:
        pending = self._start()
        triggers, threshold = self.triggers, self.threshold
        if None in pending:
            return None
        # Compare in UTC: same-zone datetimes compare wall times, ignoring fold. Only
        # the children that moved are converted again.
        instants = [time.astimezone(UTC) for time in pending]  # type: ignore[union-attr]
        trace: deque[tuple[datetime | None, ...]] = deque(maxlen=_TRACE_LENGTH)
        trace_from = self.max_iterations - _TRACE_LENGTH
        for iteration in range(self.max_iterations):
            if iteration >= trace_from:
                trace.append(tuple(pending))
            latest, earliest = max(instants), min(instants)
            if latest - earliest <= threshold:
                fire_time = pending[instants.index(earliest)]
                for index, trigger in enumerate(triggers):
                    pending[index] = trigger.next()
                return fire_time
            for index, instant in enumerate(instants):
                if latest - instant > threshold:
                    time = triggers[index].next()
                    if time is None:
                        pending[index] = None
                        return None
                    pending[index] = time
                    instants[index] = time.astimezone(UTC)
        raise MaxIterationsReached(
            self.max_iterations, self.threshold.total_seconds(), trace
        )

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["threshold"] = self.threshold.total_seconds()
        state["max_iterations"] = self.max_iterations
        return state

    def __setstate__(self, state: Any) -> None:
        state = self._restore(state)
        with restoring(self):
            self.threshold = as_timedelta(state["threshold"], "threshold")
            self.max_iterations = as_int(state["max_iterations"], "max_iterations")

    def __repr__(self) -> str:
        fields = [repr(self.triggers)]
        if self.threshold != timedelta(seconds=1):
            fields.append(f"threshold={_format_seconds(self.threshold)}")
        if self.max_iterations != 10000:
            fields.append(f"max_iterations={self.max_iterations}")
        return f"{type(self).__name__}({', '.join(fields)})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, AndTrigger)
        return (self.triggers, self.threshold, self.max_iterations) == (
            other.triggers,
            other.threshold,
            other.max_iterations,
        )


class OrTrigger(_CombiningTrigger):
    """Fires at every fire time of every given trigger, earliest first.

    A real instant produced by several children fires once. The trigger is finished
    when every child is finished.

    :param triggers: the triggers to combine
    """

    __slots__ = ()

    def __init__(self, triggers: Iterable[Trigger]) -> None:
        self.triggers = as_trigger_list(triggers, "OrTrigger")
        self._pending = None

    def next(self) -> datetime | None:
        pending = self._start()
        earliest: datetime | None = None
        earliest_instant: datetime | None = None
        for time in pending:
            if time is not None:
                instant = time.astimezone(UTC)
                if earliest_instant is None or instant < earliest_instant:
                    earliest, earliest_instant = time, instant
        if earliest_instant is None:
            return None
        for index, time in enumerate(pending):
            if time is not None and time.astimezone(UTC) == earliest_instant:
                pending[index] = self.triggers[index].next()
        return earliest

    def __setstate__(self, state: Any) -> None:
        self._restore(state)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.triggers!r})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, OrTrigger)
        return self.triggers == other.triggers
