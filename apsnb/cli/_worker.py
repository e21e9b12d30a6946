"""``apsnb worker``: a scheduler on a store, with no notebook, until a signal stops it.

It logs one line per job start, per job end and per error, to stderr. SIGINT or
SIGTERM stops it gracefully: it takes no new jobs, gives the running ones the grace
period to finish, then cancels the rest (recorded as cancelled) and stops the kernels
of the notebook runs still under way. A second signal skips what is left of the grace
period.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from dataclasses import dataclass
from typing import Any

import click

from .._events import JobAcquired, JobReleased
from ._common import STORE, user_errors

logger = logging.getLogger("apsnb.worker")

_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@click.command()
@STORE
@click.option(
    "--log-level", default="INFO", show_default=True,
    type=click.Choice(_LEVELS, case_sensitive=False), help="What to log to stderr.",
)  # fmt: skip
@click.option(
    "--grace-period", default=30.0, show_default=True, metavar="SECONDS",
    type=click.FloatRange(min=0),
    help="On SIGINT/SIGTERM, how long running jobs may take to finish.",
)  # fmt: skip
@click.option(
    "--max-jobs", default=10, show_default=True, type=click.IntRange(min=1),
    help="Jobs run at once (notebooks run in a kernel each).",
)  # fmt: skip
@click.option("--identity", metavar="NAME", help="This worker's scheduler id.")
@click.option(
    "--allow", "allowed_modules", multiple=True, metavar="MODULE",
    help="Run task functions (and read trigger classes) of this module or package "
    "('mypkg', 'mypkg.jobs:refresh'); repeat for more. Anyone who can write STORE "
    "can then run them with any arguments.",
)  # fmt: skip
def worker(
    store: str,
    log_level: str,
    grace_period: float,
    max_jobs: int,
    identity: str | None,
    allowed_modules: tuple[str, ...],
) -> None:
    """Run the schedules and jobs of STORE until SIGINT or SIGTERM.

    Schedules added from a notebook or from Python into the same store run here with
    no notebook open. A store names code and never holds it: the worker runs only
    notebooks (apsnb.notebooks:run_notebook) and the functions of the modules given
    with --allow. A schedule whose function it may not run, or that lives only in a
    notebook, waits (the worker says so once).
    """
    from ..datastores.location import open_data_store

    settings = _Settings(store, grace_period, max_jobs, identity)
    with user_errors():
        data_store = open_data_store(store, allowed_modules=allowed_modules)
        _configure_logging(log_level)
        status = asyncio.run(_serve(data_store, settings))
    sys.exit(status)


@dataclass(frozen=True, slots=True)
class _Settings:
    """The worker's command-line options."""

    store: str
    grace_period: float
    max_jobs: int
    identity: str | None


async def _serve(data_store: Any, settings: _Settings) -> int:
    from .._schedulers.async_ import AsyncScheduler

    store, grace_period = settings.store, settings.grace_period
    options: dict[str, Any] = {"max_concurrent_jobs": settings.max_jobs}
    if settings.identity:
        options["identity"] = settings.identity
    # A server store names itself without the URL's password.
    shown = getattr(data_store, "location", store)
    scheduler = AsyncScheduler(
        data_store, logger=logging.getLogger("apsnb.worker"), **options
    )
    scheduler.subscribe(_log_event, {JobAcquired, JobReleased})
    signals = _Signals()
    await scheduler.start_in_background()
    count = len(await scheduler.get_schedules())
    logger.info(
        "worker %s running on %s (%d schedules); stop it with Ctrl-C or SIGTERM",
        scheduler.identity, shown, count,
    )  # fmt: skip
    await signals.first.wait()
    logger.info("stopping: running jobs get up to %g s to finish", grace_period)
    stopping = asyncio.ensure_future(scheduler.stop(grace_period=grace_period))
    second = asyncio.ensure_future(signals.second.wait())
    await asyncio.wait({stopping, second}, return_when=asyncio.FIRST_COMPLETED)
    if not stopping.done():
        logger.warning("second signal: stopping the notebook kernels now")
        _stop_kernels()
    await stopping
    second.cancel()
    killed = _stop_kernels()
    if killed:
        logger.warning("stopped %d notebook kernels still running", killed)
    logger.info("worker %s stopped", scheduler.identity)
    return 0


class _Signals:
    """SIGINT and SIGTERM, as two events: the first signal and the second."""

    def __init__(self) -> None:
        self.first = asyncio.Event()
        self.second = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, self._received, number)

    def _received(self, number: int) -> None:
        logger.info("received %s", signal.Signals(number).name)
        (self.second if self.first.is_set() else self.first).set()


def _stop_kernels() -> int:
    notebooks = sys.modules.get("apsnb.notebooks._execution")
    return 0 if notebooks is None else notebooks.stop_running_kernels()


def _log_event(event: Any) -> None:
    where = f"schedule {event.schedule_id!r}" if event.schedule_id else "a job"
    if isinstance(event, JobAcquired):
        logger.info("started %s (task %r, job %s)", where, event.task_id, event.job_id)
        return
    outcome = event.outcome.value
    detail = ""
    if event.exception_type:
        message = (event.exception_message or "").strip().splitlines()
        detail = f": {event.exception_type}: {message[0] if message else ''}"
    level = logging.INFO if outcome == "success" else logging.WARNING
    logger.log(
        level, "finished %s: %s%s (job %s)", where, outcome, detail, event.job_id
    )


class _OneLineFormatter(logging.Formatter):
    """Every record on one line: a multi-line message (a traceback) keeps its first
    and last lines, which say what failed and how."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) <= 1:
            return text
        return f"{lines[0]} … {lines[-1].strip()}"


def _configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Papermill and the kernel machinery talk a lot at INFO; their warnings stay
    # (traitlets' are about closing sockets at exit).
    for noisy, quiet in (("papermill", "WARNING"), ("nbclient", "WARNING"),
                         ("traitlets", "ERROR")):  # fmt: skip
        logging.getLogger(noisy).setLevel(max(logging.getLevelName(quiet), root.level))
