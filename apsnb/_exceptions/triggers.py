"""Errors about triggers: cron fields and crontab strings, fire times, saved state,
combinations that never agree, and the composer's form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import ApsnbError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

__all__ = (
    "InvalidCronField",
    "InvalidCrontab",
    "InvalidFireTime",
    "InvalidTriggerForm",
    "MaxIterationsReached",
    "MaxSkipsReached",
    "TriggerNeverFires",
    "TriggerStateError",
)


class InvalidCronField(ApsnbError, ValueError):
    """Raised when a cron field holds an expression it cannot accept."""

    def __init__(self, field: str, value: object, reason: str, allowed: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        self.allowed = allowed
        super().__init__(f"{field}={value!r}: {reason}. {field} accepts {allowed}")


class InvalidCrontab(ApsnbError, ValueError):
    """Raised when a crontab string does not have the shape cron expects."""

    def __init__(self, expression: object, reason: str) -> None:
        self.expression = expression
        super().__init__(
            f"crontab {expression!r}: {reason}. Write 5 fields "
            f"('minute hour day month day_of_week'), 6 with seconds first, "
            f"or one of @yearly @annually @monthly @weekly @daily @midnight @hourly"
        )


class InvalidFireTime(ApsnbError, ValueError):
    """Raised when a trigger's ``next()`` returns something other than an aware
    datetime or ``None`` (``apsnb.lab.check_trigger`` finds every such problem)."""

    def __init__(self, trigger: object, what: str, fix: str) -> None:
        self.trigger = trigger
        super().__init__(f"{trigger!r}: {what}. Fix: {fix}")


class TriggerNeverFires(ApsnbError, ValueError):
    """Raised when a trigger's fields match no date at all, so it could never fire."""

    def __init__(self, trigger: str, reason: str) -> None:
        self.trigger = trigger
        super().__init__(
            f"{trigger} never fires: {reason}. A schedule that never fires is always a "
            f"mistake; check those fields"
        )


class TriggerStateError(ApsnbError, ValueError):
    """Raised when a trigger's saved state cannot be restored (unknown version, bad data)."""

    def __init__(self, trigger: str, reason: str) -> None:
        self.trigger = trigger
        super().__init__(f"cannot restore {trigger} from its saved state: {reason}")


class MaxIterationsReached(ApsnbError, RuntimeError):
    """Raised when an ``AndTrigger`` finds no common fire time in ``max_iterations`` steps.

    ``trace`` holds the children's fire times at the last few steps, oldest first, so
    one can see why they never agree.
    """

    def __init__(
        self,
        max_iterations: int,
        threshold_seconds: float,
        trace: Sequence[Sequence[Any]] = (),
    ) -> None:
        self.max_iterations = max_iterations
        self.threshold_seconds = threshold_seconds
        self.trace = [list(row) for row in trace]
        lines = [
            f"the triggers found no fire times within {threshold_seconds:g} s of each "
            f"other in {max_iterations} iterations. Check that they can coincide (an "
            f"interval with seconds against a cron on whole minutes never does), or "
            f"raise threshold or max_iterations"
        ]
        if self.trace:
            lines.append("last fire times of each child (one row per iteration):")
            lines.extend(
                "  " + " | ".join(_format_instant(value) for value in row)
                for row in self.trace
            )
        super().__init__("\n".join(lines))


def _format_instant(value: object) -> str:
    # Imported here, when the error is raised: ``import apsnb`` does not need datetime.
    from datetime import datetime

    return value.isoformat() if isinstance(value, datetime) else repr(value)


class MaxSkipsReached(ApsnbError, RuntimeError):
    """Raised when an ``ExcludeTrigger`` drops ``max_skips`` fire times in a row."""

    def __init__(self, max_skips: int, first: datetime, last: datetime) -> None:
        self.max_skips = max_skips
        self.first = first
        self.last = last
        super().__init__(
            f"every one of {max_skips} fire times in a row, from {first.isoformat()} "
            f"to {last.isoformat()}, was excluded. Check that the excluded dates and "
            f"triggers leave some fire times, or raise max_skips"
        )


class InvalidTriggerForm(ApsnbError, ValueError):
    """Raised when a trigger composer's form cannot make a trigger.

    ``errors`` maps each field path (``"cron.minute"``, ``"timezone"``) to the message
    the composer shows next to that field.
    """

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        listed = "\n".join(f"  {path}: {message}" for path, message in errors.items())
        super().__init__(
            f"the form does not make a trigger yet; fix the fields marked in red "
            f"(also in .errors):\n{listed}"
        )
