"""The guided tour: a few triggers in words, their next fire times, a contract check
and a timeline, all from a fixed start so that every run prints the same."""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from .abc import Trigger
from .triggers.calendarinterval import CalendarIntervalTrigger
from .triggers.combining import OrTrigger
from .triggers.cron import CronTrigger
from .triggers.interval import IntervalTrigger

if TYPE_CHECKING:
    import pandas as pd

HELSINKI = ZoneInfo("Europe/Helsinki")
#: A fixed start, the Friday before Europe's spring-forward, so the tour always shows
#: the same fire times, DST change included.
START = datetime(2026, 3, 27, 8, 0, tzinfo=HELSINKI)
#: Where the timeline ends: five weeks, two month ends.
PLOT_UNTIL = datetime(2026, 5, 1, 0, 0, tzinfo=HELSINKI)


class TourTrigger(NamedTuple):
    """A trigger of the tour: a short label for the plot, the code that builds it."""

    label: str
    code: str
    trigger: Trigger


def tour_triggers() -> list[TourTrigger]:
    """The triggers the tour shows (all in Europe/Helsinki, starting at ``START``)."""

    def cron(**fields: Any) -> CronTrigger:
        return CronTrigger(**fields, timezone=HELSINKI, start_time=START)

    return [
        TourTrigger(
            "weekdays at 09:00",
            "CronTrigger.from_crontab('0 9 * * mon-fri')",
            CronTrigger.from_crontab(
                "0 9 * * mon-fri", timezone=HELSINKI, start_time=START
            ),
        ),
        TourTrigger(
            "03:30 nightly", "CronTrigger(hour=3, minute=30)", cron(hour=3, minute=30)
        ),
        TourTrigger(
            "every 30 hours",
            "IntervalTrigger(hours=30)",
            IntervalTrigger(hours=30, start_time=START),
        ),
        TourTrigger(
            "month end, 18:00",
            "CronTrigger(day='last', hour=18)",
            cron(day="last", hour=18),
        ),
        TourTrigger(
            "monthly on the 31st",
            "CalendarIntervalTrigger(months=1, hour=12, start_date='2026-03-31')",
            CalendarIntervalTrigger(
                months=1, hour=12, start_date="2026-03-31", timezone=HELSINKI
            ),
        ),
        TourTrigger(
            "2nd Friday or Sundays",
            "OrTrigger([CronTrigger(day='2nd fri', hour=12), "
            "CronTrigger(day_of_week='sun', hour=12)])",
            OrTrigger([cron(day="2nd fri", hour=12), cron(day_of_week="sun", hour=12)]),
        ),
    ]


def format_table(table: pd.DataFrame) -> list[str]:
    """The rows of a ``fire_times`` table as short lines: time, weekday, gap, DST."""
    lines = []
    for row in table.itertuples():
        gap = "" if row.Index == 0 else f"+{_duration(row.gap.to_pytimedelta())}"
        note = f"clocks now {row.utc_offset}" if row.dst_change else ""
        line = f"{row.fire_time:%Y-%m-%d %H:%M} {row.utc_offset}  {row.weekday:<9}"
        lines.append(f"{line}  {gap:<10}{note}".rstrip())
    return lines


def _duration(delta: timedelta) -> str:
    """``7h``, ``23h30m``, ``2d 23h``: the gap between two fire times, compactly."""
    minutes = int(delta.total_seconds()) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days}d"] if days else []
    clock = f"{hours}h" if hours else ""
    if minutes:
        clock += f"{minutes:02d}m" if hours else f"{minutes}m"
    if clock:
        parts.append(clock)
    return " ".join(parts) or "0m"


def save_timeline(triggers: list[TourTrigger], path: Path) -> Path:
    """Draw the triggers' fire times up to ``PLOT_UNTIL`` on one timeline; save a PNG."""
    from .lab import plot_timeline

    figure = plot_timeline(
        *(tour.trigger for tour in triggers),
        labels=[tour.label for tour in triggers],
        until=PLOT_UNTIL,
    )
    figure.suptitle(
        f"apsnb tour: fire times from {START:%a %Y-%m-%d %H:%M} (Europe/Helsinki)",
        x=0.01,
        ha="left",
        fontsize=11,
        fontweight="bold",
    )
    figure.savefig(path, dpi=120)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m apsnb", description=__doc__)
    parser.add_argument("-n", type=int, default=5, help="fire times per trigger")
    parser.add_argument(
        "--plot",
        type=Path,
        # Not the working directory: the tour is often run from a clone, where a
        # stray PNG would show up in git status.
        default=Path(tempfile.gettempdir()) / "apsnb-tour.png",
        metavar="PATH",
        help="where to save the timeline (default: %(default)s)",
    )
    parser.add_argument("--no-plot", action="store_true", help="draw no timeline")
    parser.add_argument(
        "--no-scheduler", action="store_true", help="skip the live scheduler part"
    )
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("-n must be 1 or more")
    try:
        from .lab import check_trigger, describe, fire_times
    except ImportError as error:
        print(f"The tour uses apsnb.lab: {error}", file=sys.stderr)
        return 1

    triggers = tour_triggers()
    print(f"When do these triggers fire? The next {args.n} fire times of each, from")
    print(f"{START:%a %Y-%m-%d %H:%M} in Europe/Helsinki, where the clocks go forward")
    print("from 03:00 to 04:00 on Sunday 2026-03-29.")
    for tour in triggers:
        print(f"\n{tour.code}")
        print(textwrap.fill(describe(tour.trigger), 88, initial_indent="  ",
                            subsequent_indent="  "))  # fmt: skip
        for line in format_table(fire_times(tour.trigger, n=args.n)):
            print(f"    {line}")

    print("\nThe trigger contract (apsnb.lab.check_trigger, 200 fire times each):")
    for tour in triggers:
        report = check_trigger(tour.trigger)
        mark = "✓" if report.ok else "✗"
        print(
            f"  {mark} {len(report.errors)} errors, {len(report.warnings)} warnings"
            f"  {tour.label}"
        )

    if not args.no_plot:
        try:
            saved = save_timeline(triggers, args.plot)
        except ImportError:
            print("\n(install matplotlib, e.g. pip install 'apsnb[lab]', for the plot)")
        else:
            print(f"\nTimeline saved to {saved.resolve()}")

    if not args.no_scheduler:
        from ._tour_scheduler import main as run_scheduler

        run_scheduler()
    return 0
