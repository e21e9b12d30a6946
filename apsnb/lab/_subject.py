"""What the lab's functions accept as a trigger: a Trigger, or a crontab string."""

from __future__ import annotations

from .._exceptions import InvalidTriggerArgumentType
from ..abc import Trigger
from ..triggers.cron import CronTrigger


def as_trigger(value: Trigger | str) -> Trigger:
    """``value`` itself, or the cron trigger of a crontab string (in the local zone)."""
    if isinstance(value, Trigger):
        return value
    if isinstance(value, str):
        return CronTrigger.from_crontab(value)
    raise InvalidTriggerArgumentType(
        "trigger",
        value,
        "an apsnb.abc.Trigger (a subclass with next(), __getstate__() and "
        "__setstate__()) or a crontab string such as '*/5 * * * *'",
    )
