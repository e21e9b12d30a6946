"""Fire times on a time axis: matplotlib's date numbers, the zone dates are shown in,
and dashed lines where a zone changes its UTC offset (DST), labelled with the offsets.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._transitions import offset_transitions
from .tables import _format_offset

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# Beyond this many DST changes in view, lines are drawn without their labels.
_MAX_LABELLED_TRANSITIONS = 8


def _display_zone(tables: list[pd.DataFrame]) -> tzinfo:
    """The zone of the first non-empty table's fire times (UTC if all are empty)."""
    for table in tables:
        if not table.empty:
            return table["fire_time"].iloc[0].tzinfo
    return tables[0]["fire_time"].dt.tz


def _zone_name(zone: tzinfo | None) -> str:
    return str(getattr(zone, "key", None) or zone)


def _date_numbers(utc: pd.Series) -> np.ndarray:
    """matplotlib's date numbers (days since 1970) of a UTC column, computed directly."""
    microseconds = utc.dt.tz_localize(None).to_numpy().astype("datetime64[us]")
    return microseconds.astype(np.int64) / 86_400_000_000


def _set_time_axis(
    axes: Axes, first: pd.Timestamp, last: pd.Timestamp, zone: tzinfo
) -> None:
    """Show ``first``…``last`` with a little room on both sides, dates in ``zone``."""
    left, right = _date_numbers(pd.Series([first, last]))
    room = max((right - left) * 0.03, 1 / 1440)  # at least a minute
    axes.set_xlim(left - room, right + room)
    axes.xaxis_date(tz=zone)


def _mark_transitions(
    axes: Axes, tables: list[pd.DataFrame], first: pd.Timestamp, last: pd.Timestamp
) -> None:
    """Dashed lines where a lane's zone changes offset between ``first`` and ``last``,
    labelled with the offsets (and the zone, when lanes are in several zones)."""
    zones = {}
    for table in tables:
        for value in table["fire_time"].iloc[:1]:
            zones.setdefault(_zone_name(value.tzinfo), value.tzinfo)
    period = (first.to_pydatetime(), last.to_pydatetime())
    changes = sorted(
        ((change.instant.timestamp() / 86_400, name, change)
         for name, zone in zones.items()
         for change in offset_transitions(zone, *period)),
        key=lambda item: item[0],
    )  # fmt: skip
    for where, _name, _change in changes:
        axes.axvline(where, color="0.35", linestyle="--", linewidth=1, zorder=1.5,
                     gid="dst-change")  # fmt: skip
    if len(changes) > _MAX_LABELLED_TRANSITIONS:
        return
    left, right = axes.get_xlim()
    # A label's width as a fraction of the axes, roughly: 8-point text, ~5 points a
    # character, on axes about three quarters of the figure wide.
    per_character = 5.0 / (axes.figure.get_figwidth() * 72 * 0.75)
    rows: list[list[tuple[float, float]]] = []
    for where, name, change in changes:
        text = f"{_offset_text(change.before)} → {_offset_text(change.after)}"
        if len(zones) > 1:
            text = f"{name} {text}"
        position = (where - left) / (right - left)
        width = len(text) * per_character
        # Near the right edge the label goes on the line's left, to stay in view.
        on_left = position + width > 1
        span = (position - width, position) if on_left else (position, position + width)
        row = _free_row(rows, span)
        axes.annotate(text, xy=(where, 1), xycoords=("data", "axes fraction"),
                      xytext=(-4 if on_left else 4, -2 - 11 * row),
                      textcoords="offset points", ha="right" if on_left else "left",
                      va="top", fontsize=8, color="0.3",
                      bbox={"boxstyle": "square,pad=0.1", "facecolor": "white",
                            "edgecolor": "none", "alpha": 0.85})  # fmt: skip
    if len(rows) > 1:  # make room above the top lane for the stacked labels
        bottom, top = axes.get_ylim()
        axes.set_ylim(bottom, top + 0.3 * (len(rows) - 1))


def _free_row(rows: list[list[tuple[float, float]]], span: tuple[float, float]) -> int:
    """The first row of labels where ``span`` overlaps none; it is taken there."""
    for index, taken in enumerate(rows):
        if all(span[1] < start or span[0] > end for start, end in taken):
            taken.append(span)
            return index
    rows.append([span])
    return len(rows) - 1


def _offset_text(offset: object) -> str:
    return _format_offset(int(pd.Timedelta(offset).value // 1_000))  # type: ignore[arg-type]
