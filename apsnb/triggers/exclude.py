"""A trigger that drops some of another trigger's fire times (holidays, clashes)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from .._converters import as_date, as_int, as_trigger_list
from .._exceptions import (
    InvalidTriggerArgument,
    InvalidTriggerArgumentType,
    MaxSkipsReached,
)
from .._state import (
    dump_fire_times,
    dump_trigger,
    load_fire_times,
    load_trigger,
    require_version,
    restoring,
)
from ..abc import Trigger

__all__ = ("ExcludeTrigger",)

_NAME = "ExcludeTrigger"


class ExcludeTrigger(Trigger):
    """Fires at the fire times of ``trigger``, except on the given dates and at the
    fire times of the given other triggers.

    A fire time is dropped when its own local date (in the zone of the fire time)
    is one of ``dates``, or when one of ``triggers`` fires at the same real instant.
    Not in APScheduler; for example, weekdays at 09:00 except public holidays::

        ExcludeTrigger(
            CronTrigger(day_of_week="mon-fri", hour=9, timezone="Europe/Helsinki"),
            dates=["2026-12-24", "2026-12-25", "2026-12-26"],
        )

    The excluding triggers are advanced up to each fire time of ``trigger``, so give
    them fire times no denser than needed.

    :param trigger: the trigger whose fire times to filter
    :param dates: dates to skip, as ``datetime.date`` objects or ISO date strings
    :param triggers: a trigger, or triggers, whose fire times are skipped
    :param max_skips: ``next()`` raises ``MaxSkipsReached`` once it has dropped this
        many fire times in a row (so that a trigger whose every fire time is
        excluded does not loop forever)
    """

    __slots__ = ("_pending", "dates", "max_skips", "trigger", "triggers")

    trigger: Trigger
    dates: frozenset[date]
    triggers: list[Trigger]
    max_skips: int
    # The next fire time of each excluding trigger (None: that one is finished);
    # None before they are first asked.
    _pending: list[datetime | None] | None

    def __init__(
        self,
        trigger: Trigger,
        *,
        dates: Iterable[date | str] = (),
        triggers: Trigger | Iterable[Trigger] = (),
        max_skips: int = 10000,
    ) -> None:
        if not isinstance(trigger, Trigger):
            raise InvalidTriggerArgumentType("trigger", trigger, "an apsnb.abc.Trigger")
        self.trigger = trigger
        if isinstance(dates, str | date):
            dates = (dates,)  # one date, not the characters of a string
        if not isinstance(dates, Iterable):
            raise InvalidTriggerArgumentType("dates", dates, "a list of dates")
        self.dates = frozenset(as_date(value, "dates") for value in dates)
        if isinstance(triggers, Trigger):
            triggers = (triggers,)
        self.triggers = as_trigger_list(triggers, _NAME, allow_empty=True)
        if not self.dates and not self.triggers:
            raise InvalidTriggerArgument(
                _NAME,
                "dates",
                (),
                "nothing to exclude: give dates=[...] and/or triggers=[...]",
            )
        self.max_skips = as_int(max_skips, "max_skips")
        if self.max_skips < 1:
            raise InvalidTriggerArgument(
                _NAME, "max_skips", max_skips, "max_skips must be 1 or more"
            )
        self._pending = None

    def _is_excluded(self, fire_time: datetime) -> bool:
        if fire_time.date() in self.dates:
            return True
        if not self.triggers:
            return False
        if self._pending is None:
            self._pending = [trigger.next() for trigger in self.triggers]
        pending = self._pending
        # Compare in UTC: same-zone datetimes compare wall times, ignoring fold.
        instant = fire_time.astimezone(UTC)
        excluded = False
        for index, trigger in enumerate(self.triggers):
            other = pending[index]
            while other is not None and other.astimezone(UTC) < instant:
                other = pending[index] = trigger.next()
            if other is not None and other.astimezone(UTC) == instant:
                excluded = True
        return excluded

    def next(self) -> datetime | None:
        first_skipped: datetime | None = None
        for _ in range(self.max_skips):
            fire_time = self.trigger.next()
            if fire_time is None or not self._is_excluded(fire_time):
                return fire_time
            first_skipped = first_skipped or fire_time
        assert first_skipped is not None
        raise MaxSkipsReached(self.max_skips, first_skipped, fire_time)

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 1,
            "trigger": dump_trigger(self.trigger),
            "dates": sorted(value.isoformat() for value in self.dates),
            "triggers": [dump_trigger(trigger) for trigger in self.triggers],
            "max_skips": self.max_skips,
            "next_excluded_times": dump_fire_times(self._pending),
        }

    def __setstate__(self, state: Any) -> None:
        state = require_version(self, state, 1)
        with restoring(self):
            self.trigger = load_trigger(state["trigger"])
            self.dates = frozenset(
                date.fromisoformat(value) for value in state["dates"]
            )
            self.triggers = [load_trigger(trigger) for trigger in state["triggers"]]
            self.max_skips = as_int(state["max_skips"], "max_skips")
            self._pending = load_fire_times(
                state["next_excluded_times"], self.triggers, "next_excluded_times"
            )

    def __repr__(self) -> str:
        fields = [repr(self.trigger)]
        if self.dates:
            fields.append(f"dates={sorted(day.isoformat() for day in self.dates)!r}")
        if self.triggers:
            fields.append(f"triggers={self.triggers!r}")
        if self.max_skips != 10000:
            fields.append(f"max_skips={self.max_skips}")
        return f"{type(self).__name__}({', '.join(fields)})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, ExcludeTrigger)
        return (self.trigger, self.dates, self.triggers, self.max_skips) == (
            other.trigger,
            other.dates,
            other.triggers,
            other.max_skips,
        )
