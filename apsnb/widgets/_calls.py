"""A trigger constructor call as data: build it, or write it as Python code.

The composer derives both the trigger and the code from one ``TriggerCall``, so what it
builds and what it shows cannot disagree.
"""

from __future__ import annotations

import importlib
from datetime import date, datetime
from typing import Any, NamedTuple

from ..abc import Trigger

# Where each trigger class is imported from, for building it and for the code's imports.
_MODULES = {
    "CronTrigger": "apsnb.triggers.cron",
    "IntervalTrigger": "apsnb.triggers.interval",
    "CalendarIntervalTrigger": "apsnb.triggers.calendarinterval",
    "DateTrigger": "apsnb.triggers.date",
    "AndTrigger": "apsnb.triggers.combining",
    "OrTrigger": "apsnb.triggers.combining",
}


class TriggerCall(NamedTuple):
    """A trigger constructor call: ``CronTrigger(hour='9')`` as data."""

    factory: str  # "CronTrigger" or "CronTrigger.from_crontab"
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    def build(self) -> Trigger:
        """Call the constructor (a fresh trigger every time)."""
        class_name, _, method = self.factory.partition(".")
        factory = getattr(importlib.import_module(_MODULES[class_name]), class_name)
        if method:
            factory = getattr(factory, method)
        args = [_built(value) for value in self.args]
        return factory(*args, **{key: _built(v) for key, v in self.kwargs.items()})

    def code(self, indent: int = 0) -> str:
        """The Python expression that makes this call (see :meth:`imports`)."""
        parts = [_code(value, indent) for value in self.args]
        parts += [f"{key}={_code(v, indent)}" for key, v in self.kwargs.items()]
        return f"{self.factory}({', '.join(parts)})"

    def imports(self) -> str:
        """The import lines :meth:`code` needs, one per line."""
        names: dict[str, set[str]] = {}
        _collect_imports(self, names)
        return "\n".join(
            f"from {module} import {', '.join(sorted(names[module]))}"
            for module in sorted(names, key=lambda m: (m.startswith("apsnb"), m))
        )


def _built(value: Any) -> Any:
    if isinstance(value, TriggerCall):
        return value.build()
    if isinstance(value, list):
        return [_built(item) for item in value]
    return value


def _code(value: Any, indent: int) -> str:
    if isinstance(value, TriggerCall):
        return value.code(indent)
    if isinstance(value, list):
        # One child per line: combined triggers are read top to bottom.
        inner = " " * (indent + 4)
        items = "".join(f"{inner}{_code(item, indent + 4)},\n" for item in value)
        return f"[\n{items}{' ' * indent}]"
    if isinstance(value, datetime):
        return _datetime_code(value)
    if isinstance(value, date):
        return f"date({value.year}, {value.month}, {value.day})"
    return repr(value)


def _datetime_code(value: datetime) -> str:
    key = getattr(value.tzinfo, "key", None)
    if not isinstance(key, str):  # a fixed offset: the ISO form says it exactly
        return f"datetime.fromisoformat({value.isoformat()!r})"
    numbers = [value.year, value.month, value.day, value.hour, value.minute]
    if value.second or value.microsecond:
        numbers.append(value.second)
    if value.microsecond:
        numbers.append(value.microsecond)
    fold = ", fold=1" if value.fold else ""
    return f"datetime({', '.join(map(str, numbers))}, tzinfo=ZoneInfo({key!r}){fold})"


def _collect_imports(value: Any, names: dict[str, set[str]]) -> None:
    if isinstance(value, TriggerCall):
        class_name = value.factory.partition(".")[0]
        names.setdefault(_MODULES[class_name], set()).add(class_name)
        for item in (*value.args, *value.kwargs.values()):
            _collect_imports(item, names)
    elif isinstance(value, list):
        for item in value:
            _collect_imports(item, names)
    elif isinstance(value, datetime):
        names.setdefault("datetime", set()).add("datetime")
        if isinstance(getattr(value.tzinfo, "key", None), str):
            names.setdefault("zoneinfo", set()).add("ZoneInfo")
    elif isinstance(value, date):
        names.setdefault("datetime", set()).add("date")
