"""The documentation is part of the product: its examples run and its tables are true."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import io
import itertools
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from apsnb.triggers.calendarinterval import CalendarIntervalTrigger
from apsnb.triggers.cron import CronTrigger
from apsnb.triggers.interval import IntervalTrigger

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
# ``python`` blocks run as they are; ``ipython`` blocks are notebook cells and may use
# top-level ``await``. Both run, in order, in one namespace and one event loop per page.
# ``py`` blocks are illustrations (names the reader supplies) and are not run.
CODE_BLOCK = re.compile(r"```i?python\n(.*?)```", re.DOTALL)


def python_blocks(path: Path) -> list[str]:
    return CODE_BLOCK.findall(path.read_text())


@pytest.mark.parametrize("path", [ROOT / "README.md", *DOCS], ids=lambda p: p.name)
def test_examples_run(path: Path) -> None:
    namespace: dict[str, object] = {"__name__": "docs"}
    loop = asyncio.new_event_loop()
    try:
        for block in python_blocks(path):
            code = compile(
                block, str(path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
            )
            with contextlib.redirect_stdout(io.StringIO()):
                result = eval(code, namespace)
                if inspect.iscoroutine(result):
                    loop.run_until_complete(asyncio.wait_for(result, timeout=30))
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def test_readme_example_prints_what_its_comments_say() -> None:
    block = python_blocks(ROOT / "README.md")[0]
    expected = [line.split("#", 1)[1].split("(")[0].strip() for line in block.splitlines()
                if line.startswith("print(") and "#" in line]  # fmt: skip
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(block, {})
    assert output.getvalue().splitlines() == expected


def dst_table_rows() -> list[list[str]]:
    lines = (ROOT / "docs" / "dst.md").read_text().splitlines()
    rows = [line.strip("|").split("|") for line in lines if line.startswith("| ")]
    return [[cell.strip() for cell in row] for row in rows if row[0].strip() != "Zone"]


def build(expression: str, zone: ZoneInfo, start: datetime) -> object:
    """Evaluate a documented trigger with the row's zone and start added."""
    if expression.startswith("IntervalTrigger"):
        extra = {"start_time": start}
    elif expression.startswith("CalendarIntervalTrigger"):
        extra = {"start_date": start.date(), "timezone": zone}
    else:
        extra = {"start_time": start, "timezone": zone}
    namespace = {
        "CronTrigger": CronTrigger,
        "IntervalTrigger": IntervalTrigger,
        "CalendarIntervalTrigger": CalendarIntervalTrigger,
        "extra": extra,
    }
    call = expression.rstrip(")") + (", " if not expression.endswith("()") else "")
    return eval(call + "**extra)", namespace)


def test_dst_table_has_rows() -> None:
    assert len(dst_table_rows()) >= 10


@pytest.mark.parametrize(
    "row", dst_table_rows(), ids=lambda row: f"{row[0]} {row[1]} {row[2]}"
)
def test_dst_table_row_is_what_apsnb_does(row: list[str]) -> None:
    zone_name, expression, start_text, expected_text, _why = row
    zone = ZoneInfo(zone_name)
    start = datetime.fromisoformat(start_text).replace(tzinfo=zone)
    trigger = build(expression.strip("`"), zone, start)
    expected = [item.strip() for item in expected_text.split(",")]
    times = list(itertools.islice(trigger, len(expected)))  # type: ignore[call-overload]
    shown = [t.strftime("%m-%d %H:%M") + t.isoformat()[-6:] for t in times]
    assert shown == expected
