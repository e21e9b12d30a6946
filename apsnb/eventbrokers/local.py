"""Event brokers that deliver events within this process (the default)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

from .._events import Event
from ..abc import AsyncEventBroker, EventBroker
from ._delivery import CoreView, DeliveryCore, LocalSubscription

__all__ = ("AsyncLocalEventBroker", "LocalEventBroker", "LocalSubscription")


class _LocalBroker(CoreView):
    """What the synchronous and the async local broker share: a core of their own, or
    one shared with another broker."""

    __slots__ = ("_core",)

    def __init__(self) -> None:
        self._core = DeliveryCore()

    @classmethod
    def _sharing(cls, core: DeliveryCore) -> Self:
        """Return a broker delivering through ``core`` (a view of another broker)."""
        broker = cls.__new__(cls)
        broker._core = core
        return broker

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def wants(self, event_type: type[Event]) -> bool:
        return self._core.wants(event_type)


class LocalEventBroker(_LocalBroker, EventBroker):
    """Delivers events to subscribers in this process (synchronous, thread safe).

    Where a callback runs depends on where ``subscribe()`` was called: from async code
    (a notebook cell, which runs on the kernel's event loop) the callback runs on that
    loop, whichever thread publishes, and a coroutine function is awaited there;
    from a thread without an event loop it runs in the publishing thread. A callback's
    exception is logged (logger ``apsnb.eventbrokers``), never raised to the publisher.

    A broker delivers from the moment it is created. After ``stop()``, ``publish()``
    drops events (a store finishing its last write during shutdown must not fail);
    ``start()`` resumes delivery. Subscriptions survive a stop.
    """

    __slots__ = ()

    def start(self) -> None:
        self._core.start()

    def stop(self, *, force: bool = False) -> None:
        """Stop delivering events.

        Events already on their way to an event loop are still delivered, unless
        ``force`` is true: then they are dropped and running coroutine callbacks are
        cancelled.
        """
        self._core.stop(force=force)

    def publish(self, event: Event) -> None:
        self._core.publish(event)

    def publish_all(self, events: Iterable[Event]) -> None:
        self._core.publish_all(events)

    def publish_local(self, event: Event) -> None:
        self._core.publish(event)


class AsyncLocalEventBroker(_LocalBroker, AsyncEventBroker):
    """Delivers events to subscribers in this process (asynchronous, task safe).

    The async twin of :class:`LocalEventBroker`, with the same rules for where
    callbacks run, and for stopping. Publishing never waits for a callback: a
    coroutine callback is started as a task, and a callback subscribed from another
    thread's loop is handed over to that loop.
    """

    __slots__ = ()

    async def start(self) -> None:
        self._core.start()

    async def stop(self, *, force: bool = False) -> None:
        """Stop delivering events (see :meth:`LocalEventBroker.stop`)."""
        self._core.stop(force=force)

    async def publish(self, event: Event) -> None:
        self._core.publish(event)

    async def publish_local(self, event: Event) -> None:
        self._core.publish(event)

    async def publish_local_all(self, events: Iterable[Event]) -> None:
        self._core.publish_all(events)
