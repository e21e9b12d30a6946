"""``TriggerComposer``: build a trigger in a form and see its fire times as you type."""

from __future__ import annotations

import asyncio
import html
import io
import sys
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import ipywidgets as widgets

from ..abc import Trigger
from ._editor import TriggerEditor
from ._forms import FormCheck, TriggerForm
from ._style import stylesheet

__all__ = ("TriggerComposer",)

_NOTE_STYLE = "color:#8a6d00;font-size:0.85em"
_ERROR_STYLE = "color:#c62828;font-size:0.85em"
#: The timeline's width: 560 pixels, scaled down by the page when narrower.
_TIMELINE_INCHES = 7.0
# The table shows these columns of apsnb.lab.fire_times(), renamed for reading.
_TABLE_COLUMNS = {
    "fire_time": "fire time",
    "weekday": "weekday",
    "gap": "after",
    "utc_offset": "UTC offset",
}


class TriggerComposer(widgets.VBox):
    """A form to compose a trigger, with a live preview of what it does.

    Pick a kind (cron fields, a crontab string, interval, calendar interval, date, or
    And/Or of several), fill its fields, a time zone and a start; each field shows
    apsnb's error message for it in red. The preview shows the English description,
    the next ``n`` fire times, a timeline and the code that builds the trigger.

    :param form: the values to start from (default: weekdays at 09:00 in the local
        zone, or UTC when the local zone has no name)
    :param n: how many fire times the table shows
    :param plot: draw the timeline (``apsnb.lab.plot_timeline``)
    :param debounce: seconds to wait after the last change before redrawing the
        preview in a running notebook; 0 redraws at once (tests always do)
    :param time_budget: seconds the preview may spend drawing fire times
    """

    def __init__(
        self,
        form: TriggerForm | None = None,
        *,
        n: int = 10,
        plot: bool = True,
        debounce: float = 0.3,
        time_budget: float = 2.0,
    ) -> None:
        if form is None:
            form = TriggerForm()
            form.cron.day_of_week = "mon-fri"
        self.form = form
        self.plot_enabled = plot
        self.debounce = debounce
        self.time_budget = time_budget
        self._pending: asyncio.TimerHandle | None = None
        self._shown: tuple[object, ...] | None = None
        self.editor = TriggerEditor(form, self._form_changed)
        self.count = widgets.BoundedIntText(
            value=n,
            min=1,
            max=1000,
            description="show next",
            style={"description_width": "70px"},
            layout=widgets.Layout(width="150px", margin="2px 0 2px 12px"),
        )
        self.count.observe(lambda _: self._form_changed(), names="value")
        self.description = widgets.HTML()
        self.notes = widgets.HTML()
        self.table = widgets.HTML(
            layout=widgets.Layout(flex="0 0 auto", margin="0 24px 8px 0")
        )
        self.timeline = widgets.Image(
            format="png",
            layout=widgets.Layout(display="none", flex="1 1 420px", min_width="0"),
        )
        self.timeline.add_class("apsnb-timeline")
        self.code_view = widgets.HTML()
        preview = widgets.VBox(
            [
                widgets.HBox(
                    [self.description, self.count],
                    layout=widgets.Layout(flex_flow="row wrap", align_items="center"),
                ),
                self.notes,
                # The timeline goes beside the table where there is room, else below
                # it; it shrinks with the page, never wider than the preview.
                widgets.HBox(
                    [self.table, self.timeline],
                    layout=widgets.Layout(
                        flex_flow="row wrap", align_items="flex-start"
                    ),
                ),
                self.code_view,
            ],
            layout=widgets.Layout(border_top="1px solid #ddd", padding="6px 0 0"),
        )
        super().__init__([stylesheet(), self.editor, preview])
        self.add_class("apsnb-composer")
        self.refresh()

    @classmethod
    def from_trigger(cls, trigger: Trigger, **options: Any) -> TriggerComposer:
        """A composer whose form builds ``trigger`` again, to change it.

        Takes a cron (fields or crontab), interval, calendar-interval, date, And or
        Or trigger, with its zone, start and end (to the second); ``options`` are
        the constructor's (``n``, ``plot`` …).

        :raises InvalidTriggerArgumentType: for another class (a custom trigger)
        """
        from ._prefill import form_for

        return cls(form_for(trigger), **options)

    def close(self) -> None:
        """Close the composer and every widget in it."""
        for widget in _descendants(self):
            widget.close()
        super().close()

    # What the form makes

    @property
    def trigger(self) -> Trigger:
        """A new trigger from the form; raises ``InvalidTriggerForm`` if it has errors."""
        return self.form.build()

    @property
    def code(self) -> str:
        """The Python expression that builds :attr:`trigger` (imports: :attr:`imports`).

        Raises ``InvalidTriggerForm`` if the form has errors.
        """
        return self.form.code()

    @property
    def imports(self) -> str:
        """The import lines :attr:`code` needs, one per line."""
        return self.form.imports()

    @property
    def errors(self) -> dict[str, str]:
        """Field path (``"cron.minute"``, ``"timezone"``) → message; empty when valid."""
        return self.form.check().errors

    # Reacting to changes; nothing here may raise into ipywidgets' observers.

    def _form_changed(self) -> None:
        """A field changed (each key typed): redraw after ``debounce`` seconds."""
        if self.debounce <= 0:
            self.refresh()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a script, a test): there is nothing to wait for
            self.refresh()
            return
        if self._pending is not None:
            self._pending.cancel()
        self._pending = loop.call_later(self.debounce, self.refresh)

    def refresh(self) -> None:
        """Redraw the field messages, the code and the preview now from the form."""
        self._pending = None
        try:
            checked = self.form.check()
            self.editor.show_errors(checked)
            self._show_code(checked)
            self._refresh(checked)
        except Exception as error:
            self.notes.value = _error(
                f"the preview failed: {type(error).__name__}: {error}"
            )

    def _refresh(self, checked: FormCheck) -> None:
        if checked.errors or checked.trigger is None:
            self._shown = None
            self.description.value = ""
            self.notes.value = ""
            self.table.value = _error("Fix the fields marked in red to see fire times.")
            self.timeline.value = b""
            self.timeline.layout.display = "none"
            return
        assert checked.call is not None
        shown = (checked.call.code(), self.count.value, self.plot_enabled)
        if shown == self._shown:
            return
        trigger = checked.trigger
        notes: list[str] = []
        self.description.value = _describe(trigger, notes)
        self.table.value = _fire_time_table(
            trigger, self.count.value, self.time_budget, notes
        )
        image = _timeline_png(trigger, notes) if self.plot_enabled else None
        self.timeline.value = image or b""
        self.timeline.layout.display = "" if image else "none"
        self.notes.value = "".join(
            f"<div style='{_NOTE_STYLE}'>{html.escape(note)}</div>"
            for note in dict.fromkeys(notes)
        )
        self._shown = shown

    def _show_code(self, checked: FormCheck) -> None:
        if checked.call is None:
            self.code_view.value = ""
            return
        source = f"{checked.call.imports()}\n\ntrigger = {checked.call.code()}"
        self.code_view.value = (
            "<pre style='font-size:0.85em;background:#f6f8fa;padding:6px;"
            f"white-space:pre-wrap'>{html.escape(source)}</pre>"
        )


def _descendants(box: widgets.Box) -> list[widgets.Widget]:
    """Every widget inside ``box``, innermost first."""
    found: list[widgets.Widget] = []
    for child in box.children:
        if isinstance(child, widgets.Box):
            found += _descendants(child)
        found.append(child)
    return found


def _error(text: str) -> str:
    return f"<span style='{_ERROR_STYLE}'>{html.escape(text)}</span>"


def _caught(call: Callable[[], Any], notes: list[str]) -> Any:
    """Run ``call``, turning its warnings into notes (the lab warns on a cut-short run)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    notes.extend(str(warning.message) for warning in caught)
    return result


def _describe(trigger: Trigger, notes: list[str]) -> str:
    try:
        from ..lab.describe import describe
    except ImportError:  # pandas missing, or an older apsnb.lab
        return ""
    try:
        text = _caught(lambda: describe(trigger), notes)
    except Exception as error:
        notes.append(f"no description: {type(error).__name__}: {error}")
        return ""
    return f"<b>{html.escape(text)}</b>"


def _fire_time_table(
    trigger: Trigger, n: int, time_budget: float, notes: list[str]
) -> str:
    """The next ``n`` fire times as an HTML table, from ``apsnb.lab.fire_times``."""
    try:
        from ..lab.tables import fire_times
    except ImportError:
        return _plain_table(trigger, n, time_budget, notes)
    table = _caught(lambda: fire_times(trigger, n, time_budget=time_budget), notes)
    if table.attrs.get("stop_reason") == "finished":
        notes.append(f"The trigger is finished after {len(table)} fire time(s).")
    if table.empty:
        return "<i>No fire times.</i>"
    rows = [
        [_table_text(record[column]) for column in _TABLE_COLUMNS]
        for record in table.to_dict("records")
    ]
    return _html_table(list(_TABLE_COLUMNS.values()), rows)


def _table_text(value: Any) -> str:
    """A cell of the fire-time table: a time without its offset (a column of its
    own), a gap in days or h:mm:ss, nothing for a missing value."""
    if value is None or str(value) in ("NaT", "nan", "None"):
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, timedelta):  # pandas' Timedelta is one too
        days, rest = divmod(value, timedelta(days=1))
        if not rest:
            return f"{days} day{'s' if days != 1 else ''}"
        return str(timedelta(days=days, seconds=rest.total_seconds()))
    return str(value)


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    """A numbered table whose cells never wrap (the stylesheet's apsnb-fire-times)."""
    head = "".join(f"<th>{html.escape(name)}</th>" for name in ["", *header])
    body = "".join(
        f"<tr><td class='apsnb-number'>{number}</td>"
        + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells)
        + "</tr>"
        for number, cells in enumerate(rows, start=1)
    )
    return f"<table class='apsnb-fire-times'><tr>{head}</tr>{body}</table>"


def _plain_table(trigger: Trigger, n: int, time_budget: float, notes: list[str]) -> str:
    """A one-column table of fire times, for when pandas is not installed."""
    from ..lab.sampling import sample

    drawn = sample(trigger, n=n, time_budget=time_budget)
    if drawn.error is not None:
        notes.append(f"next() raised {type(drawn.error).__name__}: {drawn.error}")
    return _html_table(["fire time"], [[str(time)] for time in drawn.times])


def _timeline_png(trigger: Trigger, notes: list[str]) -> bytes | None:
    try:
        from ..lab.plots import plot_timeline
    except ImportError:  # matplotlib missing, or an older apsnb.lab
        return None
    try:
        # No lane label: the description above says it, and the plot keeps the room.
        figure = _caught(lambda: plot_timeline(trigger, labels=[""]), notes)
        figure.set_size_inches(_TIMELINE_INCHES, figure.get_figheight())
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    except Exception as error:
        notes.append(f"no timeline: {type(error).__name__}: {error}")
        return None
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:  # a figure left open would pile up (and warn after 20)
        pyplot.close(figure)
    return buffer.getvalue()
