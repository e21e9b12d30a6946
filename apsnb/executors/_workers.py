"""Worker threads that take calls from one queue and hand their outcomes back to an
event loop in batches."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import threading
import weakref
from collections.abc import Callable
from queue import Empty, SimpleQueue
from typing import Any

__all__ = ("Outcome", "WorkerThreads")

#: What a call ended with: ``(True, its return value)`` or ``(False, what it raised)``.
Outcome = tuple[bool, Any]
#: A queued call and the future waiting for its outcome; ``None`` tells a worker to end.
_Call = tuple[asyncio.Future[Outcome], Callable[[], Any]] | None


class WorkerThreads:
    """``size`` threads running calls for one event loop, at most ``size`` at a time.

    Cheaper per call than ``loop.run_in_executor`` on a ``ThreadPoolExecutor`` (about
    a fifth of the cost, for trivial calls): no concurrent future, no semaphore, and
    one loop wake-up for a burst of calls that finish together instead of one each,
    since every wake-up goes through the loop's self-pipe and takes the GIL back
    from the workers.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int, name: str) -> None:
        self.size = size
        self._loop = loop
        self._name = name
        self._calls: SimpleQueue[_Call] = SimpleQueue()
        #: Outcomes waiting for the loop, and whether a call to hand them over is
        #: already on its way there (both guarded by _lock).
        self._finished: list[tuple[asyncio.Future[Outcome], Outcome]] = []
        self._handover_due = False
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._stopped = False
        self.started = False
        _all_workers.add(self)

    def start(self) -> None:
        """Start every thread, from a thread of its own: each start blocks until its
        thread runs (5 to 20 ms of the loop's time for 40 of them on a busy machine)."""
        if not self.started:
            self.started = True
            threading.Thread(
                target=self._start_threads, name=f"{self._name}-start", daemon=True
            ).start()

    def submit(self, call: Callable[[], Any]) -> asyncio.Future[Outcome]:
        """Queue ``call``; the future (of the loop, called from it) gets its outcome.

        Cancelling the future before a worker takes the call skips it; after, the
        call runs to its end and its outcome is dropped.
        """
        future = self._loop.create_future()
        self._calls.put((future, call))
        return future

    def stop(self) -> None:
        """Cancel the queued calls and end each thread once its call returns
        (called on the loop; returns at once)."""
        self._stopped = True
        self._cancel_queued()
        for _ in range(self.size):
            self._calls.put(None)

    def finish(self) -> None:
        """End the threads after the calls queued and running (as Python exits)."""
        self._stopped = True
        for _ in range(self.size):
            self._calls.put(None)
        for thread in list(self._threads):
            thread.join()

    def _cancel_queued(self) -> None:
        while True:
            try:
                queued = self._calls.get_nowait()
            except Empty:
                return
            if queued is not None:
                queued[0].cancel()

    def _start_threads(self) -> None:
        # Daemon threads, so that an idle worker does not keep Python from exiting;
        # finish() lets the running calls end first, as a ThreadPoolExecutor's would.
        for number in range(self.size):
            if self._stopped:
                return
            thread = threading.Thread(
                target=self._work, name=f"{self._name}_{number}", daemon=True
            )
            thread.start()
            # Listed once started: finish() joins only threads it can join.
            self._threads.append(thread)

    def _work(self) -> None:
        calls = self._calls
        while (queued := calls.get()) is not None:
            self._run(*queued)
            del queued  # an idle worker holds on to nothing

    def _run(self, future: asyncio.Future[Outcome], call: Callable[[], Any]) -> None:
        # Read from this thread, a cancellation may come a moment too late: then the
        # call runs, as if it had been taken a moment earlier.
        if future.cancelled():
            return
        try:
            outcome: Outcome = (True, call())
        except BaseException as error:  # the caller decides what it means
            outcome = (False, error)
        self._hand_back(future, outcome)
        # An error's traceback keeps this frame: no cycle from it back to the error.
        del future, outcome

    def _hand_back(self, future: asyncio.Future[Outcome], outcome: Outcome) -> None:
        """Queue an outcome for the loop; only the first of a batch wakes it."""
        with self._lock:
            self._finished.append((future, outcome))
            if self._handover_due:
                return
            self._handover_due = True
        # A closed loop raises RuntimeError: nobody waits for these outcomes any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._hand_over)

    def _hand_over(self) -> None:
        """Give the futures their outcomes (on the loop)."""
        with self._lock:
            finished, self._finished = self._finished, []
            self._handover_due = False
        for future, outcome in finished:
            if not future.cancelled():
                future.set_result(outcome)


#: Every crew not yet collected, to be finished as Python exits.
_all_workers: weakref.WeakSet[WorkerThreads] = weakref.WeakSet()


@atexit.register
def _finish_all() -> None:
    for workers in list(_all_workers):
        workers.finish()
