"""The form half of the trigger composer: one widget per field of a ``TriggerForm``.

Every input is bound to a field path of the form (``"cron.minute"``); a change writes
the value into the form and calls ``on_change``. Under each input sits a message line
(red, small) that :meth:`TriggerEditor.show_errors` fills from the form's own check.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import ipywidgets as widgets

from ._forms import (
    CALENDAR_FIELDS,
    INTERVAL_UNITS,
    KIND_LABELS,
    FormCheck,
    TriggerForm,
)

_LABEL_STYLE = {"description_width": "92px"}
_ERROR_STYLE = "color:#c62828;font-size:0.85em;line-height:1.3"
_HINT_STYLE = "color:#666;font-size:0.85em"
# A date and time picker showing seconds needs this much, with its label.
_PICKER_WIDTH = 360
# Cron fields in reading order, with the examples shown as placeholders.
_CRON_INPUTS = (
    ("minute", "0, */15, 0-30/5"),
    ("hour", "9, 9-17, */2"),
    ("day", "1, 15W, last, 2nd fri"),
    ("month", "1-12, jan-mar"),
    ("day_of_week", "mon-fri, 5#2, friL"),
    ("second", "0, */10"),
    ("week", "1-53"),
    ("year", "2026, 2026-2030"),
)


@cache
def _timezone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def _hint(text: str) -> widgets.HTML:
    return widgets.HTML(f"<span style='{_HINT_STYLE}'>{html.escape(text)}</span>")


def _grid(cells: list[widgets.Widget], min_width: int) -> widgets.GridBox:
    """Cells in as many columns of at least ``min_width`` px as the page has room
    for: two or four side by side on a wide page, one under the other on a narrow."""
    return widgets.GridBox(
        cells,
        layout=widgets.Layout(
            grid_template_columns=f"repeat(auto-fill, minmax({min_width}px, 1fr))",
            grid_gap="2px 16px",
        ),
    )


def _width(most: int) -> widgets.Layout:
    """An input as wide as its grid cell, up to ``most`` px."""
    return widgets.Layout(width="calc(100% - 4px)", max_width=f"{most}px")  # margins


class TriggerEditor(widgets.VBox):
    """The inputs of one ``TriggerForm``: a kind selector and the fields of that kind.

    ``inputs`` and ``messages`` map field paths to the input widget and to the HTML
    line showing its error; ``child_editors`` are the editors of an And/Or's children.
    """

    def __init__(self, form: TriggerForm, on_change: Callable[[], None]) -> None:
        self.form = form
        self.on_change = on_change
        self.inputs: dict[str, widgets.ValueWidget] = {}
        self.messages: dict[str, widgets.HTML] = {}
        self.child_editors: list[TriggerEditor] = []
        self.remove_buttons: list[widgets.Button] = []
        self.kind = widgets.ToggleButtons(
            options=[(label, kind) for kind, label in KIND_LABELS.items()],
            value=form.kind,
            style={"button_width": "88px"},
            tooltips=[
                "CronTrigger: fields like cron's",
                "CronTrigger.from_crontab: one crontab string",
                "IntervalTrigger: every fixed length of real time",
                "CalendarIntervalTrigger: every n days/weeks/months at a wall time",
                "DateTrigger: once",
                "AndTrigger / OrTrigger: combine several triggers",
            ],
        )
        self.kind.observe(self._kind_changed, names="value")
        self.panels = {
            "cron": self._cron_panel(),
            "crontab": self._crontab_panel(),
            "interval": self._interval_panel(),
            "calendar": self._calendar_panel(),
            "date": self._date_panel(),
            "combine": self._combine_panel(),
        }
        self.stack = widgets.Stack(list(self.panels.values()))
        self.zone_row = self._zone_row()
        self.range_row = self._range_row()
        super().__init__([self.kind, self.stack, self.zone_row, self.range_row])
        self._show_kind()

    # Binding

    def _input(self, path: str, widget: widgets.ValueWidget) -> widgets.VBox:
        """Bind ``widget`` to ``path`` and return it above its message line."""
        widget.value = self.form.get(path)
        widget.observe(lambda change: self._changed(path, change["new"]), names="value")
        widget.add_class(f"apsnb-field-{path.replace('.', '-')}")  # a handle for CSS
        self.inputs[path] = widget
        return widgets.VBox([widget, self._message(path)])

    def _message(self, path: str) -> widgets.HTML:
        message = widgets.HTML(layout=widgets.Layout(display="none", margin="0 0 4px"))
        message.add_class(f"apsnb-message-{path.replace('.', '-')}")
        self.messages[path] = message
        return message

    def _changed(self, path: str, value: Any) -> None:
        self.form.set(path, value)
        self.on_change()

    def _kind_changed(self, change: dict[str, Any]) -> None:
        self.form.kind = change["new"]
        self._show_kind()
        self.on_change()

    def _show_kind(self) -> None:
        kind = self.form.kind
        self.stack.selected_index = list(self.panels).index(kind)
        self.zone_row.layout.display = "none" if kind == "combine" else ""
        uses_range = kind in ("cron", "crontab", "interval")
        self.range_row.layout.display = "" if uses_range else "none"

    def show_errors(self, checked: FormCheck | None = None) -> None:
        """Show each field's message (from ``checked``, or a fresh check of the form)."""
        errors = (checked or self.form.check()).errors
        for path, message in self.messages.items():
            text = errors.get(path, "")
            message.value = f"<div style='{_ERROR_STYLE}'>{html.escape(text)}</div>"
            message.layout.display = "" if text else "none"
            field = self.inputs.get(path)
            if field is not None:  # a red border (the stylesheet's apsnb-invalid)
                if text:
                    field.add_class("apsnb-invalid")
                else:
                    field.remove_class("apsnb-invalid")
        for child in self.child_editors:
            child.show_errors()

    # Panels, one per kind

    def _cron_panel(self) -> widgets.VBox:
        cells = [
            self._input(
                f"cron.{name}",
                widgets.Text(
                    description=name.replace("_", " "),
                    placeholder=example,
                    style=_LABEL_STYLE,
                    continuous_update=True,
                    layout=_width(320),
                ),
            )
            for name, example in _CRON_INPUTS
        ]
        return widgets.VBox(
            [
                _grid(cells, 260),
                self._message("cron"),
                _hint(
                    "Empty fields: those above the least significant field given are *, "
                    "the others take their minimum (hour=9 alone: daily at 09:00:00). "
                    "day and day of week must both match."
                ),
            ]
        )

    def _crontab_panel(self) -> widgets.VBox:
        text = widgets.Text(
            description="crontab",
            placeholder="0 9 * * mon-fri",
            style=_LABEL_STYLE,
            continuous_update=True,
            layout=_width(440),
        )
        return widgets.VBox(
            [
                self._input("crontab", text),
                _hint(
                    "minute hour day month day_of_week (6 fields: seconds first), or "
                    "@yearly, @monthly, @weekly, @daily, @hourly. As in cron, a day "
                    "matching either day or day_of_week fires when neither is *."
                ),
            ]
        )

    def _number_input(self, path: str, label: str, whole: bool) -> widgets.VBox:
        kind = widgets.IntText if whole else widgets.FloatText
        number = kind(
            description=label,
            style=_LABEL_STYLE,
            continuous_update=True,
            layout=_width(220),
        )
        return self._input(path, number)

    def _interval_panel(self) -> widgets.VBox:
        cells = [
            self._number_input(f"interval.{unit}", unit, whole=False)
            for unit in INTERVAL_UNITS
        ]
        return widgets.VBox(
            [
                _grid(cells, 200),
                self._message("interval"),
                _hint(
                    "Real elapsed time: fires at start time (empty: when built), then "
                    "every interval, also across DST changes."
                ),
            ]
        )

    def _calendar_panel(self) -> widgets.VBox:
        cells = [
            self._number_input(f"calendar.{name}", name, whole=True)
            for name in CALENDAR_FIELDS
        ]
        dates = [
            self._input(
                f"calendar.{name}",
                widgets.DatePicker(
                    description=name.replace("_", " "),
                    style=_LABEL_STYLE,
                    layout=_width(320),
                ),
            )
            for name in ("start_date", "end_date")
        ]
        return widgets.VBox(
            [
                _grid(cells, 170),
                _grid(dates, 320),
                self._message("calendar"),
                _hint(
                    "Fires on start date (empty: today) at hour:minute:second in the "
                    "time zone, then every years/months (keeping the day of the month), "
                    "then weeks/days later."
                ),
            ]
        )

    def _date_panel(self) -> widgets.VBox:
        picker = widgets.NaiveDatetimePicker(
            description="run time", style=_LABEL_STYLE, layout=_width(_PICKER_WIDTH)
        )
        return widgets.VBox(
            [
                self._input("date.run_time", picker),
                self._message("date"),
                _hint("Fires once, at this wall time in the time zone below."),
            ]
        )

    def _zone_row(self) -> widgets.VBox:
        zone = widgets.Combobox(
            description="time zone",
            options=_timezone_names(),
            ensure_option=False,
            placeholder="Europe/Helsinki",
            style=_LABEL_STYLE,
            continuous_update=True,
            layout=_width(320),
        )
        return self._input("timezone", zone)

    def _range_row(self) -> widgets.GridBox:
        pickers = [
            self._input(
                name,
                widgets.NaiveDatetimePicker(
                    description=name.replace("_", " "),
                    style=_LABEL_STYLE,
                    layout=_width(_PICKER_WIDTH),
                ),
            )
            for name in ("start_time", "end_time")
        ]
        return _grid(pickers, _PICKER_WIDTH)

    # And / Or

    def _combine_panel(self) -> widgets.VBox:
        operator = widgets.ToggleButtons(
            options=[("Or: whenever any fires", "or"), ("And: when all agree", "and")],
            style={"button_width": "170px"},
        )
        threshold = widgets.FloatText(
            description="threshold s",
            tooltip="AndTrigger: largest gap between the children's "
            "fire times that still counts as together, in seconds",
            style=_LABEL_STYLE,
            continuous_update=True,
            layout=widgets.Layout(width="200px"),
        )
        self.threshold_row = self._input("combine.threshold", threshold)
        operator_row = self._input("combine.operator", operator)
        operator.observe(lambda _: self._show_threshold(), names="value")
        self.children_box = widgets.VBox()
        self.add_button = widgets.Button(
            description="Add trigger", icon="plus", button_style="info"
        )
        self.add_button.on_click(lambda _: self.add_child())
        for child in self.form.combine.children:
            self._append_child_editor(child)
        self._show_threshold()
        return widgets.VBox(
            [
                operator_row,
                self.threshold_row,
                self.children_box,
                self.add_button,
                self._message("combine"),
            ]
        )

    def _show_threshold(self) -> None:
        is_and = self.form.combine.operator == "and"
        self.threshold_row.layout.display = "" if is_and else "none"

    def add_child(self, form: TriggerForm | None = None) -> TriggerEditor:
        """Add a child trigger (a new cron form in this form's zone, unless given)."""
        if form is None:
            form = TriggerForm(timezone=self.form.timezone)
        self.form.combine.children.append(form)
        editor = self._append_child_editor(form)
        self.on_change()
        return editor

    def remove_child(self, index: int) -> None:
        """Remove the child trigger at ``index`` (0 is the first)."""
        del self.form.combine.children[index]
        del self.child_editors[index]
        self._show_children()
        self.on_change()

    def _append_child_editor(self, form: TriggerForm) -> TriggerEditor:
        editor = TriggerEditor(form, self.on_change)
        self.child_editors.append(editor)
        self._show_children()
        return editor

    def _show_children(self) -> None:
        rows = []
        for index, editor in enumerate(self.child_editors):
            remove = widgets.Button(
                description="Remove", icon="trash", layout=widgets.Layout(width="100px")
            )
            remove.on_click(lambda _, index=index: self.remove_child(index))
            title = widgets.HTML(f"<b>Trigger {index + 1}</b>")
            rows.append(
                widgets.VBox(
                    [widgets.HBox([title, remove]), editor],
                    layout=widgets.Layout(
                        border="1px solid #ddd", padding="4px 8px", margin="4px 0"
                    ),
                )
            )
        self.children_box.children = rows
        self.remove_buttons = [row.children[0].children[1] for row in rows]
