"""What jobs print (captured per job instead of landing in whichever cell ran last),
and the tracebacks of the jobs that raise.

In a notebook, ``sys.stdout`` and ``sys.stderr`` write into the output area of the
cell that ran most recently, so a job's ``print`` (from a worker thread, or a task on
the kernel's loop) turns up under an unrelated cell. While a scheduler captures job
output, both streams are wrapped by a router: a write made inside a job (whose
context holds that job's buffer; a thread executor carries the context into its
thread) goes to the buffer, every other write to the stream as before.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sys
import threading
import traceback
from contextvars import ContextVar
from typing import Any, TextIO

import apsnb

#: The characters kept of one job's output; more is cut, and the cut is said.
OUTPUT_LIMIT = 20_000

_buffer: ContextVar[JobOutput | None] = ContextVar("apsnb_job_output", default=None)
_lock = threading.Lock()
_users = 0


class JobOutput:
    """The text one job printed, up to :data:`OUTPUT_LIMIT` characters."""

    __slots__ = ("_cut", "_parts", "_size", "_token")

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._size = 0
        self._cut = 0

    def write(self, text: str) -> None:
        room = OUTPUT_LIMIT - self._size
        if len(text) > room:
            self._cut += len(text) - max(room, 0)
            text = text[: max(room, 0)]
        self._parts.append(text)
        self._size += len(text)

    def text(self) -> str | None:
        """What the job printed, or ``None`` when it printed nothing."""
        text = "".join(self._parts)
        if self._cut:
            text += f"\n… ({self._cut} more characters not kept)"
        return text or None

    def __enter__(self) -> JobOutput:
        _ensure_routed()
        self._token = _buffer.set(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        _buffer.reset(self._token)


class _Router:
    """A stand-in for ``sys.stdout``/``sys.stderr`` that sends a job's writes to the
    job's buffer and everything else to the stream it wraps."""

    def __init__(self, stream: TextIO) -> None:
        self.wrapped = stream

    def write(self, text: str) -> int:
        output = _buffer.get()
        if output is None:
            return self.wrapped.write(text)
        output.write(text)
        return len(text)

    def flush(self) -> None:
        if _buffer.get() is None:
            self.wrapped.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


def start_capturing() -> None:
    """Route jobs' writes to their buffers (counted: each call needs a stop)."""
    global _users
    with _lock:
        _users += 1
    _ensure_routed()


def _ensure_routed() -> None:
    """Wrap the streams again if something replaced them since (a test runner, a
    ``contextlib.redirect_stdout``), while anyone captures."""
    with _lock:
        if _users == 0:
            return
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if not isinstance(stream, _Router):
                setattr(sys, name, _Router(stream))


def stop_capturing() -> None:
    """Undo one :func:`start_capturing`; the last one puts the streams back."""
    global _users
    with _lock:
        if _users == 0:
            return
        _users -= 1
        if _users == 0:
            # Only our own routers: something that replaced them since keeps its own.
            for name in ("stdout", "stderr"):
                stream = getattr(sys, name)
                if isinstance(stream, _Router):
                    setattr(sys, name, stream.wrapped)


# Where the frames that run a job (not the job's own) live: apsnb's package, and the
# standard library's thread pools and event loop.
_RUNNER_DIRS = tuple(
    os.path.dirname(module.__file__ or "") + os.sep
    for module in (apsnb, concurrent.futures, asyncio)
)


def job_traceback(error: BaseException) -> str:
    """The traceback of a job's exception, starting at the job's function.

    The frames above it (the scheduler, the executor, a thread pool) say nothing
    about what went wrong, and would push the line that does out of sight in the
    dashboard's feed. A traceback that is all runner frames is kept whole.
    """
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_RUNNER_DIRS):
        tb = tb.tb_next
    if tb is None:
        tb = error.__traceback__
    return "".join(traceback.format_exception(type(error), error, tb))
