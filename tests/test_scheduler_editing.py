"""Changing schedules in place: modify_schedule, run_schedule_now, and add_schedule
run again with the same id (a notebook cell re-run), on both schedulers."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import anyio
import pytest

from apsnb import (
    AsyncScheduler,
    CoalescePolicy,
    InvalidTriggerArgument,
    JobReleased,
    ScheduleLookupError,
    Scheduler,
    ScheduleUpdated,
)
from apsnb.datastores.memory import MemoryDataStore
from apsnb.datastores.sqlite import SQLiteDataStore
from apsnb.triggers.cron import CronTrigger
from apsnb.triggers.date import DateTrigger
from apsnb.triggers.interval import IntervalTrigger

from .postgres_support import postgres_url

__all__ = ("postgres_url",)

pytestmark = pytest.mark.anyio

HOUR = timedelta(hours=1)


def add(x: int, y: int) -> int:
    return x + y


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
async def scheduler(request: Any, tmp_path: Path) -> Any:
    if request.param == "postgresql":
        from apsnb.datastores.postgresql import PostgreSQLDataStore

        url = request.getfixturevalue("postgres_url")  # skips without a server
        store: Any = PostgreSQLDataStore(url, schema=f"edit_{uuid4().hex[:8]}")
    elif request.param == "sqlite":
        store = SQLiteDataStore(tmp_path / "jobs.db", poll_interval=0.05)
    else:
        store = MemoryDataStore()
    scheduler = AsyncScheduler(store, identity=f"edit-{time.monotonic_ns()}")
    await scheduler.start_in_background()
    yield scheduler
    await scheduler.stop()


async def wait_for(condition: Any, timeout: float = 5) -> None:
    with anyio.fail_after(timeout):
        while not condition():
            await anyio.sleep(0.01)


async def test_modify_schedule_changes_trigger_and_settings_keeping_id_and_history(
    scheduler: Any,
) -> None:
    trigger = IntervalTrigger(seconds=0.05, start_time=now())
    await scheduler.add_schedule(add, trigger, id="report", args=(1, 1))
    fired: list[JobReleased] = []
    scheduler.subscribe(fired.append, JobReleased)
    await wait_for(lambda: fired)
    updated: list[ScheduleUpdated] = []
    scheduler.subscribe(updated.append, ScheduleUpdated)
    last_fire_time = (await scheduler.get_schedule("report")).last_fire_time
    new_trigger = CronTrigger.from_crontab("0 9 * * mon-fri", timezone="Europe/Paris")
    returned = await scheduler.modify_schedule(
        "report",
        trigger=new_trigger,
        args=(2, 3),
        kwargs={},
        misfire_grace_time=30,
        coalesce="all",
        max_jitter=timedelta(seconds=2),
        paused=True,
    )
    stored = await scheduler.get_schedule("report")
    assert stored.id == "report" and stored.task_id == returned.task_id
    assert stored.last_fire_time is not None
    assert stored.last_fire_time >= last_fire_time
    assert (
        stored.next_fire_time
        == CronTrigger.from_crontab("0 9 * * mon-fri", timezone="Europe/Paris").next()
    )
    assert repr(stored.trigger) == repr(new_trigger)
    assert (stored.args, stored.paused, stored.coalesce) == (
        (2, 3), True, CoalescePolicy.all,
    )  # fmt: skip
    assert (stored.misfire_grace_time, stored.max_jitter) == (
        timedelta(seconds=30),
        timedelta(seconds=2),
    )
    assert [event.schedule_id for event in updated][-1:] == ["report"]
    # The trigger object passed in is copied, not advanced.
    assert new_trigger.next() == stored.next_fire_time


async def test_modify_schedule_leaves_what_is_not_given(scheduler: Any) -> None:
    trigger = IntervalTrigger(hours=1, start_time=now() + HOUR)
    await scheduler.add_schedule(add, trigger, id="s", args=(1, 1), max_jitter=5)
    before = await scheduler.get_schedule("s")
    await scheduler.modify_schedule("s", args=(4, 4))
    after = await scheduler.get_schedule("s")
    assert after.args == (4, 4)
    assert (after.next_fire_time, after.max_jitter, after.trigger) == (
        before.next_fire_time,
        before.max_jitter,
        before.trigger,
    )


async def test_modify_schedule_refuses_a_finished_trigger_and_an_unknown_id(
    scheduler: Any,
) -> None:
    await scheduler.add_schedule(
        add, IntervalTrigger(hours=1, start_time=now() + HOUR), id="s", args=(1, 1)
    )
    used_up = DateTrigger(now())
    used_up.next()
    with pytest.raises(InvalidTriggerArgument, match="no fire times left"):
        await scheduler.modify_schedule("s", trigger=used_up)
    with pytest.raises(ScheduleLookupError, match="'nope'"):
        await scheduler.modify_schedule("nope", paused=True)
    assert (await scheduler.get_schedule("s")).paused is False


async def test_run_schedule_now_adds_one_job_and_leaves_the_trigger(
    scheduler: Any,
) -> None:
    trigger = IntervalTrigger(hours=1, start_time=now() + HOUR)
    await scheduler.add_schedule(add, trigger, id="s", args=(2, 5), paused=True)
    before = await scheduler.get_schedule("s")
    released: list[JobReleased] = []
    scheduler.subscribe(released.append, JobReleased)
    job_id = await scheduler.run_schedule_now("s")
    await wait_for(lambda: released)
    [event] = released
    assert (event.job_id, event.schedule_id, event.outcome.value) == (
        job_id, "s", "success",
    )  # fmt: skip
    after = await scheduler.get_schedule("s")
    assert (after.next_fire_time, after.paused) == (before.next_fire_time, True)
    with pytest.raises(ScheduleLookupError):
        await scheduler.run_schedule_now("nope")


async def test_adding_again_with_the_same_trigger_keeps_the_progress(
    scheduler: Any,
) -> None:
    # A cell run twice: the cron trigger is made again, its start is a new "now".
    await scheduler.add_schedule(
        add, CronTrigger.from_crontab("*/5 * * * *"), id="cell", args=(1, 1),
        paused=True,
    )  # fmt: skip
    await scheduler.modify_schedule("cell", paused=True)
    before = await scheduler.get_schedule("cell")
    await anyio.sleep(0.01)
    await scheduler.add_schedule(
        add, CronTrigger.from_crontab("*/5 * * * *"), id="cell", args=(2, 2)
    )
    after = await scheduler.get_schedule("cell")
    assert after.trigger.__getstate__() == before.trigger.__getstate__()
    assert after.next_fire_time == before.next_fire_time
    assert (after.args, after.paused) == ((2, 2), False)  # what the cell says


async def test_adding_again_with_a_changed_trigger_follows_the_new_one(
    scheduler: Any,
) -> None:
    await scheduler.add_schedule(
        add, CronTrigger.from_crontab("0 9 * * *"), id="cell", args=(1, 1)
    )
    [schedule] = await scheduler.get_schedules()
    await scheduler.data_store.update_schedule(
        "cell", lambda s: s.copy(last_fire_time=now() - HOUR)
    )
    await scheduler.add_schedule(
        add, CronTrigger.from_crontab("30 18 * * *"), id="cell", args=(1, 1)
    )
    [after] = await scheduler.get_schedules()
    assert after.next_fire_time == CronTrigger.from_crontab("30 18 * * *").next()
    assert after.next_fire_time != schedule.next_fire_time
    assert after.last_fire_time is not None  # the history is kept
    assert "30 18 * * *" in repr(after.trigger)


async def test_adding_again_with_an_interval_of_another_phase_starts_over(
    scheduler: Any,
) -> None:
    start = now() + HOUR
    await scheduler.add_schedule(
        add, IntervalTrigger(minutes=10, start_time=start), id="s", args=(1, 1)
    )
    moved = start + timedelta(minutes=3)
    await scheduler.add_schedule(
        add, IntervalTrigger(minutes=10, start_time=moved), id="s", args=(1, 1)
    )
    assert (await scheduler.get_schedule("s")).next_fire_time == moved
    # A trigger of another class is a new trigger too.
    await scheduler.add_schedule(add, DateTrigger(moved), id="s", args=(1, 1))
    schedule = await scheduler.get_schedule("s")
    assert type(schedule.trigger) is DateTrigger


def test_the_sync_scheduler_edits_and_runs_now_too(tmp_path: Path) -> None:
    with Scheduler(SQLiteDataStore(tmp_path / "jobs.db")) as scheduler:
        scheduler.start_in_background()
        trigger = IntervalTrigger(hours=1, start_time=now() + HOUR)
        scheduler.add_schedule(add, trigger, id="s", args=(1, 2))
        scheduler.modify_schedule(
            "s", args=(3, 4), trigger=CronTrigger(hour=6), job_result_expiration_time=60
        )
        schedule = scheduler.get_schedule("s")
        assert schedule.args == (3, 4)
        assert isinstance(schedule.trigger, CronTrigger)
        job_id = scheduler.run_schedule_now("s")
        assert scheduler.get_job_result(job_id).return_value == 7


async def test_a_new_trigger_fires_from_now_on_without_a_catch_up_run(
    scheduler: Any,
) -> None:
    await scheduler.add_schedule(
        add, IntervalTrigger(hours=1, start_time=now() + HOUR), id="s", args=(1, 1)
    )
    released: list[JobReleased] = []
    scheduler.subscribe(released.append, JobReleased)
    started_long_ago = now() - timedelta(days=2, minutes=30)
    schedule = await scheduler.modify_schedule(
        "s", trigger=IntervalTrigger(hours=1, start_time=started_long_ago)
    )
    assert now() <= schedule.next_fire_time <= now() + HOUR
    assert (schedule.next_fire_time - started_long_ago) % HOUR == timedelta(0)
    await anyio.sleep(0.3)
    assert released == []  # the skipped fire times made no job
