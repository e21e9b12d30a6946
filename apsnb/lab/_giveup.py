"""Why an ``AndTrigger`` gave up: its ``MaxIterationsReached`` trace, in words."""

from __future__ import annotations

from datetime import UTC, datetime

from .._exceptions import MaxIterationsReached
from ..abc import Trigger
from ..triggers.combining import AndTrigger, OrTrigger
from ..triggers.exclude import ExcludeTrigger
from ._text import instant
from .describe import describe

# A child's sentence longer than this is cut in the trace.
_LABEL_LENGTH = 70


def explain_give_up(error: MaxIterationsReached, trigger: Trigger | None) -> list[str]:
    """Lines that show each child's last fire times and how close they came.

    ``trigger`` is searched for the ``AndTrigger`` that raised, so that each child is
    named by its sentence; without it the children are just numbered.
    """
    lines = [
        f"AndTrigger gave up after {error.max_iterations} iterations: its children "
        f"never fired within {error.threshold_seconds:g} s of each other"
    ]
    if not error.trace:
        return lines
    width = len(error.trace[0])
    owner = _find_and_trigger(trigger, width)
    for index in range(width):
        column = _distinct([row[index] for row in error.trace])
        label = f"child {index}"
        if owner is not None:
            sentence = describe(owner.triggers[index])
            if len(sentence) > _LABEL_LENGTH:
                sentence = sentence[: _LABEL_LENGTH - 1] + "…"
            label += f" ({sentence})"
        times = ", ".join(
            instant(value) if isinstance(value, datetime) else repr(value)
            for value in column
        )
        seconds = {value.second for value in column if isinstance(value, datetime)}
        pattern = (
            f"; always at second :{seconds.pop():02d}" if len(seconds) == 1 else ""
        )
        lines.append(f"{label} fired at {times}{pattern}")
    spreads = [_spread(row) for row in error.trace]
    closest = min((spread for spread in spreads if spread is not None), default=None)
    if closest is not None:
        lines.append(
            f"the closest they came was {closest:g} s apart; the threshold is "
            f"{error.threshold_seconds:g} s"
        )
    return lines


def _distinct(values: list[object]) -> list[object]:
    """The values without consecutive repeats (a child that waits repeats its time)."""
    kept: list[object] = []
    for value in values:
        if not kept or kept[-1] != value:
            kept.append(value)
    return kept


def _spread(row: list[object]) -> float | None:
    instants = [v.astimezone(UTC) for v in row if isinstance(v, datetime)]
    if len(instants) != len(row) or not instants:
        return None
    return (max(instants) - min(instants)).total_seconds()


def _find_and_trigger(trigger: Trigger | None, width: int) -> AndTrigger | None:
    """The first ``AndTrigger`` with ``width`` children in the tree under ``trigger``."""
    if isinstance(trigger, AndTrigger) and len(trigger.triggers) == width:
        return trigger
    children: list[Trigger] = []
    if isinstance(trigger, AndTrigger | OrTrigger):
        children = list(trigger.triggers)
    elif isinstance(trigger, ExcludeTrigger):
        children = [trigger.trigger, *trigger.triggers]
    for child in children:
        found = _find_and_trigger(child, width)
        if found is not None:
            return found
    return None
