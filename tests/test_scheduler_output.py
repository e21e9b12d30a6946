"""Job output captured per job (capture_job_output), instead of the notebook's cells."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import anyio
import pytest

from apsnb import AsyncScheduler, JobReleased, Scheduler
from apsnb._schedulers import _output
from apsnb._schedulers._output import OUTPUT_LIMIT

pytestmark = pytest.mark.anyio


def chatty(text: str) -> str:
    print(text)
    print("to stderr", file=sys.stderr)
    return text


async def chatty_async(text: str) -> None:
    print(text)


def failing() -> None:
    print("about to fail")
    raise ValueError("on purpose")


def flood() -> None:
    sys.stdout.write("x" * (OUTPUT_LIMIT + 500))


async def wait_for(condition: Any, timeout: float = 5) -> None:
    with anyio.fail_after(timeout):
        while not condition():
            await anyio.sleep(0.01)


async def test_captured_jobs_report_what_they_print_and_the_streams_stay_quiet(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    users_before = _output._users  # other schedulers may capture too
    scheduler = AsyncScheduler(identity=f"output-{time.monotonic_ns()}")
    scheduler.capture_job_output = True
    assert isinstance(sys.stdout, _output._Router)
    events: list[JobReleased] = []
    scheduler.subscribe(events.append, JobReleased)
    await scheduler.start_in_background()
    try:
        print("from the cell")
        await scheduler.add_job(chatty, args=("from a thread",))
        await scheduler.add_job(chatty_async, args=("from the loop",))
        await scheduler.add_job(failing)
        await scheduler.add_job(flood)
        with caplog.at_level(logging.INFO, logger="apsnb"):
            await wait_for(lambda: len(events) == 4)
    finally:
        await scheduler.stop()
        scheduler.capture_job_output = False
    outputs = {event.task_id.rpartition(":")[2]: event.output for event in events}
    assert outputs["chatty"] == "from a thread\nto stderr\n"
    assert outputs["chatty_async"] == "from the loop\n"
    assert outputs["failing"] == "about to fail\n"
    assert outputs["flood"].endswith("(500 more characters not kept)")
    [failed] = [event for event in events if event.exception_type]
    assert "ValueError: on purpose" in failed.exception_traceback
    # The traceback starts at the job's function, not in the scheduler's machinery.
    first_frame = failed.exception_traceback.splitlines()[1]
    assert first_frame.endswith(", in failing"), first_frame
    assert "_job_runner.py" not in failed.exception_traceback
    # The failure is logged below WARNING: Python's last-resort handler (a notebook
    # with no logging set up) prints nothing.
    [record] = [r for r in caplog.records if "raised" in r.getMessage()]
    assert record.levelno == logging.INFO
    captured = capsys.readouterr()
    assert captured.out == "from the cell\n"
    assert captured.err == ""
    assert _output._users == users_before  # its capture ended


async def test_without_capture_jobs_print_as_before(
    capsys: pytest.CaptureFixture[str],
) -> None:
    scheduler = AsyncScheduler(identity=f"output-{time.monotonic_ns()}")
    events: list[JobReleased] = []
    scheduler.subscribe(events.append, JobReleased)
    await scheduler.start_in_background()
    try:
        await scheduler.add_job(chatty, args=("plain",))
        await wait_for(lambda: events)
    finally:
        await scheduler.stop()
    assert events[0].output is None
    assert capsys.readouterr().out == "plain\n"


def test_the_sync_scheduler_captures_too() -> None:
    users_before = _output._users
    with Scheduler() as scheduler:
        scheduler.capture_job_output = True
        assert scheduler.async_scheduler.capture_job_output
        assert _output._users == users_before + 1
        scheduler.capture_job_output = False
    assert _output._users == users_before
