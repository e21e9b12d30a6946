"""The trust rule: what a writer of a shared store can make a reader run or import.

Each hole is reproduced as an attacker would: plain ``sqlite3`` inserts into a real
store file, then a scheduler (or a bare store, in a fresh process) reading it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import anyio
import pytest

from apsnb import (
    AsyncScheduler,
    InvalidAllowedModule,
    JobOutcome,
    JobReleased,
    JobResultNotReady,
    UntrustedReference,
    UnusableCallable,
)
from apsnb._state import dump_trigger
from apsnb._trust import AllowList
from apsnb.datastores.memory import MemoryDataStore
from apsnb.datastores.sqlite import SQLiteDataStore
from apsnb.serializers.json import JSONSerializer
from apsnb.triggers.interval import IntervalTrigger

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.anyio


# What a writer of the file does: plain SQL, no apsnb.


def empty_store(path: Path) -> Path:
    SQLiteDataStore(path).stop()  # the tables, as a first scheduler leaves them
    return path


def insert_task(path: Path, task_id: str, func: str) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO apsnb_tasks VALUES (?, ?, 'threadpool', NULL, NULL, '{}')",
            (task_id, func),
        )


def insert_job(path: Path, task_id: str, args: list[object]) -> str:
    job_id = str(uuid4())
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO apsnb_jobs (id, task_id, args, kwargs, executor, jitter, "
            "result_expiration_time, metadata, created_at) "
            "VALUES (?, ?, ?, '{}', 'threadpool', 0, 60, '{}', ?)",
            (job_id, task_id, json.dumps(args), datetime.now(UTC).isoformat()),
        )
    return job_id


def insert_schedule(
    path: Path,
    schedule_id: str,
    task_id: str,
    trigger: dict[str, object],
    args: list[object],
    due: datetime | None = None,
) -> None:
    due = due or datetime.now(UTC) - timedelta(seconds=1)
    due_us = int(due.timestamp() * 1_000_000)
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO apsnb_schedules (id, task_id, trigger, args, kwargs, paused, "
            "coalesce_policy, job_result_expiration_time, metadata, next_fire_time, "
            "next_fire_time_us, claimable_at_us) "
            "VALUES (?, ?, ?, ?, '{}', 0, 'latest', 0, '{}', ?, ?, ?)",
            (
                schedule_id,
                task_id,
                JSONSerializer().serialize(trigger).decode(),
                json.dumps(args),
                due.isoformat(),
                due_us,
                due_us,
            ),
        )


def every_second() -> tuple[dict[str, object], datetime]:
    """A stored interval trigger that fired its first time a second ago, and that time."""
    trigger = IntervalTrigger(
        seconds=1, start_time=datetime.now(UTC) - timedelta(seconds=1)
    )
    due = trigger.next()
    assert due is not None
    return dump_trigger(trigger), due


async def wait_for(condition: Callable[[], object], timeout: float = 10) -> None:
    with anyio.fail_after(timeout):
        while not condition():
            await anyio.sleep(0.02)


# The allow-list


def test_allow_list_entries_are_packages_modules_or_single_functions() -> None:
    allowed = AllowList(["mypkg", "other.jobs:refresh"])
    assert allowed.allows("mypkg:run")
    assert allowed.allows("mypkg.jobs.daily:run")
    assert not allowed.allows("mypkgx:run")  # a prefix of the name is not a package
    assert allowed.allows("other.jobs:refresh")
    assert not allowed.allows("other.jobs:delete")
    assert AllowList("mypkg").entries == ("mypkg",)  # one module, not its letters


def test_nothing_dangerous_is_allowed_by_default() -> None:
    allowed = AllowList()
    for reference in ("os:system", "builtins:exec", "subprocess:run", "this:nothing"):
        assert not allowed.allows(reference)
    assert allowed.allows("apsnb.notebooks:run_notebook")
    assert not allowed.allows("apsnb.notebooks:something_else")


@pytest.mark.parametrize("entry", ["", "my pkg", "mypkg.", ":run", 3])
def test_an_allowed_module_that_is_not_a_module_name_is_refused(entry: object) -> None:
    with pytest.raises(InvalidAllowedModule, match=repr(entry)):
        SQLiteDataStore(":memory:", allowed_modules=[entry])  # type: ignore[list-item]


def test_choosing_pickle_logs_one_warning_naming_the_risk(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from apsnb.serializers.pickle import PickleSerializer

    caplog.set_level(logging.WARNING, "apsnb")
    JSONSerializer()
    assert not caplog.records
    PickleSerializer()
    (record,) = caplog.records
    assert record.levelname == "WARNING"
    assert "runs whatever code its writer put in it" in record.getMessage()


def test_a_store_location_takes_the_allow_list(tmp_path: Path) -> None:
    from apsnb.datastores.location import open_data_store

    store = open_data_store(tmp_path / "jobs.sqlite", allowed_modules="mypkg")
    assert store.allowed_modules == ("mypkg",)  # type: ignore[union-attr]
    store.stop()  # type: ignore[union-attr]


# Task functions named by a writer of the store


async def test_a_task_naming_os_system_never_runs_and_its_schedule_waits(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = empty_store(tmp_path / "shared.sqlite")
    marker = tmp_path / "pwned"
    insert_task(path, "evil-system", "os:system")
    job_id = insert_job(path, "evil-system", [f"touch {marker}"])
    insert_task(path, "evil-exec", "builtins:exec")
    code = f"open({str(marker)!r}, 'w').close()"
    trigger, due = every_second()
    insert_schedule(path, "hostile", "evil-exec", trigger, [code], due)

    caplog.set_level(logging.WARNING, "apsnb")
    async with AsyncScheduler(path, lease_duration=0.5) as scheduler:
        await scheduler.start_in_background()
        await wait_for(scheduler.waiting_schedules)
        await anyio.sleep(1.2)  # two more leases: held again, never fired
        waiting = scheduler.waiting_schedules()
        jobs = await scheduler.get_jobs()
        result = await scheduler.data_store.get_job_result(UUID(job_id))
    assert not marker.exists()
    # The job is left waiting, for a worker that may run it; not failed here.
    assert [(str(job.id), job.acquired_by) for job in jobs] == [(job_id, None)]
    assert result is None
    job_warnings = [
        r.getMessage() for r in caplog.records if "evil-system" in r.getMessage()
    ]
    assert len(job_warnings) == 1  # reported once
    assert "'os:system'" in job_warnings[0]
    assert waiting == {"evil-exec": ["hostile"]}
    warnings = [r.getMessage() for r in caplog.records if "hostile" in r.getMessage()]
    assert len(warnings) == 1  # reported once, not once a lease
    assert "'builtins:exec'" in warnings[0]
    assert "allowed_modules=['builtins']" in warnings[0]  # says how to allow it


async def test_a_job_a_worker_may_not_run_is_left_to_one_that_may(
    tmp_path: Path,
) -> None:
    path = empty_store(tmp_path / "shared.sqlite")
    insert_task(path, "sum", "tests.jobfuncs:scaled_sum")
    job_id = insert_job(path, "sum", [2, 3])
    async with AsyncScheduler(path, identity="strict", lease_duration=0.5) as strict:
        await strict.start_in_background()
        await anyio.sleep(0.3)  # it has looked, and passed the job over
        assert strict._runtime is not None and strict._runtime.tasks.skip == {"sum"}
        store = SQLiteDataStore(path, allowed_modules=["tests.jobfuncs"])
        async with AsyncScheduler(store, identity="trusting") as trusting:
            await trusting.start_in_background()
            result = await trusting.get_job_result(UUID(job_id))
    assert result.outcome is JobOutcome.success
    assert result.return_value == 5


async def test_a_task_in_an_allowed_module_runs(tmp_path: Path) -> None:
    path = empty_store(tmp_path / "shared.sqlite")
    insert_task(path, "sum", "tests.jobfuncs:scaled_sum")
    job_id = insert_job(path, "sum", [2, 3])
    trigger, due = every_second()
    insert_schedule(path, "summing", "sum", trigger, [4, 5], due)
    store = SQLiteDataStore(path, allowed_modules=["tests.jobfuncs"])
    async with AsyncScheduler(store) as scheduler:
        released: list[JobReleased] = []
        scheduler.subscribe(released.append, JobReleased)
        await scheduler.start_in_background()
        result = await scheduler.get_job_result(job_id)
        await wait_for(lambda: any(e.schedule_id == "summing" for e in released))
        assert scheduler.waiting_schedules() == {}
    assert result.outcome is JobOutcome.success
    assert result.return_value == 5
    assert {e.outcome for e in released} == {JobOutcome.success}


@pytest.mark.parametrize(
    "reference",
    ["tests.jobfuncs:os.system", "tests.jobfuncs:os.path.os.system"],
)
async def test_an_allowed_module_never_lends_what_it_imported(
    tmp_path: Path, reference: str
) -> None:
    # tests.jobfuncs imports os: allowing the module must not allow os.system.
    path = empty_store(tmp_path / "shared.sqlite")
    marker = tmp_path / "pwned"
    insert_task(path, "via-import", reference)
    job_id = insert_job(path, "via-import", [f"touch {marker}"])
    store = SQLiteDataStore(path, allowed_modules=["tests.jobfuncs"])
    async with AsyncScheduler(store) as scheduler:
        await scheduler.start_in_background()
        result = await scheduler.get_job_result(job_id)
    assert not marker.exists()
    assert result.outcome is JobOutcome.error
    assert "leads to the module 'os'" in (result.traceback or "")


def test_a_function_is_named_where_it_is_defined() -> None:
    from apsnb import DeserializationError
    from apsnb._marshalling import callable_from_ref

    # os.system is defined in posix: a name that leads to an object defined elsewhere
    # is refused, saying where it is defined.
    with pytest.raises(DeserializationError, match="defined in 'posix'"):
        callable_from_ref("os:system")
    assert callable_from_ref("tests.jobfuncs:scaled_sum")(1, 2) == 3


async def test_a_function_given_in_this_process_runs_whatever_the_store_says(
    tmp_path: Path,
) -> None:
    from tests.jobfuncs import scaled_sum

    path = tmp_path / "own.sqlite"
    async with AsyncScheduler(path) as scheduler:  # no allow-list
        await scheduler.start_in_background()
        assert await scheduler.run_job(scaled_sum, args=[20, 22]) == 42


# Trigger classes named by a writer of the store

READER = """
import json, sys
from apsnb._events import ScheduleDeserializationFailed
from apsnb.datastores.sqlite import SQLiteDataStore
from apsnb.eventbrokers.local import LocalEventBroker

broker = LocalEventBroker()
failures = []
broker.start()
broker.subscribe(failures.append, {ScheduleDeserializationFailed})
store = SQLiteDataStore(sys.argv[1], allowed_modules=json.loads(sys.argv[2]))
store.start(broker)
listed = [schedule.id for schedule in store.get_schedules()]
acquired = [s.id for s in store.acquire_schedules("reader", __import__("datetime").timedelta(seconds=30), 10)]
store.stop()
print(json.dumps({
    "listed": listed,
    "acquired": acquired,
    "failures": sorted({type(event.exception).__name__ for event in failures}),
    "imported": [name for name in ("this", "tests.helpers") if name in sys.modules],
}))
"""


def read_in_fresh_process(path: Path, allowed: list[str]) -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", READER, str(path), json.dumps(allowed)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.splitlines()[-1])


def test_a_trigger_class_is_imported_only_if_allowed(tmp_path: Path) -> None:
    path = empty_store(tmp_path / "shared.sqlite")
    insert_task(path, "task", "tests.jobfuncs:scaled_sum")
    state = {"version": 1, "times": ["2030-01-01T00:00:00+00:00"], "index": 0}
    insert_schedule(path, "hostile", "task", {"type": "this:nothing", "state": {}}, [])
    insert_schedule(
        path,
        "custom",
        "task",
        {"type": "tests.helpers:FixedTimesTrigger", "state": state},
        [],
    )
    trigger, due = every_second()
    insert_schedule(path, "own", "task", trigger, [], due)

    default = read_in_fresh_process(path, [])
    assert default == {
        "listed": ["own"],
        "acquired": ["own"],
        "failures": ["UntrustedReference"],
        "imported": [],  # neither `this` (its import prints a poem) nor the helpers
    }
    allowed = read_in_fresh_process(path, ["tests.helpers"])
    assert allowed["listed"] == ["custom", "own"]
    assert allowed["imported"] == ["tests.helpers"]


def test_a_stored_trigger_type_that_is_not_a_trigger_class_is_refused() -> None:
    from apsnb import TriggerStateError
    from apsnb._state import load_trigger

    # json is imported already: what the name is can be seen without importing.
    with pytest.raises(TriggerStateError, match="not a Trigger"):
        load_trigger({"type": "json:JSONDecoder", "state": {}})
    with pytest.raises(TriggerStateError, match="not a Trigger"):
        load_trigger({"type": "builtins:exec", "state": {}})


def test_an_allowed_trigger_module_that_cannot_be_imported_says_so() -> None:
    from apsnb import TriggerStateError
    from apsnb._state import load_trigger
    from apsnb._trust import reading_with

    data = {"type": "no.such.module:Trigger", "state": {}}
    with pytest.raises(
        UntrustedReference, match=r"allowed_modules=\['no.such.module'\]"
    ):
        load_trigger(data)
    with (
        reading_with(AllowList(["no.such"])),
        pytest.raises(TriggerStateError, match="cannot be imported"),
    ):
        load_trigger(data)


def test_a_child_trigger_class_is_checked_too() -> None:
    from apsnb._state import load_trigger

    child = {"type": "this:nothing", "state": {}}
    parent = dump_trigger(IntervalTrigger(seconds=1))
    combined = {
        "type": "apsnb.triggers.combining:OrTrigger",
        "state": {"version": 1, "triggers": [parent, child]},
    }
    with pytest.raises(UntrustedReference, match="this:nothing"):
        load_trigger(combined)


# What lives only in this process, on a persistent store


async def test_a_lambda_is_refused_on_a_persistent_store(tmp_path: Path) -> None:
    trigger = IntervalTrigger(hours=1)
    async with AsyncScheduler(tmp_path / "jobs.sqlite") as scheduler:
        with pytest.raises(UnusableCallable, match=r"lambda.*define it with def"):
            await scheduler.add_schedule(lambda: None, trigger)
        assert await scheduler.get_tasks() == []  # nothing was stored
    async with AsyncScheduler(MemoryDataStore()) as scheduler:
        await scheduler.add_schedule(lambda: None, trigger)  # in memory: fine


async def test_a_notebook_function_and_trigger_class_are_warned_about_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def report() -> None:
        pass

    class Hourly(IntervalTrigger):
        pass

    report.__module__ = Hourly.__module__ = "__main__"
    report.__qualname__ = "report"
    caplog.set_level(logging.WARNING, "apsnb")
    async with AsyncScheduler(tmp_path / "jobs.sqlite") as scheduler:
        for _ in range(2):
            await scheduler.add_schedule(report, Hourly(hours=1))
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2, messages
    assert "'__main__:report'" in messages[0] and "configure_task" in messages[0]
    assert "__main__:" in messages[1] and "Hourly" in messages[1]
    assert "waiting_schedules()" in messages[1]


RESTART = """
import asyncio, json, sys
from datetime import UTC, datetime, timedelta
from apsnb import AsyncScheduler
from apsnb.triggers.interval import IntervalTrigger

def ping():
    print("ping", flush=True)

def define_every():  # the notebook cell that defines the class
    global Every
    class Every(IntervalTrigger):
        pass
    Every.__qualname__ = "Every"

async def main(path, phase):
    if phase == "add":
        define_every()
        async with AsyncScheduler(path) as scheduler:
            start = datetime.now(UTC) - timedelta(seconds=1)
            await scheduler.add_schedule(ping, Every(seconds=1, start_time=start), id="s")
        return
    async with AsyncScheduler(path, lease_duration=0.5) as scheduler:
        await scheduler.start_in_background()
        while not scheduler.waiting_schedules():
            await asyncio.sleep(0.02)
        print(json.dumps(scheduler.waiting_schedules()), flush=True)
        # The restarted kernel runs the cells that define them again:
        define_every()
        await scheduler.configure_task("__main__:ping", func=ping)
        while scheduler.waiting_schedules():
            await asyncio.sleep(0.02)
        await asyncio.sleep(1.5)
        print(json.dumps(scheduler.waiting_schedules()), flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def test_a_notebook_trigger_class_waits_after_a_restart_until_defined_again(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "jobs.sqlite")
    for phase in ("add", "restart"):
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(RESTART), path, phase],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert json.loads(lines[0]) == {"__main__:Every": ["s"]}
    assert "ping" in lines[1:]  # fired once the class was back
    assert json.loads(lines[-1]) == {}


async def test_jobs_of_a_task_added_unannounced_are_left_for_others_unrun(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="apsnb")
    # Another process adds a task this one may not run, and its jobs, while this
    # one is busy: a job it takes before it has read that task is handed back
    # unrun, and none is failed; all are left for a scheduler that may run them.
    path = empty_store(tmp_path / "shared.sqlite")
    started = anyio.Event()

    async def busy() -> None:
        started.set()
        await anyio.sleep(0.3)

    async with AsyncScheduler(path, max_concurrent_jobs=1) as scheduler:
        await scheduler.start_in_background()
        await scheduler.add_job(busy)
        await started.wait()
        insert_task(path, "sum", "tests.jobfuncs:scaled_sum")
        first, second = insert_job(path, "sum", [1, 2]), insert_job(path, "sum", [3, 4])
        with anyio.fail_after(5):
            while not any("handed back" in r.getMessage() for r in caplog.records):
                await anyio.sleep(0.02)
        await anyio.sleep(0.3)
        left = await scheduler.get_jobs()
        with pytest.raises(JobResultNotReady):  # waiting, not failed
            await scheduler.get_job_result(UUID(first), wait=False)
    assert sorted((str(job.id), job.acquired_by) for job in left) == sorted(
        [(first, None), (second, None)]
    )
