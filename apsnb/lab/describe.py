"""A trigger in one English sentence: "at 09:00 on Monday through Friday (Europe/Helsinki)"."""

from __future__ import annotations

from ..abc import Trigger
from ..triggers.calendarinterval import CalendarIntervalTrigger
from ..triggers.combining import AndTrigger, OrTrigger
from ..triggers.cron import CronTrigger
from ..triggers.date import DateTrigger
from ..triggers.exclude import ExcludeTrigger
from ..triggers.interval import IntervalTrigger
from ._cron_text import describe_cron
from ._subject import as_trigger
from ._text import MONTH_NAMES, WEEKDAY_NAMES, clock, duration, every, instant, join
from ._text import zone_name as _zone_name

__all__ = ("describe",)

# ExcludeTrigger dates beyond this many are summed up rather than listed.
_MAX_LISTED_DATES = 6


def describe(trigger: Trigger | str) -> str:
    """Say in English when ``trigger`` fires, from its configuration.

    Every built-in trigger gets a sentence: ``CronTrigger`` ("every 15 minutes from
    09:00 through 17:45 on Monday through Friday (Europe/Helsinki)"),
    ``IntervalTrigger`` ("every 2 hours 30 minutes from 2026-01-01 09:00 +02:00"),
    ``CalendarIntervalTrigger``, ``DateTrigger`` ("once at …"), ``AndTrigger``,
    ``OrTrigger`` and ``ExcludeTrigger`` (with their children's sentences). Any other
    trigger is shown by its ``repr``. The trigger is not advanced: only its
    configuration is read, so the sentence does not say how far it has got.

    :param trigger: the trigger to describe, or a crontab string (``"*/5 * * * *"``, in the local zone)
    :return: one sentence, without a final full stop
    """
    trigger = as_trigger(trigger)
    if isinstance(trigger, CronTrigger):
        return describe_cron(trigger)
    if isinstance(trigger, IntervalTrigger):
        return _describe_interval(trigger)
    if isinstance(trigger, CalendarIntervalTrigger):
        return _describe_calendar_interval(trigger)
    if isinstance(trigger, DateTrigger):
        return f"once at {instant(trigger.run_time)}"
    if isinstance(trigger, AndTrigger):
        children = "; ".join(_child(child) for child in trigger.triggers)
        within = duration(trigger.threshold)
        return f"when all of these fire within {within} of each other: {children}"
    if isinstance(trigger, OrTrigger):
        children = "; ".join(_child(child) for child in trigger.triggers)
        return f"whenever any of these fires: {children}"
    if isinstance(trigger, ExcludeTrigger):
        return _describe_exclude(trigger)
    return repr(trigger)


def _child(trigger: Trigger) -> str:
    """A child's sentence; combinations go in brackets so their lists stay apart."""
    text = describe(trigger)
    if isinstance(trigger, AndTrigger | OrTrigger | ExcludeTrigger):
        return f"[{text}]"
    return text


def _describe_interval(trigger: IntervalTrigger) -> str:
    text = f"{every(trigger._interval)} from {instant(trigger.start_time)}"
    if trigger.end_time is not None:
        text += f" through {instant(trigger.end_time)}"
    return text


def _describe_calendar_interval(trigger: CalendarIntervalTrigger) -> str:
    units = [
        f"{count} {unit[:-1] if count == 1 else unit}"
        for unit in ("years", "months", "weeks", "days")
        if (count := getattr(trigger, unit))
    ]
    period = f"every {join(units)}"
    if len(units) == 1 and period.startswith("every 1 "):
        period = f"every {units[0][2:]}"
    start = trigger.start_date
    note = ""
    if trigger.weeks or trigger.days:
        # Only the day step fixes a weekday, and only when it is whole weeks.
        if not (trigger.years or trigger.months) and trigger._day_step.days % 7 == 0:
            period += f" on {WEEKDAY_NAMES[start.weekday()]}"
    elif trigger.months:
        period += f" on day {start.day}"
        if start.day > 28:
            note = f", skipping months that have no day {start.day}"
    else:
        period += f" on {MONTH_NAMES[start.month - 1]} {start.day}"
        if (start.month, start.day) == (2, 29):
            note = ", only in leap years"
    time = clock(trigger.hour, trigger.minute, trigger.second)
    text = f"{period} at {time} from {start.isoformat()}"
    if trigger.end_date is not None:
        text += f" through {trigger.end_date.isoformat()}"
    return f"{text} ({_zone_name(trigger.timezone)}){note}"


def _describe_exclude(trigger: ExcludeTrigger) -> str:
    text = _child(trigger.trigger)
    exceptions = []
    dates = sorted(trigger.dates)
    if len(dates) > _MAX_LISTED_DATES:
        exceptions.append(
            f"on {len(dates)} dates from {dates[0].isoformat()} through "
            f"{dates[-1].isoformat()}"
        )
    elif dates:
        exceptions.append(f"on {', '.join(day.isoformat() for day in dates)}")
    if len(trigger.triggers) == 1:
        exceptions.append(f"when this fires: {_child(trigger.triggers[0])}")
    elif trigger.triggers:
        children = "; ".join(_child(child) for child in trigger.triggers)
        exceptions.append(f"when any of these fires: {children}")
    return f"{text}, except {' and except '.join(exceptions)}"
