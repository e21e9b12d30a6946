"""How the schedule dashboard talks to a scheduler without blocking the notebook.

Plain Python, no ipywidgets. Everything here runs on the event loop the dashboard was
made on (a notebook kernel's): an ``AsyncScheduler``'s coroutines are awaited there as
tasks; a thread-backed ``Scheduler``'s blocking methods run in a worker thread, awaited
from the loop, so a slow data store never freezes the kernel.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from .._enums import RunState
from .._exceptions import InvalidTriggerArgumentType
from .._schedulers.async_ import AsyncScheduler
from .._schedulers.sync import Scheduler

#: What :meth:`SchedulerCalls.spawn` returns: a task, or a future when called from
#: another thread than the loop's.
Pending = asyncio.Task[Any] | concurrent.futures.Future[Any]


class SchedulerCalls:
    """Calls the methods of an ``AsyncScheduler`` or a ``Scheduler`` from ``loop``.

    :param scheduler: the scheduler to call
    :param loop: the running loop that the dashboard lives on
    """

    def __init__(
        self, scheduler: AsyncScheduler | Scheduler, loop: asyncio.AbstractEventLoop
    ) -> None:
        if not isinstance(scheduler, AsyncScheduler | Scheduler):
            raise InvalidTriggerArgumentType(
                "scheduler", scheduler, "an apsnb AsyncScheduler or Scheduler"
            )
        self.scheduler = scheduler
        self.loop = loop
        # One worker: the calls of a thread-backed scheduler run in the order made, so
        # a refresh made after a pause sees the pause.
        self._worker = (
            concurrent.futures.ThreadPoolExecutor(1, "apsnb-dashboard")
            if isinstance(scheduler, Scheduler)
            else None
        )
        #: The tasks started by :meth:`spawn` that have not finished.
        self.pending: set[Pending] = set()
        self._closed = False

    @property
    def state(self) -> RunState:
        """The scheduler's state (read without waiting)."""
        return self.scheduler.state

    @property
    def store_open(self) -> bool:
        """Whether the scheduler's data store is open: reading it then opens nothing."""
        scheduler = self.scheduler
        core = (
            scheduler.async_scheduler if isinstance(scheduler, Scheduler) else scheduler
        )
        return core._services_started

    def waiting_schedules(self) -> dict[str, list[str]]:
        """The scheduler's ``waiting_schedules()`` (in memory: read without waiting)."""
        return self.scheduler.waiting_schedules()

    async def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call the scheduler method ``name`` and return its result, on the loop."""
        method = getattr(self.scheduler, name)
        if self._worker is None:
            return await method(*args, **kwargs)
        return await self.loop.run_in_executor(
            self._worker, partial(method, *args, **kwargs)
        )

    def spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> Pending:
        """Run ``coroutine`` as a task of the loop, from any thread; return it.

        Button handlers call this: they must return at once, and the kernel runs
        them on its loop, so the work goes on as a task of that loop.
        """
        if self._closed:
            coroutine.close()
            raise RuntimeError("the dashboard is closed")
        if running_loop() is self.loop:
            pending: Pending = self.loop.create_task(coroutine, name=name)
        else:
            pending = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        self.pending.add(pending)
        pending.add_done_callback(self.pending.discard)
        return pending

    def close(self) -> None:
        """Cancel what is still running, and let the worker thread end."""
        self._closed = True
        for pending in list(self.pending):
            pending.cancel()
        if self._worker is not None:
            self._worker.shutdown(wait=False, cancel_futures=True)


class RefreshPacer:
    """Starts a refresh soon after a change, but at most once every ``interval`` s.

    Changes close together (a scheduler firing several schedules at once) make one
    refresh: the first change sets a timer ``settle`` seconds ahead, or at the end of
    the interval since the last refresh, and later changes find the timer set.

    :param loop: the loop whose timers to use; :meth:`request` may be called from any
        thread
    :param interval: the shortest time between two refreshes, in seconds
    :param start: starts a refresh (must return at once)
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        interval: float,
        start: Callable[[], object],
        *,
        settle: float = 0.1,
    ) -> None:
        self.loop = loop
        self.interval = interval
        self.settle = min(settle, interval)
        self._start = start
        self._timer: asyncio.TimerHandle | None = None
        self._last = float("-inf")
        self._closed = False

    def request(self) -> None:
        """Ask for a refresh (several requests before it starts make one)."""
        if running_loop() is not self.loop:
            self.loop.call_soon_threadsafe(self.request)
            return
        if self._timer is not None or self._closed:
            return
        at = max(self.loop.time() + self.settle, self._last + self.interval)
        self._timer = self.loop.call_at(at, self._fire)

    def started(self) -> None:
        """Note that a refresh starts now (one asked for directly, too)."""
        self._last = self.loop.time()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fire(self) -> None:
        self._timer = None
        self._start()

    def close(self) -> None:
        """Start no more refreshes."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class Ticker:
    """Calls ``tick()`` every ``seconds`` on ``loop`` until :meth:`close`.

    The dashboard looks at what no event announces (the schedules waiting for their
    function, the scheduler's state) this way: both are read from memory, not the store.
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, seconds: float, tick: Callable[[], None]
    ) -> None:
        self.loop = loop
        self.seconds = seconds
        self._tick = tick
        self._closed = False
        self._timer: asyncio.TimerHandle | None = loop.call_later(seconds, self._run)

    def _run(self) -> None:
        self._timer = None
        try:
            self._tick()
        finally:
            if not self._closed:
                self._timer = self.loop.call_later(self.seconds, self._run)

    def close(self) -> None:
        """Stop ticking."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The loop running in this thread, if any (a notebook cell has the kernel's)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
