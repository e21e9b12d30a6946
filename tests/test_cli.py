"""The ``apsnb`` command line: what each subcommand prints and its exit status.

The worker itself runs as a real process in tests/test_worker.py; these call the
commands in this process (click's runner) on real SQLite files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from apsnb import Scheduler
from apsnb.cli import main
from apsnb.triggers.cron import CronTrigger
from apsnb.triggers.interval import IntervalTrigger

from .jobfuncs import scaled_sum
from .process_harness import REPO


def apsnb(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "jobs.sqlite"
    with Scheduler(path, identity="setup") as scheduler:
        scheduler.add_schedule(
            scaled_sum,
            CronTrigger.from_crontab("30 7 * * mon-fri", timezone="Europe/Helsinki"),
            id="weekday-mornings",
            args=(1, 2),
        )
        scheduler.add_schedule(
            scaled_sum,
            IntervalTrigger(hours=6, start_time=datetime.now(UTC) + timedelta(hours=1)),
            id="every-6-hours",
            args=(3, 4),
        )
    return path


def test_schedules_lists_id_task_trigger_in_words_next_fire_time_paused(
    store: Path,
) -> None:
    result = apsnb("schedules", str(store))
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["ID", "TASK", "TRIGGER", "NEXT", "FIRE", "TIME", "PAUSED"]
    assert rows[0].split()[:5] == [
        "every-6-hours", "tests.jobfuncs:scaled_sum", "every", "6", "hours",
    ]  # fmt: skip
    assert rows[1].startswith("weekday-mornings")
    assert "at 07:30 on Monday through Friday (Europe/Helsinki)" in rows[1]
    assert rows[1].endswith("no")


def test_pause_resume_and_remove_change_the_store(store: Path) -> None:
    assert apsnb("pause", str(store), "weekday-mornings").stdout == (
        "paused weekday-mornings\n"
    )
    listed = [
        json.loads(line)
        for line in apsnb("schedules", str(store), "--json").stdout.splitlines()
    ]
    assert {row["id"]: row["paused"] for row in listed} == {
        "every-6-hours": False,
        "weekday-mornings": True,
    }
    assert apsnb("resume", str(store), "weekday-mornings").exit_code == 0
    assert apsnb("remove", str(store), "every-6-hours").exit_code == 0
    listed = [
        json.loads(line)
        for line in apsnb("schedules", str(store), "--json").stdout.splitlines()
    ]
    assert [(row["id"], row["paused"]) for row in listed] == [
        ("weekday-mornings", False)
    ]


@pytest.mark.parametrize("command", ["pause", "resume", "remove"])
def test_an_unknown_schedule_id_is_exit_status_1(store: Path, command: str) -> None:
    result = apsnb(command, str(store), "no-such-schedule")
    assert result.exit_code == 1
    assert "no-such-schedule" in result.stderr


def test_a_missing_store_is_reported_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "typo.sqlite"
    for command in (["schedules"], ["runs"], ["pause", "x"]):
        result = apsnb(command[0], str(missing), *command[1:])
        assert result.exit_code == 1
        assert f"no store at {str(missing)!r}" in result.stderr
    assert not missing.exists()


def test_runs_of_a_store_without_runs_says_so(store: Path) -> None:
    result = apsnb("runs", str(store))
    assert (result.exit_code, result.stdout) == (0, "")
    assert "no runs in" in result.stderr


def test_runs_filters_by_schedule_and_time(store: Path) -> None:
    with Scheduler(store, identity="runner") as scheduler:
        scheduler.start_in_background()
        assert scheduler.run_job(scaled_sum, args=(2, 2)) == 4
    now = datetime.now(UTC)
    since = (now - timedelta(minutes=5)).isoformat()
    found = apsnb("runs", str(store), "--since", since, "--json")
    [record] = [json.loads(line) for line in found.stdout.splitlines()]
    assert (record["task_id"], record["outcome"]) == (
        "tests.jobfuncs:scaled_sum",
        "success",
    )
    assert record["duration"] >= 0
    later = apsnb(
        "runs", str(store), "--since", (now + timedelta(minutes=1)).isoformat()
    )
    assert later.stdout == ""
    naive = apsnb("runs", str(store), "--since", "2026-03-29T07:00")
    assert naive.exit_code == 2
    assert "has no offset" in naive.stderr


def test_preview_tabulates_the_next_fire_times_of_a_crontab() -> None:
    result = apsnb(
        "preview", "30 3 * * *", "--timezone", "Europe/Helsinki", "-n", "3",
        "--start", "2026-03-28T00:00+02:00",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "'30 3 * * *' in Europe/Helsinki:"
    assert lines[1].split()[:2] == ["fire_time", "utc"]
    # 03:30 does not exist on 2026-03-29 in Helsinki: it fires at 04:00.
    assert [line.split()[:2] for line in lines[2:]] == [
        ["2026-03-28", "03:30:00+02:00"],
        ["2026-03-29", "04:00:00+03:00"],
        ["2026-03-30", "03:30:00+03:00"],
    ]


def test_preview_of_a_bad_crontab_is_exit_status_1() -> None:
    result = apsnb("preview", "61 * * * *")
    assert result.exit_code == 1
    assert "minute" in result.stderr


def test_every_command_has_help() -> None:
    for command in main.commands:
        result = apsnb(command, "--help") if command != "tour" else apsnb("--help")
        assert result.exit_code == 0
        assert "Usage:" in result.stdout


def test_the_apsnb_console_script_and_python_m_apsnb() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["project"]["scripts"] == {"apsnb": "apsnb.cli:main"}
    shown = subprocess.run(
        [sys.executable, "-m", "apsnb", "--help"],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert shown.returncode == 0
    assert "worker" in shown.stdout and "Usage: apsnb" in shown.stdout


def test_the_worker_refuses_an_allow_entry_that_is_not_a_module(store: Path) -> None:
    result = apsnb("worker", str(store), "--allow", "not a module")
    assert result.exit_code == 1
    assert "allowed_modules entry 'not a module'" in result.stderr


def test_python_m_apsnb_alone_runs_the_tour(tmp_path: Path) -> None:
    # What `python3 run.py demo` runs.
    tour = subprocess.run(
        [sys.executable, "-m", "apsnb"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"},
    )  # fmt: skip
    assert tour.returncode == 0, tour.stderr
    assert "Europe/Helsinki" in tour.stdout


def test_schedules_names_the_notebook_a_notebook_schedule_runs(
    store: Path, tmp_path: Path
) -> None:
    from .notebook_support import report_notebook

    notebook = report_notebook(tmp_path / "reports")
    with Scheduler(store, identity="setup") as scheduler:
        scheduler.add_notebook_schedule(
            notebook, IntervalTrigger(hours=1), id="daily-report", paused=True
        )
    [row] = [
        json.loads(line)
        for line in apsnb("schedules", str(store), "--json").stdout.splitlines()
        if '"daily-report"' in line
    ]
    assert row["task"] == f"notebook {notebook}"


def test_schedules_lists_a_schedule_it_cannot_read_as_waiting(store: Path) -> None:
    from .test_trust import insert_schedule

    foreign = {"type": "elsewhere.triggers:Nightly", "state": {}}
    insert_schedule(store, "foreign", "tests.jobfuncs:scaled_sum", foreign, [])
    result = apsnb("schedules", str(store))
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if "foreign" in line)
    assert "waiting, unreadable (trigger class elsewhere.triggers:Nightly" in line
    assert "1 schedules wait" in result.stderr
    assert "--allow" in result.stderr
    rows = [
        json.loads(line)
        for line in apsnb("schedules", str(store), "--json").stdout.splitlines()
    ]
    assert [row["id"] for row in rows] == [
        "every-6-hours",
        "foreign",
        "weekday-mornings",
    ]
    assert "elsewhere.triggers:Nightly" in rows[1]["unreadable"]
