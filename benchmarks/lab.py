"""Benchmark the lab's table: how long ``fire_times`` takes for 100,000 fire times, and
its overhead over calling ``next()`` 100,000 times in a bare loop.

    .venv/bin/python benchmarks/lab.py            # 100,000 fire times, best of 5
    .venv/bin/python benchmarks/lab.py --quick    # 20,000 fire times, best of 2

Target: ``fire_times`` within 2x of the bare loop (drawing, checking and building every
column included). Each figure is the best of several runs, to keep a noisy machine's
pauses out of it.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from apsnb.abc import Trigger
from apsnb.lab import fire_times
from apsnb.lab.sampling import copy_trigger
from apsnb.triggers.cron import CronTrigger

TARGET_RATIO = 2.0
ZONES: tuple[tzinfo, ...] = (UTC, ZoneInfo("Europe/Helsinki"))


def every_five_minutes(zone: tzinfo) -> CronTrigger:
    """The benchmarked trigger: ``*/5 * * * *`` from the start of 2026 in ``zone``."""
    start = datetime(2026, 1, 1, tzinfo=zone)
    return CronTrigger.from_crontab("*/5 * * * *", timezone=zone, start_time=start)


def best_seconds(run: Callable[[], object], repeats: int) -> float:
    """The shortest of ``repeats`` timed runs of ``run``."""
    timings = []
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        timings.append(time.perf_counter() - began)
    return min(timings)


def bare_loop(trigger: Trigger, count: int) -> None:
    """Call ``next()`` ``count`` times on a copy and keep the results: the baseline."""
    source = copy_trigger(trigger)
    times = []
    append = times.append
    for _ in range(count):
        append(source.next())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    args = parser.parse_args()
    count, repeats = (20_000, 2) if args.quick else (100_000, 5)

    print(f"fire_times of {count:,} fire times, best of {repeats} runs")
    print(f"{'zone':<16} {'bare loop':>10} {'fire_times':>11} {'ratio':>6}  target")
    for zone in ZONES:
        trigger = every_five_minutes(zone)
        fire_times(trigger, n=1000)  # warm up imports and caches
        bare = best_seconds(lambda t=trigger: bare_loop(t, count), repeats)
        table = best_seconds(lambda t=trigger: fire_times(t, n=count), repeats)
        ratio = table / bare
        verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
        print(
            f"{zone!s:<16} {bare * 1000:>8.1f}ms {table * 1000:>9.1f}ms "
            f"{ratio:>5.2f}x  {verdict} (<= {TARGET_RATIO:g}x)"
        )


if __name__ == "__main__":
    main()
