"""The public surface: what each module exports, where it is documented, what it costs."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import apsnb
import apsnb.triggers

ROOT = Path(__file__).resolve().parent.parent
#: The cron trigger's parts, like APScheduler's, are internal despite their names.
INTERNAL = {"apsnb.triggers.cron.expressions",
            "apsnb.triggers.cron.fields", "apsnb.triggers.cron.search"}  # fmt: skip
#: Modules users import; private modules (leading underscore) are not.
PUBLIC_MODULES = [
    "apsnb",
    *sorted(
        info.name
        for info in pkgutil.walk_packages(apsnb.__path__, "apsnb.")
        if not any(part.startswith("_") for part in info.name.split("."))
        and info.name not in INTERNAL
    ),
]


def documentation() -> str:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(page.read_text() for page in pages)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_all_lists_exactly_the_public_names(module_name: str) -> None:
    module = importlib.import_module(module_name)
    defined_here = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == module_name
    }
    if not hasattr(module, "__all__"):
        # A plug-in family's package (datastores, executors…) only holds modules.
        assert not defined_here and hasattr(module, "__path__"), module_name
        return
    assert isinstance(module.__all__, tuple)
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.__all__ names missing {name}"
    assert defined_here <= set(module.__all__), defined_here - set(module.__all__)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_name_is_documented(module_name: str) -> None:
    text = documentation()
    module = importlib.import_module(module_name)
    missing = [name for name in getattr(module, "__all__", ()) if name not in text]
    assert not missing, f"not mentioned in README.md or docs/: {missing}"


def test_importing_apsnb_and_its_triggers_stays_light() -> None:
    code = (
        "import sys, apsnb, apsnb.triggers.cron, apsnb.triggers.interval, "
        "apsnb.triggers.calendarinterval, apsnb.triggers.date, apsnb.triggers.combining;"
        "heavy = {'pandas', 'matplotlib', 'ipywidgets', 'numpy', 'anyio', 'asyncio'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_triggers_package_re_exports_every_trigger_on_first_use() -> None:
    code = (
        "import sys, apsnb.triggers as triggers;"
        "before = sorted(m for m in sys.modules if m.startswith('apsnb.triggers.'));"
        "from apsnb.triggers import CronTrigger, OrTrigger;"
        "import apsnb.triggers.cron, apsnb.triggers.combining;"
        "assert CronTrigger is apsnb.triggers.cron.CronTrigger;"
        "assert OrTrigger is apsnb.triggers.combining.OrTrigger;"
        "assert 'IntervalTrigger' in dir(triggers);"
        "print(before, 'apsnb.triggers.interval' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]", "False"]
    for name in apsnb.triggers.__all__:
        module = importlib.import_module(f"apsnb.triggers.{TRIGGER_MODULES[name]}")
        assert getattr(apsnb.triggers, name) is getattr(module, name)
    with pytest.raises(AttributeError, match="CronTriger"):
        apsnb.triggers.CronTriger  # noqa: B018


TRIGGER_MODULES = {
    "AndTrigger": "combining", "CalendarIntervalTrigger": "calendarinterval",
    "CronTrigger": "cron", "DateTrigger": "date", "ExcludeTrigger": "exclude",
    "IntervalTrigger": "interval", "OrTrigger": "combining",
}  # fmt: skip
