"""The delivery core both local brokers share: who subscribed, and how to reach them.

A subscription remembers the asyncio loop of the thread that subscribed. An event
published on that loop's thread is handed to the callback at once; one published from
another thread travels with ``loop.call_soon_threadsafe``, so a notebook's callbacks
always run on the kernel's loop however a data store's worker thread publishes.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .._events import Event
from ..abc import EventCallback, Subscription

__all__ = ("CoreView", "DeliveryCore", "LocalSubscription")

logger = logging.getLogger("apsnb.eventbrokers")


@dataclass(eq=False, slots=True)
class LocalSubscription(Subscription):
    """A subscription to a local event broker.

    ``unsubscribe()`` (or leaving a ``with`` block) ends it; events already on their way
    to the subscriber's event loop are then dropped too.

    :ivar callback: what is called with each event
    :ivar event_types: the event classes (and their subclasses) it receives, or
        ``None`` for every event
    :ivar one_shot: whether it ends after its first event
    :ivar loop: the event loop the callback runs on, or ``None`` to run it in the
        publishing thread
    """

    callback: EventCallback
    event_types: frozenset[type[Event]] | None
    one_shot: bool
    loop: asyncio.AbstractEventLoop | None
    core: DeliveryCore = field(repr=False)
    active: bool = field(default=True, repr=False)

    def unsubscribe(self) -> None:
        self.active = False
        self.core.remove(self)

    def accepts(self, event_class: type[Event]) -> bool:
        """Return whether events of ``event_class`` are of the subscribed types."""
        return self.event_types is None or issubclass(
            event_class, tuple(self.event_types)
        )


class DeliveryCore:
    """Subscriptions and delivery, thread safe; the brokers are views of one core."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # A dict keeps subscription order, so subscribers hear of an event in that order.
        self._subscriptions: dict[LocalSubscription, None] = {}
        self._stopped = False
        # A forced stop bumps the generation; deliveries queued under an older one are
        # dropped when their loop gets to them.
        self._generation = 0
        # Strong references: the loop keeps only weak ones to the tasks it runs.
        self._tasks: set[asyncio.Future[Any]] = set()
        # The subscriptions each event class seen so far goes to, forgotten whenever
        # one is added or removed: the scheduler publishes several events per job,
        # most of which few subscriptions (often none) want.
        self._recipients: dict[type[Event], tuple[LocalSubscription, ...]] = {}
        # Events on their way to subscribers on other threads' loops, by loop.
        self._outbound: dict[
            asyncio.AbstractEventLoop,
            list[tuple[LocalSubscription, Event, int]],
        ] = {}

    def start(self) -> None:
        with self._lock:
            self._stopped = False

    def stop(self, *, force: bool = False) -> None:
        with self._lock:
            self._stopped = True
            if not force:
                return
            self._generation += 1
            tasks = list(self._tasks)
        for task in tasks:
            loop = task.get_loop()
            if loop is _running_loop():
                task.cancel()
            elif not loop.is_closed():
                loop.call_soon_threadsafe(task.cancel)

    def subscribe(
        self,
        callback: EventCallback,
        event_types: Iterable[type[Event]] | type[Event] | None,
        one_shot: bool,
    ) -> LocalSubscription:
        loop = _running_loop()
        if loop is None and _is_coroutine_callback(callback):
            raise TypeError(
                f"{callback!r} is a coroutine function, but subscribe() was called in a "
                f"thread without a running event loop, so nothing could await it. "
                f"Subscribe from async code (a notebook cell runs on the kernel's loop), "
                f"or pass a regular function"
            )
        subscription = LocalSubscription(
            callback, _event_type_set(event_types), one_shot, loop, self
        )
        with self._lock:
            self._subscriptions[subscription] = None
            self._recipients.clear()
        return subscription

    def remove(self, subscription: LocalSubscription) -> None:
        with self._lock:
            if subscription in self._subscriptions:
                del self._subscriptions[subscription]
                self._recipients.clear()

    def _recipients_of(self, event_class: type[Event]) -> tuple[LocalSubscription, ...]:
        """The subscriptions events of ``event_class`` go to (call with the lock)."""
        matching = self._recipients.get(event_class)
        if matching is None:
            matching = self._recipients[event_class] = tuple(
                sub for sub in self._subscriptions if sub.accepts(event_class)
            )
        return matching

    def wants(self, event_class: type[Event]) -> bool:
        """Whether an event of ``event_class`` published now would reach anyone."""
        with self._lock:
            return bool(self._recipients_of(event_class))

    def publish(self, event: Event) -> None:
        with self._lock:
            if self._stopped:
                logger.debug("broker is stopped; dropped %r", event)
                return
            matching = self._recipients_of(type(event))
            if not matching:
                return
            self._end_one_shots(matching)
            generation = self._generation
        self._deliver(event, matching, generation, _running_loop())

    def publish_all(self, events: Iterable[Event]) -> None:
        """Deliver ``events`` in order, choosing their recipients under one lock: a
        store publishes two events per fire time of a batch, and the lock and the
        lookups cost more than a callback does."""
        deliveries = []
        with self._lock:
            if self._stopped:
                logger.debug("broker is stopped; dropped %r", events)
                return
            for event in events:
                matching = self._recipients_of(type(event))
                if matching:
                    self._end_one_shots(matching)
                    deliveries.append((event, matching))
            generation = self._generation
        if deliveries:
            current_loop = _running_loop()
            for event, matching in deliveries:
                self._deliver(event, matching, generation, current_loop)

    def _end_one_shots(self, matching: tuple[LocalSubscription, ...]) -> None:
        """End the one-shot subscriptions an event goes to (call with the lock): of
        two concurrent publishers, only one can pick a one-shot subscription."""
        for subscription in matching:
            if subscription.one_shot:
                self._subscriptions.pop(subscription, None)
                self._recipients.clear()

    def _deliver(
        self,
        event: Event,
        matching: tuple[LocalSubscription, ...],
        generation: int,
        current_loop: asyncio.AbstractEventLoop | None,
    ) -> None:
        for subscription in matching:
            if subscription.loop is None or subscription.loop is current_loop:
                self._call(subscription, event)
            else:
                self._send_to_loop(subscription, event, generation)

    def _send_to_loop(
        self, subscription: LocalSubscription, event: Event, generation: int
    ) -> None:
        loop = subscription.loop
        assert loop is not None
        with self._lock:
            queued = self._outbound.get(loop)
            if queued is not None:
                # A delivery to that loop is on its way: this event rides along.
                # Waking a loop in another thread costs a system call and hands it
                # the GIL; a store publishing a batch's events would do it per event.
                queued.append((subscription, event, generation))
                return
            self._outbound[loop] = [(subscription, event, generation)]
        try:
            loop.call_soon_threadsafe(self._deliver_queued, loop)
        except RuntimeError:  # the loop is closed: nobody is left to listen there
            with self._lock:
                self._outbound.pop(loop, None)
            self.remove(subscription)
            logger.debug(
                "dropped the subscription of %r: its event loop is closed",
                subscription.callback,
            )

    def _deliver_queued(self, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver, on ``loop``, the events queued for it, in the order published."""
        with self._lock:
            queued = self._outbound.pop(loop, [])
        for subscription, event, generation in queued:
            if generation == self._generation:
                self._call(subscription, event)

    def _call(self, subscription: LocalSubscription, event: Event) -> None:
        """Call the callback; runs in the publishing thread or on its own loop."""
        if not subscription.active:
            return
        try:
            result = subscription.callback(event)
        except Exception:
            logger.exception(
                "event callback %r raised an exception on %r",
                subscription.callback,
                event,
            )
            return
        if result is None or not inspect.isawaitable(result):
            return
        if subscription.loop is None:
            logger.error(
                "event callback %r returned an awaitable, but it was subscribed outside "
                "an event loop, so it was not awaited; subscribe from async code",
                subscription.callback,
            )
            if inspect.iscoroutine(result):
                result.close()  # spares the "never awaited" warning
            return
        task = asyncio.ensure_future(result, loop=subscription.loop)
        with self._lock:
            self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Future[Any]) -> None:
        with self._lock:
            self._tasks.discard(task)
        if not task.cancelled() and (exception := task.exception()) is not None:
            logger.error(
                "an event callback's coroutine raised an exception",
                exc_info=exception,
            )


class CoreView:
    """``subscribe()`` for a broker that delivers in this process through a
    :class:`DeliveryCore`, its ``_core``."""

    __slots__ = ()

    _core: DeliveryCore

    def subscribe(
        self,
        callback: EventCallback,
        event_types: Iterable[type[Event]] | None = None,
        *,
        one_shot: bool = False,
    ) -> LocalSubscription:
        """Call ``callback(event)`` for each event of the given types (default: all).

        A base class such as ``DataStoreEvent`` selects all its subclasses. A broker
        that connects processes calls it for the events of the other processes too.

        :param one_shot: unsubscribe after the first matching event (delivered exactly
            once, even when several threads publish at the same time)
        :raises TypeError: if ``callback`` is a coroutine function and this thread has
            no running event loop to await it on
        """
        return self._core.subscribe(callback, event_types, one_shot)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _is_coroutine_callback(callback: object) -> bool:
    return inspect.iscoroutinefunction(callback) or inspect.iscoroutinefunction(
        getattr(callback, "__call__", None)  # noqa: B004 (an async __call__)
    )


def _event_type_set(
    event_types: Iterable[type[Event]] | type[Event] | None,
) -> frozenset[type[Event]] | None:
    if event_types is None:
        return None
    if isinstance(event_types, type):  # subscribe(cb, JobAdded) means [JobAdded]
        event_types = (event_types,)
    types = frozenset(event_types)
    for event_type in types:
        if not (isinstance(event_type, type) and issubclass(event_type, Event)):
            raise TypeError(
                f"event_types holds {event_type!r}, which is not an event class; pass "
                f"classes from apsnb's events such as JobReleased or DataStoreEvent"
            )
    if not types:
        raise ValueError(
            "event_types is empty, so the callback would never be called; pass None "
            "(the default) to receive every event"
        )
    return types
