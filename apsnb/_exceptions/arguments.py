"""Errors about the arguments and settings a caller gives: time zones, datetimes,
trigger arguments and the scheduler's settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import ApsnbError, with_article

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

__all__ = (
    "InvalidChoice",
    "InvalidSchedulerSetting",
    "InvalidTriggerArgument",
    "InvalidTriggerArgumentType",
    "NaiveDatetimeError",
    "UnknownTimeZone",
)


class UnknownTimeZone(ApsnbError, ValueError):
    """Raised when a time zone name is not in the time zone database."""

    def __init__(self, name: object) -> None:
        self.name = name
        super().__init__(
            f"unknown time zone {name!r}: use an IANA name such as 'Europe/Helsinki', "
            f"'America/New_York' or 'UTC' (see zoneinfo.available_timezones()), "
            f"or pass a tzinfo object"
        )


class NaiveDatetimeError(ApsnbError, ValueError):
    """Raised when a datetime without a time zone is given where an instant is needed."""

    def __init__(self, argument: str, value: datetime | str) -> None:
        self.argument = argument
        self.value = value
        super().__init__(
            f"{argument}={value!r} has no time zone, so it does not name one instant. "
            f"Attach one, e.g. datetime(2026, 3, 29, 9, tzinfo=ZoneInfo('Europe/Helsinki'))"
            f", or pass an ISO string with an offset such as '2026-03-29T09:00:00+03:00'"
        )


class InvalidTriggerArgument(ApsnbError, ValueError):
    """Raised when a trigger argument has an acceptable type but an impossible value."""

    def __init__(self, trigger: str, argument: str, value: object, fix: str) -> None:
        self.trigger = trigger
        self.argument = argument
        self.value = value
        super().__init__(f"{trigger}({argument}={value!r}): {fix}")


class InvalidTriggerArgumentType(ApsnbError, TypeError):
    """Raised when a trigger argument is of a type the trigger cannot use."""

    def __init__(self, argument: str, value: object, expected: str) -> None:
        self.argument = argument
        self.value = value
        super().__init__(
            f"{argument}={value!r} is {with_article(type(value).__name__)}; "
            f"expected {expected}"
        )


class InvalidChoice(ApsnbError, ValueError):
    """Raised when a setting that takes one of a few values gets another one."""

    def __init__(self, setting: str, value: object, choices: Sequence[str]) -> None:
        self.setting = setting
        self.value = value
        self.choices = tuple(choices)
        listed = ", ".join(map(repr, self.choices))
        super().__init__(
            f"{setting}={value!r} is not a valid value; choose one of {listed}"
        )


class InvalidSchedulerSetting(ApsnbError, ValueError):
    """Raised when a scheduler, task or schedule setting has an impossible value."""

    def __init__(self, setting: str, value: object, fix: str) -> None:
        self.setting = setting
        self.value = value
        super().__init__(f"{setting}={value!r}: {fix}")
