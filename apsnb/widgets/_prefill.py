"""A composer's form filled in from an existing trigger, to edit it.

The form is read from the trigger's own state (plain data, see ``__getstate__``), so
what the form builds again is the trigger it came from: the same fields, zone, start
and end. Start and end times become wall times in the trigger's zone, to the second.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from .._exceptions import InvalidTriggerArgumentType
from ..abc import Trigger
from ..triggers.calendarinterval import CalendarIntervalTrigger
from ..triggers.combining import AndTrigger, OrTrigger
from ..triggers.cron import CronTrigger
from ..triggers.date import DateTrigger
from ..triggers.interval import IntervalTrigger
from ._forms import CALENDAR_FIELDS, CRON_FIELDS, INTERVAL_UNITS, TriggerForm


def form_for(trigger: Trigger) -> TriggerForm:
    """A form that builds ``trigger`` again (its configuration, not its progress).

    :raises InvalidTriggerArgumentType: for a trigger class the composer does not
        know (a custom trigger: edit its code instead)
    """
    if isinstance(trigger, CronTrigger):
        return _cron_form(trigger)
    if isinstance(trigger, IntervalTrigger):
        return _interval_form(trigger)
    if isinstance(trigger, CalendarIntervalTrigger):
        return _calendar_form(trigger)
    if isinstance(trigger, DateTrigger):
        form = TriggerForm(kind="date", timezone=_zone_name(trigger.run_time))
        form.date.run_time = _wall_time(trigger.run_time)
        return form
    if isinstance(trigger, AndTrigger | OrTrigger):
        return _combined_form(trigger)
    raise InvalidTriggerArgumentType(
        "trigger",
        trigger,
        "a cron, interval, calendar-interval, date, And or Or trigger (the composer "
        "cannot show other classes; change a custom trigger in code)",
    )


def _cron_form(trigger: CronTrigger) -> TriggerForm:
    state = trigger.__getstate__()
    form = TriggerForm(timezone=str(state["timezone"]))
    _set_range(form, trigger.start_time, trigger.end_time)
    if state.get("crontab"):
        form.kind = "crontab"
        form.crontab = str(state["crontab"])
        return form
    form.kind = "cron"
    for name in CRON_FIELDS:
        value = str(state["fields"][name])
        # The seconds field is always given, so every '*' above it is the default
        # an empty field stands for: the form shows only what was chosen.
        setattr(form.cron, name, "" if value == "*" else value)
    return form


def _interval_form(trigger: IntervalTrigger) -> TriggerForm:
    state = trigger.__getstate__()
    form = TriggerForm(kind="interval", timezone=_zone_name(trigger.start_time))
    interval = state["interval"]
    for unit in INTERVAL_UNITS:
        value = interval.get(unit, 0)
        if unit == "seconds":
            value += interval.get("microseconds", 0) / 1_000_000
        setattr(form.interval, unit, value)
    _set_range(form, trigger.start_time, trigger.end_time)
    return form


def _calendar_form(trigger: CalendarIntervalTrigger) -> TriggerForm:
    state = trigger.__getstate__()
    form = TriggerForm(kind="calendar", timezone=str(state["timezone"]))
    values: dict[str, Any] = dict(state["interval"])
    values.update(zip(("hour", "minute", "second"), state["time"], strict=True))
    for name in CALENDAR_FIELDS:
        setattr(form.calendar, name, int(values.get(name, 0)))
    for name in ("start_date", "end_date"):
        text = state.get(name)
        setattr(form.calendar, name, None if text is None else date.fromisoformat(text))
    return form


def _combined_form(trigger: AndTrigger | OrTrigger) -> TriggerForm:
    children = [form_for(child) for child in trigger.triggers]
    zone = children[0].timezone if children else TriggerForm().timezone
    form = TriggerForm(kind="combine", timezone=zone)
    form.combine.children = children
    if isinstance(trigger, AndTrigger):
        form.combine.operator = "and"
        form.combine.threshold = trigger.threshold.total_seconds()
    else:
        form.combine.operator = "or"
    return form


def _set_range(form: TriggerForm, start: datetime | None, end: datetime | None) -> None:
    form.start_time = _wall_time(start, form.timezone)
    form.end_time = _wall_time(end, form.timezone)


def _zone_name(value: datetime | None) -> str:
    key = getattr(getattr(value, "tzinfo", None), "key", None)
    return key if isinstance(key, str) else "UTC"


def _wall_time(value: datetime | None, zone: str | None = None) -> datetime | None:
    """``value`` as a naive wall time in ``zone`` (its own by default), to the second."""
    if value is None:
        return None
    if zone is not None:
        from .._converters import as_timezone

        value = value.astimezone(as_timezone(zone))
    return value.replace(tzinfo=None, microsecond=0)
