"""Helpers shared by the trigger tests."""

from __future__ import annotations

import itertools
import json
import pickle
from datetime import datetime
from typing import Any

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
