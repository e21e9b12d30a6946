"""Serializers: what JSON stores exactly, what it refuses and why; pickle's errors."""

from __future__ import annotations

import math
import pickle
from collections import OrderedDict
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from enum import IntEnum
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from apsnb._exceptions import DeserializationError, SerializationError
from apsnb.serializers.json import JSONSerializer
from apsnb.serializers.pickle import PickleSerializer

HELSINKI = ZoneInfo("Europe/Helsinki")


class Color(IntEnum):
    red = 1


VALUES: list[Any] = [
    None,
    True,
    0,
    -(2**70),
    1.5,
    "naïve ☃",
    [1, [2, "x"]],
    {"a": {"b": [None]}},
    (1, (2, 3)),
    {1, 2},
    frozenset({"a"}),
    b"\x00\xff",
    Decimal("1.10"),
    uuid4(),
    datetime(2026, 3, 29, 4, 0, tzinfo=HELSINKI),
    datetime(2026, 10, 25, 3, 30, fold=1, tzinfo=HELSINKI),  # second 03:30
    datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    datetime(2026, 1, 1, 12, tzinfo=UTC),
    datetime(2026, 1, 1, 12, 0, 0, 123456),
    date(2026, 2, 28),
    time(23, 59, 59, 999999),
    time(8, 30, tzinfo=timezone(timedelta(hours=2))),
    timedelta(days=-1, seconds=5, microseconds=7),
    {1: "int key", (1, 2): "tuple key", None: "none key"},
    {"$apsnb": "a user's key that looks like the tag"},
    {"args": (datetime(2026, 1, 1, tzinfo=UTC),), "kwargs": {"when": date(2026, 1, 1)}},
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_json_gives_back_equal_values_of_the_same_type(value: Any) -> None:
    serializer = JSONSerializer()
    restored = serializer.deserialize(serializer.serialize(value))
    assert restored == value
    assert type(restored) is type(value)
    if isinstance(value, datetime):
        assert (restored.tzinfo, restored.fold) == (value.tzinfo, value.fold)
        assert restored.utcoffset() == value.utcoffset()


def test_json_keeps_nan_and_infinity() -> None:
    serializer = JSONSerializer()
    restored = serializer.deserialize(serializer.serialize([math.nan, math.inf]))
    assert math.isnan(restored[0])
    assert restored[1] == math.inf


def test_json_writes_plain_json_for_plain_data() -> None:
    assert JSONSerializer().serialize({"a": [1, "b", None]}) == b'{"a":[1,"b",null]}'


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (object(), r"cannot store an object: JSONSerializer stores only None"),
        ([1, {"when": object()}], r"an object at \[1\]\['when'\]"),
        ({"args": (Color.red,)}, r"a \S*Color at \['args'\]\[0\]: it "
         r"is a subclass of int"),
        (OrderedDict(a=1), r"a collections.OrderedDict: it is a subclass of dict"),
        ({object(): 1}, r"at  key <object object"),
    ],
    ids=["object", "nested", "enum", "ordereddict", "key"],
)  # fmt: skip
def test_json_refuses_what_it_cannot_give_back(value: Any, message: str) -> None:
    with pytest.raises(SerializationError, match=message) as caught:
        JSONSerializer().serialize(value)
    assert "PickleSerializer" in str(caught.value)


def test_json_refuses_values_that_contain_themselves() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    with pytest.raises(SerializationError, match=r"at \[1\]: it contains itself"):
        JSONSerializer().serialize(loop)


class NamelessZone(tzinfo):
    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(hours=1)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)


def test_json_refuses_a_datetime_whose_zone_has_no_name() -> None:
    with pytest.raises(SerializationError, match="has no name to store"):
        JSONSerializer().serialize(datetime(2026, 1, 1, tzinfo=NamelessZone()))
    with pytest.raises(SerializationError, match="without a zone or with a fixed"):
        JSONSerializer().serialize(time(1, tzinfo=NamelessZone()))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "JSONDecodeError"),
        (b"\xff\xfe", "cannot read JSON data"),
        (b'{"$apsnb": "future-type", "value": 1}', "does not know that tag"),
        (b'{"$apsnb": "datetime", "value": "yesterday"}', "tagged 'datetime'"),
        (b'{"$apsnb": "uuid"}', "KeyError"),
    ],
)
def test_json_reports_data_it_cannot_read(data: bytes, message: str) -> None:
    with pytest.raises(DeserializationError, match=message):
        JSONSerializer().deserialize(data)


def test_pickle_round_trips_objects_json_refuses() -> None:
    serializer = PickleSerializer()
    value = {"color": Color.red, "ordered": OrderedDict(a=1)}
    assert serializer.deserialize(serializer.serialize(value)) == value
    assert serializer == PickleSerializer(pickle.DEFAULT_PROTOCOL)
    assert repr(PickleSerializer(protocol=2)) == "PickleSerializer(protocol=2)"


def test_pickle_reports_what_it_cannot_store() -> None:
    with pytest.raises(SerializationError, match="a function: it cannot be pickled"):
        PickleSerializer().serialize(lambda: None)


def test_pickle_reports_data_it_cannot_read() -> None:
    with pytest.raises(DeserializationError, match="cannot read pickled data"):
        PickleSerializer().deserialize(b"not a pickle")
    missing = pickle.dumps(Color.red).replace(b"test_serializers", b"test_serializerz")
    with pytest.raises(DeserializationError, match="ModuleNotFoundError"):
        PickleSerializer().deserialize(missing)


def test_pickle_refuses_unknown_protocols() -> None:
    with pytest.raises(ValueError, match="pickle protocols go from 0"):
        PickleSerializer(protocol=99)


def test_empty_arguments_encode_as_any_other_value() -> None:
    serializer = JSONSerializer()
    for empty in ((), {}):
        # Inside a list the value takes the general path; alone, a shortcut.
        assert serializer.serialize(empty) == serializer.serialize([empty])[1:-1]
        assert serializer.deserialize(serializer.serialize(empty)) == empty
