"""The tour's second part: a scheduler running a few seconds on an SQLite file, then
started again on the same file, as after a kernel restart."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from . import AsyncScheduler, JobOutcome, JobReleased
from .datastores.sqlite import SQLiteDataStore
from .triggers.interval import IntervalTrigger


def greet(name: str) -> str:
    """The tour's job: an importable function, so any process could run it."""
    return f"hello, {name}"


def fail() -> None:
    """The tour's failing job, to show how an error is recorded."""
    raise ValueError("this job fails on purpose")


async def run(seconds: float = 2.0) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tour.sqlite"
        print(f"\nA scheduler on an SQLite file ({path.name}), for {seconds:g} s:")
        outcomes: list[str] = []
        scheduler = AsyncScheduler(SQLiteDataStore(path), identity="tour")
        scheduler.subscribe(
            lambda event: outcomes.append(f"{event.task_id} → {event.outcome.name}"),
            JobReleased,
        )
        await scheduler.start_in_background()
        await scheduler.add_schedule(
            greet, IntervalTrigger(seconds=0.5), id="greet", kwargs={"name": "tour"}
        )
        await scheduler.add_schedule(fail, IntervalTrigger(seconds=1), id="fail")
        print(
            f"  run_job(greet, …) returned {await scheduler.run_job(greet, args=['you'])!r}"
        )
        await asyncio.sleep(seconds)
        seen = sorted(set(outcomes))  # before stop() cancels any job still running
        await scheduler.stop()
        print("  jobs released:")
        for outcome in seen:
            print(f"    {outcome}")

        print("Started again on the same file, as after a kernel restart:")
        # A new process runs a stored function only if it was given it or its
        # module is allowed (a store is shared: see docs/stores.md).
        store = SQLiteDataStore(path, allowed_modules=[__name__])
        again = AsyncScheduler(store, identity="tour")
        await again.start_in_background()
        schedules = await again.get_schedules()
        print(f"  schedules found: {', '.join(schedule.id for schedule in schedules)}")
        event = await again.get_next_event(JobReleased)
        await again.stop()
        fired = (
            "yes" if event.outcome in (JobOutcome.success, JobOutcome.error) else "no"
        )
        print(f"  and they fire again: {fired}")


def main(seconds: float = 2.0) -> None:
    # The failing job logs its traceback; the tour shows the outcome instead.
    import logging

    logging.getLogger("apsnb").setLevel(logging.CRITICAL)
    asyncio.run(run(seconds))
