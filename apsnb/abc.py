"""The extension points of apsnb: subclass these to plug in your own behaviour."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from ._events import Event
    from ._structures import Job

from ._async_store_contract import AsyncDataStore
from ._store_contract import DataStore

__all__ = (
    "AsyncDataStore",
    "AsyncEventBroker",
    "DataStore",
    "EventBroker",
    "JobExecutor",
    "Serializer",
    "Subscription",
    "Trigger",
)


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


class Serializer(metaclass=ABCMeta):
    """Turns stored values (arguments, return values, trigger states) into bytes."""

    __slots__ = ()

    @abstractmethod
    def serialize(self, obj: Any) -> bytes:
        """Return ``obj`` as bytes.

        :raises SerializationError: if this serializer cannot store ``obj``
        """

    @abstractmethod
    def deserialize(self, serialized: bytes) -> Any:
        """Return the object that :meth:`serialize` turned into ``serialized``.

        :raises DeserializationError: if the bytes cannot be read
        """


class Subscription(metaclass=ABCMeta):
    """A subscription to events; a context manager that unsubscribes on exit."""

    __slots__ = ()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.unsubscribe()

    @abstractmethod
    def unsubscribe(self) -> None:
        """Stop receiving events (does nothing if already unsubscribed)."""


EventCallback = Callable[["Event"], Any]


class EventBroker(metaclass=ABCMeta):
    """Delivers events to subscribers (synchronous interface, thread safe).

    A callback registered from a thread that runs an asyncio event loop is called on
    that loop (a coroutine function's result is awaited there); any other callback is
    called in the publishing thread.
    """

    __slots__ = ()

    @abstractmethod
    def start(self) -> None:
        """Start delivering events."""

    @abstractmethod
    def stop(self, *, force: bool = False) -> None:
        """Stop delivering events; ``force`` drops events not yet delivered."""

    @abstractmethod
    def publish(self, event: Event) -> None:
        """Deliver ``event`` to every subscriber, in this process and beyond it."""

    @abstractmethod
    def publish_local(self, event: Event) -> None:
        """Deliver ``event`` to this process's subscribers only."""

    def publish_all(self, events: Iterable[Event]) -> None:
        """Deliver several events, in order, as :meth:`publish` does each.

        Data stores publish the events of one call (a batch of fired schedules,
        two events each) this way. This default publishes them one by one; a broker
        that can hand over a batch more cheaply (the local one takes its lock
        once) overrides it.
        """
        for event in events:
            self.publish(event)

    def wants(self, event_type: type[Event]) -> bool:
        """Whether an event of ``event_type`` published now may reach a subscriber.

        A publisher may skip making an event nobody wants: a scheduler publishes
        several per job, and some (``JobAcquired``, ``JobRemoved``) usually have no
        subscriber. This default says yes, as a broker that connects processes
        must: it cannot know who listens elsewhere.
        """
        return True

    @abstractmethod
    def subscribe(
        self,
        callback: EventCallback,
        event_types: Iterable[type[Event]] | None = None,
        *,
        one_shot: bool = False,
    ) -> Subscription:
        """Call ``callback(event)`` for each event of the given types (default: all).

        :param one_shot: unsubscribe after the first matching event
        """


class AsyncEventBroker(metaclass=ABCMeta):
    """Delivers events to subscribers (asynchronous interface, task safe)."""

    __slots__ = ()

    @abstractmethod
    async def start(self) -> None:
        """Start delivering events."""

    @abstractmethod
    async def stop(self, *, force: bool = False) -> None:
        """Stop delivering events; ``force`` drops events not yet delivered."""

    @abstractmethod
    async def publish(self, event: Event) -> None:
        """Deliver ``event`` to every subscriber, in this process and beyond it."""

    @abstractmethod
    async def publish_local(self, event: Event) -> None:
        """Deliver ``event`` to this process's subscribers only."""

    async def publish_local_all(self, events: Iterable[Event]) -> None:
        """Deliver several events to this process's subscribers, in order, as
        :meth:`publish_local` does each.

        A scheduler announces a batch of released jobs this way. This default
        publishes them one by one; a broker that can hand over a batch more cheaply
        overrides it.
        """
        for event in events:
            await self.publish_local(event)

    def wants(self, event_type: type[Event]) -> bool:
        """See :meth:`EventBroker.wants`. Not a coroutine: a quick look, which may
        be taken from any thread."""
        return True

    @abstractmethod
    def subscribe(
        self,
        callback: EventCallback,
        event_types: Iterable[type[Event]] | None = None,
        *,
        one_shot: bool = False,
    ) -> Subscription:
        """Call ``callback(event)`` for each event of the given types (default: all).

        :param one_shot: unsubscribe after the first matching event
        """


class JobExecutor(metaclass=ABCMeta):
    """Runs a job's function: on the event loop, in a thread, in another process."""

    __slots__ = ()

    async def start(self) -> None:  # noqa: B027 (optional hook)
        """Prepare to run jobs (open pools)."""

    async def stop(self) -> None:  # noqa: B027 (optional hook)
        """Release what :meth:`start` opened."""

    @abstractmethod
    async def run_job(self, func: Callable[..., Any], job: Job) -> Any:
        """Call ``func(*job.args, **job.kwargs)`` and return its result (awaited if
        it is awaitable)."""
