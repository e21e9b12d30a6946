"""The scheduler's life cycle: one background task on the loop that starts it.

The task owns every scope it opens, so a notebook cell can start the scheduler and
return, and any later cell can stop it. Schedulers are registered by identity in this
process: starting one stops an older one with the same identity (the cell that creates
it, run again).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Self

import anyio

from .._converters import as_timedelta
from .._enums import RunState
from .._events import (
    JobAdded,
    ScheduleAdded,
    ScheduleDeserializationFailed,
    ScheduleRemoved,
    SchedulerStarted,
    SchedulerStopped,
    ScheduleUpdated,
    TaskAdded,
    TaskRemoved,
    TaskUpdated,
)
from .._exceptions import SchedulerIdentityInUse
from ._runtime import Runtime

if TYPE_CHECKING:
    from ..abc import AsyncDataStore, AsyncEventBroker, JobExecutor

#: Seconds another thread's loop may take to run a callback before it counts as blocked.
LOOP_RESPONSE_TIMEOUT = 3.0
#: Running schedulers of this process, by identity: a new one replaces an old one.
_running: dict[str, SchedulerLifecycle] = {}


def default_identity() -> str:
    """A scheduler's identity unless given: the host and the process."""
    return f"{socket.gethostname()}-{os.getpid()}"


class SchedulerLifecycle:
    """Starting, running and stopping; mixed into :class:`AsyncScheduler`."""

    data_store: AsyncDataStore
    event_broker: AsyncEventBroker
    identity: str
    job_executors: dict[str, JobExecutor]
    logger: logging.Logger
    _state: RunState
    _services_started: bool
    _loop: asyncio.AbstractEventLoop | None
    _task: asyncio.Task[None] | None
    _stop_requested: asyncio.Event | None
    _stopped: threading.Event
    _runtime: Runtime | None

    def _init_lifecycle(self) -> None:
        self._state = RunState.stopped
        self._services_started = False
        self._loop = None
        self._task = None
        self._stop_requested = None
        self._stopped = threading.Event()
        self._stopped.set()
        self._runtime = None

    @property
    def state(self) -> RunState:
        """Whether the scheduler is starting, started, stopping or stopped."""
        return self._state

    async def __aenter__(self) -> Self:
        await self._start_services()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _start_services(self) -> None:
        if not self._services_started:
            await self.event_broker.start()
            await self.data_store.start(self.event_broker)
            self._services_started = True

    async def _stop_services(self) -> None:
        if self._services_started:
            self._services_started = False
            try:
                await self.data_store.stop()
            finally:
                await self.event_broker.stop()

    async def start_in_background(self) -> None:
        """Start processing schedules and jobs in a background task, and return.

        The task belongs to the running event loop (in a notebook: the kernel's), so
        the scheduler keeps running after the cell returns. Calling it again while
        running does nothing. If another scheduler with the same identity runs in this
        process (the same cell run before), it is stopped first.
        """
        if self._state in (RunState.starting, RunState.started):
            return
        await _stop_previous(self)
        self._state = RunState.starting
        self._stopped.clear()
        self._loop = asyncio.get_running_loop()
        self._stop_requested = asyncio.Event()
        started: asyncio.Future[None] = self._loop.create_future()
        _running[self.identity] = self
        self._task = self._loop.create_task(
            self._run(started), name=f"apsnb {self.identity}"
        )
        await started

    async def run_until_stopped(self) -> None:
        """Start, and return only when the scheduler has stopped."""
        await self.start_in_background()
        await self.wait_until_stopped()

    async def wait_until_stopped(self) -> None:
        """Wait until the scheduler stops (returns at once if it is not running)."""
        task = self._task
        if task is not None and self._loop is asyncio.get_running_loop():
            await asyncio.wait([task])
        else:
            await anyio.to_thread.run_sync(self._stopped.wait)

    async def stop(self, *, grace_period: float | timedelta = 0) -> None:
        """Stop the scheduler: cancel running jobs (recorded as cancelled) and close the
        data store and event broker. Does nothing if it is not running.

        :param grace_period: first stop taking jobs and give the running ones this
            long (seconds or a timedelta) to finish; only those still running then
            are cancelled
        """
        seconds = max(as_timedelta(grace_period, "grace_period").total_seconds(), 0.0)
        loop, requested = self._loop, self._stop_requested
        if loop is not None and loop.is_closed():
            # Its loop ended without stopping it (asyncio.run() returned): nothing runs.
            self._forget_closed_loop()
            return
        runtime = self._runtime
        if seconds and runtime is not None and self._state is RunState.started:
            assert loop is not None
            if loop is asyncio.get_running_loop():
                await runtime.jobs.drain(seconds)
            else:
                drained = asyncio.run_coroutine_threadsafe(
                    runtime.jobs.drain(seconds), loop
                )
                await asyncio.wrap_future(drained)
        if self._state in (RunState.starting, RunState.started) and loop and requested:
            self._state = RunState.stopping
            if loop is asyncio.get_running_loop():
                requested.set()
            else:
                loop.call_soon_threadsafe(requested.set)
            await self.wait_until_stopped()
        elif self._state is RunState.stopped:
            await self._stop_services()

    def _forget_closed_loop(self) -> None:
        self._state = RunState.stopped
        self._services_started = False
        self._loop = self._task = self._stop_requested = None
        if _running.get(self.identity) is self:
            del _running[self.identity]
        self._stopped.set()

    async def _run(self, started: asyncio.Future[None]) -> None:
        runtime = self._runtime = Runtime(self, self.logger)
        failure: BaseException | None = None
        try:
            await self._start_services()
            for executor in self.job_executors.values():
                await executor.start()
            subscription = self.event_broker.subscribe(
                runtime.on_event,
                {
                    ScheduleAdded,
                    ScheduleUpdated,
                    ScheduleRemoved,
                    ScheduleDeserializationFailed,
                    JobAdded,
                    TaskAdded,
                    TaskUpdated,
                    TaskRemoved,
                },
            )
            try:
                await self.data_store.reap_abandoned_jobs(self.identity)
                async with anyio.create_task_group() as task_group:
                    await runtime.run(task_group)
                    self._state = RunState.started
                    await self.event_broker.publish_local(SchedulerStarted())
                    started.set_result(None)
                    assert self._stop_requested is not None
                    await self._stop_requested.wait()
                    task_group.cancel_scope.cancel()
            finally:
                subscription.unsubscribe()
                for executor in self.job_executors.values():
                    await executor.stop()
        except BaseException as error:
            failure = error
            if not started.done():
                started.set_exception(error)
            elif not isinstance(error, asyncio.CancelledError):
                self.logger.exception("the scheduler %r crashed", self.identity)
        finally:
            self._state = RunState.stopped
            with anyio.CancelScope(shield=True):
                try:
                    await self.event_broker.publish_local(
                        SchedulerStopped(exception=failure)
                    )
                    await self._stop_services()
                finally:
                    if _running.get(self.identity) is self:
                        del _running[self.identity]
                    self._stopped.set()


async def _stop_previous(scheduler: SchedulerLifecycle) -> None:
    previous = _running.get(scheduler.identity)
    if previous is not None and previous is not scheduler:
        loop = previous._loop
        if (
            loop is not None
            and loop is not asyncio.get_running_loop()
            and not await _responds(loop)
        ):
            # Its loop is blocked, most likely by the very call that starts this
            # scheduler (the synchronous Scheduler, started in a notebook cell on
            # the kernel's loop): waiting for it to stop would wait forever.
            raise SchedulerIdentityInUse(scheduler.identity)
        scheduler.logger.warning(
            "stopping the scheduler %r started earlier in this process (same identity); "
            "give schedulers different identities to run them side by side",
            scheduler.identity,
        )
        await previous.stop()


async def _responds(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether another thread's event loop runs a callback within a few seconds."""
    answered = threading.Event()
    try:
        loop.call_soon_threadsafe(answered.set)
    except RuntimeError:  # closed: nothing runs there to wait for
        return True
    return await anyio.to_thread.run_sync(answered.wait, LOOP_RESPONSE_TIMEOUT)
