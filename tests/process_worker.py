"""A scheduler in its own OS process, sharing an SQLite file or a PostgreSQL database:
the multi-process tests' worker. Run as a script (so it is ``__main__``, as a
notebook's kernel is)::

    python tests/process_worker.py run DB IDENTITY [--lease S] [--poll S] [--cleanup S]
    python tests/process_worker.py add-notebook DB
    python tests/process_worker.py rebind DB IDENTITY --after S

``run`` starts a scheduler and runs until SIGTERM (then stops it cleanly).
``add-notebook`` adds a schedule of :func:`notebook_job` (a ``__main__`` function, so
the store keeps it by name only) and one of an importable function, then exits: a
kernel that ends. ``rebind`` is the kernel after the restart: it starts a scheduler,
reports what ``waiting_schedules()`` lists, binds :func:`notebook_job` again ``S``
seconds later with ``configure_task``, and runs until SIGTERM.

Progress goes to stdout as JSON lines (``{"ready": ...}``, ``{"waiting": ...}``,
``{"rebound": ...}``). The repository root must be on ``PYTHONPATH``; runs are
logged to the file named by ``$APSNB_TEST_RUNS``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apsnb import AsyncScheduler
from apsnb.datastores.location import open_data_store
from apsnb.triggers.interval import IntervalTrigger
from tests.process_jobs import log_phase, record_run

#: The task id a kernel gives :func:`notebook_job`.
NOTEBOOK_TASK = "__main__:notebook_job"


def notebook_job() -> None:
    """A function "defined in the notebook": only this process's ``__main__`` has it."""
    log_phase("start")


def report(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def make_scheduler(arguments: argparse.Namespace) -> AsyncScheduler:
    # DB is a path or a store URL (postgresql://…), as the command line takes it.
    # A worker runs the functions the store names: it must allow their module.
    store = open_data_store(
        arguments.db,
        poll_interval=arguments.poll,
        allowed_modules=["tests.process_jobs"],
    )
    return AsyncScheduler(
        store,
        identity=arguments.identity,
        lease_duration=timedelta(seconds=arguments.lease),
        cleanup_interval=None if arguments.cleanup is None else arguments.cleanup,
    )


async def run_until_terminated(scheduler: AsyncScheduler) -> None:
    """Run until SIGTERM, then stop the scheduler (running jobs end cancelled)."""
    terminated = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, terminated.set)
    await terminated.wait()
    await scheduler.stop()


async def run(arguments: argparse.Namespace) -> None:
    scheduler = make_scheduler(arguments)
    await scheduler.start_in_background()
    report(ready=arguments.identity, at=time.time())
    await run_until_terminated(scheduler)


async def add_notebook(arguments: argparse.Namespace) -> None:
    start = datetime.now(UTC)
    async with AsyncScheduler(arguments.db) as scheduler:
        for schedule_id, func in (
            ("notebook", notebook_job),
            ("importable", record_run),
        ):
            await scheduler.add_schedule(
                func,
                IntervalTrigger(seconds=1, start_time=start),
                id=schedule_id,
                coalesce="latest",
            )
        tasks = {task.id: task.func for task in await scheduler.get_tasks()}
    report(added=start.timestamp(), tasks=tasks)


async def wait_until(condition: Callable[[], object], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


async def rebind(arguments: argparse.Namespace) -> None:
    scheduler = make_scheduler(arguments)
    await scheduler.start_in_background()
    await wait_until(scheduler.waiting_schedules, 10)
    report(waiting=scheduler.waiting_schedules(), at=time.time())
    await asyncio.sleep(arguments.after)
    rebound = time.time()
    await scheduler.configure_task(NOTEBOOK_TASK, func=notebook_job)
    # The scheduler's loop takes the schedule up again in its next pass.
    await wait_until(lambda: not scheduler.waiting_schedules(), 5)
    report(rebound=rebound, waiting=scheduler.waiting_schedules())
    await run_until_terminated(scheduler)


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "rebind"):
        command = commands.add_parser(name)
        command.add_argument("db")
        command.add_argument("identity")
        command.add_argument("--lease", type=float, default=30.0)
        command.add_argument("--poll", type=float, default=0.2)
        command.add_argument("--cleanup", type=float, default=None)
        if name == "rebind":
            command.add_argument("--after", type=float, required=True)
    commands.add_parser("add-notebook").add_argument("db")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    arguments = parse_arguments(argv)
    command = {"run": run, "add-notebook": add_notebook, "rebind": rebind}
    asyncio.run(command[arguments.command](arguments))


if __name__ == "__main__":
    main(sys.argv[1:])
