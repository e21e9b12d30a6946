"""What happens and what happened: events as they come, and the run history."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._converters import as_optional_aware_datetime
from .._events import Event
from .._runs import RunRecord
from ..abc import Subscription

if TYPE_CHECKING:
    from ..abc import AsyncDataStore, AsyncEventBroker


class EventsAndRuns:
    """Events and the run history; mixed into :class:`AsyncScheduler`."""

    data_store: AsyncDataStore
    event_broker: AsyncEventBroker

    async def _start_services(self) -> None:  # provided by SchedulerLifecycle
        raise NotImplementedError

    def subscribe(
        self,
        callback: Callable[[Any], Any],
        event_types: type[Event] | Iterable[type[Event]] | None = None,
        *,
        one_shot: bool = False,
    ) -> Subscription:
        """Call ``callback(event)`` for events of the given types (default: all).

        Subscribed from a notebook cell, the callback runs on the kernel's loop.
        """
        if isinstance(event_types, type):
            event_types = {event_types}
        return self.event_broker.subscribe(callback, event_types, one_shot=one_shot)

    async def get_next_event(
        self, event_types: type[Event] | Iterable[type[Event]]
    ) -> Event:
        """Wait for the next event of the given types and return it."""
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()

        def deliver(event: Event) -> None:
            if not future.done():
                future.set_result(event)

        with self.subscribe(deliver, event_types, one_shot=True):
            return await future

    async def get_runs(
        self,
        *,
        schedule_id: str | None = None,
        task_id: str | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        limit: int | None = 1000,
    ) -> list[RunRecord]:
        """Return the run history, newest first: every job that ended, and every
        fire time that coalescing gave no job (see :class:`~apsnb.RunRecord`).

        :param schedule_id: only the runs of this schedule
        :param task_id: only the runs of this task
        :param since: only runs that finished at or after this (aware) time
        :param until: only runs that finished before this (aware) time
        :param limit: at most this many, the newest (``None``: all)
        """
        await self._start_services()
        return await self.data_store.get_runs(
            schedule_id=schedule_id,
            task_id=task_id,
            since=as_optional_aware_datetime(since, "since"),
            until=as_optional_aware_datetime(until, "until"),
            limit=limit,
        )
