"""A serializer that stores any picklable object. Reading a pickle runs code."""

from __future__ import annotations

import logging
import pickle
from typing import Any

from .._exceptions import DeserializationError, SerializationError
from ..abc import Serializer

__all__ = ("PickleSerializer",)

logger = logging.getLogger("apsnb.serializers.pickle")


class PickleSerializer(Serializer):
    """Stores any picklable object with :mod:`pickle`.

    .. warning:: Reading a pickle can run any code the writer chose, whatever
       ``allowed_modules`` says. Use this serializer only with a database that only
       you (or people you trust) can write to; otherwise use
       :class:`~apsnb.serializers.json.JSONSerializer`. Creating one logs a warning
       that says so.

    Classes and functions are stored by reference (their import path), so whoever
    reads the data must be able to import them: one defined in a notebook
    (``__main__``) can be read back only in the kernel that defined it.

    :param protocol: the pickle protocol to write (default:
        ``pickle.DEFAULT_PROTOCOL``); every protocol is read back
    """

    __slots__ = ("protocol",)

    def __init__(self, protocol: int = pickle.DEFAULT_PROTOCOL) -> None:
        if not 0 <= protocol <= pickle.HIGHEST_PROTOCOL:
            raise ValueError(
                f"protocol={protocol!r}: pickle protocols go from 0 to "
                f"{pickle.HIGHEST_PROTOCOL}; leave it out to use the default"
            )
        self.protocol = protocol
        logger.warning(
            "PickleSerializer chosen: reading a pickle runs whatever code its writer "
            "put in it, so anyone who can write this store can run code in every "
            "process that reads it; use it only for a store that only you can write "
            "(JSONSerializer, the default, runs nothing)"
        )

    def __repr__(self) -> str:
        return f"PickleSerializer(protocol={self.protocol})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PickleSerializer) or type(other) is not type(self):
            return NotImplemented
        return other.protocol == self.protocol

    def __hash__(self) -> int:
        return hash((type(self), self.protocol))

    def serialize(self, obj: Any) -> bytes:
        try:
            return pickle.dumps(obj, protocol=self.protocol)
        except (
            pickle.PicklingError,
            TypeError,
            AttributeError,
            RecursionError,
        ) as error:
            kind = type(obj)
            raise SerializationError(
                f"a {kind.__module__}.{kind.__qualname__}".replace("builtins.", ""),
                f"it cannot be pickled ({error}); store plain data, or define the "
                f"classes and functions it holds at the top level of an importable "
                f"module",
            ) from error

    def deserialize(self, serialized: bytes) -> Any:
        try:
            return pickle.loads(serialized)
        except Exception as error:  # unpickling can raise anything
            hint = ""
            if isinstance(error, AttributeError) and "__main__" in str(error):
                hint = (
                    "; it refers to something defined in a notebook or script "
                    "(__main__), which only that process can read back"
                )
            raise DeserializationError(
                "pickled data", f"{type(error).__name__}: {error}{hint}"
            ) from error
