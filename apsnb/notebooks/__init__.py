"""Whole notebooks as scheduled tasks, executed with papermill.

:func:`run_notebook` is an ordinary task function, stored by reference
(``apsnb.notebooks:run_notebook``), so any worker sharing the store can run it::

    from apsnb.notebooks import run_notebook

    await scheduler.add_schedule(
        run_notebook,
        CronTrigger(hour=7, timezone="Europe/Helsinki"),
        id="daily-report",
        kwargs=dict(path="/home/me/report.ipynb", parameters={"city": "Helsinki"},
                    output_dir="/home/me/runs"),
    )

Needs ``pip install 'apsnb[notebooks]'`` (papermill, ipykernel) where notebooks run;
scheduling one does not.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .._exceptions import NotebookFailed
from ._checks import (
    checked_parameters,
    checked_timeout,
    installed_kernel,
    notebook_path,
    read_notebook,
)
from ._naming import run_folder, stamp, unique_path

__all__ = ("FIRE_TIME_PARAMETER", "check_notebook", "notebook_kwargs", "run_notebook")

#: The parameter that brings a scheduled run's fire time into the notebook, as an
#: ISO 8601 string with its offset (``"2026-03-29T07:00:00+03:00"``): declare
#: ``scheduled_fire_time = None`` in the cell tagged ``parameters``.
FIRE_TIME_PARAMETER = "scheduled_fire_time"
#: The kernel of a notebook that names none.
DEFAULT_KERNEL = "python3"


def check_notebook(
    path: str | os.PathLike[str],
    *,
    parameters: dict[str, Any] | None = None,
    timeout: float | timedelta | None = None,
    kernel_name: str | None = None,
) -> Path:
    """Check what :func:`run_notebook` would be given; return the notebook's
    absolute path.

    :raises NotebookNotFound: if ``path`` does not exist
    :raises NotANotebook: if it is not a notebook Jupyter can open
    :raises InvalidNotebookParameters: if ``parameters`` are not JSON data
    :raises InvalidNotebookTimeout: if ``timeout`` is not a positive duration
    :raises UnknownKernel: if the kernel (``kernel_name``, else the notebook's own)
        is not installed here
    """
    notebook = notebook_path(path)
    info = read_notebook(notebook)
    checked_parameters(parameters)
    checked_timeout(timeout)
    installed_kernel(kernel_name or info.kernel_name or DEFAULT_KERNEL)
    return notebook


def notebook_kwargs(
    path: str | os.PathLike[str],
    *,
    parameters: dict[str, Any] | None = None,
    output_dir: str | os.PathLike[str] | None = None,
    timeout: float | timedelta | None = None,
    kernel_name: str | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Check a notebook run's arguments now (see :func:`check_notebook`); return the
    notebook's absolute path and the ``kwargs`` of a ``run_notebook`` schedule, with
    absolute paths and only the arguments given."""
    notebook = check_notebook(
        path, parameters=parameters, timeout=timeout, kernel_name=kernel_name
    )
    kwargs: dict[str, Any] = {"path": str(notebook)}
    if parameters:
        kwargs["parameters"] = dict(parameters)
    if output_dir is not None:
        kwargs["output_dir"] = str(Path(output_dir).expanduser().absolute())
    if timeout is not None:
        kwargs["timeout"] = checked_timeout(timeout)
    if kernel_name is not None:
        kwargs["kernel_name"] = kernel_name
    return notebook, kwargs


def run_notebook(
    path: str | os.PathLike[str],
    *,
    parameters: dict[str, Any] | None = None,
    output_dir: str | os.PathLike[str] | None = None,
    timeout: float | timedelta | None = None,
    kernel_name: str | None = None,
) -> dict[str, Any]:
    """Execute a notebook with papermill, in a fresh kernel, and keep the executed copy.

    ``parameters`` are injected after the cell tagged ``parameters`` (papermill's
    convention). Run as a scheduled job, a notebook with such a cell gets the job's
    fire time too, as :data:`FIRE_TIME_PARAMETER` (``scheduled_fire_time``, an ISO
    string with its offset), so it knows which period it covers even when it runs
    late. The executed copy, with its outputs
    and the injected parameters, is written to
    ``output_dir/<schedule id>/<fire time>-<outcome>.ipynb`` (the fire time in UTC,
    ``20260329T040000Z``; a run outside a schedule goes in a folder named after the
    notebook, stamped with its start time).

    The run takes a thread and a kernel of its own: it never runs on an event loop,
    so a scheduler and the notebook it was started from stay responsive.

    :param path: the notebook (an absolute path is best for a worker: a relative
        one is resolved from the current folder of the process that runs it)
    :param parameters: JSON data: a dict of names to str, int, float, bool, None,
        lists and dicts
    :param output_dir: where executed copies go (default: ``runs`` beside the
        notebook)
    :param timeout: the longest the whole run may take (seconds or a timedelta);
        past it the kernel is stopped and the run fails with "timed out"
    :param kernel_name: the kernel to run it in (default: the notebook's own)
    :return: ``{"output_path": …, "duration": seconds, "parameters": {…},
        "kernel_name": …}`` (plain data: any store's serializer keeps it)
    :raises NotebookFailed: when a cell raises (with the cell and the exception),
        the run times out, or the kernel dies; the executed copy is written all the
        same, as ``…-error.ipynb``
    :raises NotebookNotFound, NotANotebook, InvalidNotebookParameters,
        InvalidNotebookTimeout, UnknownKernel: before anything runs (see
        :func:`check_notebook`)
    """
    from .._schedulers.async_ import current_job

    notebook = notebook_path(path)
    info = read_notebook(notebook)
    injected = checked_parameters(parameters)
    seconds = checked_timeout(timeout)
    kernel = kernel_name or info.kernel_name or DEFAULT_KERNEL
    language = installed_kernel(kernel)
    try:
        from ._execution import Run, execute, quiet_parameter
    except ImportError as error:  # pragma: no cover - depends on the install
        raise ModuleNotFoundError(
            f"run_notebook needs {error.name}: pip install 'apsnb[notebooks]'",
            name=error.name,
        ) from error

    job = current_job.get()
    fire_time = None if job is None else job.scheduled_fire_time
    if fire_time is not None and info.has_parameters_cell:
        injected.setdefault(FIRE_TIME_PARAMETER, fire_time.isoformat())
        quiet_parameter(FIRE_TIME_PARAMETER)
    base = (
        notebook.parent / "runs"
        if output_dir is None
        else Path(output_dir).expanduser().absolute()
    )
    folder = run_folder(base, None if job is None else job.schedule_id, notebook)
    folder.mkdir(parents=True, exist_ok=True)
    name = stamp(fire_time or datetime.now(UTC))
    running = unique_path(folder, name, "running")

    execution = execute(Run(notebook, running, injected, kernel, language, seconds))
    outcome = "success" if execution.error is None else "error"
    output = unique_path(folder, name, outcome)
    if running.exists():
        running.replace(output)
    else:  # the kernel never started: keep the parameterized notebook
        output.write_bytes(notebook.read_bytes())
    if execution.error is not None:
        raise _failure(execution, str(output), seconds) from execution.error
    return {
        "output_path": str(output),
        "duration": execution.seconds,
        "parameters": injected,
        "kernel_name": kernel,
    }


#: IPython marks the line that raised in each frame: "----> 4     total / count".
_ARROW = re.compile(r"^-*>\s*(\d+)\s?(.*)$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _failing_line(traceback: list[str], source: str) -> str:
    """The cell's line that raised, as ``line 4: 'total / count'`` (the first
    frame IPython shows is the cell's own), or the cell's first line."""
    for entry in traceback:
        for line in _ANSI.sub("", entry).splitlines():
            found = _ARROW.match(line.strip())
            if found:
                return f"line {found.group(1)}: {found.group(2).strip()!r}"
    lines = source.strip().splitlines()
    return f"which starts {lines[0]!r}" if lines else "an empty cell"


def _failure(execution: Any, output: str, timeout: float | None) -> NotebookFailed:
    error = execution.error
    if execution.timed_out:
        return NotebookFailed(
            f"timed out after {timeout:g} s; the kernel was stopped. Executed copy: "
            f"{output}",
            output_path=output,
            reason="timed out",
        )
    if execution.kernel_died:
        return NotebookFailed(
            f"the kernel died (the notebook may have run out of memory or exited "
            f"the process). Executed copy: {output}",
            output_path=output,
            reason="kernel died",
        )
    cell_index = getattr(error, "cell_index", None)
    if cell_index is not None:
        ename, evalue = error.ename, error.evalue
        where = _failing_line(error.traceback or [], error.source or "")
        return NotebookFailed(
            f"cell {cell_index} (In [{error.exec_count}], {where}) raised "
            f"{ename}: {evalue.rstrip('.')}. Executed copy: {output}",
            output_path=output,
            reason="cell raised",
            cell_index=cell_index,
            exception_type=ename,
            exception_message=evalue,
        )
    return NotebookFailed(
        f"the notebook could not be run: {type(error).__name__}: "
        f"{str(error).rstrip('.')}. Executed copy: {output}",
        output_path=output,
        reason="could not run",
        exception_type=type(error).__name__,
        exception_message=str(error),
    )
