"""Why a trigger does, or does not, fire at a given instant."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from .._converters import as_aware_datetime
from .._exceptions import MaxIterationsReached
from .._state import restore_trigger
from ..abc import Trigger
from ..triggers.calendarinterval import CalendarIntervalTrigger
from ..triggers.combining import AndTrigger, OrTrigger
from ..triggers.cron import CronTrigger
from ..triggers.date import DateTrigger
from ..triggers.exclude import ExcludeTrigger
from ..triggers.interval import IntervalTrigger
from ._cron_reasons import cron_reasons, gap_of, nonexistent_wall_reasons
from ._giveup import explain_give_up
from ._subject import as_trigger
from ._text import duration, instant
from .describe import describe
from .sampling import copy_trigger, sample

__all__ = ("Explanation", "explain")

#: Seconds each search for fire times around the instant may take.
TIME_BUDGET = 5.0
# How far back to look for the previous fire time of a cron trigger, widening.
_LOOKBACK = tuple(
    timedelta(seconds=seconds)
    for seconds in (2, 120, 7200, 172800, 3_000_000, 32_000_000, 160_000_000, 1.3e9)
)


class Explanation:
    """Whether a trigger fires at ``at``, why, and its fire times around it.

    ``fires`` says whether ``at`` (as a real instant) is a fire time; ``reasons`` are
    sentences that say why; ``fire_time`` is the fire time as the trigger returns it
    (in its own zone) when it fires; ``previous_fire_time`` and ``next_fire_time`` are
    the nearest fire times strictly before and after ``at`` (None when there is none,
    or none was found within the time budget). ``str()`` and the notebook display show
    all of it.
    """

    def __init__(
        self,
        trigger: str,
        at: datetime,
        fires: bool,
        reasons: list[str],
        fire_time: datetime | None = None,
        previous_fire_time: datetime | None = None,
        next_fire_time: datetime | None = None,
    ) -> None:
        self.trigger = trigger
        self.at = at
        self.fires = fires
        self.reasons = reasons
        self.fire_time = fire_time
        self.previous_fire_time = previous_fire_time
        self.next_fire_time = next_fire_time

    def headline(self) -> str:
        """``✓ fires at …`` or ``✗ does not fire at …``."""
        verdict = "✓ fires" if self.fires else "✗ does not fire"
        return f"{verdict} at {instant(self.at)}: {self.trigger}"

    def nearby(self) -> str:
        """The previous and next fire times, as one line."""
        return (
            f"previous fire time: {_maybe(self.previous_fire_time)}; "
            f"next fire time: {_maybe(self.next_fire_time)}"
        )

    def __str__(self) -> str:
        lines = [self.headline()]
        lines.extend("  - " + reason.replace("\n", "\n    ") for reason in self.reasons)
        lines.append("  " + self.nearby())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Explanation {self.headline()}>"

    def _repr_html_(self) -> str:
        color = "#1a7f37" if self.fires else "#cf222e"
        items = "".join(
            f'<li style="white-space:pre-wrap">{html.escape(reason)}</li>'
            for reason in self.reasons
        )
        return (
            f'<div><div style="font-weight:bold;color:{color}">'
            f"{html.escape(self.headline())}</div><ul>{items}</ul>"
            f"<div>{html.escape(self.nearby())}</div></div>"
        )


def explain(
    trigger: Trigger | str, at: datetime | str, *, time_budget: float = TIME_BUDGET
) -> Explanation:
    """Explain why ``trigger`` does or does not fire at the instant ``at``.

    For a cron trigger: which field rejects the local time ("minute 07 is not in
    '*/5'"), which DST rule applies (a wall time in a gap or an overlap) and the
    nearest fire times. For an interval trigger: the time since ``start_time`` modulo
    the interval. For ``AndTrigger``: each child's nearest fire time and which child
    lags (and, if it gives up, the children's last fire times). For ``OrTrigger`` and
    ``ExcludeTrigger``: which child fires, or why the time is excluded. For any other
    trigger: its fire times around ``at``, drawn from a copy.

    Cron, interval, calendar-interval and date triggers are explained from their
    configuration; combinations and custom triggers from their current position, so
    a time they have already passed does not fire. The trigger is never advanced.

    :param trigger: the trigger to explain, or a crontab string (``"*/5 * * * *"``, in the local zone)
    :param at: an aware datetime (or ISO string with an offset); a naive one raises
        ``NaiveDatetimeError``, since it does not name one instant
    :param time_budget: seconds each search for fire times may take
    """
    at = as_aware_datetime(at, "at")
    return _explain(as_trigger(trigger), at, time_budget)


def _explain(trigger: Trigger, at: datetime, budget: float) -> Explanation:
    if isinstance(trigger, CronTrigger):
        return _explain_cron(trigger, at, budget)
    if isinstance(trigger, IntervalTrigger):
        return _explain_interval(trigger, at)
    if isinstance(trigger, AndTrigger):
        return _explain_and(trigger, at, budget)
    if isinstance(trigger, OrTrigger):
        return _explain_or(trigger, at, budget)
    if isinstance(trigger, ExcludeTrigger):
        return _explain_exclude(trigger, at, budget)
    reasons = []
    if isinstance(trigger, DateTrigger | CalendarIntervalTrigger):
        reasons.append(f"it fires {describe(trigger)}")
        source = _rewound(trigger)
    else:
        source = copy_trigger(trigger)
    reasons.extend(nonexistent_wall_reasons(at, None))
    return _sampled(trigger, source, at, budget, reasons)


class _Around(NamedTuple):
    fire_time: datetime | None
    previous: datetime | None
    next: datetime | None
    notes: list[str]


def _around(source: Trigger, at: datetime, budget: float, owner: Trigger) -> _Around:
    """Draw from ``source`` (a copy) to find its fire times around ``at``."""
    at_stamp = at.timestamp()
    seen: dict[str, Any] = {"previous": None}

    def remember(value: object) -> None:
        aware = isinstance(value, datetime) and value.utcoffset() is not None
        if aware and value.timestamp() < at_stamp:  # type: ignore[union-attr]
            seen["previous"] = value

    drawn = sample(
        source, n=2, start=at, time_budget=budget, copy=False, on_value=remember
    )
    times = [t for t in drawn.times if isinstance(t, datetime)]
    notes: list[str] = []
    if isinstance(drawn.error, MaxIterationsReached):
        notes.extend(explain_give_up(drawn.error, owner))
    elif drawn.error is not None:
        notes.append(f"next() raised {type(drawn.error).__name__}: {drawn.error}")
    elif drawn.stop_reason == "time_budget" and not times:
        notes.append(
            f"no fire time at or after {instant(at)} was found in {budget:g} s"
        )
    fire_time = None
    if times and times[0].timestamp() == at_stamp:
        fire_time = times.pop(0)
    return _Around(fire_time, seen["previous"], times[0] if times else None, notes)


def _sampled(
    trigger: Trigger, source: Trigger, at: datetime, budget: float, reasons: list[str]
) -> Explanation:
    found = _around(source, at, budget, trigger)
    reasons = [*reasons, *found.notes]
    if found.fire_time is None and not found.notes:
        reasons.append(f"{instant(at)} is not one of its fire times")
    return Explanation(
        repr(trigger), at, found.fire_time is not None, reasons,
        found.fire_time, found.previous, found.next,
    )  # fmt: skip


def _rewound(trigger: Trigger) -> Trigger:
    """A copy of a date or calendar-interval trigger back at its first fire time."""
    state = trigger.__getstate__()
    if isinstance(trigger, DateTrigger):
        state["completed"] = False
    else:
        state["last_fire_date"] = None
    return restore_trigger(type(trigger), state)


def _cron_from(trigger: CronTrigger, start: datetime) -> CronTrigger:
    """A copy of ``trigger`` whose first fire time is the first at or after ``start``."""
    state = trigger.__getstate__()
    state["start_time"] = start.isoformat()
    state["last_fire_time"] = None
    clone = CronTrigger.__new__(CronTrigger)
    clone.__setstate__(state)
    return clone


def _explain_cron(trigger: CronTrigger, at: datetime, budget: float) -> Explanation:
    reasons = nonexistent_wall_reasons(at, trigger)
    # A wall time in a gap does not exist: look around the instant the gap ends.
    gap = gap_of(at)
    reference = gap[1] if gap is not None else at
    start = trigger.start_time
    if reference < start:
        reasons.append(
            f"{instant(reference)} is before its start_time {instant(start)}"
        )
    end = trigger.end_time
    if end is not None and reference > end:
        reasons.append(f"{instant(reference)} is after its end_time {instant(end)}")
    found = _around(
        _cron_from(trigger, max(reference, start)), reference, budget, trigger
    )
    fire_time = None if gap is not None else found.fire_time
    if gap is None:
        reasons.extend(cron_reasons(trigger, at, fires=fire_time is not None))
    previous = found.previous or _previous_cron(trigger, reference, budget)
    return Explanation(
        repr(trigger), at, fire_time is not None, [*reasons, *found.notes],
        fire_time, previous, found.next if gap is None else found.fire_time or found.next,
    )  # fmt: skip


def _previous_cron(
    trigger: CronTrigger, at: datetime, budget: float
) -> datetime | None:
    """The last fire time before ``at``: search windows that widen backwards."""
    # In UTC: arithmetic on zoned datetimes is wall-clock arithmetic.
    at_utc, start_utc = at.astimezone(UTC), trigger.start_time.astimezone(UTC)
    for lookback in _LOOKBACK:
        window_start = max(start_utc, at_utc - lookback)
        if window_start >= at_utc:
            return None
        drawn = sample(
            _cron_from(trigger, window_start), n=None,
            until=at_utc - timedelta(microseconds=1), time_budget=budget, copy=False,
        )  # fmt: skip
        if drawn.times:
            return drawn.times[-1]
        if window_start == start_utc:
            return None
    return None


def _explain_interval(trigger: IntervalTrigger, at: datetime) -> Explanation:
    interval = trigger._interval
    start = trigger.start_time
    end = trigger.end_time
    zone = start.tzinfo
    reasons = [f"it fires {describe(trigger)}"]
    elapsed = at.astimezone(UTC) - start.astimezone(UTC)
    if elapsed < timedelta(0):
        reasons.append(f"{instant(at)} is {duration(-elapsed)} before its start_time")
        return Explanation(repr(trigger), at, False, reasons, None, None, start)
    count, rest = divmod(elapsed, interval)
    last = (start.astimezone(UTC) + count * interval).astimezone(zone)
    fires = not rest
    if fires:
        reasons.append(
            f"{instant(at)} is exactly {count} × {duration(interval)} after start_time"
        )
    else:
        reasons.append(
            f"{instant(at)} is {count} × {duration(interval)} + {duration(rest)} after "
            f"start_time: {duration(interval - rest)} short of the next fire time"
        )
    previous = last - interval if fires and count else (None if fires else last)
    following = (last.astimezone(UTC) + interval).astimezone(zone)
    if end is not None and following > end:
        following = None
    if end is not None and at > end:
        reasons.append(f"{instant(at)} is after its end_time {instant(end)}")
        fires = False
    return Explanation(
        repr(trigger), at, fires, reasons, last if fires else None, previous, following
    )


def _explain_and(trigger: AndTrigger, at: datetime, budget: float) -> Explanation:
    children = [_explain(child, at, budget) for child in trigger.triggers]
    threshold = trigger.threshold
    found = _around(copy_trigger(trigger), at, budget, trigger)
    reasons = []
    gaps = []
    for index, child in enumerate(children):
        nearest = _nearest(child, at)
        label = f"child {index} ({describe(trigger.triggers[index])})"
        if nearest is None:
            reasons.append(f"{label} has no fire time near {instant(at)}")
            gaps.append(timedelta.max)
            continue
        gap = abs(nearest.astimezone(UTC) - at.astimezone(UTC))
        gaps.append(gap)
        where = (
            "at that instant"
            if not gap
            else (f"{duration(gap)} {'before' if nearest < at else 'after'} it")
        )
        reasons.append(f"{label} fires at {instant(nearest)}, {where}")
    if gaps:
        worst = max(range(len(gaps)), key=gaps.__getitem__)
        if gaps[worst] > threshold and gaps[worst] != timedelta.max:
            reasons.append(
                f"child {worst} lags the most: {duration(gaps[worst])} away, more than "
                f"the threshold of {duration(threshold)}"
            )
    reasons.extend(found.notes)
    return Explanation(
        repr(trigger), at, found.fire_time is not None, reasons,
        found.fire_time, found.previous, found.next,
    )  # fmt: skip


def _nearest(explanation: Explanation, at: datetime) -> datetime | None:
    candidates = [
        t for t in (explanation.fire_time, explanation.previous_fire_time,
                    explanation.next_fire_time) if t is not None
    ]  # fmt: skip
    stamp = at.timestamp()
    return min(candidates, key=lambda t: abs(t.timestamp() - stamp), default=None)


def _explain_or(trigger: OrTrigger, at: datetime, budget: float) -> Explanation:
    children = [_explain(child, at, budget) for child in trigger.triggers]
    reasons = []
    for index, child in enumerate(children):
        verb = "fires" if child.fires else "does not fire"
        reasons.append(
            f"child {index} ({describe(trigger.triggers[index])}) {verb} then"
        )
    firing = [child for child in children if child.fires]
    previous = max(
        (c.previous_fire_time for c in children if c.previous_fire_time),
        key=lambda t: t.timestamp(), default=None,
    )  # fmt: skip
    following = min(
        (c.next_fire_time for c in children if c.next_fire_time),
        key=lambda t: t.timestamp(), default=None,
    )  # fmt: skip
    fire_time = firing[0].fire_time if firing else None
    return Explanation(
        repr(trigger), at, bool(firing), reasons, fire_time, previous, following
    )


def _explain_exclude(
    trigger: ExcludeTrigger, at: datetime, budget: float
) -> Explanation:
    inner = _explain(trigger.trigger, at, budget)
    found = _around(copy_trigger(trigger), at, budget, trigger)
    if not inner.fires:
        reasons = ["the trigger it filters does not fire then:", *inner.reasons]
    else:
        assert inner.fire_time is not None
        reasons = [f"the trigger it filters fires at {instant(inner.fire_time)}"]
        day = inner.fire_time.date()
        if day in trigger.dates:
            reasons.append(f"but {day.isoformat()} is one of the excluded dates")
        for index, other in enumerate(trigger.triggers):
            if _explain(other, at, budget).fires:
                reasons.append(
                    f"but excluding trigger {index} ({describe(other)}) fires then too"
                )
    reasons.extend(found.notes)
    return Explanation(
        repr(trigger), at, found.fire_time is not None, reasons,
        found.fire_time, found.previous, found.next,
    )  # fmt: skip


def _maybe(value: datetime | None) -> str:
    return "none found" if value is None else instant(value)
