"""Job executors: where a job's function runs, what comes back, and what is refused."""

from __future__ import annotations

import functools
import math
import os
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from apsnb._exceptions import UnusableCallable
from apsnb._structures import Job
from apsnb.abc import JobExecutor
from apsnb.executors.async_ import AsyncJobExecutor
from apsnb.executors.subprocess import (
    ProcessPoolJobExecutor,
    check_runnable_in_subprocess,
)
from apsnb.executors.thread import ThreadPoolJobExecutor

from . import jobfuncs

pytestmark = pytest.mark.anyio


def job(*args: Any, **kwargs: Any) -> Job:
    return Job(task_id="task", args=args, kwargs=kwargs)


@pytest.fixture(
    params=[AsyncJobExecutor, ThreadPoolJobExecutor], ids=["async", "thread"]
)
async def executor(request: pytest.FixtureRequest) -> Any:
    executor: JobExecutor = request.param()
    await executor.start()
    yield executor
    await executor.stop()


@pytest.mark.parametrize(
    "func", [jobfuncs.scaled_sum, jobfuncs.async_scaled_sum], ids=["sync", "async"]
)
async def test_returns_what_the_function_returns_given_args_and_kwargs(
    executor: JobExecutor, func: Callable[..., Any]
) -> None:
    assert await executor.run_job(func, job(1, 2, scale=3)) == 9


@pytest.mark.parametrize(
    "func", [jobfuncs.fail, jobfuncs.async_fail], ids=["sync", "async"]
)
async def test_raises_what_the_function_raises(
    executor: JobExecutor, func: Callable[..., Any]
) -> None:
    with pytest.raises(ZeroDivisionError, match="from the job"):
        await executor.run_job(func, job("from the job"))


async def test_async_executor_runs_even_sync_functions_on_the_loop() -> None:
    executor = AsyncJobExecutor()
    assert await executor.run_job(jobfuncs.thread_id, job()) == threading.get_ident()


async def test_thread_executor_runs_sync_functions_off_the_loop_thread() -> None:
    executor = ThreadPoolJobExecutor()
    await executor.start()
    assert await executor.run_job(jobfuncs.thread_id, job()) != threading.get_ident()


@pytest.mark.parametrize(
    "func",
    [jobfuncs.async_thread_id, jobfuncs.coroutine_for_thread_id],
    ids=["coroutine-function", "sync-wrapper-returning-a-coroutine"],
)
async def test_thread_executor_awaits_coroutines_on_the_loop(
    func: Callable[..., Any],
) -> None:
    executor = ThreadPoolJobExecutor()
    await executor.start()
    assert await executor.run_job(func, job()) == threading.get_ident()


async def test_thread_executor_runs_at_most_max_workers_jobs_at_once() -> None:
    executor = ThreadPoolJobExecutor(max_workers=2)
    await executor.start()
    running = peak = 0
    lock = threading.Lock()

    def occupy_a_worker() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    async with anyio.create_task_group() as task_group:
        for _ in range(5):
            task_group.start_soon(executor.run_job, occupy_a_worker, job())
    assert peak == 2


async def test_cancelling_a_thread_job_returns_at_once_and_the_thread_runs_on() -> None:
    executor = ThreadPoolJobExecutor()
    await executor.start()
    release = threading.Event()
    finished = threading.Event()

    def wait_for_release() -> None:
        release.wait(10)
        finished.set()

    started = time.monotonic()
    with anyio.move_on_after(0.05) as scope:
        await executor.run_job(wait_for_release, job())
    assert scope.cancelled_caught
    assert time.monotonic() - started < 2
    assert not finished.is_set()
    release.set()
    assert await anyio.to_thread.run_sync(finished.wait, 5)


def job_threads() -> set[threading.Thread]:
    return {
        thread
        for thread in threading.enumerate()
        if thread.name.startswith("apsnb-job_")
    }


async def wait_until(condition: Callable[[], bool]) -> None:
    with anyio.fail_after(5):
        while not condition():
            await anyio.sleep(0.01)


async def test_thread_executor_starts_its_threads_on_prepare_and_ends_them_on_stop() -> (
    None
):
    before = job_threads()
    executor = ThreadPoolJobExecutor(max_workers=3)
    await executor.start()
    await anyio.sleep(0.05)
    assert job_threads() == before  # none until a plain function needs them
    executor.prepare()
    await wait_until(lambda: len(job_threads() - before) == 3)
    await executor.stop()
    await wait_until(lambda: not job_threads() - before)


async def test_a_burst_of_thread_jobs_finishing_together_each_gets_its_outcome() -> (
    None
):
    executor = ThreadPoolJobExecutor(max_workers=4)
    await executor.start()
    outcomes: dict[int, Any] = {}

    async def run(number: int) -> None:
        try:
            if number % 7 == 0:
                await executor.run_job(jobfuncs.fail, job(number))
            else:
                outcomes[number] = await executor.run_job(
                    jobfuncs.scaled_sum, job(number, 1)
                )
        except ZeroDivisionError as error:
            outcomes[number] = error.args

    async with anyio.create_task_group() as task_group:
        for number in range(300):
            task_group.start_soon(run, number)
    await executor.stop()
    assert outcomes == {
        number: (number,) if number % 7 == 0 else number + 1 for number in range(300)
    }


async def test_queued_thread_jobs_are_cancelled_unrun_when_the_executor_stops() -> None:
    executor = ThreadPoolJobExecutor(max_workers=1)
    await executor.start()
    release = threading.Event()
    ran: list[str] = []
    ended: dict[str, str] = {}

    def occupy(name: str) -> str:
        ran.append(name)
        release.wait(10)
        return name

    async def run(name: str) -> None:
        try:
            ended[name] = await executor.run_job(occupy, job(name))
        except anyio.get_cancelled_exc_class():
            ended[name] = "cancelled"

    async with anyio.create_task_group() as task_group:
        task_group.start_soon(run, "running")
        await wait_until(lambda: ran == ["running"])
        task_group.start_soon(run, "queued")
        await anyio.sleep(0.05)
        await executor.stop()
        await wait_until(lambda: "queued" in ended)
        release.set()  # the running job goes on, and its result still comes back
    assert ended == {"queued": "cancelled", "running": "running"}
    assert ran == ["running"]


async def test_a_thread_job_raising_stopiteration_fails_instead_of_hanging() -> None:
    executor = ThreadPoolJobExecutor()
    await executor.start()
    with anyio.fail_after(5), pytest.raises(RuntimeError) as raised:
        await executor.run_job(jobfuncs.raise_stopiteration, job())
    assert isinstance(raised.value.__cause__, StopIteration)
    await executor.stop()


def test_python_exits_only_once_the_running_thread_jobs_return(tmp_path: Path) -> None:
    done = tmp_path / "done"
    script = f"""
import anyio, time
from pathlib import Path
from apsnb._structures import Job
from apsnb.executors.thread import ThreadPoolJobExecutor

def slow():
    time.sleep(0.3)
    Path({str(done)!r}).write_text("finished")

async def main():
    executor = ThreadPoolJobExecutor()
    await executor.start()
    with anyio.move_on_after(0.05):
        await executor.run_job(slow, Job(task_id="task"))
    await executor.stop()

anyio.run(main)
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=30)
    assert done.read_text() == "finished"


def test_max_workers_must_be_positive() -> None:
    for executor_class in (ThreadPoolJobExecutor, ProcessPoolJobExecutor):
        with pytest.raises(ValueError, match="max_workers=0"):
            executor_class(max_workers=0)
    assert ProcessPoolJobExecutor().max_workers == (os.cpu_count() or 1)


# The process pool: each test starts a worker process, so there are only two.


async def test_process_executor_runs_an_importable_function_in_another_process() -> (
    None
):
    executor = ProcessPoolJobExecutor(max_workers=1)
    await executor.start()
    total, process_id = await executor.run_job(
        jobfuncs.sum_and_process_id, job(1, 2, scale=3)
    )
    assert total == 9
    assert process_id != os.getpid()
    worker_id = await executor.run_job(jobfuncs.async_process_id, job())
    assert worker_id not in (os.getpid(), None)
    await executor.stop()


async def test_process_executor_raises_what_the_function_raises() -> None:
    executor = ProcessPoolJobExecutor(max_workers=1)
    await executor.start()
    with pytest.raises(ZeroDivisionError, match="in the worker"):
        await executor.run_job(jobfuncs.fail, job("in the worker"))
    await executor.stop()


async def test_process_executor_refuses_a_lambda_before_starting_a_worker() -> None:
    executor = ProcessPoolJobExecutor()
    with pytest.raises(UnusableCallable, match="lambda"):
        await executor.run_job(lambda: None, job())


# What another process can import.


def defined_in(module_name: str | None, source: str = "def job():\n    pass\n") -> Any:
    namespace: dict[str, Any] = {"__name__": module_name}
    exec(source, namespace)
    return namespace["job"]


def nested_function() -> Callable[[], None]:
    def job() -> None:
        pass

    return job


class LocalGreeterHolder:
    @staticmethod
    def make() -> Any:
        class Greeter:
            def greet(self) -> None:
                pass

        return Greeter()


NOTEBOOK_ADVICE = (
    "move it to a .py module next to the notebook and import it from there, "
    "or use job_executor='threadpool'"
)


@pytest.mark.parametrize(
    ("func", "reason"),
    [
        pytest.param(lambda: None, "is a lambda", id="lambda"),
        pytest.param(nested_function(), "inside another function", id="nested"),
        pytest.param(
            defined_in("__main__"),
            r"is defined in the notebook \(__main__\)",
            id="main",
        ),
        pytest.param(
            functools.partial(lambda x: x, 1), "is a lambda", id="partial-of-lambda"
        ),
        pytest.param(
            LocalGreeterHolder.make().greet,
            "is a method of .*Greeter",
            id="method-of-local-class",
        ),
        pytest.param(
            defined_in("no_such_module_for_apsnb"),
            "cannot be imported",
            id="unimportable-module",
        ),
        pytest.param(defined_in(None), "belongs to no module", id="no-module"),
    ],
)
def test_what_another_process_cannot_import_is_refused_with_advice(
    func: Callable[..., Any], reason: str
) -> None:
    with pytest.raises(UnusableCallable, match=reason) as caught:
        check_runnable_in_subprocess(func)
    assert NOTEBOOK_ADVICE in str(caught.value)
    assert caught.value.func is func


def test_a_function_defined_in_a_notebook_cell_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    notebook = types.ModuleType("__main__")  # a kernel's __main__ has no __file__
    notebook.job = defined_in("__main__")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "__main__", notebook)
    with pytest.raises(UnusableCallable, match="defined in the notebook"):
        check_runnable_in_subprocess(notebook.job)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "func",
    [
        pytest.param(jobfuncs.scaled_sum, id="function"),
        pytest.param(jobfuncs.async_scaled_sum, id="coroutine-function"),
        pytest.param(len, id="builtin"),
        pytest.param(math.sqrt, id="builtin-module-function"),
        pytest.param(functools.partial(jobfuncs.scaled_sum, 1), id="partial"),
        pytest.param(jobfuncs.Greeter("hi").greet, id="method"),
        pytest.param(jobfuncs.Greeter.default, id="classmethod"),
        pytest.param(jobfuncs.Greeter, id="class"),
    ],
)
def test_what_another_process_can_import_is_accepted(func: Callable[..., Any]) -> None:
    check_runnable_in_subprocess(func)
