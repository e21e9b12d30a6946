"""``ScheduleDashboard``: watch and steer the schedules of a running scheduler."""

from __future__ import annotations

import asyncio
import html
from typing import Any

import ipywidgets as widgets

from .._events import (
    Event,
    JobAcquired,
    JobReleased,
    ScheduleAdded,
    ScheduleRemoved,
    SchedulerStarted,
    SchedulerStopped,
    ScheduleUpdated,
)
from .._exceptions import InvalidTriggerArgument
from .._schedulers.async_ import AsyncScheduler
from .._schedulers.sync import Scheduler
from ._dashboard_calls import (
    Pending,
    RefreshPacer,
    SchedulerCalls,
    Ticker,
    running_loop,
)
from ._dashboard_model import DashboardModel
from ._dashboard_table import ScheduleTable, feed_html, status_html

__all__ = ("ScheduleDashboard",)

#: The events the dashboard listens to.
_EVENT_TYPES = (
    ScheduleAdded,
    ScheduleUpdated,
    ScheduleRemoved,
    JobAcquired,
    JobReleased,
    SchedulerStarted,
    SchedulerStopped,
)
# The shortest time between two looks at what no event announces (waiting schedules).
_MIN_TICK = 0.25
_ERROR_STYLE = "color:#c62828"
_DONE_STYLE = "color:#666"
_PAST_TENSE = {"pause": "paused", "resume": "resumed", "remove": "removed"}


class ScheduleDashboard(widgets.VBox):
    """A live view of a scheduler's schedules, with buttons to pause, resume and remove.

    Shows the scheduler's state and counts, a table of schedules (trigger in words,
    next and last fire time in the trigger's zone, paused, waiting for its function)
    and a feed of the latest job outcomes, failures in red. Make it in a notebook
    cell: it listens to the scheduler's events on the kernel's loop, and calls the
    scheduler from there without blocking it.

    :param scheduler: an ``AsyncScheduler`` (on the kernel's loop) or a ``Scheduler``
    :param refresh_interval: the shortest time, in seconds, between two readings of
        the schedules (changes closer together are shown together)
    :param history: how many job outcomes the feed keeps
    """

    def __init__(
        self,
        scheduler: AsyncScheduler | Scheduler,
        *,
        refresh_interval: float = 1.0,
        history: int = 50,
    ) -> None:
        if refresh_interval < 0:
            raise InvalidTriggerArgument(
                "ScheduleDashboard", "refresh_interval", refresh_interval,
                "it must be 0 or more seconds",
            )  # fmt: skip
        if history < 1:
            raise InvalidTriggerArgument(
                "ScheduleDashboard", "history", history, "it must be at least 1"
            )
        loop = running_loop()
        if loop is None:
            raise RuntimeError(
                "ScheduleDashboard needs a running event loop: make it in a notebook "
                "cell (the kernel's loop runs there) or in async code"
            )
        self._calls = SchedulerCalls(scheduler, loop)
        self.scheduler = scheduler
        self.refresh_interval = refresh_interval
        self.model = DashboardModel(history)
        self.model.state = scheduler.state
        self.status = widgets.HTML()
        self.message = widgets.HTML()
        self.resume_mode = widgets.ToggleButtons(
            options=[("skip missed", True), ("keep missed", False)],
            value=True,
            description="Resume:",
            tooltips=[
                "Resume from now: fire times missed while paused are skipped",
                "Missed fire times follow the schedule's coalesce and misfire rules",
            ],
            style={"button_width": "100px", "description_width": "60px"},
        )
        self.refresh_button = widgets.Button(
            description="Refresh", tooltip="Read the schedules again now"
        )
        self.refresh_button.on_click(lambda _: self.refresh())
        self.table = ScheduleTable(self.pause, self.resume, self.remove)
        self.feed = widgets.HTML()
        self._lock = asyncio.Lock()  # one reading of the store at a time
        super().__init__(
            [
                widgets.HBox(
                    [self.status, self.refresh_button, self.resume_mode],
                    layout=widgets.Layout(
                        align_items="center", justify_content="space-between"
                    ),
                ),
                self.message,
                self.table,
                widgets.HTML("<b>Latest job outcomes</b>"),
                self.feed,
            ]
        )
        self._pacer = RefreshPacer(loop, refresh_interval, self._refresh_if_open)
        self._subscription = scheduler.subscribe(self._on_event, _EVENT_TYPES)
        self._ticker = Ticker(loop, max(refresh_interval, _MIN_TICK), self._tick)
        self._closed = False
        self._draw()
        self.refresh()

    # Reading the scheduler

    def refresh(self) -> Pending:
        """Read the schedules again now; in a cell, ``await`` it to wait until shown."""
        self._pacer.started()
        return self._calls.spawn(self._refresh(), "apsnb dashboard refresh")

    def _refresh_if_open(self) -> None:
        # Reading a stopped scheduler's store would open it again (and leave it open).
        if self._calls.store_open:
            self.refresh()

    async def _refresh(self) -> None:
        async with self._lock:
            try:
                schedules = await self._calls.call("get_schedules")
                jobs = await self._calls.call("get_jobs")
                waiting = self._calls.waiting_schedules()
            except Exception as error:
                self._say(f"could not read the schedules: {_text(error)}", error=True)
                return
            self.model.show_schedules(schedules, waiting, jobs)
            self.table.show(self.model.rows)
            self._draw()

    def _on_event(self, event: Event) -> None:
        """Take in an event (on the kernel's loop); nothing may raise into the broker."""
        try:
            if self.model.record(event):
                self._pacer.request()
            self._draw()
        except Exception as error:
            self._say(f"could not show an event: {_text(error)}", error=True)

    def _tick(self) -> None:
        """Look at what no event announces: schedules waiting for their function."""
        try:
            if self.model.waiting_changed(self._calls.waiting_schedules()):
                self._pacer.request()
            self._draw()
        except Exception as error:
            self._say(f"could not look at the scheduler: {_text(error)}", error=True)

    def _draw(self) -> None:
        self.status.value = status_html(self.model, self._calls.state)
        self.feed.value = feed_html(self.model.newest_first())

    def _say(self, text: str, *, error: bool = False) -> None:
        style = _ERROR_STYLE if error else _DONE_STYLE
        self.message.value = (
            f"<span style='{style}'>{html.escape(text, quote=False)}</span>"
        )

    # Steering it (the buttons call these)

    def pause(self, schedule_id: str) -> Pending:
        """Pause a schedule; returns the task doing it (``await`` it in a cell)."""
        return self._act("pause", "pause_schedule", schedule_id)

    def resume(self, schedule_id: str, *, skip_missed: bool | None = None) -> Pending:
        """Unpause a schedule.

        :param skip_missed: skip the fire times missed while paused
            (``resume_from="now"``), or keep them for the schedule's misfire and
            coalescing rules; ``None`` (the buttons): as the *Resume* toggle says
        """
        if skip_missed is None:
            skip_missed = bool(self.resume_mode.value)
        resume_from = "now" if skip_missed else None
        return self._act(
            "resume", "unpause_schedule", schedule_id, resume_from=resume_from
        )

    def remove(self, schedule_id: str) -> Pending:
        """Remove a schedule (its running jobs finish); the button asks first."""
        return self._act("remove", "remove_schedule", schedule_id)

    def _act(self, verb: str, method: str, schedule_id: str, **kwargs: Any) -> Pending:
        self._say(f"{verb} {schedule_id!r}…")
        return self._calls.spawn(
            self._perform(verb, method, schedule_id, **kwargs),
            f"apsnb dashboard {verb} {schedule_id}",
        )

    async def _perform(
        self, verb: str, method: str, schedule_id: str, **kwargs: Any
    ) -> None:
        # Errors are shown, not raised: from a button nobody awaits this task.
        try:
            await self._calls.call(method, schedule_id, **kwargs)
        except Exception as error:
            self._say(f"could not {verb} {schedule_id!r}: {_text(error)}", error=True)
            self.table.enable(schedule_id)
        else:
            self._say(f"{_PAST_TENSE[verb]} {schedule_id!r}")
        self._pacer.started()
        await self._refresh()  # show the outcome now, not after the event's delay

    # Closing

    def close(self) -> None:
        """Stop listening to the scheduler, and close the widgets."""
        if getattr(self, "_closed", True):  # closed, or __init__ failed half way
            super().close()
            return
        self._closed = True
        self._subscription.unsubscribe()
        self._pacer.close()
        self._ticker.close()
        self._calls.close()
        self.table.close()
        for widget in (self.status, self.message, self.resume_mode, self.feed):
            widget.close()
        self.refresh_button.close()
        super().close()


def _text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
