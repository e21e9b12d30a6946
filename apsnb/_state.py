"""Saving and restoring trigger state as plain JSON-compatible data."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any, TypeVar

from ._converters import parse_timezone_key, timezone_key
from ._exceptions import (
    ApsnbError,
    InvalidTriggerArgumentType,
    TriggerStateError,
    UntrustedReference,
)
from ._trust import trigger_class

T = TypeVar("T")


def require_version(owner: object, state: object, supported: int) -> Mapping[str, Any]:
    """Check that ``state`` is a mapping of a version this code can read; return it."""
    name = type(owner).__name__
    if not isinstance(state, Mapping):
        raise TriggerStateError(name, f"expected a dict, got {type(state).__name__}")
    version = state.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise TriggerStateError(
            name, f"the state has no integer 'version' ({version!r})"
        )
    if version > supported:
        raise TriggerStateError(
            name,
            f"it was saved with state version {version}, but this apsnb reads up to "
            f"version {supported}; upgrade apsnb to read it",
        )
    if version < 1:
        raise TriggerStateError(name, f"version {version} does not exist")
    return state


def restoring(owner: object) -> _Restoring:
    """Context manager that turns any error in ``__setstate__`` into TriggerStateError."""
    return _Restoring(type(owner).__name__)


class _Restoring:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, exc_type: type | None, exc: BaseException | None, tb: object
    ) -> bool:
        if exc is None or isinstance(exc, TriggerStateError | UntrustedReference):
            return False  # already says what is wrong (a child trigger's class)
        if isinstance(exc, KeyError):
            raise TriggerStateError(
                self.name, f"the state lacks the key {exc}"
            ) from exc
        # LookupError: an index out of range; OverflowError: a date past year 9999.
        malformed = ApsnbError | ValueError | TypeError | AttributeError | LookupError
        if isinstance(exc, malformed | OverflowError):
            raise TriggerStateError(self.name, f"malformed state ({exc})") from exc
        return False


def dump_datetime(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def load_datetime(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return parsed


def dump_zoned_datetime(value: datetime | None) -> str | None:
    """Save an aware datetime as ISO 8601 with its zone name appended (RFC 9557).

    ``isoformat()`` keeps only the offset, so a restored ``Europe/Helsinki`` time
    would become a fixed ``+02:00`` one and show the wrong offset after the next DST
    change. ``2026-03-29T04:00:00+03:00[Europe/Helsinki]`` keeps both; the zone is
    left out when it is just the offset, or when the tzinfo has no name.
    """
    if value is None:
        return None
    text = value.isoformat()
    tz = value.tzinfo
    if tz is None or isinstance(tz, timezone):
        return text
    try:
        key = timezone_key(tz)
    except InvalidTriggerArgumentType:
        return text
    return f"{text}[{key}]"


def load_zoned_datetime(value: str | None) -> datetime | None:
    """The inverse of :func:`dump_zoned_datetime` (plain ISO strings load too)."""
    if value is None:
        return None
    text, bracket, zone = value.partition("[")
    parsed = load_datetime(text)
    if not bracket:
        return parsed
    if not zone.endswith("]"):
        raise ValueError(f"{value!r} has an unclosed zone name")
    # astimezone keeps the instant and sets fold for the second of two wall times.
    return parsed.astimezone(parse_timezone_key(zone[:-1]))  # type: ignore[union-attr]


def dump_fire_times(times: list[datetime | None] | None) -> list[str | None] | None:
    """Child triggers' next fire times as plain data (``None``: not asked yet)."""
    return None if times is None else [dump_zoned_datetime(time) for time in times]


def load_fire_times(
    data: Any, triggers: list[Any], key: str
) -> list[datetime | None] | None:
    """The next fire times :func:`dump_fire_times` saved, one for each of ``triggers``.

    :raises ValueError: if there is not one for each trigger
    """
    if data is None:
        return None
    if len(data) != len(triggers):
        raise ValueError(f"{key} does not match triggers")
    return [load_zoned_datetime(time) for time in data]


def dump_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def load_date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def qualified_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def dump_trigger(trigger: Any) -> dict[str, Any]:
    """Save a (child) trigger as its class reference and its state."""
    return {"type": qualified_name(type(trigger)), "state": trigger.__getstate__()}


def load_trigger(data: Mapping[str, Any]) -> Any:
    """Restore a trigger saved by :func:`dump_trigger`.

    Only subclasses of :class:`apsnb.abc.Trigger` are restored, so a state cannot be
    used to build arbitrary objects, and a class's module is imported only when the
    trust rule allows it (see :func:`apsnb._trust.trigger_class`).
    """
    return restore_trigger(trigger_class(data["type"]), data["state"])


def restore_trigger(cls: type[T], state: Any) -> T:
    """An instance of ``cls`` made from ``state`` the way a store makes it: with
    ``__setstate__``, without ``__init__``."""
    trigger = cls.__new__(cls)
    trigger.__setstate__(state)  # type: ignore[attr-defined]
    return trigger


def copy_trigger(trigger: T) -> T:
    """Return an independent copy of ``trigger``, made as a data store would make it."""
    return restore_trigger(type(trigger), trigger.__getstate__())  # type: ignore[attr-defined]
