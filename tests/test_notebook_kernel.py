"""The scheduler in a real Jupyter kernel: it runs across cells, survives re-runs and
interrupts, and stops when asked."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")


class Kernel:
    """A kernel driven cell by cell, as a notebook front end drives it."""

    def __init__(self) -> None:
        self.manager = jupyter_client.KernelManager(kernel_name="python3")
        self.manager.start_kernel()
        self.client = self.manager.blocking_client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def run(self, code: str, timeout: float = 30) -> str:
        """Execute a cell; return its stdout; fail on an error."""
        output: list[str] = []
        errors: list[str] = []

        def collect(message: dict[str, Any]) -> None:
            content = message["content"]
            if message["msg_type"] == "stream":
                output.append(content["text"])
            elif message["msg_type"] == "error":
                errors.append("\n".join(content["traceback"]))

        self.client.execute_interactive(code, timeout=timeout, output_hook=collect)
        assert not errors, errors[0]
        return "".join(output)

    def value(self, expression: str) -> Any:
        return json.loads(self.run(f"import json; print(json.dumps({expression}))"))

    def shutdown(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    kernel = Kernel()
    yield kernel
    kernel.shutdown()


CREATE = """
import asyncio
from datetime import datetime, timedelta, UTC
from apsnb import AsyncScheduler
from apsnb.triggers.interval import IntervalTrigger

ticks = globals().setdefault("ticks", [])

async def tick():
    ticks.append(datetime.now(UTC))

scheduler = AsyncScheduler(identity="kernel-test")
await scheduler.start_in_background()
await scheduler.add_schedule(tick, IntervalTrigger(seconds=0.2), id="tick",
                             conflict_policy="replace")
"""

RUNNING = (
    "sum(1 for task in asyncio.all_tasks() if task.get_name().startswith('apsnb ')"
    " and not task.done())"
)


def test_schedules_fire_across_cells_while_the_kernel_awaits_and_idles(
    kernel: Kernel,
) -> None:
    kernel.run(CREATE)
    assert kernel.value("scheduler.state.name") == "started"
    before = kernel.value("len(ticks)")
    kernel.run("await asyncio.sleep(1)")
    awaiting = kernel.value("len(ticks)")
    assert awaiting >= before + 3
    time.sleep(1)  # the kernel is idle: no cell runs
    assert kernel.value("len(ticks)") >= awaiting + 3


def test_rerunning_the_creating_cell_leaves_one_scheduler(kernel: Kernel) -> None:
    kernel.run(CREATE)
    kernel.run(CREATE)
    assert kernel.value(RUNNING) == 1
    count = kernel.value("len(ticks)")
    kernel.run("await asyncio.sleep(1)")
    # One scheduler: about 5 ticks a second, not 10.
    assert 3 <= kernel.value("len(ticks)") - count <= 7


def test_interrupting_a_cell_does_not_stop_the_scheduler(kernel: Kernel) -> None:
    kernel.run(CREATE)
    kernel.client.execute("await asyncio.sleep(30)")
    time.sleep(1)
    kernel.manager.interrupt_kernel()
    time.sleep(0.5)
    kernel.client.execute("import time; time.sleep(30)")
    time.sleep(1)
    kernel.manager.interrupt_kernel()
    time.sleep(0.5)
    assert kernel.value("scheduler.state.name") == "started"
    count = kernel.value("len(ticks)")
    kernel.run("await asyncio.sleep(1)")
    assert kernel.value("len(ticks)") >= count + 3


def test_switching_to_the_thread_scheduler_with_the_same_identity_does_not_hang(
    kernel: Kernel,
) -> None:
    # The cell blocks the kernel's loop while it starts the Scheduler: the running
    # AsyncScheduler cannot be stopped from there, and saying so beats waiting forever.
    kernel.run(CREATE)
    refused = kernel.run(
        """
from apsnb import Scheduler, SchedulerIdentityInUse
threaded = Scheduler(identity="kernel-test")
try:
    threaded.start_in_background()
except SchedulerIdentityInUse as error:
    print("refused")
""",
        timeout=30,
    )
    assert "refused" in refused
    assert kernel.value("scheduler.state.name") == "started"
    kernel.run("await scheduler.stop()")
    kernel.run("threaded.start_in_background()", timeout=30)
    assert kernel.value("threaded.state.name") == "started"
    kernel.run("threaded.stop()", timeout=30)


def test_a_later_cell_stops_the_scheduler(kernel: Kernel) -> None:
    kernel.run(CREATE)
    kernel.run("await scheduler.stop()")
    assert kernel.value("scheduler.state.name") == "stopped"
    assert kernel.value(RUNNING) == 0
    count = kernel.value("len(ticks)")
    kernel.run("await asyncio.sleep(0.6)")
    assert kernel.value("len(ticks)") == count
