"""Pictures of fire times: a timeline of several triggers, a weekday × hour heatmap, and
the distribution of gaps.

Each function returns a :class:`matplotlib.figure.Figure` built with the object-oriented
API: nothing depends on pyplot's current figure or on a GUI backend, and nothing is
shown until the notebook displays the Figure. matplotlib is imported inside the
functions, so ``import apsnb.lab`` does not pay for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..abc import Trigger
from ._subject import as_trigger
from ._time_axis import (
    _date_numbers,
    _display_zone,
    _mark_transitions,
    _set_time_axis,
    _zone_name,
)
from .sampling import DEFAULT_TIME_BUDGET
from .tables import fire_times

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ("plot_gaps", "plot_heatmap", "plot_timeline")

# Labels longer than these are cut, so that lanes and titles stay readable.
_MAX_LANE_LABEL = 48
_MAX_TITLE = 110
# Up to this many distinct gaps get a bar each; more get a histogram.
_MAX_GAP_BARS = 24
_WEEKDAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_UNITS_US = (
    ("d", 86_400_000_000),
    ("h", 3_600_000_000),
    ("min", 60_000_000),
    ("s", 1_000_000),
    ("ms", 1_000),
    ("µs", 1),
)


def plot_timeline(
    *triggers: Trigger | str,
    labels: Sequence[str] | None = None,
    start: datetime | str | None = None,
    until: datetime | str | None = None,
    n: int = 200,
    time_budget: float = DEFAULT_TIME_BUDGET,
) -> Figure:
    """Draw the fire times of one or more triggers as lanes on one time axis.

    Each trigger gets a lane and a mark at each fire time (at most ``n``). All lanes
    cover the same period, so they compare like for like: from the earliest first fire
    time to ``until``, or, without ``until``, to the earliest of the lanes' ``n``-th fire
    times. Dashed vertical lines mark where the triggers' zones change their UTC offset
    (DST), labelled ``+02:00 → +03:00``. Dates on the axis are in the first trigger's
    zone. Triggers are copied, never advanced.

    :param triggers: the triggers to draw, top to bottom (or crontab strings)
    :param labels: one label per trigger; by default ``describe(trigger)`` when
        :mod:`apsnb.lab.describe` is available, else the trigger's ``repr``, shortened
    :param start: leave out fire times before this instant
    :param until: draw up to this instant
    :param n: at most this many fire times per lane
    :param time_budget: seconds to spend drawing each trigger's fire times at most
    :return: the Figure; it shows inline in Jupyter and saves with ``savefig``
    """
    from matplotlib import dates as mdates

    if not triggers:
        raise TypeError("plot_timeline() needs at least one trigger")
    if labels is not None and len(labels) != len(triggers):
        raise ValueError(
            f"got {len(labels)} labels for {len(triggers)} triggers: pass one label "
            f"per trigger, or none to have them described"
        )
    triggers = tuple(map(as_trigger, triggers))
    lane_labels = list(labels) if labels is not None else list(map(_label, triggers))
    tables = [
        fire_times(trigger, n=n, until=until, start=start, time_budget=time_budget)
        for trigger in triggers
    ]
    window_end = _shared_end(tables, until)
    tables = [table[table["utc"] <= window_end] for table in tables]
    zone = _display_zone(tables)

    figure, axes = _new_figure(width=11, height=1.5 + 0.5 * len(triggers))
    lanes = len(triggers)
    for index, (table, label) in enumerate(zip(tables, lane_labels, strict=True)):
        lane = lanes - 1 - index  # the first trigger on top
        axes.plot(
            _date_numbers(table["utc"]),
            np.full(len(table), lane),
            linestyle="none",
            marker="|",
            markersize=18,
            markeredgewidth=1.6,
            zorder=3,  # above the DST lines
            color=f"C{index % 10}",
            label=label,
            gid="fire-times",
        )
        if table.empty:
            axes.text(0.5, lane, "no fire times", transform=axes.get_yaxis_transform(),
                      ha="center", va="center", color="0.45", style="italic")  # fmt: skip
    axes.set_yticks(range(lanes), [_shorten(label) for label in reversed(lane_labels)])
    axes.set_ylim(-0.7, lanes - 0.3)
    axes.tick_params(axis="y", length=0)
    for side in ("left", "right", "top"):
        axes.spines[side].set_visible(False)
    axes.grid(axis="x", color="0.9", linewidth=0.8)
    axes.set_axisbelow(True)

    first = min(
        (table["utc"].iloc[0] for table in tables if not table.empty), default=None
    )
    if first is not None:
        _set_time_axis(axes, first, window_end, zone)
        _mark_transitions(axes, tables, first, window_end)
    locator = mdates.AutoDateLocator(tz=zone)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=zone))
    count = sum(len(table) for table in tables)
    axes.set_title(f"{count} fire times, shown in {_zone_name(zone)}", loc="left",
                   fontsize=10, color="0.25")  # fmt: skip
    return figure


def plot_heatmap(
    trigger: Trigger | str,
    n: int = 10_000,
    *,
    start: datetime | str | None = None,
    until: datetime | str | None = None,
    label: str | None = None,
    time_budget: float = DEFAULT_TIME_BUDGET,
) -> Figure:
    """Draw how many fire times fall on each weekday × hour, in the trigger's local time.

    Each cell is shaded by its count and the count is written in it; empty cells stay
    blank. The title says the period the next ``n`` fire times cover. The trigger is
    copied, never advanced.

    :param trigger: the trigger to draw, or a crontab string
    :param n: at most this many fire times
    :param start: leave out fire times before this instant
    :param until: leave out fire times after this instant
    :param label: the title; by default the trigger described, as in :func:`plot_timeline`
    :param time_budget: seconds to spend drawing fire times at most
    :return: the Figure
    """
    trigger = as_trigger(trigger)
    table = fire_times(trigger, n=n, until=until, start=start, time_budget=time_budget)
    counts = np.zeros((7, 24), dtype=np.int64)
    np.add.at(
        counts,
        (table["weekday"].cat.codes.to_numpy(), table["fire_time"].dt.hour.to_numpy()),
        1,
    )
    figure, axes = _new_figure(width=12, height=4.2)
    image = axes.imshow(counts, cmap="Blues", aspect="auto", vmin=0,
                        vmax=max(1, int(counts.max())))  # fmt: skip
    darkest = counts.max()
    for (weekday, hour), count in np.ndenumerate(counts):
        if count:
            axes.text(hour, weekday, str(count), ha="center", va="center", fontsize=7.5,
                      color="white" if count > 0.55 * darkest else "0.15")  # fmt: skip
    axes.set_xticks(range(24), [f"{hour:02d}" for hour in range(24)])
    axes.set_yticks(range(7), _WEEKDAY_ABBREVIATIONS)
    axes.set_xticks(np.arange(-0.5, 24), minor=True)
    axes.set_yticks(np.arange(-0.5, 7), minor=True)
    axes.grid(which="minor", color="white", linewidth=1.5)
    axes.tick_params(which="both", length=0)
    for spine in axes.spines.values():
        spine.set_visible(False)
    zone = _display_zone([table])
    axes.set_xlabel(f"hour of the day ({_zone_name(zone)})")
    colorbar = figure.colorbar(image, ax=axes, fraction=0.03, pad=0.01)
    colorbar.set_label("fire times")
    colorbar.outline.set_visible(False)
    _set_titles(axes, label, trigger, f"{len(table)} fire times by weekday and hour",
                table)  # fmt: skip
    return figure


def plot_gaps(
    trigger: Trigger | str,
    n: int = 10_000,
    *,
    start: datetime | str | None = None,
    until: datetime | str | None = None,
    label: str | None = None,
    time_budget: float = DEFAULT_TIME_BUDGET,
) -> Figure:
    """Draw the distribution of the time between successive fire times.

    With few distinct gaps (a cron, an interval), each gets a bar labelled in readable
    units (``5 min``, ``23 h 30 min``, ``1 d``) and its count; with many, a histogram in
    the unit that suits them. The gap around a DST change shows up as its own bar. The
    trigger is copied, never advanced.

    :param trigger: the trigger to draw, or a crontab string
    :param n: at most this many fire times (``n - 1`` gaps)
    :param start: leave out fire times before this instant
    :param until: leave out fire times after this instant
    :param label: the title; by default the trigger described, as in :func:`plot_timeline`
    :param time_budget: seconds to spend drawing fire times at most
    :return: the Figure
    """
    trigger = as_trigger(trigger)
    table = fire_times(trigger, n=n, until=until, start=start, time_budget=time_budget)
    gaps_us = (
        table["gap"].dropna().to_numpy().astype("timedelta64[us]").astype(np.int64)
    )
    figure, axes = _new_figure(width=9, height=4.2)
    distinct, counts = np.unique(gaps_us, return_counts=True)
    if len(distinct) == 0:
        axes.text(0.5, 0.5, "fewer than two fire times: no gaps", ha="center",
                  va="center", transform=axes.transAxes, color="0.45", style="italic")  # fmt: skip
        axes.set_axis_off()
    elif len(distinct) <= _MAX_GAP_BARS:
        positions = np.arange(len(distinct))
        bars = axes.bar(positions, counts, color="C0", width=0.7, gid="gaps")
        axes.bar_label(bars, padding=2, fontsize=8.5)
        axes.set_xticks(positions, [_duration_label(int(gap)) for gap in distinct],
                        rotation=30 if len(distinct) > 6 else 0,
                        ha="right" if len(distinct) > 6 else "center")  # fmt: skip
        axes.set_xlabel("gap between successive fire times")
        axes.margins(y=0.12)
    else:
        unit, unit_us = _unit_for(int(np.median(np.abs(gaps_us))))
        axes.hist(gaps_us / unit_us, bins=40, color="C0", gid="gaps")
        axes.set_xlabel(f"gap between successive fire times ({unit})")
    if len(distinct):
        axes.set_ylabel("how many")
        for side in ("right", "top"):
            axes.spines[side].set_visible(False)
        axes.grid(axis="y", color="0.9", linewidth=0.8)
        axes.set_axisbelow(True)
    _set_titles(axes, label, trigger, f"{len(gaps_us)} gaps", table)
    return figure


def _new_figure(width: float, height: float) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    return figure, figure.add_subplot()


def _label(trigger: Trigger) -> str:
    """A short description: ``describe(trigger)`` if that module is present, else repr."""
    try:
        from .describe import describe
    except ImportError:
        return _shorten(repr(trigger))
    try:
        return describe(trigger)
    except Exception:  # a description is a nicety; never fail a plot over it
        return _shorten(repr(trigger))


def _shorten(text: str, limit: int = _MAX_LANE_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _set_titles(
    axes: Axes, label: str | None, trigger: Trigger, what: str, table: pd.DataFrame
) -> None:
    """The trigger's label on top, and below it what is counted over which period."""
    title = _shorten(label if label is not None else _label(trigger), _MAX_TITLE)
    axes.figure.suptitle(title, x=0.01, ha="left", fontsize=11, fontweight="bold")
    if not table.empty:
        first, last = table["fire_time"].iloc[0], table["fire_time"].iloc[-1]
        what += f", {first:%Y-%m-%d %H:%M} → {last:%Y-%m-%d %H:%M}"
    axes.set_title(what, loc="left", fontsize=9, color="0.35")


def _shared_end(
    tables: list[pd.DataFrame], until: datetime | str | None
) -> pd.Timestamp:
    """Where every lane's view ends: ``until``, else the earliest lane cut at ``n``."""
    if until is not None:
        return pd.Timestamp(until).tz_convert("UTC")
    cut = [table["utc"].iloc[-1] for table in tables
           if table.attrs["stop_reason"] == "count" and not table.empty]  # fmt: skip
    if cut:
        return min(cut)
    ends = [table["utc"].iloc[-1] for table in tables if not table.empty]
    return max(ends, default=pd.Timestamp.now(tz="UTC"))


def _unit_for(microseconds: int) -> tuple[str, int]:
    """The largest unit that ``microseconds`` spans at least once, for a histogram axis."""
    for name, size in _UNITS_US[:4]:
        if microseconds >= size:
            return name, size
    return _UNITS_US[3]


def _duration_label(microseconds: int) -> str:
    """An exact, readable duration: ``1 d 2 h``, ``23 h 30 min``, ``5 min``, ``250 ms``."""
    if microseconds == 0:
        return "0 s"
    sign = "-" if microseconds < 0 else ""
    rest = abs(microseconds)
    parts = []
    for name, size in _UNITS_US:
        amount, rest = divmod(rest, size)
        if amount:
            parts.append(f"{amount} {name}")
    return sign + " ".join(parts)
