"""Running one notebook with papermill in a kernel of its own, with a time limit.

The run happens in a thread of its own (so it never touches the caller's event loop,
even when called straight from a notebook cell), in a kernel started for it and
stopped after it. A deadline thread kills the kernel's process group when the run
takes longer than its timeout; nbclient then sees a dead kernel and the run ends.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: How often the deadline looks again for a kernel to kill, if it was not up yet.
_KILL_RETRY = 0.2
#: The kernel managers of the runs under way in this process.
_live: set[Any] = set()
_live_lock = threading.Lock()
#: What a kernel's process writes outside its cells (its own warnings, a crash's
#: last words, a traceback as it shuts down): one record per line.
kernel_logger = logging.getLogger("apsnb.kernel")


def stop_running_kernels() -> int:
    """Kill the kernels of the notebook runs under way here; return how many.

    A worker calls this as it exits: a kernel runs in a session of its own, so it
    would outlive the process that started it. Those runs end as "kernel died".
    """
    with _live_lock:
        managers = list(_live)
    return sum(_kill_kernel(manager) for manager in managers)


# A process that exits while a run is under way (a cancelled job's thread goes on)
# leaves no kernel behind.
atexit.register(stop_running_kernels)


@dataclass(slots=True)
class Execution:
    """What one papermill run did."""

    error: BaseException | None = None
    timed_out: bool = False
    kernel_died: bool = False
    seconds: float = 0.0
    notebook: Any = None


@dataclass(slots=True)
class _Deadline:
    """Kills the kernel of a run once ``seconds`` pass, unless ``done`` first."""

    managers: list[Any]
    seconds: float
    done: threading.Event = field(default_factory=threading.Event)
    fired: bool = False

    def watch(self) -> None:
        if self.done.wait(self.seconds):
            return
        self.fired = True
        # The kernel may still be starting: look again until it is gone or done.
        while not any(_kill_kernel(m) for m in list(self.managers)):
            if self.done.wait(_KILL_RETRY):
                return


@dataclass(frozen=True, slots=True)
class Run:
    """What to run: the notebook, where its executed copy goes, and how."""

    source: Path
    target: Path
    parameters: dict[str, Any]
    kernel_name: str
    language: str | None
    timeout: float | None


class _QuietFireTime(logging.Filter):
    """Papermill warns about every parameter the notebook does not declare; the fire
    time is passed to every scheduled notebook, declared or not."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.message = f"Passed unknown parameter: {name}"

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.message


def quiet_parameter(name: str) -> None:
    """Stop papermill's warning about ``name`` when a notebook does not declare it."""
    papermill_logger = logging.getLogger("papermill")
    if not any(isinstance(f, _QuietFireTime) for f in papermill_logger.filters):
        papermill_logger.addFilter(_QuietFireTime(name))


def execute(run: Run) -> Execution:
    """Run a notebook in a new thread; never raises (see ``Execution.error``)."""
    outcome = Execution()
    runner = threading.Thread(
        target=_run,
        args=(outcome, run),
        name=f"apsnb-notebook {run.source.name}",
        daemon=True,
    )
    runner.start()
    runner.join()
    return outcome


def _run(outcome: Execution, run: Run) -> None:
    import papermill
    from nbclient.exceptions import DeadKernelError

    sockets = tempfile.mkdtemp(prefix="apsnb-kernel-") if os.name == "posix" else None
    managers: list[Any] = []
    deadline = None
    if run.timeout is not None:
        deadline = _Deadline(managers, run.timeout)
        threading.Thread(
            target=deadline.watch, name="apsnb-notebook-deadline", daemon=True
        ).start()
    started = time.monotonic()
    try:
        outcome.notebook = papermill.execute_notebook(
            str(run.source),
            str(run.target),
            parameters=run.parameters,
            kernel_name=run.kernel_name,
            language=run.language,
            progress_bar=False,
            # nbclient makes the manager, so it also shuts the kernel down and
            # closes its sockets, however the run ends.
            kernel_manager_class=_manager_class(managers, sockets, run.source.name),
            # The kernel starts in the notebook's folder, as in Jupyter; papermill's
            # own cwd= would change this whole process's current folder.
            resources={"metadata": {"path": str(run.source.parent)}},
        )
    except DeadKernelError as error:
        outcome.error = error
        outcome.kernel_died = True
    except BaseException as error:
        outcome.error = error
    finally:
        outcome.seconds = time.monotonic() - started
        if deadline is not None:
            deadline.done.set()
            outcome.timed_out = deadline.fired
        with _live_lock:
            _live.difference_update(managers)
        _close_thread_loop()
        if sockets is not None:
            shutil.rmtree(sockets, ignore_errors=True)


def _manager_class(managers: list[Any], sockets: str | None, name: str) -> type:
    """A kernel manager class that makes its instances known to this run (for its
    deadline, and for :func:`stop_running_kernels`), on local sockets if possible,
    and logs what its kernel's process writes (see :data:`kernel_logger`)."""
    from jupyter_client.manager import AsyncKernelManager

    class RunKernelManager(AsyncKernelManager):  # type: ignore[misc]
        def __init__(self, **options: Any) -> None:
            if sockets is not None:
                # Local sockets, in a folder of the run's own: no TCP port open to
                # anyone on the machine, and no warning about it from the kernel.
                options.update(transport="ipc", ip=os.path.join(sockets, "kernel"))
            super().__init__(**options)
            managers.append(self)
            with _live_lock:
                _live.add(self)

        async def start_kernel(self, **options: Any) -> None:
            # Written straight to the inherited stderr, it would break a worker's
            # log into lines that are not records, and reach no handler elsewhere.
            options.update(stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            await super().start_kernel(**options)
            output = getattr(getattr(self.provisioner, "process", None), "stdout", None)
            if output is not None:
                threading.Thread(
                    target=_log_lines,
                    args=(output, name),
                    name=f"apsnb-kernel-output {name}",
                    daemon=True,
                ).start()

    return RunKernelManager


def _log_lines(stream: Any, name: str) -> None:
    """Log each line a kernel's process writes, until it closes its end."""
    with stream:
        for raw in iter(stream.readline, b""):
            line = raw.decode(errors="replace").rstrip()
            if line.strip():
                kernel_logger.info("kernel of %s: %s", name, line)


def _close_thread_loop() -> None:
    """Close the event loop nbclient made for this thread (else its sockets leak
    until the garbage collector finds them)."""
    from jupyter_core.utils import ensure_event_loop

    loop = ensure_event_loop()
    if not loop.is_running():
        loop.close()
    asyncio.set_event_loop(None)


def _kill_kernel(manager: Any) -> bool:
    """Kill the kernel's process group; whether there was a kernel to kill."""
    process = getattr(getattr(manager, "provisioner", None), "process", None)
    if process is None:
        return False
    if process.poll() is None:
        try:
            if hasattr(os, "killpg"):
                # Kernels start in a session of their own: this ends what they
                # started too (a subprocess a cell left running).
                os.killpg(process.pid, signal.SIGKILL)
            else:  # pragma: no cover - Windows
                process.kill()
        except ProcessLookupError:
            pass
    return True
