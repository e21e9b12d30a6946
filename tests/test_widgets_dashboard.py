"""The schedule dashboard: its model, and its widgets driven as a notebook would."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import anyio
import pytest

from apsnb import (
    AsyncScheduler,
    InvalidTriggerArgument,
    JobAcquired,
    JobOutcome,
    JobReleased,
    RunState,
    Schedule,
    ScheduleAdded,
    Scheduler,
    SchedulerStarted,
    SchedulerStopped,
    ScheduleUpdated,
    TaskAdded,
)
from apsnb.triggers.combining import OrTrigger
from apsnb.triggers.cron import CronTrigger
from apsnb.triggers.date import DateTrigger
from apsnb.triggers.interval import IntervalTrigger
from apsnb.widgets import ScheduleDashboard
from apsnb.widgets._dashboard_model import (
    DashboardModel,
    readable_time,
    trigger_zone,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
NEW_YORK = ZoneInfo("America/New_York")


def cron_schedule(id: str, **changes: Any) -> Schedule:
    trigger = CronTrigger(hour=9, minute=0, timezone="Europe/Helsinki")
    return Schedule(id=id, task_id="reports:refresh", trigger=trigger, **changes)


def released(outcome: JobOutcome, **fields: Any) -> JobReleased:
    return JobReleased(
        job_id=fields.pop("job_id", uuid4()),
        scheduler_id="here",
        task_id="reports:refresh",
        outcome=outcome,
        **fields,
    )


# The model


def test_rows_come_from_the_schedules_sorted_with_times_in_the_triggers_zone() -> None:
    next_fire = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)  # 09:00 in Helsinki
    model = DashboardModel()
    model.show_schedules(
        [
            cron_schedule("b", next_fire_time=next_fire, paused=True),
            cron_schedule("a", last_fire_time=next_fire - timedelta(days=1)),
        ],
        waiting={},
    )
    first, second = model.rows
    assert (first.id, second.id) == ("a", "b")
    assert second.next_fire_time == next_fire
    assert second.next_fire_time.tzinfo is HELSINKI
    assert second.next_fire_text == "paused (due since Mon 2026-01-05 09:00:00 EET)"
    assert first.last_fire_text == "Sun 2026-01-04 09:00:00 EET"
    assert first.next_fire_text == "—"
    assert "09:00" in first.description and "Europe/Helsinki" in first.description
    assert (first.paused, second.paused) == (False, True)
    assert model.row("b") is second and model.row("c") is None


def test_schedules_waiting_for_their_function_are_flagged() -> None:
    model = DashboardModel(describe=repr)
    waiting = {"__main__:report": ["b"]}
    model.show_schedules([cron_schedule("a"), cron_schedule("b")], waiting)
    assert [row.waiting for row in model.rows] == [False, True]
    assert not model.waiting_changed(waiting)
    assert model.waiting_changed({})


def test_job_outcomes_fill_a_ring_of_the_latest_and_count_since_opening() -> None:
    model = DashboardModel(history=2, describe=repr)
    model.record(released(JobOutcome.success, schedule_id="a"))
    model.record(
        released(
            JobOutcome.error,
            schedule_id="b",
            exception_type="ValueError",
            exception_message="boom",
        )
    )
    model.record(released(JobOutcome.missed_start_deadline))
    assert (model.successes, model.errors, model.other_outcomes) == (1, 1, 1)
    newest, older = model.newest_first()
    assert newest.outcome is JobOutcome.missed_start_deadline and not newest.failed
    assert older.failed and older.exception == "ValueError: boom"
    assert older.schedule_id == "b"


def test_running_jobs_follow_acquired_and_released_events() -> None:
    model = DashboardModel(describe=repr)
    job_id = uuid4()
    model.record(JobAcquired(job_id=job_id, scheduler_id="here", task_id="t"))
    assert model.running_job_ids == {job_id}
    model.record(released(JobOutcome.success, job_id=job_id))
    assert model.running_job_ids == set()


def test_only_schedule_events_make_the_table_out_of_date() -> None:
    model = DashboardModel(describe=repr)
    changed = ScheduleUpdated(schedule_id="a", task_id="t", next_fire_time=None)
    assert model.record(changed)
    assert model.record(
        ScheduleAdded(schedule_id="a", task_id="t", next_fire_time=None)
    )
    assert not model.record(TaskAdded(task_id="t"))
    assert not model.record(released(JobOutcome.success))
    model.record(SchedulerStarted())
    assert model.state is RunState.started
    model.record(SchedulerStopped())
    assert model.state is RunState.stopped


def test_a_triggers_zone_is_its_own_or_its_start_or_its_first_childs() -> None:
    start = datetime(2026, 1, 5, tzinfo=NEW_YORK)
    interval = IntervalTrigger(hours=1, start_time=start)
    assert trigger_zone(interval) is NEW_YORK
    assert trigger_zone(DateTrigger(start)) is NEW_YORK
    assert trigger_zone(CronTrigger(hour=9, timezone="Europe/Helsinki")) == HELSINKI
    assert trigger_zone(OrTrigger([interval, CronTrigger(hour=9)])) is NEW_YORK
    assert readable_time(None) == "—"


# The widgets, on a real scheduler


def fail() -> None:
    raise ValueError("the report failed on purpose")


def succeed() -> str:
    return "done"


def soon() -> IntervalTrigger:
    return IntervalTrigger(hours=1, start_time=datetime.now(UTC) + timedelta(hours=1))


async def wait_for(condition: Callable[[], Any], timeout: float = 5) -> None:
    with anyio.fail_after(timeout):
        while not condition():
            await anyio.sleep(0.01)


@pytest.fixture
async def scheduler() -> AsyncIterator[AsyncScheduler]:
    scheduler = AsyncScheduler(identity=f"dashboard-{time.monotonic_ns()}")
    await scheduler.start_in_background()
    yield scheduler
    await scheduler.stop()


@pytest.fixture
async def dashboard(scheduler: AsyncScheduler) -> AsyncIterator[ScheduleDashboard]:
    dashboard = ScheduleDashboard(scheduler, refresh_interval=0.05)
    yield dashboard
    dashboard.close()


@pytest.mark.anyio
async def test_the_table_shows_the_schedules_as_they_are_added(
    scheduler: AsyncScheduler, dashboard: ScheduleDashboard
) -> None:
    await dashboard.refresh()
    assert dashboard.table.rows == {}
    await scheduler.add_schedule(succeed, soon(), id="hourly")
    trigger = CronTrigger(hour=9, minute=0, timezone="Europe/Helsinki")
    await scheduler.add_schedule(succeed, trigger, id="morning")
    # No refresh() call: the ScheduleAdded events bring them in.
    await wait_for(lambda: list(dashboard.table.rows) == ["hourly", "morning"])
    info = dashboard.table.rows["morning"].info.value
    assert "<b>morning</b>" in info and "succeed" in info
    assert "09:00" in info and "Europe/Helsinki" in info
    assert "EE" in info.split("next:")[1]  # EET or EEST: in Helsinki time
    assert "2 schedules" in dashboard.status.value
    assert "started" in dashboard.status.value


@pytest.mark.anyio
async def test_pause_resume_and_remove_buttons_steer_the_scheduler(
    scheduler: AsyncScheduler, dashboard: ScheduleDashboard
) -> None:
    await scheduler.add_schedule(succeed, soon(), id="report")
    await dashboard.refresh()
    row = dashboard.table.rows["report"]
    assert row.resume_button.disabled and not row.pause_button.disabled

    row.pause_button.click()
    await wait_for(lambda: ">paused<" in row.info.value)
    assert (await scheduler.get_schedule("report")).paused
    assert row.pause_button.disabled and not row.resume_button.disabled

    row.resume_button.click()
    await wait_for(lambda: ">paused<" not in row.info.value)
    assert not (await scheduler.get_schedule("report")).paused

    row.remove_button.click()  # asks first
    assert row.confirm_button.layout.display == ""
    assert row.remove_button.layout.display == "none"
    row.keep_button.click()
    assert row.confirm_button.layout.display == "none"
    await scheduler.get_schedule("report")  # still there
    row.remove_button.click()
    row.confirm_button.click()
    await wait_for(lambda: "report" not in dashboard.table.rows)
    assert await scheduler.get_schedules() == []
    assert "removed 'report'" in dashboard.message.value


@pytest.mark.anyio
async def test_an_action_that_fails_is_shown_not_raised(
    scheduler: AsyncScheduler, dashboard: ScheduleDashboard
) -> None:
    await scheduler.add_schedule(succeed, soon(), id="report")
    await dashboard.refresh()
    row = dashboard.table.rows["report"]
    await scheduler.remove_schedule("report")
    await dashboard.pause("report")
    assert "could not pause 'report': ScheduleLookupError" in dashboard.message.value
    assert "report" not in dashboard.table.rows
    assert row.info.comm is None  # the gone row's widgets are closed


@pytest.mark.anyio
async def test_a_job_that_raises_shows_in_the_feed_in_red(
    scheduler: AsyncScheduler, dashboard: ScheduleDashboard
) -> None:
    await scheduler.add_schedule(succeed, DateTrigger(datetime.now(UTC)), id="ok")
    await scheduler.add_schedule(fail, DateTrigger(datetime.now(UTC)), id="bad")
    await wait_for(lambda: dashboard.model.successes + dashboard.model.errors == 2)
    entries = [widget.value for widget in dashboard.feed.entries.values()]
    error_entry = next(entry for entry in entries if " bad " in entry)
    assert error_entry.startswith("<details style='color:#c62828'")
    assert "ValueError: the report failed on purpose</summary>" in error_entry
    assert "Traceback (most recent call last)" in error_entry  # inside, when opened
    ok_entry = next(entry for entry in entries if " ok " in entry)
    assert "#c62828" not in ok_entry and "success" in ok_entry
    assert "<details" not in ok_entry  # nothing to open
    assert "1 succeeded" in dashboard.status.value
    assert "1 failed" in dashboard.status.value


@pytest.mark.anyio
async def test_close_unsubscribes(scheduler: AsyncScheduler) -> None:
    dashboard = ScheduleDashboard(scheduler, refresh_interval=0.05)
    await dashboard.refresh()
    dashboard.close()
    assert dashboard.comm is None
    await scheduler.add_schedule(fail, DateTrigger(datetime.now(UTC)), id="bad")
    await scheduler.get_next_event(JobReleased)
    await anyio.sleep(0.1)
    assert not dashboard.model.feed and dashboard.model.rows == []
    dashboard.close()  # twice is harmless


@pytest.mark.anyio
async def test_the_thread_backed_scheduler_is_steered_without_blocking() -> None:
    with Scheduler(identity=f"dashboard-sync-{time.monotonic_ns()}") as scheduler:
        scheduler.add_schedule(succeed, soon(), id="report", paused=True)
        dashboard = ScheduleDashboard(scheduler, refresh_interval=0.05)
        try:
            await dashboard.refresh()
            row = dashboard.table.rows["report"]
            assert ">paused<" in row.info.value
            await dashboard.resume("report", skip_missed=False)
            assert ">paused<" not in row.info.value
            assert not scheduler.get_schedule("report").paused
        finally:
            dashboard.close()


@pytest.mark.anyio
async def test_bad_arguments_are_refused(scheduler: AsyncScheduler) -> None:
    with pytest.raises(InvalidTriggerArgument, match="history=0"):
        ScheduleDashboard(scheduler, history=0)
    with pytest.raises(InvalidTriggerArgument, match="refresh_interval=-1"):
        ScheduleDashboard(scheduler, refresh_interval=-1)
    with pytest.raises(TypeError, match="AsyncScheduler or Scheduler"):
        ScheduleDashboard("scheduler")  # type: ignore[arg-type]


def test_a_dashboard_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError, match="notebook cell"):
        ScheduleDashboard(AsyncScheduler(identity="no-loop"))


@pytest.mark.anyio
async def test_a_schedule_waiting_for_its_function_is_flagged(
    scheduler: AsyncScheduler, dashboard: ScheduleDashboard
) -> None:
    def made_in_a_notebook() -> None:  # no import path: stored by name only
        pass

    task = await scheduler.configure_task(made_in_a_notebook)
    assert task.func is None
    del scheduler._functions[task.id]  # as after a kernel restart
    await scheduler.add_schedule(task.id, DateTrigger(datetime.now(UTC)), id="lost")
    # Holding a schedule publishes nothing: the dashboard's regular look finds it.
    await wait_for(lambda: getattr(dashboard.model.row("lost"), "waiting", False))
    assert "waiting for its function" in dashboard.table.rows["lost"].info.value


def chatty_failure() -> None:
    print("checked 3 files")
    raise ValueError("the third one was empty")


@pytest.mark.anyio
async def test_the_feed_holds_what_a_job_printed_and_its_traceback(
    scheduler: AsyncScheduler, dashboard: ScheduleDashboard
) -> None:
    assert scheduler.capture_job_output  # while the dashboard is open
    await scheduler.add_schedule(
        chatty_failure, DateTrigger(datetime.now(UTC)), id="check"
    )
    await wait_for(lambda: dashboard.model.errors == 1)
    [entry] = dashboard.feed.entries.values()
    assert "<summary>" in entry.value and "checked 3 files" in entry.value
    assert "ValueError: the third one was empty" in entry.value
    dashboard.close()
    assert not scheduler.capture_job_output  # as it was before


@pytest.mark.anyio
async def test_an_opened_entry_keeps_its_widget_as_newer_ones_arrive(
    scheduler: AsyncScheduler,
) -> None:
    dashboard = ScheduleDashboard(scheduler, refresh_interval=0.05, history=2)
    try:
        await scheduler.add_job(fail)
        await wait_for(lambda: dashboard.model.errors == 1)
        [first] = dashboard.feed.entries.values()
        children = dashboard.feed.children
        await scheduler.add_job(succeed)
        await wait_for(lambda: dashboard.model.successes == 1)
        assert list(dashboard.feed.entries.values())[1] is first
        assert dashboard.feed.children[: len(children)] == children  # only appended
        await scheduler.add_job(succeed)
        await wait_for(lambda: dashboard.model.successes == 2)
        assert "ValueError" not in dashboard.feed.text  # the oldest left
        assert first in dashboard.feed.entries.values()  # its slot was reused
        assert len(dashboard.feed.children) == 3  # the empty note and two slots
    finally:
        dashboard.close()


@pytest.mark.anyio
async def test_edit_opens_the_trigger_in_a_composer_and_apply_changes_it(
    scheduler: AsyncScheduler, dashboard: ScheduleDashboard
) -> None:
    trigger = CronTrigger.from_crontab("0 9 * * mon-fri", timezone="Europe/Helsinki")
    await scheduler.add_schedule(succeed, trigger, id="report")
    await dashboard.refresh()
    dashboard.table.rows["report"].edit_button.click()
    await wait_for(lambda: dashboard.editor.composer is not None)
    composer = dashboard.editor.composer
    assert composer is not None
    assert composer.form.kind == "crontab"
    assert composer.form.crontab == "0 9 * * mon-fri"
    assert composer.form.timezone == "Europe/Helsinki"
    composer.editor.inputs["crontab"].value = "61 9 * * *"
    await dashboard.apply_edit()
    assert "fix the fields marked in red" in dashboard.message.value
    composer.editor.inputs["crontab"].value = "30 7 * * *"
    await dashboard.apply_edit()
    assert "changed the trigger of 'report'; next fire: " in dashboard.message.value
    assert dashboard.editor.composer is None
    schedule = await scheduler.get_schedule("report")
    assert "30 7 * * *" in repr(schedule.trigger)
    assert schedule.next_fire_time.astimezone(HELSINKI).time().isoformat() == "07:30:00"
    assert "07:30" in dashboard.table.rows["report"].info.value


@pytest.mark.anyio
async def test_cancel_keeps_the_trigger_and_custom_triggers_cannot_be_edited(
    scheduler: AsyncScheduler, dashboard: ScheduleDashboard
) -> None:
    await scheduler.add_schedule(succeed, soon(), id="report")
    await dashboard.edit("report")
    assert dashboard.editor.composer is not None
    assert dashboard.editor.composer.form.kind == "interval"
    dashboard.cancel_edit()
    assert dashboard.editor.composer is None
    assert "kept the trigger of 'report'" in dashboard.message.value
    await dashboard.edit("nope")
    assert "could not edit 'nope': ScheduleLookupError" in dashboard.message.value


@pytest.mark.anyio
async def test_run_now_runs_the_task_once_and_keeps_the_trigger(
    scheduler: AsyncScheduler, dashboard: ScheduleDashboard
) -> None:
    await scheduler.add_schedule(succeed, soon(), id="report", paused=True)
    await dashboard.refresh()
    before = await scheduler.get_schedule("report")
    dashboard.table.rows["report"].run_button.click()
    await wait_for(lambda: dashboard.model.successes == 1)
    assert "started a run of 'report'" in dashboard.message.value
    [entry] = dashboard.model.feed
    assert entry.schedule_id == "report"
    after = await scheduler.get_schedule("report")
    assert (after.next_fire_time, after.paused) == (before.next_fire_time, True)


def test_the_trigger_column_leaves_out_fractions_of_a_second() -> None:
    start = datetime(2026, 12, 1, 10, 0, 0, 761065, tzinfo=UTC)
    schedule = Schedule(
        id="s", task_id="t", trigger=IntervalTrigger(seconds=1, start_time=start)
    )
    model = DashboardModel()
    model.show_schedules([schedule], waiting={})
    assert model.rows[0].description == "every second from 2026-12-01 10:00:00 +00:00"
