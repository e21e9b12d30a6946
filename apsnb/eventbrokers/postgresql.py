"""An event broker on PostgreSQL's LISTEN/NOTIFY: processes on many hosts wake at once.

Needs ``pip install 'apsnb[postgresql]'`` (psycopg 3).
"""

from __future__ import annotations

import itertools
import json
import logging
import queue
import threading
import uuid
from typing import Any, ClassVar

import psycopg

from .._events import Event
from ..abc import EventBroker
from ..datastores._postgresql_errors import (
    describe,
    is_temporary,
    permanent_error,
    refused_for_good,
)
from ..datastores._postgresql_schema import quote
from ._delivery import CoreView, DeliveryCore
from ._wire import TRAVELLING, decode, dumps, encode

__all__ = ("PostgreSQLEventBroker",)

logger = logging.getLogger("apsnb.eventbrokers.postgresql")

#: NOTIFY refuses payloads of 8000 bytes or more; the header takes the rest.
MAX_PAYLOAD = 7900
_STOP = object()


class PostgreSQLEventBroker(CoreView, EventBroker):
    """Delivers events to subscribers in this process and, through PostgreSQL's
    ``LISTEN``/``NOTIFY``, in every process listening on the same channel.

    Give it the URL of the database the processes share (usually the data store's).
    A schedule added, a job queued or finished in one process then wakes the
    schedulers of the others at once, instead of at their next poll. Subscribers in
    this process hear of an event at once, without a round trip through the server.

    Events travel as JSON: the data store's events about tasks, schedules and jobs,
    and ``JobReleased`` (events holding an exception object stay local). Several
    events published together go out in one notification; a batch larger than
    NOTIFY's 8000-byte limit is split into parts, sent in one transaction (so they
    arrive together and in order) and put back together by the listeners.

    Notifications are a wake-up call, not a log: while the listening connection is
    down (a server restart), events from other processes are missed, and schedulers
    find the changes at their next poll of the store. The broker reconnects by itself.

    :param url: a PostgreSQL connection URL
    :param channel: the NOTIFY channel; processes that share a channel hear each
        other (use one per data store schema)
    """

    #: publish() only queues the event: async code may call it on its loop.
    blocking: ClassVar[bool] = False

    def __init__(self, url: str, *, channel: str = "apsnb") -> None:
        if not isinstance(url, str) or not url:
            raise TypeError(f"url={url!r}: give a PostgreSQL connection URL")
        if not channel or len(channel.encode()) > 63:
            raise ValueError(f"channel={channel!r}: give a name of 1 to 63 bytes")
        self.url = url
        self.channel = channel
        self.location = describe(url)
        self._core = DeliveryCore()
        self._origin = uuid.uuid4().hex[:12]
        self._sequence = itertools.count()
        self._outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._listening = threading.Event()
        self._threads: list[threading.Thread] = []
        self._partial: dict[tuple[str, str], list[str | None]] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r}, channel={self.channel!r})"

    def start(self) -> None:
        """Start delivering, and listening to the channel (returns once listening).

        :raises DataStoreAccessDenied: if the server turns the connection away
        """
        self._core.start()
        if self._threads:
            return
        self._stopping.clear()
        self._listening.clear()
        # Connect here once, so that a wrong URL raises now, in the caller's thread.
        first = self._connect()
        listener = threading.Thread(
            target=self._listen, args=(first,), name="apsnb-pg-listen", daemon=True
        )
        sender = threading.Thread(
            target=self._send, name="apsnb-pg-notify", daemon=True
        )
        self._threads = [listener, sender]
        for thread in self._threads:
            thread.start()
        if first is not None:
            self._listening.wait(10)

    def stop(self, *, force: bool = False) -> None:
        """Stop delivering; events queued for other processes are sent first unless
        ``force`` is true."""
        self._core.stop(force=force)
        if force:
            while not self._outbox.empty():
                self._outbox.get_nowait()
        self._stopping.set()
        self._outbox.put(_STOP)
        threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(10)

    def publish(self, event: Event) -> None:
        """Deliver ``event`` here now, and queue it for the other processes."""
        self._core.publish(event)
        data = encode(event)
        if data is not None and self._threads:
            self._outbox.put(data)

    def publish_local(self, event: Event) -> None:
        self._core.publish(event)

    # The connections

    def _connect(self) -> psycopg.Connection[Any] | None:
        """The first connection; ``None`` if the server cannot be reached (yet)."""
        try:
            return psycopg.connect(self.url, autocommit=True)
        except psycopg.Error as error:
            if is_temporary(error) and not refused_for_good(error, self.url):
                logger.warning(
                    "%s: cannot reach the server (%s); listening once it answers",
                    self.location,
                    type(error).__name__,
                )
                return None
            raise permanent_error(error, self.location) from error

    def _reconnect(self) -> psycopg.Connection[Any] | None:
        """A new connection, waiting between tries; ``None`` once stopping."""
        delay = 0.1
        while not self._stopping.is_set():
            try:
                return psycopg.connect(self.url, autocommit=True)
            except psycopg.Error as error:
                logger.warning(
                    "%s: cannot connect (%s); trying again in %.1f s",
                    self.location,
                    type(error).__name__,
                    delay,
                )
                self._stopping.wait(delay)
                delay = min(delay * 2, 5.0)
        return None

    def _listen(self, connection: psycopg.Connection[Any] | None) -> None:
        while not self._stopping.is_set():
            if connection is None:
                connection = self._reconnect()
                if connection is None:
                    return
            try:
                connection.execute(f"LISTEN {quote(self.channel)}")
                self._listening.set()
                while not self._stopping.is_set():
                    for notify in connection.notifies(timeout=0.2):
                        self._receive(notify.payload)
            except psycopg.Error as error:
                logger.warning(
                    "%s: listening connection lost (%s); reconnecting",
                    self.location,
                    type(error).__name__,
                )
            finally:
                connection.close()
                connection = None

    def _receive(self, payload: str) -> None:
        try:
            origin, sequence, part, parts, body = payload.split(":", 4)
            if origin == self._origin:
                return  # delivered here when published
            if parts != "1":
                key = (origin, sequence)
                pieces = self._partial.setdefault(key, [None] * int(parts))
                pieces[int(part)] = body
                if any(piece is None for piece in pieces):
                    return
                del self._partial[key]
                body = "".join(pieces)  # type: ignore[arg-type]
            # Other processes send every event; one nobody here listens to is not
            # worth decoding (with three processes, most of them).
            events = [
                decode(data) for data in json.loads(body) if self._wanted_here(data)
            ]
        except (ValueError, KeyError, TypeError, IndexError) as error:
            logger.warning(
                "%s: ignored a malformed notification: %s", self.location, error
            )
            return
        for event in events:
            self._core.publish(event)

    def _wanted_here(self, data: Any) -> bool:
        """Whether a received event may reach a subscriber of this process (an
        unknown or malformed one is kept, for ``decode`` to refuse)."""
        event_class = TRAVELLING.get(data["event"]) if isinstance(data, dict) else None
        return event_class is None or self._core.wants(event_class)

    def _send(self) -> None:
        connection: psycopg.Connection[Any] | None = None
        while True:
            first = self._outbox.get()
            batch = [first]
            while not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            stop = any(item is _STOP for item in batch)
            events = [item for item in batch if item is not _STOP]
            if events:
                connection = self._deliver(connection, self._payloads(events))
            if stop:
                if connection is not None:
                    connection.close()
                return

    def _payloads(self, events: list[dict[str, Any]]) -> list[str]:
        body = dumps(events)
        sequence = next(self._sequence)
        pieces = [body[i : i + MAX_PAYLOAD] for i in range(0, len(body), MAX_PAYLOAD)]
        return [
            f"{self._origin}:{sequence}:{index}:{len(pieces)}:{piece}"
            for index, piece in enumerate(pieces)
        ]

    def _deliver(
        self, connection: psycopg.Connection[Any] | None, payloads: list[str]
    ) -> psycopg.Connection[Any] | None:
        for attempt in range(3):
            try:
                if connection is None or connection.closed:
                    connection = psycopg.connect(self.url, autocommit=True)
                with connection.transaction():  # the parts arrive together
                    connection.cursor().executemany(
                        "SELECT pg_notify(%s, %s)",
                        [(self.channel, payload) for payload in payloads],
                    )
                return connection
            except psycopg.Error as error:
                logger.warning(
                    "%s: could not notify (%s, attempt %d of 3)",
                    self.location,
                    type(error).__name__,
                    attempt + 1,
                )
                if connection is not None:
                    connection.close()
                connection = None
                if self._stopping.wait(0.2 * (attempt + 1)):
                    break
        logger.warning(
            "%s: %d events did not reach the other processes; they see the changes "
            "at their next poll",
            self.location,
            len(payloads),
        )
        return connection
