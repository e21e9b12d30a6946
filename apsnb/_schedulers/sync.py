"""``Scheduler``: the same scheduler for synchronous code, on a loop in its own thread.

It is a facade, not a second implementation: every method runs the matching
``AsyncScheduler`` coroutine through an anyio blocking portal whose event loop lives in
a daemon thread, so the docstrings and signatures are the async ones.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
import weakref
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import timedelta
from functools import partial
from typing import Any

from anyio.from_thread import BlockingPortal, start_blocking_portal

from .._enums import RunState
from .._events import Event
from ..abc import Subscription
from .async_ import AsyncScheduler

__all__ = ("Scheduler",)

#: Coroutine methods of AsyncScheduler that the facade offers as plain methods.
_PROXIED = (
    "add_notebook_schedule",
    "add_job",
    "add_schedule",
    "cleanup",
    "configure_task",
    "get_job_result",
    "get_jobs",
    "get_next_event",
    "get_runs",
    "get_schedule",
    "get_schedules",
    "get_tasks",
    "modify_schedule",
    "pause_schedule",
    "remove_schedule",
    "run_job",
    "run_schedule_now",
    "start_in_background",
    "unpause_schedule",
)


class Scheduler:
    """Runs tasks on schedules, from synchronous code (scripts, blocking cells).

    Takes the same arguments as :class:`AsyncScheduler`. The scheduler's loop runs in
    a background thread, so it keeps firing while a notebook cell blocks (a long
    computation, ``time.sleep``), which ``AsyncScheduler`` on the kernel's loop cannot.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._async = AsyncScheduler(*args, **kwargs)
        self._portal_context: AbstractContextManager[BlockingPortal] | None = None
        self._portal: BlockingPortal | None = None

    def __repr__(self) -> str:
        return f"<Scheduler {self._async.identity!r} {self._async.state.name}>"

    @property
    def state(self) -> RunState:
        """Whether the scheduler is starting, started, stopping or stopped."""
        return self._async.state

    @property
    def identity(self) -> str:
        """The scheduler's id in its data store."""
        return self._async.identity

    @property
    def capture_job_output(self) -> bool:
        """Whether what jobs print is captured (see
        :attr:`AsyncScheduler.capture_job_output`)."""
        return self._async.capture_job_output

    @capture_job_output.setter
    def capture_job_output(self, value: bool) -> None:
        self._async.capture_job_output = value

    @property
    def async_scheduler(self) -> AsyncScheduler:
        """The :class:`AsyncScheduler` doing the work, on the background loop."""
        return self._async

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self._portal is None:
            self._portal_context = start_blocking_portal(name=f"apsnb {self.identity}")
            self._portal = self._portal_context.__enter__()
            _stop_at_exit(self)
        return self._portal.call(partial(getattr(self._async, name), *args, **kwargs))

    def _close_portal(self) -> None:
        context, self._portal_context, self._portal = self._portal_context, None, None
        if context is not None:
            context.__exit__(None, None, None)

    def stop(self, *, grace_period: float | timedelta = 0) -> None:
        """Stop the scheduler (see :meth:`AsyncScheduler.stop`)."""
        try:
            if self._portal is not None:
                self._call("stop", grace_period=grace_period)
        finally:
            self._close_portal()

    def waiting_schedules(self) -> dict[str, list[str]]:
        """Schedules that wait for their task's function, by task id (see
        :meth:`AsyncScheduler.waiting_schedules`)."""
        if self._portal is None:
            return self._async.waiting_schedules()
        # Read on the scheduler's own thread, where the set changes.
        return self._portal.call(self._async.waiting_schedules)

    def wait_until_stopped(self) -> None:
        """Block until the scheduler stops (returns at once if it is not running)."""
        self._async._stopped.wait()

    def run_until_stopped(self) -> None:
        """Start, and block until the scheduler stops (Ctrl-C stops it)."""
        self.start_in_background()
        try:
            self.wait_until_stopped()
        except KeyboardInterrupt:
            self.stop()
            raise

    def subscribe(
        self,
        callback: Callable[[Any], Any],
        event_types: type[Event] | Iterable[type[Event]] | None = None,
        *,
        one_shot: bool = False,
    ) -> Subscription:
        """Call ``callback(event)`` for events of the given types (default: all).

        From plain Python the callback runs in the scheduler's thread; subscribed from
        a notebook cell it runs on the kernel's loop.
        """
        return self._async.subscribe(callback, event_types, one_shot=one_shot)

    def __enter__(self) -> Scheduler:
        self._call("_start_services")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __del__(self) -> None:
        if (
            getattr(self, "_portal", None) is not None
            and self.state is RunState.stopped
        ):
            self._close_portal()


def _stop_at_exit(scheduler: Scheduler) -> None:
    """Stop ``scheduler`` when the interpreter exits, if the script did not.

    The portal's loop runs in a ``concurrent.futures`` worker thread, which Python
    joins at exit, after refusing new work to every pool: a scheduler still running
    then would wait forever. Hooks registered here run before that join (the public
    ``atexit`` runs after it, too late).
    """
    reference = weakref.ref(scheduler)

    def stop() -> None:
        alive = reference()
        if alive is not None and alive._portal is not None:
            alive.stop()

    register = getattr(threading, "_register_atexit", None)
    if register is not None:
        with contextlib.suppress(RuntimeError):  # the interpreter is exiting already
            register(stop)


def _proxy(name: str) -> Callable[..., Any]:
    coroutine_function = getattr(AsyncScheduler, name)

    def method(self: Scheduler, *args: Any, **kwargs: Any) -> Any:
        return self._call(name, *args, **kwargs)

    method.__name__ = name
    method.__qualname__ = f"Scheduler.{name}"
    method.__doc__ = coroutine_function.__doc__
    method.__signature__ = inspect.signature(coroutine_function)  # type: ignore[attr-defined]
    return method


for _name in _PROXIED:
    setattr(Scheduler, _name, _proxy(_name))

Scheduler.__init__.__signature__ = inspect.signature(AsyncScheduler.__init__)  # type: ignore[attr-defined]
