"""apsnb.notebooks: a notebook as a task, with real kernels (one each run)."""

from __future__ import annotations

import math
import os
import pickle
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest

from apsnb import (
    AsyncScheduler,
    InvalidNotebookParameters,
    InvalidNotebookTimeout,
    JobOutcome,
    JobReleased,
    NotANotebook,
    NotebookFailed,
    NotebookNotFound,
    UnknownKernel,
)
from apsnb.datastores.memory import MemoryDataStore
from apsnb.notebooks import check_notebook, run_notebook
from apsnb.notebooks._naming import safe_name, stamp
from apsnb.triggers.date import DateTrigger

from .notebook_support import (
    dying_notebook,
    failing_notebook,
    outputs,
    report_notebook,
    sleeping_notebook,
    sources,
    write_notebook,
)

# Before anything runs: named errors at the call


def test_a_missing_notebook_is_named(tmp_path: Path) -> None:
    with pytest.raises(NotebookNotFound, match=r"missing\.ipynb' does not exist"):
        run_notebook(tmp_path / "missing.ipynb")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("notes.txt", "{}", "does not end with .ipynb"),
        ("broken.ipynb", "{not json", "does not read as JSON"),
        ("empty.ipynb", "{}", "no list of cells"),
    ],
)
def test_a_file_that_is_not_a_notebook_is_refused(
    tmp_path: Path, name: str, content: str, reason: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(NotANotebook, match=reason):
        check_notebook(path)
    with pytest.raises(NotANotebook, match="is a folder"):
        check_notebook(tmp_path)


@pytest.mark.parametrize(
    ("parameters", "named"),
    [
        ({"when": datetime(2026, 1, 1, tzinfo=UTC)}, "when = datetime"),
        ({"ratio": math.nan}, "ratio = nan"),
        ({"rows": [1, {2, 3}]}, r"rows\[1\] = \{2, 3\}"),
        ({"not a name": 1}, "name 'not a name'"),
        (["city", "Oulu"], "parameters = \\['city'"),
    ],
)
def test_parameters_must_be_json_data(
    tmp_path: Path, parameters: object, named: str
) -> None:
    notebook = write_notebook(tmp_path / "n.ipynb", "pass")
    with pytest.raises(InvalidNotebookParameters, match=named):
        run_notebook(notebook, parameters=parameters)  # type: ignore[arg-type]


def test_an_unknown_kernel_and_a_bad_timeout_are_named(tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "n.ipynb", "pass")
    with pytest.raises(
        UnknownKernel, match=r"no Jupyter kernel named 'julia-9'.*python3"
    ):
        run_notebook(notebook, kernel_name="julia-9")
    for timeout in (0, -1, "10"):
        with pytest.raises(InvalidNotebookTimeout):
            check_notebook(notebook, timeout=timeout)  # type: ignore[arg-type]
    assert not (tmp_path / "runs").exists()  # nothing ran


def test_output_names_sort_by_fire_time_and_are_safe_everywhere() -> None:
    assert stamp(datetime(2026, 3, 29, 4, 0, tzinfo=UTC)) == "20260329T040000Z"
    helsinki = datetime.fromisoformat("2026-03-29T07:00:00.5+03:00")
    assert stamp(helsinki) == "20260329T040000.500000Z"
    assert safe_name("reports/daily: Helsinki") == "reports_daily_Helsinki"
    assert safe_name("..") == "_"


def test_a_notebook_failure_crosses_processes() -> None:
    error = NotebookFailed(
        "cell 2 raised", output_path="/x.ipynb", reason="cell raised", cell_index=2
    )
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.output_path, copy.cell_index) == (
        "cell 2 raised", "/x.ipynb", 2,
    )  # fmt: skip


# Real kernels


def test_a_run_injects_its_parameters_and_keeps_the_executed_copy(
    tmp_path: Path,
) -> None:
    notebook = report_notebook(tmp_path / "reports")
    result = run_notebook(notebook, parameters={"city": "Helsinki"})
    output = Path(result["output_path"])
    assert output.parent == tmp_path / "reports" / "runs" / "report"
    assert output.name.endswith("Z-success.ipynb")
    printed = outputs(output)
    # The kernel ran in the notebook's folder, as in Jupyter.
    assert printed == f"report for Helsinki at None in {tmp_path / 'reports'}\n"
    assert 'city = "Helsinki"' in sources(output)  # papermill's injected cell
    assert result["parameters"] == {"city": "Helsinki"}
    assert 0 < result["duration"] < 60
    assert os.getcwd() != str(tmp_path / "reports")  # this process stayed put


def test_what_the_kernel_process_writes_is_logged_a_record_per_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Outside any cell's output: a C library's warning, a subprocess, os.write.
    notebook = write_notebook(
        tmp_path / "noisy.ipynb", "import os\nos.write(2, b'low level\\nsecond\\n')"
    )
    with caplog.at_level("INFO", logger="apsnb.kernel"):
        result = run_notebook(notebook)
        deadline = time.monotonic() + 10  # its reader may still be draining the pipe
        while len(kernel_lines(caplog)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert kernel_lines(caplog)[-2:] == [
        "kernel of noisy.ipynb: low level",
        "kernel of noisy.ipynb: second",
    ]
    assert "low level" not in outputs(Path(result["output_path"]))


def kernel_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "apsnb.kernel"]


def test_a_failing_cell_is_named_and_its_copy_is_written(tmp_path: Path) -> None:
    notebook = failing_notebook(tmp_path)
    with pytest.raises(NotebookFailed) as caught:
        run_notebook(notebook, output_dir=tmp_path / "out")
    error = caught.value
    assert error.reason == "cell raised"
    assert (error.exception_type, error.exception_message) == (
        "ZeroDivisionError", "division by zero",
    )  # fmt: skip
    assert "average = 10 / (rows - 3)" in str(error)
    output = Path(error.output_path)
    assert output.parent == tmp_path / "out" / "failing"
    assert output.name.endswith("-error.ipynb")
    assert "ZeroDivisionError: division by zero" in outputs(output)
    assert "unreached" not in outputs(output)


def test_a_run_past_its_timeout_has_its_kernel_stopped(tmp_path: Path) -> None:
    pid_file = tmp_path / "kernel.pid"
    notebook = sleeping_notebook(tmp_path, pid_file)
    started = time.monotonic()
    with pytest.raises(NotebookFailed, match="timed out after 3 s") as caught:
        run_notebook(notebook, timeout=timedelta(seconds=3))
    assert time.monotonic() - started < 20
    assert caught.value.reason == "timed out"
    assert Path(caught.value.output_path).name.endswith("-error.ipynb")
    kernel = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(kernel, 0)


def test_a_kernel_that_dies_fails_the_run_and_the_next_run_works(
    tmp_path: Path,
) -> None:
    with pytest.raises(NotebookFailed, match="the kernel died") as caught:
        run_notebook(dying_notebook(tmp_path))
    assert caught.value.reason == "kernel died"
    assert Path(caught.value.output_path).exists()


@pytest.mark.anyio
async def test_a_scheduled_run_gets_its_fire_time_and_leaves_a_record(
    tmp_path: Path,
) -> None:
    notebook = report_notebook(tmp_path)
    fire_time = datetime.now(UTC).replace(microsecond=0)
    released: list[JobReleased] = []
    async with AsyncScheduler(MemoryDataStore(), identity="notebooks") as scheduler:
        scheduler.subscribe(released.append, JobReleased)
        await scheduler.start_in_background()
        await scheduler.add_schedule(
            run_notebook,
            DateTrigger(fire_time),
            id="daily/report",
            kwargs={"path": str(notebook), "parameters": {"city": "Oulu"}},
        )
        # The event loop stays free while the notebook runs in its kernel.
        ticks = 0
        with anyio.fail_after(60):
            while not released:
                await anyio.sleep(0.05)
                ticks += 1
        [record] = await scheduler.get_runs(schedule_id="daily/report")
    assert released[0].outcome is JobOutcome.success
    assert ticks > 5
    output = Path(record.output_path or "")
    assert output == tmp_path / "runs" / "daily_report" / (
        f"{stamp(fire_time)}-success.ipynb"
    )
    assert f"report for Oulu at {fire_time.isoformat()}" in outputs(output)


def test_add_notebook_schedule_checks_now_and_stores_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apsnb import Scheduler
    from apsnb.triggers.interval import IntervalTrigger

    report_notebook(tmp_path / "reports")
    monkeypatch.chdir(tmp_path)
    with Scheduler(MemoryDataStore(), identity="short-form") as scheduler:
        schedule_id = scheduler.add_notebook_schedule(
            "reports/report.ipynb",
            IntervalTrigger(hours=1),
            parameters={"city": "Oulu"},
            output_dir="runs",
            timeout=timedelta(minutes=5),
            paused=True,
        )
        schedule = scheduler.get_schedule(schedule_id)
        with pytest.raises(NotebookNotFound):
            scheduler.add_notebook_schedule(
                "reports/typo.ipynb", IntervalTrigger(hours=1)
            )
        with pytest.raises(InvalidNotebookParameters):
            scheduler.add_notebook_schedule(
                "reports/report.ipynb", IntervalTrigger(hours=1), parameters={"n": {1}}
            )
        assert [s.id for s in scheduler.get_schedules()] == ["report"]
    assert (schedule_id, schedule.task_id, schedule.paused) == (
        "report", "apsnb.notebooks:run_notebook", True,
    )  # fmt: skip
    assert schedule.kwargs == {
        "path": str(tmp_path / "reports" / "report.ipynb"),
        "parameters": {"city": "Oulu"},
        "output_dir": str(tmp_path / "runs"),
        "timeout": 300.0,
    }
