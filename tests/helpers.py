"""Helpers shared by the trigger tests."""

from __future__ import annotations

import functools
import itertools
import json
import pickle
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apsnb._state import (
    dump_zoned_datetime,
    load_zoned_datetime,
    require_version,
    restoring,
)
from apsnb.abc import Trigger


def take(trigger: Trigger, count: int) -> list[datetime]:
    """Advance ``trigger`` and return up to ``count`` fire times."""
    return list(itertools.islice(trigger, count))


def restored(trigger: Trigger, how: str = "json") -> Any:
    """Return a new trigger rebuilt from ``trigger``'s state, the way a store would."""
    state = trigger.__getstate__()
    if how == "json":
        state = json.loads(json.dumps(state))
    elif how == "pickle":
        return pickle.loads(pickle.dumps(trigger))
    clone = type(trigger).__new__(type(trigger))
    clone.__setstate__(state)
    return clone


def assert_continues_after_restore(trigger: Trigger, count: int = 20) -> None:
    """Check that restoring ``trigger`` mid-sequence, by JSON and by pickle, changes
    nothing: every copy produces the same next ``count`` fire times as the original."""
    copies = [restored(trigger, "json"), restored(trigger, "pickle")]
    expected = exact(take(trigger, count))
    for copy in copies:
        assert exact(take(copy, count)) == expected


def exact(times: list[datetime]) -> list[str]:
    """ISO strings with offsets: unlike ``==`` on datetimes of one zone, they tell
    the two occurrences of a wall time in a DST overlap apart."""
    return [t.isoformat() for t in times]


def instants(times: list[datetime]) -> list[float]:
    """Real instants (POSIX timestamps), for comparisons that ignore the zone."""
    return [t.timestamp() for t in times]


@functools.cache
def transitions(zone_key: str, year: int) -> tuple[datetime, ...]:
    """The instants (UTC, whole seconds) at which the zone's UTC offset changes in
    ``year``."""
    tz, one_second = ZoneInfo(zone_key), timedelta(seconds=1)
    found, step = [], timedelta(hours=6)
    instant = datetime(year, 1, 1, tzinfo=UTC)
    offset = instant.astimezone(tz).utcoffset()
    while instant.year == year:
        later = instant + step
        later_offset = later.astimezone(tz).utcoffset()
        if later_offset != offset:
            low, high = instant, later
            while high - low > one_second:
                middle = (low + (high - low) / 2).replace(microsecond=0)
                if middle.astimezone(tz).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            found.append(high)
        instant, offset = later, later_offset
    return tuple(found)


class FixedTimesTrigger(Trigger):
    """A trigger that fires at the given times, then finishes (for tests)."""

    __slots__ = ("index", "times")

    def __init__(self, times: list[datetime | str]) -> None:
        self.times = [
            datetime.fromisoformat(t) if isinstance(t, str) else t for t in times
        ]
        self.index = 0

    def next(self) -> datetime | None:
        if self.index >= len(self.times):
            return None
        self.index += 1
        return self.times[self.index - 1]

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 1,
            "times": [dump_zoned_datetime(t) for t in self.times],
            "index": self.index,
        }

    def __setstate__(self, state: Any) -> None:
        state = require_version(self, state, 1)
        with restoring(self):
            self.times = [load_zoned_datetime(t) for t in state["times"]]
            self.index = state["index"]

    def __repr__(self) -> str:
        return f"FixedTimesTrigger({[t.isoformat() for t in self.times]!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FixedTimesTrigger):
            return NotImplemented
        return exact(self.times) == exact(other.times)
