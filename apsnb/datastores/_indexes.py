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
    stale (the live entry of each key is kept, and an entry counts only while it is
    its key's), so both cost O(log n); stale entries are skipped when they reach the
    top, and the heap is rebuilt when they outnumber the live ones.
    """

    __slots__ = ("_heap", "_live", "_tokens")

    def __init__(self) -> None:
        # (time, token, key): the token keeps keys of one time in the order set,
        # without comparing the keys themselves.
        self._heap: list[tuple[int, int, KeyT]] = []
        self._live: dict[KeyT, tuple[int, int, KeyT]] = {}  # key -> its entry
        self._tokens = count()

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, key: KeyT) -> bool:
        return key in self._live

    def set(self, key: KeyT, time: int) -> None:
        entry = (time, next(self._tokens), key)
        self._live[key] = entry
        heapq.heappush(self._heap, entry)
        if len(self._heap) > 2 * len(self._live) + 64:
            self._compact()

    def discard(self, key: KeyT) -> None:
        self._live.pop(key, None)

    def peek(self) -> tuple[int, KeyT] | None:
        """Return the earliest (time, key), or ``None`` when empty."""
        heap, live = self._heap, self._live
        while heap:
            entry = heap[0]
            if live.get(entry[2]) is entry:
                return entry[0], entry[2]
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
        self._heap = list(self._live.values())
        heapq.heapify(self._heap)


class ClaimEnds(Generic[KeyT]):
    """When claims end, to find those that ran out.

    The keys claimed in one call share their claim's end, so each call adds one heap
    entry for all of them, not one per key. A claim that ends early (a release) or
    moves (a renewal) leaves its key where it was: as entries come out, ``holds(key,
    end)`` tells which keys still hold a claim ending then. The entries are rebuilt
    without the others once those outnumber the live keys, so a busy store keeps no
    more than about twice what it holds.
    """

    __slots__ = ("_heap", "_holds", "_live", "_size", "_tokens")

    def __init__(self, holds: Callable[[KeyT, datetime], bool]) -> None:
        self._heap: list[tuple[datetime, int, list[KeyT]]] = []
        self._holds = holds
        self._tokens = count()
        self._live = 0  # keys holding a claim
        self._size = 0  # keys in the entries, live or not

    def add(self, end: datetime, keys: list[KeyT]) -> None:
        """Note new claims on ``keys``, all ending at ``end``."""
        self._live += len(keys)
        self._push(end, keys)

    def renew(self, end: datetime, keys: list[KeyT]) -> None:
        """Note that the claims on ``keys`` (noted before) now end at ``end``."""
        self._push(end, keys)

    def release(self, count: int = 1) -> None:
        """Note that ``count`` claims ended before their time (or were given up)."""
        self._live -= count

    def ended_before(self, time: datetime) -> list[KeyT]:
        """Remove and return the keys whose claims ended before ``time``, earliest
        first (the caller then gives them up, and releases them)."""
        ended: list[KeyT] = []
        heap, holds = self._heap, self._holds
        while heap and heap[0][0] < time:
            end, _, keys = heapq.heappop(heap)
            self._size -= len(keys)
            ended += [key for key in keys if holds(key, end)]
        return ended

    def _push(self, end: datetime, keys: list[KeyT]) -> None:
        heapq.heappush(self._heap, (end, next(self._tokens), keys))
        self._size += len(keys)
        if self._size > 2 * self._live + 64:
            holds = self._holds
            entries = [
                (entry_end, token, live)
                for entry_end, token, entry_keys in self._heap
                if (live := [key for key in entry_keys if holds(key, entry_end)])
            ]
            heapq.heapify(entries)
            self._heap = entries
            self._size = sum(len(keys) for _, _, keys in entries)


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
