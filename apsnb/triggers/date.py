"""A trigger that fires once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .._converters import as_aware_datetime, require_zone_key
from .._state import (
    dump_zoned_datetime,
    load_zoned_datetime,
    require_version,
    restoring,
)
from ..abc import Trigger

__all__ = ("DateTrigger",)


class DateTrigger(Trigger):
    """Fires once, at ``run_time``.

    The fire time is ``run_time`` itself, in its own time zone.

    :param run_time: an aware datetime, or an ISO 8601 string with an offset
        (``'2026-03-29T09:00:00+03:00'``); a naive one raises ``NaiveDatetimeError``
    """

    __slots__ = ("_completed", "run_time")

    run_time: datetime
    _completed: bool

    def __init__(self, run_time: datetime | str) -> None:
        run_time = as_aware_datetime(run_time, "run_time")
        self.run_time = require_zone_key(run_time, "run_time")
        self._completed = False

    def next(self) -> datetime | None:
        if self._completed:
            return None
        self._completed = True
        return self.run_time

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 1,
            "run_time": dump_zoned_datetime(self.run_time),
            "completed": self._completed,
        }

    def __setstate__(self, state: Any) -> None:
        state = require_version(self, state, 1)
        with restoring(self):
            run_time = load_zoned_datetime(state["run_time"])
            completed = state["completed"]
            if run_time is None or not isinstance(completed, bool):
                raise ValueError("run_time must be a string and completed a bool")
            self.run_time = run_time
            self._completed = completed

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.run_time.isoformat()!r})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, DateTrigger)
        return dump_zoned_datetime(self.run_time) == dump_zoned_datetime(other.run_time)
