"""A serializer that stores JSON, readable by any tool, and safe to read."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from .._converters import timezone_key
from .._exceptions import (
    ApsnbError,
    DeserializationError,
    SerializationError,
    with_article,
)
from .._state import dump_zoned_datetime, load_zoned_datetime
from ..abc import Serializer

__all__ = ("JSONSerializer",)

#: The key that marks a tagged value: ``{"$apsnb": "tuple", "value": [1, 2]}``.
TAG = "$apsnb"

_PLAIN = (type(None), bool, int, float, str)
_SUPPORTED = (
    "None, bool, int, float, str, list, dict, tuple, set, frozenset, bytes, Decimal, "
    "UUID, datetime, date, time and timedelta"
)
#: What an empty tuple or dict becomes, as ``serialize`` would make it.
_EMPTY: dict[type, bytes] = {
    tuple: json.dumps({TAG: "tuple", "value": []}, separators=(",", ":")).encode(),
    dict: b"{}",
}


class JSONSerializer(Serializer):
    """Stores values as JSON (UTF-8); the default serializer of persistent stores.

    Beyond JSON's own types it stores these exactly, so that they come back with the
    same type and value: ``tuple``, ``set``, ``frozenset``, ``bytes``, ``Decimal``,
    ``UUID``, ``datetime`` (with its ``ZoneInfo`` zone or fixed offset), ``date``,
    ``time``, ``timedelta``, and dicts with keys other than strings. Anything else,
    subclasses included (an ``IntEnum`` would come back as a plain ``int``), raises
    :class:`~apsnb.SerializationError` naming the value's type and where it was;
    pass plain data instead, or use :class:`~apsnb.serializers.pickle.PickleSerializer`.

    Reading JSON never runs code: the trigger classes and task functions a store
    names are only names, resolved under the trust rule (see ``allowed_modules`` of
    :class:`~apsnb.datastores.sqlite.SQLiteDataStore`), so a store written by
    someone else is safe to read.
    Floats ``nan`` and ``inf`` are written as Python's ``json`` module does
    (``NaN``, ``Infinity``), which other JSON readers may refuse.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "JSONSerializer()"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def serialize(self, obj: Any) -> bytes:
        if not obj and type(obj) in _EMPTY:  # most jobs' args and kwargs
            return _EMPTY[type(obj)]
        try:
            tree = _encode(obj, set())
        except _Unsupported as error:
            raise SerializationError(error.what(), error.reason) from None
        return json.dumps(tree, ensure_ascii=False, separators=(",", ":")).encode()

    def deserialize(self, serialized: bytes) -> Any:
        try:
            return json.loads(serialized, object_hook=_decode_tagged)
        except DeserializationError:
            raise
        except (ValueError, TypeError) as error:  # JSONDecodeError, UnicodeDecodeError
            raise DeserializationError(
                "JSON data", f"{type(error).__name__}: {error}"
            ) from error


class _Unsupported(Exception):
    """A value JSON cannot store; collects the path to it on the way up."""

    def __init__(self, value: object, reason: str) -> None:
        self.value = value
        self.reason = reason
        self.path: list[str] = []

    def what(self) -> str:
        kind = type(self.value)
        name = f"{kind.__module__}.{kind.__qualname__}".removeprefix("builtins.")
        where = f" at {''.join(reversed(self.path))}" if self.path else ""
        return f"{with_article(name)}{where}"


def _unsupported_reason(value: object) -> str:
    for base in (*_PLAIN, list, dict, tuple, set, frozenset, bytes, datetime, date):
        if isinstance(value, base):
            return (
                f"it is a subclass of {base.__name__}, and JSONSerializer would give "
                f"back a plain {base.__name__}; convert it, or use PickleSerializer"
            )
    return (
        f"JSONSerializer stores only {_SUPPORTED}; convert it to those, or use "
        f"PickleSerializer (apsnb.serializers.pickle)"
    )


def _encode(value: Any, containers: set[int]) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind in (list, dict, tuple, set, frozenset):
        if id(value) in containers:
            raise _Unsupported(value, "it contains itself")
        containers.add(id(value))
        try:
            return _encode_container(value, containers)
        finally:
            containers.discard(id(value))
    if kind is datetime:
        if value.tzinfo is not None and not isinstance(value.tzinfo, timezone):
            try:
                timezone_key(value.tzinfo)
            except ApsnbError:
                raise _Unsupported(
                    value,
                    f"its time zone {value.tzinfo!r} has no name to store; use a "
                    f"zoneinfo.ZoneInfo or a datetime.timezone",
                ) from None
        if value.tzinfo is None and value.fold:  # the later of two wall times
            return {TAG: "datetime", "value": value.isoformat(), "fold": 1}
        return {TAG: "datetime", "value": dump_zoned_datetime(value)}
    if kind is date:
        return {TAG: "date", "value": value.isoformat()}
    if kind is time:
        if value.tzinfo is not None and not isinstance(value.tzinfo, timezone):
            raise _Unsupported(
                value, "only a time without a zone or with a fixed offset is stored"
            )
        return {TAG: "time", "value": value.isoformat(), "fold": value.fold}
    if kind is timedelta:
        return {
            TAG: "timedelta",
            "value": [value.days, value.seconds, value.microseconds],
        }
    if kind is UUID:
        return {TAG: "uuid", "value": str(value)}
    if kind is bytes:
        return {TAG: "bytes", "value": base64.b64encode(value).decode("ascii")}
    if kind is Decimal:
        return {TAG: "decimal", "value": str(value)}
    raise _Unsupported(value, _unsupported_reason(value))


def _encode_container(value: Any, containers: set[int]) -> Any:
    if type(value) is dict:
        if TAG not in value and all(type(key) is str for key in value):
            return {
                key: _encode_item(item, containers, f"[{key!r}]")
                for key, item in value.items()
            }
        pairs = [
            [
                _encode_item(key, containers, f" key {key!r}"),
                _encode_item(item, containers, f"[{key!r}]"),
            ]
            for key, item in value.items()
        ]
        return {TAG: "dict", "value": pairs}
    items = [
        _encode_item(item, containers, f"[{index}]") for index, item in enumerate(value)
    ]
    if type(value) is list:
        return items
    return {TAG: type(value).__name__, "value": items}


def _encode_item(value: Any, containers: set[int], segment: str) -> Any:
    try:
        return _encode(value, containers)
    except _Unsupported as error:
        error.path.append(segment)
        raise


def _decode_tagged(obj: dict[str, Any]) -> Any:
    tag = obj.get(TAG)
    if tag is None:
        return obj
    try:
        value = obj["value"]
        match tag:
            case "tuple":
                return tuple(value)
            case "set":
                return set(value)
            case "frozenset":
                return frozenset(value)
            case "dict":
                return {key: item for key, item in value}
            case "datetime":
                if "[" in value:  # a zone name after the offset
                    return load_zoned_datetime(value)
                restored = datetime.fromisoformat(value)
                return restored.replace(fold=obj.get("fold", restored.fold))
            case "date":
                return date.fromisoformat(value)
            case "time":
                return time.fromisoformat(value).replace(fold=obj.get("fold", 0))
            case "timedelta":
                return timedelta(*value)
            case "uuid":
                return UUID(value)
            case "bytes":
                return base64.b64decode(value, validate=True)
            case "decimal":
                return Decimal(value)
    except (KeyError, TypeError, ValueError, InvalidOperation, ApsnbError) as error:
        raise DeserializationError(
            f"a tagged {tag!r} value", f"{type(error).__name__}: {error}"
        ) from error
    raise DeserializationError(
        f"a value tagged {tag!r}",
        "this version of apsnb does not know that tag; upgrade apsnb to read it",
    )
