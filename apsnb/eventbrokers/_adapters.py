"""Views that let async code use a synchronous broker, and threads an async one.

The scheduler core is async, and starts its data store with the broker the store's
interface needs: an async store gets :func:`as_async_broker` of the user's broker, a
synchronous store (running in worker threads) gets :func:`as_sync_broker`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

import anyio.from_thread
import anyio.to_thread

from .._events import Event
from ..abc import AsyncEventBroker, EventBroker, EventCallback, Subscription
from .local import AsyncLocalEventBroker, LocalEventBroker

__all__ = ("as_async_broker", "as_sync_broker")


def as_async_broker(broker: EventBroker | AsyncEventBroker) -> AsyncEventBroker:
    """Return ``broker`` with the async interface.

    An async broker is returned as it is; a :class:`LocalEventBroker` gets an
    :class:`AsyncLocalEventBroker` sharing its subscribers and delivery; any other
    synchronous broker is wrapped so that its blocking calls run in a worker thread.
    """
    if isinstance(broker, AsyncEventBroker):
        return broker
    # The exact class: a subclass may add behaviour (forwarding to other processes)
    # that sharing the core would bypass.
    if type(broker) is LocalEventBroker:
        return AsyncLocalEventBroker._sharing(broker._core)
    if isinstance(broker, EventBroker):
        if not getattr(broker, "blocking", True):
            return _SyncBrokerInline(broker)
        return _SyncBrokerInThreads(broker)
    raise TypeError(
        f"{broker!r} is not an event broker; pass an EventBroker or AsyncEventBroker "
        f"such as apsnb.eventbrokers.local.LocalEventBroker()"
    )


def as_sync_broker(broker: AsyncEventBroker | EventBroker) -> EventBroker:
    """Return ``broker`` with the synchronous interface, for code in worker threads.

    An :class:`AsyncLocalEventBroker` gets a :class:`LocalEventBroker` sharing its
    subscribers and delivery (thread safe, callable from any thread). Any other async
    broker is wrapped so that each call runs on its event loop through
    ``anyio.from_thread``: such a view works only in threads that anyio started from
    that loop (``anyio.to_thread.run_sync``, as the scheduler does for a synchronous
    data store), and must not be called on the loop's own thread. A synchronous
    broker is returned as it is.
    """
    if isinstance(broker, EventBroker):
        return broker
    if type(broker) is AsyncLocalEventBroker:
        return LocalEventBroker._sharing(broker._core)
    if isinstance(broker, _SyncBrokerInThreads | _SyncBrokerInline):
        return broker._broker  # a synchronous broker, thread safe
    if isinstance(broker, AsyncEventBroker):
        return _AsyncBrokerFromThreads(broker)
    raise TypeError(
        f"{broker!r} is not an event broker; pass an EventBroker or AsyncEventBroker "
        f"such as apsnb.eventbrokers.local.AsyncLocalEventBroker()"
    )


class _SyncBrokerInThreads(AsyncEventBroker):
    """A synchronous broker seen from async code: blocking calls run in a thread."""

    __slots__ = ("_broker",)

    def __init__(self, broker: EventBroker) -> None:
        self._broker = broker

    def __repr__(self) -> str:
        return f"as_async_broker({self._broker!r})"

    async def start(self) -> None:
        await anyio.to_thread.run_sync(self._broker.start)

    async def stop(self, *, force: bool = False) -> None:
        await anyio.to_thread.run_sync(partial(self._broker.stop, force=force))

    async def publish(self, event: Event) -> None:
        await anyio.to_thread.run_sync(self._broker.publish, event)

    async def publish_local(self, event: Event) -> None:
        await anyio.to_thread.run_sync(self._broker.publish_local, event)

    async def publish_local_all(self, events: Iterable[Event]) -> None:
        await anyio.to_thread.run_sync(_publish_each_local, self._broker, events)

    def wants(self, event_type: type[Event]) -> bool:
        return self._broker.wants(event_type)

    def subscribe(
        self,
        callback: EventCallback,
        event_types: Iterable[type[Event]] | None = None,
        *,
        one_shot: bool = False,
    ) -> Subscription:
        # Called here, on the loop's thread, so the broker sees the loop to deliver on.
        return self._broker.subscribe(callback, event_types, one_shot=one_shot)


class _SyncBrokerInline(_SyncBrokerInThreads):
    """A synchronous broker whose publish() never blocks (it queues), seen from async
    code: publishing is a plain call, only starting and stopping run in a thread."""

    __slots__ = ()

    async def publish(self, event: Event) -> None:
        self._broker.publish(event)

    async def publish_local(self, event: Event) -> None:
        self._broker.publish_local(event)

    async def publish_local_all(self, events: Iterable[Event]) -> None:
        _publish_each_local(self._broker, events)


class _AsyncBrokerFromThreads(EventBroker):
    """An async broker seen from an anyio worker thread: calls run on its loop."""

    __slots__ = ("_broker",)

    def __init__(self, broker: AsyncEventBroker) -> None:
        self._broker = broker

    def __repr__(self) -> str:
        return f"as_sync_broker({self._broker!r})"

    def start(self) -> None:
        anyio.from_thread.run(self._broker.start)

    def stop(self, *, force: bool = False) -> None:
        anyio.from_thread.run(partial(self._broker.stop, force=force))

    def publish(self, event: Event) -> None:
        anyio.from_thread.run(self._broker.publish, event)

    def publish_local(self, event: Event) -> None:
        anyio.from_thread.run(self._broker.publish_local, event)

    def wants(self, event_type: type[Event]) -> bool:
        return self._broker.wants(event_type)  # a quick look, safe from any thread

    def subscribe(
        self,
        callback: EventCallback,
        event_types: Iterable[type[Event]] | None = None,
        *,
        one_shot: bool = False,
    ) -> Subscription:
        # On the loop, where a task-safe broker expects to be called; callbacks are
        # therefore delivered as to any subscriber on that loop.
        return anyio.from_thread.run_sync(
            partial(self._broker.subscribe, callback, event_types, one_shot=one_shot)
        )


def _publish_each_local(broker: EventBroker, events: Iterable[Event]) -> None:
    for event in events:
        broker.publish_local(event)
