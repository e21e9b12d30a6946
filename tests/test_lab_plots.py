"""Plots of fire times: what each Figure holds, and that drawing never needs a display."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import matplotlib
import pandas as pd
import pytest

from apsnb.abc import Trigger
from apsnb.lab import LabWarning, fire_times, plot_gaps, plot_heatmap, plot_timeline
from apsnb.lab._transitions import offset_transitions
from apsnb.lab.plots import _duration_label
from apsnb.triggers.cron import CronTrigger
from apsnb.triggers.date import DateTrigger
from apsnb.triggers.interval import IntervalTrigger

matplotlib.use("Agg")  # no display in tests; the plots never need pyplot anyway

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

HELSINKI = ZoneInfo("Europe/Helsinki")


def helsinki_cron(expression: str, *start: int) -> CronTrigger:
    return CronTrigger.from_crontab(
        expression, timezone=HELSINKI, start_time=datetime(*start, tzinfo=HELSINKI)
    )


def only_axes(figure: Figure) -> Axes:
    """The plot's axes (a colorbar, if any, is the second)."""
    return figure.axes[0]


def lanes(figure: Figure) -> list[Line2D]:
    return [line for line in only_axes(figure).lines if line.get_gid() == "fire-times"]


def dst_lines(figure: Figure) -> list[Line2D]:
    return [line for line in only_axes(figure).lines if line.get_gid() == "dst-change"]


def as_datetime(date_number: float) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=date_number)


class SlowTrigger(Trigger):
    """Fires every minute, but the third next() never returns."""

    def __init__(self) -> None:
        self.calls = 0

    def next(self) -> datetime | None:
        self.calls += 1
        while self.calls >= 3:
            pass
        return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=self.calls)

    def __getstate__(self) -> dict[str, Any]:
        return {"version": 1, "calls": self.calls}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.calls = state["calls"]


class ListTrigger(Trigger):
    """Returns the given fire times, then None."""

    def __init__(self, values: list[datetime]) -> None:
        self.values = values
        self.position = 0

    def next(self) -> datetime | None:
        self.position += 1
        return (
            self.values[self.position - 1]
            if self.position <= len(self.values)
            else None
        )

    def __getstate__(self) -> dict[str, Any]:
        return {"version": 1, "values": self.values, "position": self.position}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.values = state["values"]
        self.position = state["position"]


def test_timeline_has_one_lane_per_trigger_and_a_mark_per_fire_time() -> None:
    hourly = helsinki_cron("0 * * * *", 2026, 1, 1)
    daily = helsinki_cron("0 9 * * *", 2026, 1, 1)
    figure = plot_timeline(hourly, daily, labels=["hourly", "daily"], n=48)
    assert isinstance(figure, Figure)
    first, second = lanes(figure)
    assert (first.get_label(), second.get_label()) == ("hourly", "daily")
    # Both lanes cover the hourly lane's 48 hours: two 09:00 fire times fall in it.
    assert len(first.get_xdata()) == 48
    assert len(second.get_xdata()) == 2
    assert [tick.get_text() for tick in only_axes(figure).get_yticklabels()] == [
        "daily",
        "hourly",
    ]


def test_timeline_marks_sit_at_the_fire_times() -> None:
    trigger = helsinki_cron("30 3 * * *", 2026, 3, 27)
    (lane,) = lanes(plot_timeline(trigger, n=4))
    expected = fire_times(trigger, n=4)["utc"]
    assert [as_datetime(x) for x in lane.get_xdata()] == list(expected)


def test_timeline_until_bounds_every_lane() -> None:
    trigger = helsinki_cron("0 * * * *", 2026, 1, 1)
    figure = plot_timeline(trigger, until="2026-01-01T05:00:00+02:00", n=100)
    assert len(lanes(figure)[0].get_xdata()) == 6


def test_timeline_marks_the_dst_change_of_a_helsinki_trigger() -> None:
    trigger = helsinki_cron("0 */6 * * *", 2026, 3, 28)
    figure = plot_timeline(trigger, n=12)
    (line,) = dst_lines(figure)
    assert as_datetime(line.get_xdata()[0]) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    texts = [text.get_text() for text in only_axes(figure).texts]
    assert "+02:00 → +03:00" in texts


def test_timeline_has_no_dst_lines_for_utc_or_outside_changes() -> None:
    utc = CronTrigger.from_crontab("0 * * * *", timezone=UTC,
                                   start_time=datetime(2026, 3, 28, tzinfo=UTC))  # fmt: skip
    assert dst_lines(plot_timeline(utc, n=72)) == []
    assert dst_lines(plot_timeline(helsinki_cron("0 * * * *", 2026, 1, 1), n=72)) == []


def test_timeline_labels_default_to_a_short_description() -> None:
    trigger = helsinki_cron("0 9 * * *", 2026, 1, 1)
    (lane,) = lanes(plot_timeline(trigger, n=3))
    assert 0 < len(lane.get_label()) <= 48


def test_timeline_shows_a_finished_trigger_as_an_empty_lane() -> None:
    finished = DateTrigger(datetime(2026, 1, 1, tzinfo=HELSINKI))
    finished.next()
    figure = plot_timeline(finished, helsinki_cron("0 9 * * *", 2026, 1, 1), n=3)
    assert [len(lane.get_xdata()) for lane in lanes(figure)] == [0, 3]
    assert "no fire times" in [text.get_text() for text in only_axes(figure).texts]


def test_timeline_needs_one_label_per_trigger() -> None:
    with pytest.raises(ValueError, match="2 labels for 1 triggers"):
        plot_timeline(helsinki_cron("0 9 * * *", 2026, 1, 1), labels=["a", "b"])


def test_timeline_of_a_hanging_trigger_warns_and_draws_what_it_found() -> None:
    with pytest.warns(LabWarning, match="time budget"):
        figure = plot_timeline(SlowTrigger(), n=10, time_budget=0.2)
    assert len(lanes(figure)[0].get_xdata()) == 2


def test_heatmap_counts_equal_the_tables_counts() -> None:
    trigger = helsinki_cron("*/20 9-17 * * mon-fri", 2026, 3, 20)
    figure = plot_heatmap(trigger, n=1500)
    counts = only_axes(figure).images[0].get_array()
    table = fire_times(trigger, n=1500)
    expected = pd.crosstab(table["weekday"], table["fire_time"].dt.hour)
    for weekday, row in expected.iterrows():
        for hour, count in row.items():
            assert (
                counts[table["weekday"].cat.categories.get_loc(weekday), hour] == count
            )
    assert counts.sum() == 1500
    assert counts[5:].sum() == 0  # nothing at the weekend
    # Every non-empty cell is written out.
    written = [text.get_text() for text in only_axes(figure).texts]
    assert len(written) == (counts > 0).sum()


def test_heatmap_uses_local_hours_across_dst() -> None:
    trigger = helsinki_cron("30 3 * * *", 2026, 3, 27)
    counts = only_axes(plot_heatmap(trigger, n=4)).images[0].get_array()
    assert counts[:, 3].sum() == 3  # Fri, Sat, Mon at 03:30
    assert counts[6, 4] == 1  # Sunday 04:00, the first instant after the gap


def test_gaps_have_a_bar_per_distinct_gap() -> None:
    trigger = helsinki_cron("30 3 * * *", 2026, 3, 1)
    figure = plot_gaps(trigger, n=300)
    bars = only_axes(figure).patches
    labels = [tick.get_text() for tick in only_axes(figure).get_xticklabels()]
    heights = dict(zip(labels, [bar.get_height() for bar in bars], strict=True))
    # 300 daily fire times from March cross spring forward and fall back once each.
    assert heights == {"23 h 30 min": 2, "1 d": 296, "1 d 1 h": 1}


def test_gaps_of_an_irregular_trigger_are_a_histogram() -> None:
    values = [
        datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=10 * i * i)
        for i in range(60)
    ]
    trigger = ListTrigger(values)
    axes = only_axes(plot_gaps(trigger))
    assert "min" in axes.get_xlabel()
    assert sum(bar.get_height() for bar in axes.patches) == 59


def test_gaps_of_a_single_fire_time_say_so() -> None:
    figure = plot_gaps(DateTrigger(datetime(2026, 1, 1, tzinfo=HELSINKI)))
    assert "no gaps" in only_axes(figure).texts[0].get_text()


@pytest.mark.parametrize(
    ("microseconds", "label"),
    [
        (5 * 60_000_000, "5 min"),
        (84_600_000_000, "23 h 30 min"),
        (86_400_000_000 + 3_600_000_000, "1 d 1 h"),
        (250_000, "250 ms"),
        (0, "0 s"),
        (-60_000_000, "-1 min"),
    ],
)
def test_duration_labels_are_exact_and_readable(microseconds: int, label: str) -> None:
    assert _duration_label(microseconds) == label


@pytest.mark.parametrize("draw", [plot_timeline, plot_heatmap, plot_gaps])
def test_figures_save_to_png(draw: Any) -> None:
    buffer = io.BytesIO()
    draw(helsinki_cron("0 */3 * * *", 2026, 3, 27), n=50).savefig(buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")


def test_plotting_does_not_advance_the_trigger() -> None:
    trigger = helsinki_cron("0 9 * * *", 2026, 1, 1)
    before = trigger.__getstate__()
    plot_timeline(trigger, n=5)
    plot_heatmap(trigger, n=5)
    plot_gaps(trigger, n=5)
    assert trigger.__getstate__() == before


def test_offset_transitions_of_a_zone_are_exact() -> None:
    found = offset_transitions(HELSINKI, datetime(2026, 1, 1, tzinfo=UTC),
                               datetime(2027, 1, 1, tzinfo=UTC))  # fmt: skip
    assert [(t.instant.isoformat(), t.after - t.before) for t in found] == [
        ("2026-03-29T04:00:00+03:00", timedelta(hours=1)),
        ("2026-10-25T03:00:00+02:00", timedelta(hours=-1)),
    ]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert offset_transitions(UTC, start, start + timedelta(days=400)) == []


def test_importing_the_lab_does_not_import_matplotlib() -> None:
    code = "import sys, apsnb.lab; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_an_interval_trigger_across_dst_has_no_odd_gap() -> None:
    start = datetime(2026, 3, 29, tzinfo=HELSINKI)
    figure = plot_gaps(IntervalTrigger(hours=1, start_time=start), n=10)
    assert [tick.get_text() for tick in only_axes(figure).get_xticklabels()] == ["1 h"]
