"""``ScheduleDashboard``: watch and steer the schedules of a running scheduler."""

from __future__ import annotations

import asyncio
import html
from typing import Any
from weakref import WeakKeyDictionary

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
from .._exceptions import InvalidTriggerArgument, InvalidTriggerForm
from .._schedulers.async_ import AsyncScheduler
from .._schedulers.sync import Scheduler
from ._dashboard_calls import (
    Pending,
    RefreshPacer,
    SchedulerCalls,
    Ticker,
    running_loop,
)
from ._dashboard_edit import EditPanel
from ._dashboard_model import DashboardModel, in_zone, readable_time, trigger_zone
from ._dashboard_table import OutcomeFeed, ScheduleTable, status_html
from ._history_panel import HistoryPanel
from ._style import stylesheet

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


class ScheduleDashboard(widgets.VBox):
    """A live view of a scheduler's schedules, with buttons to edit, run now, pause,
    resume and remove them.

    Shows the scheduler's state and counts, a list of schedules (trigger in words,
    next and last fire time in the trigger's zone, paused, waiting for its function)
    and a feed of the latest job outcomes, failures in red, each opening to show what
    the job printed and its traceback (the scheduler captures job output while the
    dashboard is open, so none of it lands in the notebook's cells). Make it in a
    notebook cell: it listens to the scheduler's events on the kernel's loop, and
    calls the scheduler from there without blocking it.

    :param scheduler: an ``AsyncScheduler`` (on the kernel's loop) or a ``Scheduler``
    :param refresh_interval: the shortest time, in seconds, between two readings of
        the schedules (changes closer together are shown together)
    :param history: how many job outcomes the feed keeps, and how many runs of the
        store's run history the history panel below it shows
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
        self.message.add_class("apsnb-said")
        self.resume_mode = widgets.ToggleButtons(
            options=[("skip missed", True), ("keep missed", False)],
            value=True,
            tooltips=[
                "Resume from now: fire times missed while paused are skipped",
                "Missed fire times follow the schedule's coalesce and misfire rules",
            ],
            style={"button_width": "auto"},
            layout=widgets.Layout(width="auto"),
        )
        self._resume_label = widgets.Label(
            "Resume:", layout=widgets.Layout(margin="0 4px 0 12px")
        )
        self.refresh_button = widgets.Button(
            description="Refresh",
            icon="refresh",
            tooltip="Read the schedules again now",
            layout=widgets.Layout(width="auto"),
        )
        self.refresh_button.on_click(lambda _: self.refresh())
        self.table = ScheduleTable(
            {
                "edit": self.edit,
                "run_now": self.run_now,
                "pause": self.pause,
                "resume": self.resume,
                "remove": self.remove,
            }
        )
        self.editor = EditPanel(self.apply_edit, self.cancel_edit)
        self.feed = OutcomeFeed()
        self.history = HistoryPanel(history)
        self._lock = asyncio.Lock()  # one reading of the store at a time
        super().__init__(
            [
                stylesheet(),
                widgets.HBox(
                    [
                        self.status,
                        widgets.HBox(
                            [self.refresh_button, self._resume_label, self.resume_mode],
                            layout=widgets.Layout(align_items="center"),
                        ),
                    ],
                    layout=widgets.Layout(
                        flex_flow="row wrap",
                        align_items="center",
                        justify_content="space-between",
                    ),
                ),
                self.message,
                self.editor,
                self.table,
                widgets.HTML(
                    "<b>Latest job outcomes</b> (open one to read its output)"
                ),
                self.feed,
                self.history,
            ]
        )
        self.add_class("apsnb-dashboard")
        _watch_output(scheduler)
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
                runs = await self._calls.call("get_runs", limit=self.history.limit)
                waiting = self._calls.waiting_schedules()
            except Exception as error:
                self._say(f"could not read the schedules: {_text(error)}", error=True)
                return
            self.model.show_schedules(schedules, waiting, jobs)
            self.table.show(self.model.rows)
            self.history.show(runs)
            self._draw()

    def _on_event(self, event: Event) -> None:
        """Take in an event (on the kernel's loop); nothing may raise into the broker."""
        try:
            # A job that ended added a run to the store's history.
            if self.model.record(event) or isinstance(event, JobReleased):
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
        self.feed.show(self.model.newest_first())

    def _say(self, text: str, *, error: bool = False) -> None:
        style = _ERROR_STYLE if error else _DONE_STYLE
        self.message.value = (
            f"<span style='{style}'>{html.escape(text, quote=False)}</span>"
        )

    # Steering it (the buttons call these)

    def pause(self, schedule_id: str) -> Pending:
        """Pause a schedule; returns the task doing it (``await`` it in a cell)."""
        return self._act("pause", "paused", "pause_schedule", schedule_id)

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
            "resume", "resumed", "unpause_schedule", schedule_id,
            resume_from=resume_from,
        )  # fmt: skip

    def remove(self, schedule_id: str) -> Pending:
        """Remove a schedule (its running jobs finish); the button asks first."""
        return self._act("remove", "removed", "remove_schedule", schedule_id)

    def run_now(self, schedule_id: str) -> Pending:
        """Run a schedule's task once now (``run_schedule_now``); its trigger stays."""
        return self._act("run", "started a run of", "run_schedule_now", schedule_id)

    def edit(self, schedule_id: str) -> Pending:
        """Open the schedule's trigger in a composer above the list (**Edit**).

        Change the fields, then :meth:`apply_edit` (**Apply**) gives the schedule
        the new trigger, or :meth:`cancel_edit` (**Cancel**) leaves it.
        """
        self._say(f"opening {schedule_id!r}…")
        return self._calls.spawn(
            self._open_editor(schedule_id), f"apsnb dashboard edit {schedule_id}"
        )

    async def _open_editor(self, schedule_id: str) -> None:
        try:
            schedule = await self._calls.call("get_schedule", schedule_id)
            self.editor.edit(schedule_id, schedule.trigger)
        except Exception as error:
            self._say(f"could not edit {schedule_id!r}: {_text(error)}", error=True)
        else:
            self._say(f"editing {schedule_id!r}: change its trigger, then Apply")

    def apply_edit(self) -> Pending:
        """Give the schedule being edited the composer's trigger (``modify_schedule``).

        While a field is in error nothing changes and the line says so.
        """
        return self._calls.spawn(self._apply_edit(), "apsnb dashboard apply edit")

    async def _apply_edit(self) -> None:
        schedule_id, composer = self.editor.schedule_id, self.editor.composer
        if schedule_id is None or composer is None:
            self._say("nothing is being edited", error=True)
            return
        try:
            trigger = composer.trigger
        except InvalidTriggerForm:
            self._say("fix the fields marked in red first", error=True)
            return
        try:
            schedule = await self._calls.call(
                "modify_schedule", schedule_id, trigger=trigger
            )
        except Exception as error:
            self._say(f"could not change {schedule_id!r}: {_text(error)}", error=True)
            return
        self.editor.close_editor()
        next_fire = readable_time(
            in_zone(schedule.next_fire_time, trigger_zone(trigger))
        )
        self._say(f"changed the trigger of {schedule_id!r}; next fire: {next_fire}")
        self._pacer.started()
        await self._refresh()

    def cancel_edit(self) -> None:
        """Close the editor; the schedule keeps its trigger."""
        schedule_id = self.editor.schedule_id
        self.editor.close_editor()
        if schedule_id is not None:
            self._say(f"kept the trigger of {schedule_id!r}")

    def _act(
        self, verb: str, done: str, method: str, schedule_id: str, **kwargs: Any
    ) -> Pending:
        self._say(f"{verb} {schedule_id!r}…")
        return self._calls.spawn(
            self._perform(verb, done, method, schedule_id, **kwargs),
            f"apsnb dashboard {verb} {schedule_id}",
        )

    async def _perform(
        self, verb: str, done: str, method: str, schedule_id: str, **kwargs: Any
    ) -> None:
        # Errors are shown, not raised: from a button nobody awaits this task.
        try:
            await self._calls.call(method, schedule_id, **kwargs)
        except Exception as error:
            self._say(f"could not {verb} {schedule_id!r}: {_text(error)}", error=True)
            self.table.enable(schedule_id)
        else:
            self._say(f"{done} {schedule_id!r}")
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
        _unwatch_output(self.scheduler)
        self.table.close()
        self.editor.close()
        self.history.close()
        for widget in (
            self.status,
            self.message,
            self.resume_mode,
            self._resume_label,
            self.feed,
        ):
            widget.close()
        self.refresh_button.close()
        super().close()


def _text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


# How many open dashboards watch each scheduler, and whether it captured job output
# before the first one opened (restored when the last one closes).
_watchers: WeakKeyDictionary[AsyncScheduler | Scheduler, tuple[int, bool]] = (
    WeakKeyDictionary()
)


def _watch_output(scheduler: AsyncScheduler | Scheduler) -> None:
    """Have the scheduler capture job output, for the feed (see the module doc)."""
    count, before = _watchers.get(scheduler, (0, scheduler.capture_job_output))
    _watchers[scheduler] = (count + 1, before)
    scheduler.capture_job_output = True


def _unwatch_output(scheduler: AsyncScheduler | Scheduler) -> None:
    count, before = _watchers.pop(scheduler, (1, False))
    if count > 1:
        _watchers[scheduler] = (count - 1, before)
    else:
        scheduler.capture_job_output = before
