"""describe(): the exact sentence for each kind of trigger configuration."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from apsnb.abc import Trigger
from apsnb.lab import describe
from apsnb.triggers.calendarinterval import CalendarIntervalTrigger
from apsnb.triggers.combining import AndTrigger, OrTrigger
from apsnb.triggers.cron import CronTrigger
from apsnb.triggers.date import DateTrigger
from apsnb.triggers.exclude import ExcludeTrigger
from apsnb.triggers.interval import IntervalTrigger

HELSINKI = "Europe/Helsinki"
START = datetime(2026, 1, 1, 9, tzinfo=ZoneInfo(HELSINKI))
UTC_END = datetime(2027, 1, 1, tzinfo=ZoneInfo("UTC"))


def cron(**fields: object) -> CronTrigger:
    fields.setdefault("timezone", "UTC")
    return CronTrigger(start_time=START, **fields)  # type: ignore[arg-type]


def crontab(expression: str, zone: str = "UTC") -> CronTrigger:
    return CronTrigger.from_crontab(expression, zone, start_time=START)


SENTENCES = [
    (cron(day_of_week="mon-fri", hour=9, timezone=HELSINKI),
     "at 09:00 on Monday through Friday (Europe/Helsinki)"),
    (crontab("*/5 * * * *"), "every 5 minutes (UTC)"),
    (cron(hour="9-17", minute="*/15", day_of_week="mon-fri", timezone=HELSINKI),
     "every 15 minutes from 09:00 through 17:45 on Monday through Friday "
     "(Europe/Helsinki)"),
    (cron(day="last"), "at 00:00 on the last day of the month (UTC)"),
    (cron(day="2nd fri"), "at 00:00 on the 2nd Friday of the month (UTC)"),
    (crontab("0 12 13 * 5"), "at 12:00 on day 13 or on Friday (UTC)"),
    (cron(day=13, day_of_week="fri"),
     "at 00:00 on day 13, only when the weekday is Friday (UTC)"),
    (cron(hour=9, minute=0, second=30), "at 09:00:30 every day (UTC)"),
    (cron(second="*/10"), "every 10 seconds (UTC)"),
    (cron(minute=30), "every hour at minute 30 (UTC)"),
    (cron(hour="*/5"), "every 5 hours from 00:00 through 20:00 (UTC)"),
    (cron(hour="*/2"), "every 2 hours (UTC)"),
    (cron(month=2, day=29), "at 00:00 on February 29 of leap years (UTC)"),
    (cron(day=31), "at 00:00 on day 31, in the months that have it (UTC)"),
    (cron(year="2026-2028", week="1-10", day_of_week="sat-mon"),
     "at 00:00 on Saturday through Monday in ISO weeks 1 through 10 "
     "in 2026 through 2028 (UTC)"),
    (cron(hour="9-12,14-17", minute="*/15"),
     "every 15 minutes from 09:00 through 12:45 and from 14:00 through 17:45 (UTC)"),
    (cron(hour="*/3", minute="0,20,50"),
     "whenever the hour is 0, 3, 6, 9, 12, 15, 18 or 21, the minute is 0, 20 or 50 "
     "and the second is 0 (UTC)"),
    (cron(hour="9,12,17"), "at 09:00, 12:00 and 17:00 every day (UTC)"),
    (crontab("@hourly"), "every hour (UTC)"),
    (crontab("0 0 LW * *"), "at 00:00 on the last weekday of the month (UTC)"),
    (crontab("0 0 15W * 5#2"),
     "at 00:00 on the weekday nearest day 15 or on the 2nd Friday of the month (UTC)"),
    (cron(month="*/3", day=1, end_time=UTC_END),
     "at 00:00 on day 1 in January, April, July and October (UTC), "
     "until 2027-01-01 00:00 +00:00"),
    (IntervalTrigger(hours=2, minutes=30, start_time=START),
     "every 2 hours 30 minutes from 2026-01-01 09:00 +02:00"),
    (IntervalTrigger(days=7, start_time=START), "every week from 2026-01-01 09:00 +02:00"),
    (IntervalTrigger(seconds=1.5, start_time=START, end_time=UTC_END),
     "every 1.5 seconds from 2026-01-01 09:00 +02:00 through 2027-01-01 00:00 +00:00"),
    (CalendarIntervalTrigger(months=1, hour=9, start_date="2026-01-31", timezone=HELSINKI),
     "every month on day 31 at 09:00 from 2026-01-31 (Europe/Helsinki), skipping "
     "months that have no day 31"),
    (CalendarIntervalTrigger(years=1, start_date="2028-02-29", timezone="UTC"),
     "every year on February 29 at 00:00 from 2028-02-29 (UTC), only in leap years"),
    (CalendarIntervalTrigger(weeks=2, hour=8, minute=15, start_date="2026-01-01",
                             end_date="2026-06-30", timezone="UTC"),
     "every 2 weeks on Thursday at 08:15 from 2026-01-01 through 2026-06-30 (UTC)"),
    (CalendarIntervalTrigger(months=1, days=1, start_date="2026-01-01", timezone="UTC"),
     "every 1 month and 1 day at 00:00 from 2026-01-01 (UTC)"),
    (DateTrigger("2026-12-24T18:00:00+02:00"), "once at 2026-12-24 18:00 +02:00"),
    (AndTrigger([IntervalTrigger(hours=2, start_time=START), cron(hour="9-17")]),
     "when all of these fire within 1 second of each other: every 2 hours from "
     "2026-01-01 09:00 +02:00; every hour from 09:00 through 17:00 (UTC)"),
    (OrTrigger([cron(hour=9), DateTrigger("2026-12-24T18:00:00+02:00")]),
     "whenever any of these fires: at 09:00 every day (UTC); once at 2026-12-24 "
     "18:00 +02:00"),
    (ExcludeTrigger(cron(hour=9), dates=["2026-12-25", "2026-12-24"]),
     "at 09:00 every day (UTC), except on 2026-12-24, 2026-12-25"),
    (ExcludeTrigger(OrTrigger([cron(hour=9), cron(hour=18)]), triggers=cron(day="last")),
     "[whenever any of these fires: at 09:00 every day (UTC); at 18:00 every day "
     "(UTC)], except when this fires: at 00:00 on the last day of the month (UTC)"),
]  # fmt: skip


@pytest.mark.parametrize(("trigger", "sentence"), SENTENCES, ids=lambda x: str(x)[:40])
def test_sentence(trigger: Trigger, sentence: str) -> None:
    assert describe(trigger) == sentence


def test_a_custom_trigger_is_shown_by_its_repr() -> None:
    from tests.test_lab_checks import EveryMinute

    trigger = EveryMinute(limit=3)
    assert describe(trigger) == repr(trigger)


def test_describing_does_not_advance_the_trigger() -> None:
    trigger = cron(hour=9)
    describe(trigger)
    assert trigger.next() == datetime(2026, 1, 1, 9, tzinfo=ZoneInfo("UTC"))


def test_a_crontab_string_is_described_like_its_cron_trigger() -> None:
    expression = "0 9 * * mon-fri"
    assert describe(expression) == describe(CronTrigger.from_crontab(expression))
    assert describe(expression).startswith("at 09:00 on Monday through Friday")


def test_a_fraction_of_a_second_on_a_whole_minute_keeps_the_seconds() -> None:
    start = datetime(2026, 12, 1, 10, 0, 0, 761065, tzinfo=UTC)
    assert describe(IntervalTrigger(seconds=1, start_time=start)) == (
        "every second from 2026-12-01 10:00:00.761065 +00:00"
    )
