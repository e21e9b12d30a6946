"""The guided tour, ``python -m apsnb``, run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pandas")


def run_tour(
    *arguments: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    finished = subprocess.run(
        [sys.executable, "-m", "apsnb", *arguments],
        cwd=cwd,
        env=None if env is None else {**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    return finished


def test_tour_prints_descriptions_fire_times_and_checks(tmp_path: Path) -> None:
    finished = run_tour("--no-plot", cwd=tmp_path)
    assert finished.stderr == ""
    output = finished.stdout
    lines = output.splitlines()
    assert lines[0] == (
        "When do these triggers fire? The next 5 fire times of each, from"
    )
    assert "  at 03:30 every day (Europe/Helsinki)" in lines
    # The nightly 03:30 falls in the spring-forward gap and fires when the gap ends.
    assert (
        "    2026-03-29 04:00 +03:00  Sunday     +23h30m   clocks now +03:00" in lines
    )
    assert (
        "    2026-03-30 09:00 +03:00  Monday     +2d 23h   clocks now +03:00" in lines
    )
    assert output.count("✓ 0 errors, 0 warnings") == 6
    assert "Timeline saved" not in output
    assert list(tmp_path.iterdir()) == []


def test_tour_prints_the_same_every_run(tmp_path: Path) -> None:
    assert (
        run_tour("--no-plot", "-n", "3", cwd=tmp_path).stdout
        == run_tour("--no-plot", "-n", "3", cwd=tmp_path).stdout
    )


def test_tour_n_sets_the_rows_per_trigger(tmp_path: Path) -> None:
    output = run_tour("--no-plot", "-n", "2", cwd=tmp_path).stdout
    rows = [line for line in output.splitlines() if line.startswith("    2026-")]
    assert len(rows) == 2 * 6


def test_tour_saves_the_timeline_where_asked(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "plots" / "tour.png"
    target.parent.mkdir()
    output = run_tour("--plot", str(target), "-n", "1", "--no-scheduler", cwd=tmp_path)
    assert output.stdout.splitlines()[-1] == f"Timeline saved to {target.resolve()}"
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert target.stat().st_size > 10_000


def test_tour_saves_the_timeline_in_the_temp_folder_by_default(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    work, temp = tmp_path / "clone", tmp_path / "temp"
    work.mkdir()
    temp.mkdir()
    output = run_tour("-n", "1", "--no-scheduler", cwd=work, env={"TMPDIR": str(temp)})
    target = temp / "apsnb-tour.png"
    assert output.stdout.splitlines()[-1] == f"Timeline saved to {target.resolve()}"
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert list(work.iterdir()) == []


def test_tour_runs_a_scheduler_on_sqlite_and_finds_its_schedules_again(
    tmp_path: Path,
) -> None:
    lines = run_tour("--no-plot", "-n", "1", cwd=tmp_path).stdout.splitlines()
    part = lines[lines.index("  run_job(greet, …) returned 'hello, you'") :]
    assert "    apsnb._tour_scheduler:greet → success" in part
    assert "    apsnb._tour_scheduler:fail → error" in part
    assert "  schedules found: fail, greet" in part
    assert part[-1] == "  and they fire again: yes"
