"""The extension points of apsnb: subclass these to plug in your own behaviour."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Self

__all__ = ("Trigger",)


class Trigger(Iterator[datetime], metaclass=ABCMeta):
    """A source of fire times.

    Subclasses implement three methods:

    * ``next()`` returns the next fire time, a timezone-aware ``datetime`` later than
      every one returned before, or ``None`` when the trigger is finished;
    * ``__getstate__()`` returns plain, JSON-compatible data (with a ``"version"``)
      that captures the configuration *and* the progress;
    * ``__setstate__(state)`` restores an instance (created without ``__init__``) that
      continues with exactly the fire times the original would have produced.

    Iterating a trigger yields its fire times (and advances it).
    """

    __slots__ = ()

    @abstractmethod
    def next(self) -> datetime | None:
        """Return the next fire time, or ``None`` if there are no more.

        :raises MaxIterationsReached: if the trigger gave up looking (``AndTrigger``)
        """

    @abstractmethod
    def __getstate__(self) -> Any:
        """Return the serializable state of the trigger."""

    @abstractmethod
    def __setstate__(self, state: Any) -> None:
        """Initialize an empty instance from a state returned by ``__getstate__``."""

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> datetime:
        fire_time = self.next()
        if fire_time is None:
            raise StopIteration
        return fire_time
