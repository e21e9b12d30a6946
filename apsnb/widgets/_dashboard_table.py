"""The widgets of the schedule dashboard: the schedule list, the feed and the status.

Each schedule is a row of two parts that wrap on a narrow page: what it is and when it
fires (text that wraps), and its buttons (icons with tooltips, so they never shrink to
an unreadable "P…"). A row keeps its widgets from one refresh to the next (found by
schedule id), so a refresh changes text in place instead of redrawing the list under
the pointer. The feed keeps one widget per job, so an entry a user opened stays open
while newer ones arrive.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

import ipywidgets as widgets

from .._enums import JobOutcome, RunState
from ._dashboard_model import DashboardModel, OutcomeEntry, ScheduleRow
from ._style import ERROR_COLOR

_NOTE_COLOR = "#8a6d00"
_MUTED = "color:#666"
Action = Callable[[str], object]


def _cell(text: str, style: str = "") -> str:
    return f"<span style='{style}'>{html.escape(text)}</span>"


class ScheduleRowView:
    """The widgets of one schedule: its text and its buttons.

    **Remove** asks first: it shows **Remove** and **Keep** in its place. A clicked
    action disables the row's buttons until the next refresh shows what it did.
    """

    def __init__(self, schedule_id: str, actions: dict[str, Action]) -> None:
        self.schedule_id = schedule_id
        self.row: ScheduleRow | None = None  # what the row shows
        self.info = widgets.HTML(layout=widgets.Layout(flex="1 1 320px", min_width="0"))
        self.edit_button = _icon("pencil", "Edit: change this schedule's trigger")
        self.run_button = _icon("bolt", "Run now: one extra run, the trigger untouched")
        self.pause_button = _icon("pause", "Pause: stop this schedule firing")
        self.resume_button = _icon("play", "Resume: let this schedule fire again")
        self.remove_button = _icon("trash", "Remove this schedule (asks first)")
        self.confirm_button = _wide(
            "Remove", "Remove it: this cannot be undone", "danger"
        )
        self.keep_button = _wide("Keep", "Do not remove it")
        self.edit_button.on_click(lambda _: self._act(actions["edit"], busy=False))
        self.run_button.on_click(lambda _: self._act(actions["run_now"], busy=False))
        self.pause_button.on_click(lambda _: self._act(actions["pause"]))
        self.resume_button.on_click(lambda _: self._act(actions["resume"]))
        self.remove_button.on_click(lambda _: self._confirming(True))
        self.keep_button.on_click(lambda _: self._confirming(False))
        self.confirm_button.on_click(lambda _: self._act(actions["remove"]))
        self.buttons = widgets.HBox(
            [
                self.edit_button,
                self.run_button,
                self.pause_button,
                self.resume_button,
                self.remove_button,
                self.confirm_button,
                self.keep_button,
            ],
            layout=widgets.Layout(flex="0 0 auto", align_items="center"),
        )
        self.buttons.add_class("apsnb-row-buttons")
        self.box = widgets.HBox(
            [self.info, self.buttons],
            layout=widgets.Layout(flex_flow="row wrap", align_items="center"),
        )
        self.box.add_class("apsnb-row")
        self._confirming(False)

    def show(self, row: ScheduleRow) -> None:
        """Show ``row``'s values, and enable the buttons that apply to it."""
        self.row = row
        flags = []
        if row.paused:
            flags.append(_cell("paused", f"color:{_NOTE_COLOR};font-weight:bold"))
        if row.waiting:
            flags.append(_cell("waiting for its function", f"color:{_NOTE_COLOR}"))
        title = " · ".join(
            [f"<b>{html.escape(row.id)}</b>", _cell(row.task_id, _MUTED), *flags]
        )
        times = (
            f"next: {_cell(row.next_fire_text)}"
            f" · last: {_cell(row.last_fire_text, _MUTED)}"
        )
        self.info.value = f"<div>{title}</div><div>{_cell(row.description)}</div>" + (
            f"<div>{times}</div>"
        )
        self.pause_button.disabled = row.paused
        self.resume_button.disabled = not row.paused
        for button in (self.edit_button, self.run_button, self.remove_button):
            button.disabled = False
        self.confirm_button.disabled = self.keep_button.disabled = False

    def close(self) -> None:
        """Close the row's widgets (its schedule is gone, or the list closes)."""
        for button in self.buttons.children:
            button.close()
        for widget in (self.info, self.buttons, self.box):
            widget.close()

    def _confirming(self, asking: bool) -> None:
        self.remove_button.layout.display = "none" if asking else ""
        self.confirm_button.layout.display = "" if asking else "none"
        self.keep_button.layout.display = "" if asking else "none"

    def _act(self, action: Action, *, busy: bool = True) -> None:
        if busy:
            for button in self.buttons.children:
                button.disabled = True  # until the next refresh shows what happened
        self._confirming(False)
        action(self.schedule_id)


def _icon(icon: str, tooltip: str) -> widgets.Button:
    return widgets.Button(
        icon=icon, tooltip=tooltip, layout=widgets.Layout(width="32px")
    )


def _wide(description: str, tooltip: str, style: str = "") -> widgets.Button:
    button = widgets.Button(
        description=description,
        tooltip=tooltip,
        button_style=style,
        layout=widgets.Layout(width="auto"),
    )
    button.add_class("apsnb-wide")
    return button


class ScheduleTable(widgets.VBox):
    """The schedules, one row each, with their buttons; ``rows`` by schedule id.

    :param actions: what the buttons call with the schedule id: ``"edit"``,
        ``"run_now"``, ``"pause"``, ``"resume"`` and ``"remove"``
    """

    def __init__(self, actions: dict[str, Action]) -> None:
        self._actions = actions
        self.rows: dict[str, ScheduleRowView] = {}
        self.list = widgets.VBox()
        self.empty = widgets.HTML(_cell("No schedules.", _MUTED))
        super().__init__([self.list, self.empty])

    def show(self, rows: Sequence[ScheduleRow]) -> None:
        """Show ``rows`` in their order; rows of schedules that are gone go away."""
        views = {}
        for row in rows:
            view = self.rows.get(row.id) or ScheduleRowView(row.id, self._actions)
            view.show(row)
            views[row.id] = view
        for schedule_id, view in self.rows.items():
            if schedule_id not in views:
                view.close()
        if list(views) != list(self.rows):
            self.list.children = [view.box for view in views.values()]
        self.rows = views
        self.empty.layout.display = "none" if rows else ""

    def enable(self, schedule_id: str) -> None:
        """Enable a row's buttons again (its action failed; the row did not change)."""
        view = self.rows.get(schedule_id)
        if view is not None and view.row is not None:
            view.show(view.row)

    def close(self) -> None:
        """Close the list and every widget in it."""
        for view in self.rows.values():
            view.close()
        for widget in (self.list, self.empty):
            widget.close()
        super().close()


class OutcomeFeed(widgets.VBox):
    """The latest job outcomes, newest first, one widget per job.

    A job that raised or printed something can be opened (a ``<details>`` row) to
    read its output and traceback. An opened entry must stay open while newer ones
    arrive, so entries are never re-created: each job gets a slot widget that keeps
    its place among the children (ipywidgets re-creates every view after the first
    change in a box's children), the order on screen is set with the CSS ``order``
    of each slot, and the slot of a job that left the feed is given to a new job.
    """

    def __init__(self) -> None:
        #: The slot of each job shown, by job id.
        self.entries: dict[object, widgets.HTML] = {}
        self._slots: list[widgets.HTML] = []
        self.empty = widgets.HTML(
            _cell("No job has finished since the dashboard opened.", _MUTED)
        )
        super().__init__([self.empty])
        self.add_class("apsnb-feed")

    def show(self, entries: Sequence[OutcomeEntry]) -> None:
        """List ``entries`` in the order given."""
        listed = {entry.job_id for entry in entries}
        free = [slot for job_id, slot in self.entries.items() if job_id not in listed]
        shown: dict[object, widgets.HTML] = {}
        for position, entry in enumerate(entries):
            slot = self.entries.get(entry.job_id)
            if slot is None:
                slot = free.pop() if free else self._new_slot()
                slot.value = entry_html(entry)
            slot.layout.order = str(position)
            slot.layout.display = ""
            shown[entry.job_id] = slot
        for slot in free:
            slot.layout.display = "none"
        self.entries = shown
        self.empty.layout.display = "none" if entries else ""

    def _new_slot(self) -> widgets.HTML:
        slot = widgets.HTML()
        self._slots.append(slot)
        self.children = [self.empty, *self._slots]  # appended: no view re-created
        return slot

    @property
    def text(self) -> str:
        """The HTML of every entry listed, newest first (for a test or a log)."""
        return "".join(widget.value for widget in self.entries.values())

    def close(self) -> None:
        for widget in (*self._slots, self.empty):
            widget.close()
        super().close()


def entry_html(entry: OutcomeEntry) -> str:
    """One job of the feed; a job that raised or printed opens to show both."""
    color = ""
    if entry.failed:
        color = f"color:{ERROR_COLOR}"
    elif entry.outcome is not JobOutcome.success:
        color = f"color:{_NOTE_COLOR}"
    parts = [
        entry.time.astimezone().strftime("%H:%M:%S"),
        entry.schedule_id or "—",
        entry.task_id,
        entry.outcome.name.replace("_", " "),
    ]
    if entry.exception:
        parts.append(entry.exception)
    line = " · ".join(html.escape(part) for part in parts)
    title = f"{entry.time:%Y-%m-%d %H:%M:%S %Z}"
    details = []
    if entry.output:
        details.append(f"<div>printed:</div><pre>{html.escape(entry.output)}</pre>")
    if entry.traceback:
        details.append(
            f"<div>traceback:</div><pre>{html.escape(entry.traceback)}</pre>"
        )
    if not details:
        return f"<div style='{color}' title='{title}'>{line}</div>"
    return (
        f"<details style='{color}' title='{title}'><summary>{line}</summary>"
        f"<div style='color:initial'>{''.join(details)}</div></details>"
    )


def status_html(model: DashboardModel, state: RunState) -> str:
    """One line: the scheduler's state, and what it holds and has done."""
    state_color = "#2e7d32" if state is RunState.started else ERROR_COLOR
    schedules = len(model.rows)
    running = len(model.running_job_ids)
    parts = [
        f"<b style='color:{state_color}'>{state.name}</b>",
        f"{schedules} schedule{'s' if schedules != 1 else ''}",
        f"{running} running job{'s' if running != 1 else ''}",
        f"since opening: {model.successes} succeeded",
        _cell(f"{model.errors} failed", f"color:{ERROR_COLOR}")
        if model.errors
        else "0 failed",
    ]
    if model.other_outcomes:
        parts.append(f"{model.other_outcomes} missed or cancelled")
    return " · ".join(parts)
