"""Drawing fire times from a copy of a trigger, within limits, without ever hanging.

Every lab tool samples through :func:`sample`. It works on a copy made through the
trigger's own ``__getstate__``/``__setstate__`` (the user's trigger never advances) and
runs ``next()`` in a worker thread: if one call hangs (a bug in a custom trigger), the
caller gets what was found so far and a reason, instead of a frozen notebook.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, NamedTuple

from .._state import copy_trigger
from ..abc import Trigger

__all__ = ("Sample", "StopReason", "copy_trigger", "sample")

StopReason = Literal["count", "until", "finished", "time_budget", "error"]

#: How long sampling may take, in seconds, unless the caller says otherwise.
DEFAULT_TIME_BUDGET = 10.0


class Sample(NamedTuple):
    """Fire times drawn from a trigger, and why the drawing stopped."""

    times: list[datetime]
    #: ``"count"`` (n reached), ``"until"``, ``"finished"`` (``next()`` returned
    #: None), ``"time_budget"`` or ``"error"`` (``next()`` raised: see ``error``).
    stop_reason: StopReason
    error: BaseException | None
    elapsed: float
    #: Values returned by ``next()`` before ``start`` that were skipped.
    skipped: int


class _Abandoned(BaseException):
    """Raised inside a worker thread whose ``next()`` ran past the time budget."""


def sample(
    trigger: Trigger,
    *,
    n: int | None = 100,
    until: datetime | None = None,
    start: datetime | None = None,
    time_budget: float = DEFAULT_TIME_BUDGET,
    copy: bool = True,
    on_value: Callable[[Any], None] | None = None,
) -> Sample:
    """Draw fire times from (a copy of) ``trigger``.

    Stops after ``n`` fire times, at the first one later than ``until``, when the
    trigger is finished, when ``next()`` raises, or after ``time_budget`` seconds.
    Fire times before ``start`` are drawn and skipped. Values are not checked here
    (``check_trigger`` does that), but comparisons with ``start``/``until`` happen
    only for ``datetime`` values. ``on_value``, if given, sees every raw value.
    """
    source = copy_trigger(trigger) if copy else trigger
    times: list[datetime] = []
    outcome: dict[str, Any] = {"reason": "count", "error": None, "skipped": 0}
    deadline = time.perf_counter() + time_budget

    def draw() -> None:
        next_value = source.next
        start_stamp = start.timestamp() if start is not None else None
        until_stamp = until.timestamp() if until is not None else None
        try:
            if start is None and until is None and on_value is None:
                _draw_plainly(next_value, times, n, deadline, outcome)
                return
            while n is None or len(times) < n:
                value = next_value()
                if on_value is not None:
                    on_value(value)
                if value is None:
                    outcome["reason"] = "finished"
                    return
                if isinstance(value, datetime) and value.tzinfo is not None:
                    stamp = value.timestamp()
                    if until_stamp is not None and stamp > until_stamp:
                        outcome["reason"] = "until"
                        return
                    if start_stamp is not None and stamp < start_stamp:
                        outcome["skipped"] += 1
                        continue
                times.append(value)
                # Checking the clock on every call would cost more than next() itself.
                if len(times) % 512 == 0 and time.perf_counter() > deadline:
                    outcome["reason"] = "time_budget"
                    return
        except _Abandoned:
            outcome["reason"] = "time_budget"
        except Exception as error:
            outcome["reason"], outcome["error"] = "error", error

    began = time.perf_counter()
    worker = threading.Thread(target=draw, name="apsnb-lab-sample", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.perf_counter()))
    if worker.is_alive():
        _interrupt(worker)
        outcome["reason"] = "time_budget"
    return Sample(
        times=list(times),
        stop_reason=outcome["reason"],
        error=outcome["error"],
        elapsed=time.perf_counter() - began,
        skipped=outcome["skipped"],
    )


def _draw_plainly(
    next_value: Callable[[], Any],
    times: list[datetime],
    n: int | None,
    deadline: float,
    outcome: dict[str, Any],
) -> None:
    """The common case, with no bounds to compare: as close to a bare loop as it gets."""
    append = times.append
    remaining = n
    while remaining is None or remaining > 0:
        batch = 512 if remaining is None else min(512, remaining)
        for _ in range(batch):
            value = next_value()
            if value is None:
                outcome["reason"] = "finished"
                return
            append(value)
        if remaining is not None:
            remaining -= batch
        if time.perf_counter() > deadline:
            outcome["reason"] = "time_budget"
            return


def _interrupt(worker: threading.Thread) -> None:
    """Stop a worker stuck in ``next()`` by raising ``_Abandoned`` inside it.

    CPython delivers the exception at the thread's next bytecode, which stops a
    pure-Python loop; a ``next()`` blocked in C (``time.sleep``) sees it on return.
    """
    if worker.ident is None:
        return
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(worker.ident), ctypes.py_object(_Abandoned)
    )
    worker.join(0.5)
