"""Faults in jobs, triggers and settings: each pauses one job or ends one schedule,
never the scheduler.

Real stores on real files; where a fault would hang or kill the test process (an
interrupt escaping the loop, a hang at interpreter exit) it runs in a child process.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest

from apsnb import (
    AsyncScheduler,
    InvalidSchedulerSetting,
    JobOutcome,
    RunState,
    ScheduleLookupError,
    SerializationError,
    TaskDefaults,
)
from apsnb._schedulers._backoff import Backoff
from apsnb.datastores.memory import MemoryDataStore
from apsnb.datastores.sqlite import SQLiteDataStore
from apsnb.triggers.interval import IntervalTrigger

from . import fault_parts
from .fault_parts import BadTrigger, UnsavableTrigger

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parent.parent


def stores(tmp_path: Path) -> dict[str, Any]:
    return {
        "memory": MemoryDataStore(),
        "sqlite": SQLiteDataStore(tmp_path / "s.sqlite", poll_interval=0.2),
    }


@pytest.fixture(params=["memory", "sqlite"])
async def scheduler(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    store = stores(tmp_path)[request.param]
    scheduler = AsyncScheduler(store, identity=f"faults-{time.monotonic_ns()}")
    await scheduler.start_in_background()
    yield scheduler
    await scheduler.stop()


def run_python(code: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


# A job's BaseException


@pytest.mark.parametrize(
    "func, executor",
    [
        (fault_parts.raise_boom, "threadpool"),
        (fault_parts.raise_boom, "async"),
        (fault_parts.raise_system_exit, "async"),
        (fault_parts.raise_keyboard_interrupt, "threadpool"),
    ],
)
async def test_a_job_raising_a_base_exception_is_an_error_and_the_scheduler_goes_on(
    scheduler: AsyncScheduler, func: Any, executor: str
) -> None:
    job_id = await scheduler.add_job(
        func, job_executor=executor, result_expiration_time=60
    )
    with anyio.fail_after(10):
        result = await scheduler.get_job_result(job_id)
    assert result.outcome is JobOutcome.error
    assert scheduler.state is RunState.started
    assert await scheduler.run_job(fault_parts.return_text, args=[3]) == "xxx"


# Triggers that break the contract


@pytest.mark.parametrize("how", ["naive", "repeat", "backwards"])
async def test_a_trigger_breaking_the_contract_ends_its_schedule_only(
    tmp_path: Path, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[str] = []
    store = SQLiteDataStore(tmp_path / "t.sqlite", poll_interval=0.2)
    async with AsyncScheduler(store, identity=f"bad-{how}") as scheduler:
        await scheduler.start_in_background()
        await scheduler.add_schedule(
            runs.append, IntervalTrigger(seconds=0.05), id="good", args=["good"]
        )
        await scheduler.add_schedule(
            runs.append, BadTrigger(how), id="bad", args=["bad"]
        )
        # The loop stays responsive: short sleeps on it are not held up.
        late = 0.0
        with anyio.fail_after(20):
            while runs.count("good") < 10 or await _exists(scheduler, "bad"):
                before = time.monotonic()
                await anyio.sleep(0.01)
                late = max(late, time.monotonic() - before - 0.01)
        assert late < 0.5
        assert scheduler.state is RunState.started
    assert runs.count("bad") <= 2
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("'bad'" in message for message in messages), messages


async def test_a_trigger_whose_state_cannot_be_stored_ends_its_schedule_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[str] = []
    store = SQLiteDataStore(tmp_path / "u.sqlite", poll_interval=0.2)
    async with AsyncScheduler(store, identity="unsavable") as scheduler:
        await scheduler.start_in_background()
        await scheduler.add_schedule(
            runs.append, IntervalTrigger(seconds=0.05), id="good", args=["good"]
        )
        await scheduler.add_schedule(
            runs.append, UnsavableTrigger(), id="bad", args=["bad"]
        )
        with anyio.fail_after(20):
            while runs.count("good") < 10 or await _exists(scheduler, "bad"):
                await anyio.sleep(0.02)
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("'bad'" in message for message in messages), messages


async def _exists(scheduler: AsyncScheduler, schedule_id: str) -> bool:
    try:
        await scheduler.get_schedule(schedule_id)
    except ScheduleLookupError:
        return False
    return True


# Settings that cannot work


@pytest.mark.parametrize("lease", [0, -1, timedelta(0)])
def test_a_lease_of_zero_or_less_is_refused(lease: Any) -> None:
    with pytest.raises(ValueError, match="lease_duration"):
        AsyncScheduler(lease_duration=lease)


async def test_a_negative_misfire_grace_time_is_refused() -> None:
    async with AsyncScheduler(identity="grace") as scheduler:
        with pytest.raises(ValueError, match="misfire_grace_time"):
            await scheduler.add_schedule(
                fault_parts.nothing, IntervalTrigger(seconds=1), misfire_grace_time=-5
            )
        with pytest.raises(ValueError, match="misfire_grace_time"):
            await scheduler.configure_task(
                fault_parts.nothing, misfire_grace_time=timedelta(seconds=-1)
            )


@pytest.mark.parametrize("grace", [-5, timedelta(seconds=-1)])
def test_task_defaults_refuse_a_negative_misfire_grace_time(grace: Any) -> None:
    with pytest.raises(
        InvalidSchedulerSetting, match=r"TaskDefaults.misfire_grace_time=.*0 or more"
    ):
        TaskDefaults(misfire_grace_time=grace)
    assert TaskDefaults(misfire_grace_time=2.5).misfire_grace_time == timedelta(
        seconds=2.5
    )


# run_job


async def test_run_job_raises_the_function_s_own_exception(
    scheduler: AsyncScheduler,
) -> None:
    with pytest.raises(ValueError, match="its own words"):
        await scheduler.run_job(fault_parts.raise_value_error, args=["its own words"])


async def test_run_job_refuses_a_return_value_the_store_cannot_keep(
    tmp_path: Path,
) -> None:
    store = SQLiteDataStore(tmp_path / "r.sqlite", poll_interval=0.2)
    async with AsyncScheduler(store, identity="unstorable") as scheduler:
        await scheduler.start_in_background()
        with pytest.raises(SerializationError, match="return value"):
            await scheduler.run_job(fault_parts.return_unstorable)
        assert await scheduler.run_job(fault_parts.return_text, args=[2]) == "xx"


# Retry back-off


def test_the_backoff_doubles_up_to_its_limit_and_resets_after_a_success() -> None:
    backoff = Backoff(initial=1, maximum=8)
    assert [backoff.failed() for _ in range(5)] == [1, 2, 4, 8, 8]
    backoff.succeeded()
    assert backoff.failed() == 1


async def test_a_short_fault_after_a_long_one_causes_a_short_outage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from apsnb._schedulers import _backoff
    from apsnb.datastores.sqlite import RetrySettings

    monkeypatch.setattr(_backoff, "FIRST_PAUSE", 0.1)
    path = tmp_path / "b.sqlite"
    store = SQLiteDataStore(
        path,
        poll_interval=0.05,
        busy_timeout=0.01,
        retry=RetrySettings(attempts=1, total_time=0),
    )
    runs: list[float] = []

    def record_run() -> None:  # a lambda is refused on a persistent store
        runs.append(time.monotonic())

    async with AsyncScheduler(store, identity="backoff") as scheduler:
        await scheduler.start_in_background()
        await scheduler.add_schedule(record_run, IntervalTrigger(seconds=0.05))
        locker = sqlite3.connect(path, isolation_level=None, timeout=5)

        async def outage(seconds: float) -> float:
            """Hold the write lock for ``seconds``; return how long runs stopped."""
            with anyio.fail_after(10):
                while not runs:
                    await anyio.sleep(0.01)
            locker.execute("BEGIN IMMEDIATE")
            await anyio.sleep(seconds)
            locker.execute("ROLLBACK")
            released = time.monotonic()
            count = len(runs)
            with anyio.fail_after(20):
                while len(runs) <= count + 2:
                    await anyio.sleep(0.01)
            return runs[count] - released

        await outage(2.0)  # pauses grow 0.1, 0.2, ... 1.6
        assert await outage(0.3) < 0.6  # ... and start again from 0.1
        locker.close()


# Life cycle


def test_a_script_that_never_calls_stop_exits_cleanly(tmp_path: Path) -> None:
    done = run_python(
        f"""
        from apsnb import Scheduler
        from apsnb.triggers.interval import IntervalTrigger
        from tests.fault_parts import sleep_then_return
        scheduler = Scheduler({str(tmp_path / "x.sqlite")!r})
        scheduler.start_in_background()
        scheduler.add_schedule(sleep_then_return, IntervalTrigger(seconds=0.05),
                               args=[0.2])
        import time; time.sleep(0.5)
        print("end of script")
        """
    )
    assert done.returncode == 0, done.stderr
    assert "end of script" in done.stdout
    assert "cannot schedule new futures" not in done.stderr
    assert "Traceback" not in done.stderr, done.stderr


def test_a_keyboard_interrupt_from_a_threaded_job_does_not_escape_the_loop() -> None:
    done = run_python(
        """
        import asyncio
        from apsnb import AsyncScheduler, RunState
        from tests.fault_parts import raise_keyboard_interrupt, return_text

        async def main():
            async with AsyncScheduler(identity="ki") as scheduler:
                await scheduler.start_in_background()
                job = await scheduler.add_job(raise_keyboard_interrupt,
                                              result_expiration_time=60)
                result = await scheduler.get_job_result(job)
                print(result.outcome.name, scheduler.state.name)
                print(await scheduler.run_job(return_text, args=[2]))

        asyncio.run(main())
        """
    )
    assert done.stdout.split() == ["error", "started", "xx"], done.stderr


def test_a_sync_scheduler_taking_the_identity_of_one_on_a_blocked_loop_fails_fast() -> (
    None
):
    # The loop of the first scheduler is blocked by the very call that starts the
    # second (a notebook cell on the kernel's loop): waiting for it would hang.
    done = run_python(
        """
        import asyncio
        from apsnb import AsyncScheduler, Scheduler, SchedulerIdentityInUse

        async def main():
            first = AsyncScheduler(identity="same")
            await first.start_in_background()
            second = Scheduler(identity="same")
            try:
                second.start_in_background()
            except SchedulerIdentityInUse as error:
                print("refused:", error)
            print("first is", first.state.name)
            await first.stop()
            second.start_in_background()  # free now
            print("second is", second.state.name)
            second.stop()

        asyncio.run(main())
        """,
        timeout=60,
    )
    assert "refused: " in done.stdout, done.stderr
    assert "first is started" in done.stdout
    assert "second is started" in done.stdout


def test_a_scheduler_on_another_free_loop_with_the_same_identity_is_replaced() -> None:
    done = run_python(
        """
        import asyncio
        from apsnb import AsyncScheduler, Scheduler

        first = Scheduler(identity="same")
        first.start_in_background()
        asyncio.run(AsyncScheduler(identity="same").start_in_background())
        print("first is", first.state.name)
        """,
        timeout=60,
    )
    assert "first is stopped" in done.stdout, done.stderr
