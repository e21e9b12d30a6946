"""The guided tour: a few triggers, their next fire times, and a timeline of them."""

from __future__ import annotations

import argparse
import itertools
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .abc import Trigger
from .triggers.calendarinterval import CalendarIntervalTrigger
from .triggers.combining import OrTrigger
from .triggers.cron import CronTrigger
from .triggers.interval import IntervalTrigger

HELSINKI = ZoneInfo("Europe/Helsinki")
#: A fixed start, the Friday before Europe's spring-forward, so the tour always shows
#: the same fire times, DST change included.
START = datetime(2026, 3, 27, 8, 0, tzinfo=HELSINKI)


def tour_triggers() -> dict[str, Trigger]:
    """The triggers the tour shows, by label."""
    return {
        "weekdays at 09:00": CronTrigger.from_crontab(
            "0 9 * * mon-fri", timezone=HELSINKI, start_time=START
        ),
        "03:30 nightly (DST gap on Sunday)": CronTrigger(
            hour=3, minute=30, timezone=HELSINKI, start_time=START
        ),
        "every 7 hours": IntervalTrigger(hours=7, start_time=START),
        "last day of month, 18:00": CronTrigger(
            day="last", hour=18, timezone=HELSINKI, start_time=START
        ),
        "monthly on the 31st": CalendarIntervalTrigger(
            months=1, hour=12, start_date="2026-03-31", timezone=HELSINKI
        ),
        "2nd Friday or Sunday noon": OrTrigger(
            [
                CronTrigger(
                    day="2nd fri", hour=12, timezone=HELSINKI, start_time=START
                ),
                CronTrigger(
                    day_of_week="sun", hour=12, timezone=HELSINKI, start_time=START
                ),
            ]
        ),
    }


def print_table(label: str, times: list[datetime]) -> None:
    print(f"\n{label}")
    previous = None
    for time in times:
        gap = "" if previous is None else f"  +{_duration(time - previous)}"
        print(f"  {time:%a %Y-%m-%d %H:%M:%S %z}{gap}")
        previous = time


def _duration(delta: timedelta) -> str:
    hours, seconds = divmod(int(delta.total_seconds()), 3600)
    return f"{hours}h{seconds // 60:02d}m" if hours < 48 else f"{hours / 24:.1f}d"


def plot(series: dict[str, list[datetime]], path: Path) -> Path:
    """Draw one lane per trigger, a mark per fire time, and save it as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(11, 0.6 * len(series) + 1.5))
    for lane, times in enumerate(series.values()):
        axes.plot(times, [lane] * len(times), "|", markersize=14, markeredgewidth=2)
    axes.set_yticks(range(len(series)), list(series))
    axes.invert_yaxis()
    axes.set_title("Fire times (Europe/Helsinki), from " + f"{START:%Y-%m-%d %H:%M}")
    axes.grid(axis="x", alpha=0.3)
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m apsnb", description=__doc__)
    parser.add_argument("-n", type=int, default=6, help="fire times per trigger")
    parser.add_argument("--plot", type=Path, default=Path("apsnb-tour.png"))
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)

    series = {
        label: list(itertools.islice(trigger, args.n))
        for label, trigger in tour_triggers().items()
    }
    print(f"The next {args.n} fire times of a few triggers, from {START.isoformat()}")
    for label, times in series.items():
        print_table(label, times)
    if not args.no_plot:
        try:
            saved = plot(series, args.plot)
        except ImportError:
            print("\n(install matplotlib, e.g. pip install 'apsnb[lab]', for the plot)")
        else:
            print(f"\ntimeline saved to {saved.resolve()}")
    return 0
