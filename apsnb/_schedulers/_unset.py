"""The sentinel for "not given: inherit the default"."""

from __future__ import annotations

from enum import Enum
from typing import Final, TypeGuard, TypeVar

T = TypeVar("T")


class Unset(Enum):
    """The type of :data:`UNSET`."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET


def is_set(value: T | Unset) -> TypeGuard[T]:
    return value is not UNSET
