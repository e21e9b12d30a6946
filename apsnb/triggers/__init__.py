"""Every trigger, also importable from here: ``from apsnb.triggers import CronTrigger``.

Each trigger's module is imported the first time its name is used, so importing this
package (or ``apsnb``) costs nothing for the triggers one does not use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .calendarinterval import CalendarIntervalTrigger as CalendarIntervalTrigger
    from .combining import AndTrigger as AndTrigger
    from .combining import OrTrigger as OrTrigger
    from .cron import CronTrigger as CronTrigger
    from .date import DateTrigger as DateTrigger
    from .exclude import ExcludeTrigger as ExcludeTrigger
    from .interval import IntervalTrigger as IntervalTrigger

__all__ = (
    "AndTrigger",
    "CalendarIntervalTrigger",
    "CronTrigger",
    "DateTrigger",
    "ExcludeTrigger",
    "IntervalTrigger",
    "OrTrigger",
)

_MODULES = {
    "AndTrigger": "combining",
    "CalendarIntervalTrigger": "calendarinterval",
    "CronTrigger": "cron",
    "DateTrigger": "date",
    "ExcludeTrigger": "exclude",
    "IntervalTrigger": "interval",
    "OrTrigger": "combining",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
