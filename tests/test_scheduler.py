"""AsyncScheduler: what a user relies on, against the in-memory store.

Fire times are made due by starting triggers in the past, not by sleeping, so the
misfire and coalescing rules are tested deterministically.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest

from apsnb import (
    AsyncScheduler,
    ConflictingIdError,
    ConflictPolicy,
    InvalidChoice,
    InvalidFireTime,
    InvalidTriggerArgument,
    InvalidTriggerArgumentType,
    Job,
    JobAcquired,
    JobAdded,
    JobOutcome,
    JobReleased,
    RunState,
    Schedule,
    ScheduleAdded,
    ScheduleLookupError,
    SchedulerRole,
    SchedulerStarted,
    SchedulerStopped,
    TaskLookupError,
    UnusableCallable,
    current_job,
)
from apsnb._schedulers._on_time import due_now
from apsnb.abc import Trigger
from apsnb.datastores.memory import MemoryDataStore
from apsnb.triggers.cron import CronTrigger
from apsnb.triggers.date import DateTrigger
from apsnb.triggers.interval import IntervalTrigger

pytestmark = pytest.mark.anyio


def add(x: int, y: int) -> int:
    return x + y


async def add_async(x: int, y: int) -> int:
    await anyio.sleep(0)
    return x + y


def fail() -> None:
    raise ValueError("the job failed on purpose")


def job_id_of_current_job() -> Any:
    job = current_job.get()
    return None if job is None else job.id


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
async def scheduler() -> Any:
    scheduler = AsyncScheduler(identity=f"test-{time.monotonic_ns()}")
    await scheduler.start_in_background()
    yield scheduler
    await scheduler.stop()


async def wait_for(condition: Any, timeout: float = 5) -> None:
    with anyio.fail_after(timeout):
        while not condition():
            await anyio.sleep(0.01)


async def test_start_in_background_returns_while_the_scheduler_keeps_running() -> None:
    scheduler = AsyncScheduler(identity="background")
    await scheduler.start_in_background()
    assert scheduler.state is RunState.started
    assert await scheduler.run_job(add, args=(1, 2)) == 3
    await scheduler.stop()
    assert scheduler.state is RunState.stopped


async def test_run_job_returns_the_result_of_sync_and_async_functions(
    scheduler: Any,
) -> None:
    assert await scheduler.run_job(add, args=(2, 3)) == 5
    assert await scheduler.run_job(add_async, kwargs={"x": 4, "y": 5}) == 9


async def test_sync_functions_run_in_a_thread_so_the_loop_stays_free(
    scheduler: Any,
) -> None:
    loop_thread = threading.get_ident()
    assert await scheduler.run_job(threading.get_ident) != loop_thread


async def test_run_job_raises_what_the_function_raised(scheduler: Any) -> None:
    with pytest.raises(ValueError, match="failed on purpose"):
        await scheduler.run_job(fail)


async def test_a_failed_job_is_recorded_with_its_outcome_and_traceback(
    scheduler: Any,
) -> None:
    job_id = await scheduler.add_job(fail, result_expiration_time=60)
    result = await scheduler.get_job_result(job_id)
    assert result.outcome is JobOutcome.error
    assert isinstance(result.exception, ValueError)
    assert "raise ValueError" in result.traceback
    assert "test_scheduler.py" in result.traceback


async def test_job_functions_see_their_job_through_current_job(scheduler: Any) -> None:
    job_id = await scheduler.add_job(job_id_of_current_job, result_expiration_time=60)
    assert (await scheduler.get_job_result(job_id)).return_value == job_id


async def test_get_job_result_without_waiting_says_the_job_is_not_done() -> None:
    from apsnb import JobResultNotReady

    scheduler = AsyncScheduler(identity="not-started")
    job_id = await scheduler.add_job(add, args=(1, 1), result_expiration_time=60)
    with pytest.raises(JobResultNotReady, match="has not finished yet"):
        await scheduler.get_job_result(job_id, wait=False)
    await scheduler.stop()


async def test_a_due_schedule_runs_and_its_next_fire_time_moves_on(
    scheduler: Any,
) -> None:
    released: list[JobReleased] = []
    scheduler.subscribe(released.append, JobReleased)
    trigger = IntervalTrigger(hours=1, start_time=now() - timedelta(seconds=1))
    schedule_id = await scheduler.add_schedule(add, trigger, args=(1, 2))
    await wait_for(lambda: released)
    assert released[0].outcome is JobOutcome.success
    assert released[0].schedule_id == schedule_id
    schedule = await scheduler.get_schedule(schedule_id)
    assert schedule.next_fire_time > now()


async def test_add_schedule_does_not_advance_the_users_trigger(scheduler: Any) -> None:
    trigger = IntervalTrigger(hours=1, start_time=now() + timedelta(hours=1))
    first = trigger.__getstate__()
    await scheduler.add_schedule(add, trigger, args=(1, 2))
    assert trigger.__getstate__() == first


@pytest.mark.parametrize(
    ("policy", "expected_fire_times"),
    [
        ("earliest", ["-10"]),
        ("latest", ["-1"]),
        ("all", [f"-{n}" for n in range(10, 0, -1)]),
    ],
)
async def test_coalescing_decides_how_many_jobs_a_late_schedule_gets(
    policy: str, expected_fire_times: list[str]
) -> None:
    scheduler = AsyncScheduler(identity=f"coalesce-{policy}")
    await scheduler.start_in_background()
    base = now().replace(microsecond=0)
    fired: list[JobReleased] = []
    scheduler.subscribe(fired.append, JobReleased)
    trigger = IntervalTrigger(seconds=1, start_time=base - timedelta(seconds=10),
                              end_time=base - timedelta(seconds=1))  # fmt: skip
    await scheduler.add_schedule(add, trigger, args=(1, 1), coalesce=policy)
    await wait_for(lambda: len(fired) >= len(expected_fire_times))
    await anyio.sleep(0.1)  # nothing more may come
    await scheduler.stop()
    offsets = [
        f"{int((event.scheduled_start - base).total_seconds())}" for event in fired
    ]
    assert sorted(offsets, key=int) == expected_fire_times


async def test_a_job_that_cannot_start_within_its_grace_time_is_missed() -> None:
    scheduler = AsyncScheduler(identity="misfire")
    await scheduler.start_in_background()
    fired: list[JobReleased] = []
    scheduler.subscribe(fired.append, JobReleased)
    trigger = DateTrigger(now() - timedelta(minutes=5))
    await scheduler.add_schedule(add, trigger, args=(1, 1), misfire_grace_time=60)
    await wait_for(lambda: fired)
    await scheduler.stop()
    assert fired[0].outcome is JobOutcome.missed_start_deadline


async def test_a_job_within_its_grace_time_runs() -> None:
    scheduler = AsyncScheduler(identity="grace")
    await scheduler.start_in_background()
    fired: list[JobReleased] = []
    scheduler.subscribe(fired.append, JobReleased)
    await scheduler.add_schedule(
        add,
        DateTrigger(now() - timedelta(seconds=5)),
        args=(1, 1),
        misfire_grace_time=60,
    )
    await wait_for(lambda: fired)
    await scheduler.stop()
    assert fired[0].outcome is JobOutcome.success


async def test_jitter_delays_a_job_by_at_most_max_jitter(scheduler: Any) -> None:
    fired: list[JobReleased] = []
    scheduler.subscribe(fired.append, JobReleased)
    fire_time = now()
    await scheduler.add_schedule(
        add, DateTrigger(fire_time), args=(1, 1), max_jitter=0.3
    )
    await wait_for(lambda: fired)
    delay = (fired[0].started_at - fire_time).total_seconds()
    assert 0 <= (fired[0].scheduled_start - fire_time).total_seconds() <= 0.3
    assert delay >= (fired[0].scheduled_start - fire_time).total_seconds()


def hold(seconds: float, log: list[tuple[str, float]]) -> None:
    log.append(("start", time.monotonic()))
    time.sleep(seconds)
    log.append(("end", time.monotonic()))


async def test_max_running_jobs_limits_a_tasks_concurrency(scheduler: Any) -> None:
    log: list[tuple[str, float]] = []
    await scheduler.configure_task(hold, max_running_jobs=1)
    ids = [
        await scheduler.add_job(hold, args=(0.05, log), result_expiration_time=60)
        for _ in range(3)
    ]
    for job_id in ids:
        await scheduler.get_job_result(job_id)
    running = peak = 0
    for kind, _ in sorted(log, key=lambda entry: entry[1]):
        running += 1 if kind == "start" else -1
        peak = max(peak, running)
    assert peak == 1


async def test_pause_stops_firing_and_unpause_from_now_skips_the_missed_times(
    scheduler: Any,
) -> None:
    fired: list[JobReleased] = []
    scheduler.subscribe(fired.append, JobReleased)
    trigger = IntervalTrigger(hours=1, start_time=now() - timedelta(hours=5))
    schedule_id = await scheduler.add_schedule(add, trigger, args=(1, 1), paused=True)
    await anyio.sleep(0.2)
    assert not fired
    await scheduler.unpause_schedule(schedule_id, resume_from="now")
    schedule = await scheduler.get_schedule(schedule_id)
    assert not schedule.paused
    assert schedule.next_fire_time >= now() - timedelta(seconds=1)
    await anyio.sleep(0.2)
    assert not fired


async def test_unpause_without_resume_from_lets_the_misfire_rules_decide(
    scheduler: Any,
) -> None:
    fired: list[JobReleased] = []
    scheduler.subscribe(fired.append, JobReleased)
    trigger = IntervalTrigger(hours=1, start_time=now() - timedelta(hours=5, seconds=1))
    schedule_id = await scheduler.add_schedule(add, trigger, args=(1, 1), paused=True)
    await scheduler.unpause_schedule(schedule_id)
    await wait_for(lambda: fired)
    await anyio.sleep(0.1)
    assert len(fired) == 1  # coalesced to the latest


async def test_conflict_policies(scheduler: Any) -> None:
    trigger = IntervalTrigger(hours=1, start_time=now() + timedelta(hours=1))
    await scheduler.add_schedule(add, trigger, id="report", args=(1, 1))
    await scheduler.add_schedule(
        add, trigger, id="report", args=(2, 2), conflict_policy="do_nothing"
    )
    assert (await scheduler.get_schedule("report")).args == (1, 1)
    await scheduler.add_schedule(
        add, trigger, id="report", args=(3, 3), conflict_policy=ConflictPolicy.replace
    )
    assert (await scheduler.get_schedule("report")).args == (3, 3)
    with pytest.raises(ConflictingIdError, match="'report' exists already"):
        await scheduler.add_schedule(
            add, trigger, id="report", conflict_policy="exception"
        )


async def test_remove_schedule(scheduler: Any) -> None:
    trigger = IntervalTrigger(hours=1, start_time=now() + timedelta(hours=1))
    await scheduler.add_schedule(add, trigger, id="gone", args=(1, 1))
    await scheduler.remove_schedule("gone")
    with pytest.raises(ScheduleLookupError, match="'gone'"):
        await scheduler.get_schedule("gone")
    assert await scheduler.get_schedules() == []


async def test_events_arrive_in_order(scheduler: Any) -> None:
    events: list[Any] = []
    scheduler.subscribe(
        events.append, {ScheduleAdded, JobAdded, JobAcquired, JobReleased}
    )
    await scheduler.add_schedule(add, DateTrigger(now()), args=(1, 1))
    await wait_for(lambda: any(isinstance(e, JobReleased) for e in events))
    kinds = [type(event).__name__ for event in events]
    assert kinds == ["ScheduleAdded", "JobAdded", "JobAcquired", "JobReleased"]


async def test_stop_cancels_running_jobs_and_records_them_as_cancelled() -> None:
    scheduler = AsyncScheduler(identity="cancel")
    await scheduler.start_in_background()
    fired: list[JobReleased] = []
    scheduler.subscribe(fired.append, JobReleased)
    events: list[Any] = []
    scheduler.subscribe(events.append, {SchedulerStarted, SchedulerStopped})
    acquired: list[JobAcquired] = []
    scheduler.subscribe(acquired.append, JobAcquired)
    await scheduler.add_job(anyio.sleep, args=(30,))
    await wait_for(lambda: acquired)
    await scheduler.stop()
    assert [event.outcome for event in fired] == [JobOutcome.cancelled]
    assert [type(event).__name__ for event in events] == ["SchedulerStopped"]


async def test_a_job_cancelled_before_its_first_step_is_released_as_cancelled() -> None:
    # stop() may cancel a job's task in the same loop step that started it, before
    # the task's coroutine ran a line: its job must still get a result and a record.
    store = MemoryDataStore()
    scheduler = AsyncScheduler(store, identity="early", role=SchedulerRole.scheduler)
    await scheduler.start_in_background()
    fired: list[JobReleased] = []
    scheduler.subscribe(fired.append, JobReleased)
    await scheduler.configure_task("sleep", func=anyio.sleep)
    job = Job(task_id="sleep", args=(30,), executor="async")
    store.add_job(job)
    claimed = store.acquire_jobs("early", timedelta(minutes=1), 1)
    runner = scheduler._runtime.jobs
    await runner.start(claimed)
    await runner.stop()  # no step of the loop in between
    assert [event.outcome for event in fired] == [JobOutcome.cancelled]
    assert store.get_jobs() == []
    assert [run.outcome for run in store.get_runs()] == [JobOutcome.cancelled]
    await scheduler.stop()


async def test_starting_a_scheduler_with_the_same_identity_stops_the_old_one() -> None:
    first = AsyncScheduler(identity="notebook")
    await first.start_in_background()
    second = AsyncScheduler(identity="notebook")
    await second.start_in_background()
    assert first.state is RunState.stopped
    assert second.state is RunState.started
    await second.stop()


async def test_bad_input_is_refused_with_named_errors(scheduler: Any) -> None:
    with pytest.raises(InvalidTriggerArgumentType, match="trigger="):
        await scheduler.add_schedule(add, "every minute")
    with pytest.raises(InvalidTriggerArgument, match="no fire times left"):
        await scheduler.add_schedule(add, _finished_trigger())
    with pytest.raises(TaskLookupError, match="no task with the id 'nope'"):
        await scheduler.add_job("nope")
    with pytest.raises(
        InvalidChoice,
        match="job_executor='gpu' is not a valid value; choose one of "
        "'async', 'processpool', 'threadpool'",
    ):
        await scheduler.add_job(add, args=(1, 1), job_executor="gpu")
    with pytest.raises(
        InvalidChoice, match=r"coalesce='newest' .* 'earliest', 'latest', 'all'"
    ):
        await scheduler.add_schedule(add, CronTrigger(hour=9), coalesce="newest")
    with pytest.raises(InvalidChoice, match=r"conflict_policy='overwrite' .* 'update'"):
        await scheduler.add_schedule(
            add, CronTrigger(hour=9), conflict_policy="overwrite"
        )
    with pytest.raises(InvalidFireTime, match=r"without tzinfo\. Fix: return aware"):
        await scheduler.add_schedule(add, NaiveTrigger())
    assert await scheduler.get_schedules() == []
    with pytest.raises(UnusableCallable, match="another process"):
        await scheduler.add_job(lambda: 1, job_executor="processpool")


class NaiveTrigger(Trigger):
    """Breaks the contract: its fire times have no time zone."""

    def next(self) -> datetime:
        return datetime(2026, 1, 1)

    def __getstate__(self) -> dict[str, Any]:
        return {"version": 1}

    def __setstate__(self, state: dict[str, Any]) -> None:
        pass


def _finished_trigger() -> DateTrigger:
    trigger = DateTrigger(now())
    trigger.next()
    return trigger


async def test_a_sync_scheduler_in_plain_python() -> None:
    from apsnb import Scheduler

    def run() -> int:
        with Scheduler(identity="sync") as scheduler:
            scheduler.start_in_background()
            return scheduler.run_job(add, args=(20, 22))

    assert await anyio.to_thread.run_sync(run) == 42


async def test_a_schedule_whose_function_is_unknown_waits_until_it_is_bound_again() -> (
    None
):
    from apsnb import Task

    # What a persistent store holds after a kernel restart: the task of a notebook
    # function, by name only.
    scheduler = AsyncScheduler(identity="restarted")
    await scheduler._start_services()
    await scheduler.data_store.add_task(Task(id="__main__:report", func=None))
    fired: list[JobReleased] = []
    scheduler.subscribe(fired.append, JobReleased)
    trigger = IntervalTrigger(hours=1, start_time=now() - timedelta(seconds=1))
    schedule_id = await scheduler.add_schedule("__main__:report", trigger)
    await scheduler.start_in_background()
    await wait_for(lambda: scheduler.waiting_schedules())
    assert scheduler.waiting_schedules() == {"__main__:report": [schedule_id]}
    await anyio.sleep(0.2)
    assert not fired  # held, not failing over and over

    def report() -> str:
        return "done"

    await scheduler.configure_task("__main__:report", func=report)
    await wait_for(lambda: fired)
    await scheduler.stop()
    assert fired[0].outcome is JobOutcome.success
    assert scheduler.waiting_schedules() == {}


def test_a_scheduler_left_running_when_its_loop_ended_does_not_block_the_next() -> None:
    import asyncio

    async def leave_running() -> None:
        await AsyncScheduler(identity="left").start_in_background()

    async def start_again() -> RunState:
        scheduler = AsyncScheduler(identity="left")
        await scheduler.start_in_background()
        state = scheduler.state
        await scheduler.stop()
        return state

    asyncio.run(leave_running())
    assert asyncio.run(start_again()) is RunState.started


class FlakyStore(MemoryDataStore):
    """A memory store whose acquire_schedules fails twice, like an unreachable disk."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 2

    def acquire_schedules(self, *args: Any, **kwargs: Any) -> Any:
        if self.failures:
            self.failures -= 1
            raise OSError("the disk went away")
        return super().acquire_schedules(*args, **kwargs)


async def test_a_failing_store_does_not_stop_the_scheduler(caplog: Any) -> None:
    scheduler = AsyncScheduler(FlakyStore(), identity="flaky")
    fired: list[JobReleased] = []
    scheduler.subscribe(fired.append, JobReleased)
    await scheduler.start_in_background()
    await scheduler.add_schedule(add, DateTrigger(now()), args=(1, 1))
    await wait_for(lambda: fired, timeout=10)
    await scheduler.stop()
    assert fired[0].outcome is JobOutcome.success
    assert "the disk went away" in caplog.text
    assert "trying again" in caplog.text


def test_coalescing_to_one_job_holds_after_thousands_of_missed_fire_times() -> None:
    from apsnb import CoalescePolicy, Schedule, Task
    from apsnb._schedulers._firing import jobs_for

    start = now() - timedelta(hours=2500, minutes=30)
    for policy, expected in (
        ("latest", timedelta(hours=2500)),
        ("earliest", timedelta(0)),
    ):
        trigger = IntervalTrigger(hours=1, start_time=start)
        schedule = Schedule(
            id="s",
            task_id="t",
            trigger=trigger,
            coalesce=CoalescePolicy(policy),
            next_fire_time=trigger.next(),
        )
        result = jobs_for(schedule, Task(id="t"), now(), "threadpool")
        assert len(result.jobs) == 1
        assert result.jobs[0].scheduled_fire_time - start == expected
        assert result.next_fire_time > now()


def test_a_fired_job_carries_every_setting_of_its_schedule() -> None:
    from apsnb import Job, Schedule, Task
    from apsnb._schedulers._firing import jobs_for

    trigger = IntervalTrigger(hours=1, start_time=now() - timedelta(minutes=10))
    schedule = Schedule(
        id="s",
        task_id="t",
        trigger=trigger,
        args=(1, 2),
        kwargs={"x": 3},
        misfire_grace_time=timedelta(seconds=30),
        job_executor="async",
        job_result_expiration_time=timedelta(minutes=5),
        metadata={"team": "data"},
        next_fire_time=trigger.next(),
    )
    fired_at = now()
    result = jobs_for(schedule, Task(id="t"), fired_at, "threadpool")
    (job,) = result.jobs
    fire_time = schedule.next_fire_time
    assert job == Job(
        id=job.id,
        task_id="t",
        args=(1, 2),
        kwargs={"x": 3},
        schedule_id="s",
        scheduled_fire_time=fire_time,
        executor="async",
        start_deadline=fire_time + timedelta(seconds=30),
        result_expiration_time=timedelta(minutes=5),
        metadata={"team": "data"},
        created_at=fired_at,
    )
    assert job.id.version == 4
    assert (result.last_fire_time, result.next_fire_time) == (
        fire_time,
        fire_time + timedelta(hours=1),
    )


class Replays(Trigger):
    """Returns the given values from next(), in turn (then None)."""

    def __init__(self, *values: object) -> None:
        self.values = list(values)

    def next(self) -> Any:
        return self.values.pop(0) if self.values else None

    def __getstate__(self) -> dict[str, Any]:
        return {"version": 1}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.values = []


@pytest.mark.parametrize(
    ("after_first", "message"),
    [
        (lambda first: first, "not later than the fire time before it"),
        (lambda first: first - timedelta(seconds=1), "not later than"),
        (lambda first: first.replace(tzinfo=None), "without tzinfo"),
        (lambda first: first.isoformat(), "a str"),
    ],
)
def test_a_due_schedule_refuses_a_fire_time_its_trigger_cannot_give(
    after_first: Any, message: str
) -> None:
    from apsnb import Schedule
    from apsnb._schedulers._firing import due_fire_times

    first = now() - timedelta(minutes=5)
    trigger = Replays(after_first(first))
    schedule = Schedule(id="s", task_id="t", trigger=trigger, next_fire_time=first)
    with pytest.raises(InvalidFireTime, match=message):
        due_fire_times(schedule, now())


def test_a_due_schedule_gives_every_missed_fire_time_and_the_next_one() -> None:
    from apsnb import CoalescePolicy, Schedule
    from apsnb._schedulers._firing import due_fire_times

    first = now() - timedelta(minutes=3, seconds=30)
    trigger = IntervalTrigger(minutes=1, start_time=first)
    schedule = Schedule(
        id="s",
        task_id="t",
        trigger=trigger,
        coalesce=CoalescePolicy.all,
        next_fire_time=trigger.next(),
    )
    fire_times, next_fire_time, count = due_fire_times(schedule, now())
    assert fire_times == [first + timedelta(minutes=n) for n in range(4)]
    assert (next_fire_time, count) == (first + timedelta(minutes=4), 4)


async def test_a_task_bound_by_id_says_so_in_its_repr(scheduler: Any) -> None:
    def refresh() -> None:
        pass

    task = await scheduler.configure_task("__main__:refresh", func=refresh)
    assert task.func is None  # nothing another process could import
    assert "func=None (bound by id in the process that configured it)" in repr(task)
    assert "func='tests.test_scheduler:add'" in repr(
        await scheduler.configure_task(add)
    )


class TurnsNaive(Trigger):
    """Fires 50 and 100 ms after ``start``, then returns a naive datetime."""

    def __init__(self, start: datetime) -> None:
        self.start, self.fired = start, 0

    def next(self) -> datetime:
        self.fired += 1
        fire_time = self.start + timedelta(milliseconds=50 * self.fired)
        return fire_time if self.fired <= 2 else fire_time.replace(tzinfo=None)

    def __getstate__(self) -> dict[str, Any]:
        return {"version": 1, "start": self.start.isoformat(), "fired": self.fired}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.start = datetime.fromisoformat(state["start"])
        self.fired = state["fired"]


async def test_a_trigger_that_turns_naive_finishes_its_schedule_only(
    scheduler: Any, caplog: Any
) -> None:
    runs: list[int] = []
    schedule_id = await scheduler.add_schedule(
        runs.append, TurnsNaive(now()), args=(1,)
    )
    await wait_for(lambda: "without tzinfo" in caplog.text)
    assert "InvalidFireTime" in caplog.text
    assert f"the trigger of schedule {schedule_id!r} raised" in caplog.text
    await wait_for(lambda: len(runs) == 1)  # the first fire time's job
    assert await scheduler.run_job(add, args=(2, 2)) == 4  # the loop still runs
    assert await scheduler.get_schedules() == []


class Concurrency:
    """Counts the jobs running at once, from any thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = self.most = self.done = 0

    def run(self) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(0.05)
        with self.lock:
            self.now -= 1
            self.done += 1


CONCURRENCY = Concurrency()


def counted_job() -> None:
    CONCURRENCY.run()


@pytest.mark.parametrize("store", ["memory", "sqlite"])
async def test_max_concurrent_jobs_holds_when_fired_and_queued_jobs_meet(
    store: str, tmp_path: Any
) -> None:
    """Jobs claimed as their schedules fire and jobs the job loop claims share one
    limit, also with a store called in worker threads (SQLite)."""
    global CONCURRENCY
    CONCURRENCY = Concurrency()
    data_store = None if store == "memory" else tmp_path / "jobs.sqlite"
    async with AsyncScheduler(data_store, max_concurrent_jobs=3) as scheduler:
        start = now() - timedelta(seconds=1)
        for number in range(12):
            await scheduler.add_schedule(
                counted_job, IntervalTrigger(hours=1, start_time=start), id=f"s{number}"
            )
        await scheduler.start_in_background()
        for _ in range(12):
            await scheduler.add_job(counted_job)
        await wait_for(lambda: CONCURRENCY.done == 24, timeout=20)
    assert CONCURRENCY.most == 3


def test_schedules_claimed_ahead_wait_and_overdue_ones_do_not() -> None:
    now = datetime.now(UTC)

    def schedule(id: str, fire_time: datetime | None) -> Schedule:
        return Schedule(
            id=id, task_id="t", trigger=DateTrigger(now), next_fire_time=fire_time
        )

    overdue, ahead, finished = (
        schedule("overdue", now - timedelta(seconds=5)),
        schedule("ahead", now + timedelta(seconds=5)),
        schedule("finished", None),
    )
    due, later = due_now([overdue, ahead, finished])
    assert (due, later) == ([overdue, finished], [ahead])


class ClaimsFarAhead(MemoryDataStore):
    """Claims schedules due in the next ten seconds: a store whose claims take long
    is claimed from that far ahead of a fire time."""

    def acquire_schedules(
        self,
        scheduler_id: str,
        lease_duration: timedelta,
        limit: int,
        *,
        due_by: datetime | None = None,
    ) -> list[Schedule]:
        due_by = (due_by or now()) + timedelta(seconds=10)
        return super().acquire_schedules(
            scheduler_id, lease_duration, limit, due_by=due_by
        )


async def test_a_stopping_scheduler_hands_back_the_schedules_it_claimed_ahead() -> None:
    # Otherwise no other scheduler could fire them until the claim ran out.
    store = ClaimsFarAhead()
    scheduler = AsyncScheduler(store, identity="leaving")
    fire_time = now() + timedelta(seconds=5)
    await scheduler.add_schedule(add, DateTrigger(fire_time), args=(1, 2), id="soon")
    await scheduler.start_in_background()
    await wait_for(lambda: store.get_schedules()[0].acquired_by == "leaving")
    await scheduler.stop()
    [schedule] = store.get_schedules()
    assert (schedule.acquired_by, schedule.next_fire_time) == (None, fire_time)
    assert store.get_jobs() == []
    claimed = store.acquire_schedules("staying", timedelta(minutes=1), 10)
    assert [schedule.id for schedule in claimed] == ["soon"]
