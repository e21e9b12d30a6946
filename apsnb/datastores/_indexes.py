"""The in-memory indexes that keep every MemoryDataStore operation O(log n).

Times are kept as whole microseconds since the Unix epoch: exact, cheap to compare,
and independent of the time zone each datetime carries.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Generic, TypeVar
from uuid import UUID

KeyT = TypeVar("KeyT", bound=Hashable)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def instant(value: datetime) -> int:
    """Return an aware datetime as microseconds since the epoch."""
    return (value - _EPOCH) // _MICROSECOND


class TimeHeap(Generic[KeyT]):
    """Keys ordered by a time, earliest first; each key has at most one time.

    Setting or discarding a key leaves its old heap entry in place and only marks it
    stale (a token per entry), so both cost O(log n); stale entries are skipped when
    they reach the top, and the heap is rebuilt when they outnumber the live ones.
    """

    __slots__ = ("_heap", "_live", "_tokens")

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, KeyT]] = []
        self._live: dict[KeyT, tuple[int, int]] = {}  # key -> (time, token)
        self._tokens = count()

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, key: KeyT) -> bool:
        return key in self._live

    def set(self, key: KeyT, time: int) -> None:
        token = next(self._tokens)
        self._live[key] = (time, token)
        heapq.heappush(self._heap, (time, token, key))
        if len(self._heap) > 2 * len(self._live) + 64:
            self._compact()

    def discard(self, key: KeyT) -> None:
        self._live.pop(key, None)

    def peek(self) -> tuple[int, KeyT] | None:
        """Return the earliest (time, key), or ``None`` when empty."""
        heap = self._heap
        while heap:
            time, token, key = heap[0]
            if self._live.get(key) == (time, token):
                return time, key
            heapq.heappop(heap)
        return None

    def pop_until(self, time: int) -> Iterator[tuple[int, KeyT]]:
        """Remove and yield the keys whose time is ``<= time``, earliest first.

        Stops as soon as the consumer stops asking, so taking only the first few of
        many due keys costs only for those.
        """
        while (first := self.peek()) is not None and first[0] <= time:
            heapq.heappop(self._heap)
            del self._live[first[1]]
            yield first

    def _compact(self) -> None:
        self._heap = [(time, token, key) for key, (time, token) in self._live.items()]
        heapq.heapify(self._heap)


class JobQueue:
    """Ids of the jobs waiting to be claimed, oldest first, grouped by task.

    Each task has its own queue, and a heap holds the oldest job of each task that may
    run more jobs. A task at its ``max_running_jobs`` drops out of that heap when it
    is met (its jobs keep their places) and comes back with :meth:`wake`, so skipping
    it costs nothing however many of its jobs wait. Ids of jobs that were removed or
    claimed meanwhile may come out; the caller skips them.
    """

    __slots__ = ("_queued", "_ready", "_waiting")

    def __init__(self) -> None:
        self._waiting: dict[str, list[tuple[int, UUID]]] = {}  # task -> (order, id)
        # (order of the task's oldest job, task id); stale entries are skipped.
        self._ready: list[tuple[int, str]] = []
        # The entry each task has in _ready, by its order: a finished job wakes its
        # task, and without this each would push one more entry to skip later.
        self._queued: dict[str, int] = {}

    def push(self, task_id: str, order: int, job_id: UUID) -> None:
        """Queue a job; ``order`` (unique, increasing as jobs are added) is its age."""
        waiting = self._waiting.setdefault(task_id, [])
        heapq.heappush(waiting, (order, job_id))
        if waiting[0][0] == order:
            self._make_ready(task_id, order)

    def wake(self, task_id: str) -> None:
        """Let a task's jobs be taken again (it may run another job now)."""
        waiting = self._waiting.get(task_id)
        if waiting and self._queued.get(task_id) != waiting[0][0]:
            self._make_ready(task_id, waiting[0][0])

    def pop(self, is_saturated: Callable[[str], bool]) -> UUID | None:
        """Remove and return the oldest job id of a task that is not saturated."""
        ready = self._ready
        queued = self._queued
        while ready:
            order, task_id = heapq.heappop(ready)
            if queued.get(task_id) == order:
                del queued[task_id]
            waiting = self._waiting.get(task_id)
            if not waiting or waiting[0][0] != order or is_saturated(task_id):
                continue  # stale, or saturated until woken
            _, job_id = heapq.heappop(waiting)
            if waiting:
                self._make_ready(task_id, waiting[0][0])
            else:
                del self._waiting[task_id]
            return job_id
        return None

    def _make_ready(self, task_id: str, order: int) -> None:
        heapq.heappush(self._ready, (order, task_id))
        self._queued[task_id] = order
