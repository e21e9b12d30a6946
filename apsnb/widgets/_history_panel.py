"""The run history panel of ``ScheduleDashboard``: the latest runs, read from the store.

It shows what the store recorded, not what this kernel saw, so it survives a kernel
restart and includes runs of other workers on the same store: each run's fire time,
outcome, duration, error or reason, and a notebook run's executed copy.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import ipywidgets as widgets

from .._enums import JobOutcome
from .._runs import RunRecord

_MUTED = "#666"
_ERROR = "#c62828"
_OUTCOME_COLORS = {
    JobOutcome.success: "#2e7d32",
    JobOutcome.error: _ERROR,
    JobOutcome.abandoned: _ERROR,
    JobOutcome.deserialization_failed: _ERROR,
}
_HEADERS = ("finished", "schedule", "fire time", "outcome", "took", "detail")


class HistoryPanel(widgets.VBox):
    """A table of the latest run records, newest first.

    :param limit: how many runs it shows
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.title = widgets.HTML(
            f"<b>Run history</b> (the latest {limit}, from the store)"
        )
        self.table = widgets.HTML(_muted("No run recorded in this store yet."))
        super().__init__([self.title, self.table])
        self.add_class("apsnb-history")

    def show(self, records: Sequence[RunRecord]) -> None:
        """Show ``records`` (newest first)."""
        if not records:
            self.table.value = _muted("No run recorded in this store yet.")
            return
        head = "".join(f"<th>{name}</th>" for name in _HEADERS)
        rows = "".join(_row(record) for record in records)
        self.table.value = (
            f"<table class='apsnb-history-table'><tr>{head}</tr>{rows}</table>"
        )

    def close(self) -> None:
        self.title.close()
        self.table.close()
        super().close()


def _row(record: RunRecord) -> str:
    color = _OUTCOME_COLORS.get(record.outcome, _MUTED)
    duration = record.duration
    cells = (
        _time(record.finished_at.astimezone()),
        html.escape(record.schedule_id or record.task_id),
        _time(record.scheduled_fire_time),
        f"<span style='color:{color}'>{html.escape(record.outcome.value)}</span>",
        "" if duration is None else f"{duration.total_seconds():.1f} s",
        _detail(record),
    )
    *columns, detail = cells
    return (
        "<tr>"
        + "".join(f"<td>{cell}</td>" for cell in columns)
        + f"<td class='apsnb-detail'>{detail}</td></tr>"
    )


def _detail(record: RunRecord) -> str:
    """The error or reason, and the executed copy of a notebook run (all escaped:
    a store is written by others)."""
    parts = []
    if record.exception_type:
        message = (record.exception_message or "").strip()
        first = message.splitlines()[0] if message else ""
        parts.append(
            f"<span style='color:{_ERROR}'>"
            f"{html.escape(record.exception_type)}: {html.escape(first)}</span>"
        )
    elif record.reason:
        parts.append(
            f"<span style='color:{_MUTED}'>{html.escape(record.reason)}</span>"
        )
    if record.output_path and record.output_path not in " ".join(parts):
        parts.append(f"<code>{html.escape(record.output_path)}</code>")
    return "<br>".join(parts)


def _time(value: object) -> str:
    if value is None:
        return ""
    return html.escape(value.isoformat(sep=" ", timespec="seconds"))  # type: ignore[attr-defined]


def _muted(text: str) -> str:
    return f"<span style='color:{_MUTED}'>{html.escape(text)}</span>"
