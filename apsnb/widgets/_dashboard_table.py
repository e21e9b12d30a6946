"""The widgets of the schedule dashboard: the schedule table, the feed and the status.

Each table row keeps its widgets from one refresh to the next (found by schedule id),
so a refresh changes text in place instead of redrawing the table under the pointer.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

import ipywidgets as widgets

from .._enums import JobOutcome, RunState
from ._dashboard_model import DashboardModel, OutcomeEntry, ScheduleRow

_ERROR_COLOR = "#c62828"
_NOTE_COLOR = "#8a6d00"
_MUTED = "color:#666"
#: Header of each table column, in order; the last column holds the buttons.
COLUMNS = (
    "schedule",
    "task",
    "trigger",
    "next fire time",
    "last fire time",
    "paused",
    "function",
    "",
)
_GRID_COLUMNS = "auto auto minmax(180px, 2fr) auto auto auto auto auto"
_BUTTON = {"width": "auto", "margin": "0 2px"}


def _cell(text: str, style: str = "") -> str:
    return f"<span style='{style}'>{html.escape(text)}</span>"


class ScheduleRowView:
    """The widgets of one table row: its text cells and its buttons.

    **Remove** asks first: it shows **Confirm remove** and **Keep** in its place.
    A clicked action disables the row's buttons until the next refresh shows it.
    """

    def __init__(
        self,
        schedule_id: str,
        on_pause: Callable[[str], object],
        on_resume: Callable[[str], object],
        on_remove: Callable[[str], object],
    ) -> None:
        self.schedule_id = schedule_id
        self.row: ScheduleRow | None = None  # what the row shows
        self.labels = [widgets.HTML() for _ in COLUMNS[:-1]]
        self.pause_button = self._button("Pause", "Stop this schedule firing")
        self.resume_button = self._button("Resume", "Let this schedule fire again")
        self.remove_button = self._button("Remove", "Remove this schedule (asks first)")
        self.confirm_button = self._button(
            "Confirm remove", "Remove it: this cannot be undone", style="danger"
        )
        self.keep_button = self._button("Keep", "Do not remove it")
        self.pause_button.on_click(lambda _: self._act(on_pause))
        self.resume_button.on_click(lambda _: self._act(on_resume))
        self.remove_button.on_click(lambda _: self._confirming(True))
        self.keep_button.on_click(lambda _: self._confirming(False))
        self.confirm_button.on_click(lambda _: self._act(on_remove))
        self.buttons = widgets.HBox(
            [
                self.pause_button,
                self.resume_button,
                self.remove_button,
                self.confirm_button,
                self.keep_button,
            ]
        )
        self._confirming(False)

    @staticmethod
    def _button(description: str, tooltip: str, style: str = "") -> widgets.Button:
        return widgets.Button(
            description=description,
            tooltip=tooltip,
            button_style=style,
            layout=widgets.Layout(**_BUTTON),
        )

    @property
    def cells(self) -> list[widgets.Widget]:
        """The row's widgets, one per column."""
        return [*self.labels, self.buttons]

    def show(self, row: ScheduleRow) -> None:
        """Show ``row``'s values, and enable the buttons that apply to it."""
        self.row = row
        paused = (
            _cell("paused", f"color:{_NOTE_COLOR};font-weight:bold")
            if row.paused
            else ""
        )
        waiting = (
            _cell("waiting for its function", f"color:{_NOTE_COLOR}")
            if row.waiting
            else _cell("ready", _MUTED)
        )
        texts = (
            f"<b>{html.escape(row.id)}</b>",
            _cell(row.task_id),
            _cell(row.description),
            _cell(row.next_fire_text),
            _cell(row.last_fire_text, _MUTED),
            paused,
            waiting,
        )
        for label, text in zip(self.labels, texts, strict=True):
            label.value = text
        self.pause_button.disabled = row.paused
        self.resume_button.disabled = not row.paused
        self.remove_button.disabled = self.confirm_button.disabled = False
        self.keep_button.disabled = False

    def close(self) -> None:
        """Close the row's widgets (its schedule is gone, or the table closes)."""
        for widget in self.cells:
            widget.close()
        for button in self.buttons.children:
            button.close()

    def _confirming(self, asking: bool) -> None:
        self.remove_button.layout.display = "none" if asking else ""
        self.confirm_button.layout.display = "" if asking else "none"
        self.keep_button.layout.display = "" if asking else "none"

    def _act(self, action: Callable[[str], object]) -> None:
        for button in self.buttons.children:
            button.disabled = True  # until the next refresh shows what happened
        self._confirming(False)
        action(self.schedule_id)


class ScheduleTable(widgets.VBox):
    """The schedules, one row each, with their buttons; ``rows`` by schedule id."""

    def __init__(
        self,
        on_pause: Callable[[str], object],
        on_resume: Callable[[str], object],
        on_remove: Callable[[str], object],
    ) -> None:
        self._actions = (on_pause, on_resume, on_remove)
        self.rows: dict[str, ScheduleRowView] = {}
        header = [widgets.HTML(f"<b>{html.escape(name)}</b>") for name in COLUMNS]
        self._header = header
        self.grid = widgets.GridBox(
            header,
            layout=widgets.Layout(
                grid_template_columns=_GRID_COLUMNS,
                grid_gap="2px 12px",
                align_items="center",
            ),
        )
        self.empty = widgets.HTML(_cell("No schedules.", _MUTED))
        super().__init__([self.grid, self.empty])

    def show(self, rows: Sequence[ScheduleRow]) -> None:
        """Show ``rows`` in their order; rows of schedules that are gone go away."""
        views = {}
        for row in rows:
            view = self.rows.get(row.id) or ScheduleRowView(row.id, *self._actions)
            view.show(row)
            views[row.id] = view
        for schedule_id, view in self.rows.items():
            if schedule_id not in views:
                view.close()
        if list(views) != list(self.rows):
            cells = [cell for view in views.values() for cell in view.cells]
            self.grid.children = [*self._header, *cells]
        self.rows = views
        self.empty.layout.display = "none" if rows else ""

    def enable(self, schedule_id: str) -> None:
        """Enable a row's buttons again (its action failed; the row did not change)."""
        view = self.rows.get(schedule_id)
        if view is not None and view.row is not None:
            view.show(view.row)

    def close(self) -> None:
        """Close the table and every widget in it."""
        for view in self.rows.values():
            view.close()
        for widget in (*self._header, self.grid, self.empty):
            widget.close()
        super().close()


def feed_html(entries: Sequence[OutcomeEntry]) -> str:
    """The feed as an HTML table, in the order given; failed jobs in red."""
    if not entries:
        return _cell("No job has finished since the dashboard opened.", _MUTED)
    lines = ["<table style='font-size:0.9em'><tr>"]
    lines += [f"<th style='text-align:left'>{name}</th>" for name in (
        "time", "schedule", "task", "outcome", "exception")]  # fmt: skip
    lines.append("</tr>")
    for entry in entries:
        color = ""
        if entry.failed:
            color = f"color:{_ERROR_COLOR}"
        elif entry.outcome is not JobOutcome.success:
            color = f"color:{_NOTE_COLOR}"
        time = entry.time.astimezone().strftime("%H:%M:%S")
        cells = (
            time,
            entry.schedule_id or "—",
            entry.task_id,
            entry.outcome.name.replace("_", " "),
            entry.exception or "",
        )
        row = "".join(f"<td>{html.escape(cell)}</td>" for cell in cells)
        lines.append(
            f"<tr style='{color}' title='{entry.time:%Y-%m-%d %H:%M:%S %Z}'>{row}</tr>"
        )
    lines.append("</table>")
    return "".join(lines)


def status_html(model: DashboardModel, state: RunState) -> str:
    """One line: the scheduler's state, and what it holds and has done."""
    state_color = "#2e7d32" if state is RunState.started else _ERROR_COLOR
    schedules = len(model.rows)
    running = len(model.running_job_ids)
    parts = [
        f"<b style='color:{state_color}'>{state.name}</b>",
        f"{schedules} schedule{'s' if schedules != 1 else ''}",
        f"{running} running job{'s' if running != 1 else ''}",
        f"since opening: {model.successes} succeeded",
        _cell(f"{model.errors} failed", f"color:{_ERROR_COLOR}")
        if model.errors
        else "0 failed",
    ]
    if model.other_outcomes:
        parts.append(f"{model.other_outcomes} missed or cancelled")
    return " · ".join(parts)
