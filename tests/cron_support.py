"""Shortcuts shared by the CronTrigger tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger as A6Cron

from apsnb.triggers.cron import CronTrigger
from tests.helpers import exact, take

UTC = ZoneInfo("UTC")
HELSINKI = ZoneInfo("Europe/Helsinki")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
HAVANA = ZoneInfo("America/Havana")  # shifts at midnight
SANTIAGO = ZoneInfo("America/Santiago")  # shifts at midnight

#: A Thursday; the default start of the expression tests.
START = "2026-01-01T00:00:00+00:00"


def fires(trigger: Any, count: int) -> list[str]:
    """The next ``count`` fire times (fewer if the trigger ends), as ISO strings."""
    return exact(take(trigger, count))


def cron(
    count: int, start: str = START, timezone: str = "UTC", **fields: Any
) -> list[str]:
    """The first ``count`` fire times of ``CronTrigger(**fields)``."""
    return fires(CronTrigger(**fields, start_time=start, timezone=timezone), count)


def crontab(
    expression: str, count: int, start: str = START, timezone: str = "UTC"
) -> list[str]:
    """The first ``count`` fire times of ``CronTrigger.from_crontab(expression)``."""
    trigger = CronTrigger.from_crontab(expression, timezone, start_time=start)
    return fires(trigger, count)


def a6_cron(
    count: int, start: str = START, timezone: str = "UTC", **fields: Any
) -> list[str]:
    """The same as :func:`cron`, answered by APScheduler 4.0.0a6."""
    trigger = A6Cron(
        **fields, start_time=datetime.fromisoformat(start), timezone=timezone
    )
    times = []
    while len(times) < count and (fire_time := trigger.next()) is not None:
        times.append(fire_time)
    return exact(times)


def days(times: list[str]) -> list[str]:
    """Just the dates of ISO fire times, for tests about which days fire."""
    return [time[:10] for time in times]
