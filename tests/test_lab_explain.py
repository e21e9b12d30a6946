"""explain(): which field rejects a time, which DST rule applies, which child lags."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from apsnb import NaiveDatetimeError
from apsnb.lab import explain
from apsnb.triggers.combining import AndTrigger, OrTrigger
from apsnb.triggers.cron import CronTrigger
from apsnb.triggers.date import DateTrigger
from apsnb.triggers.exclude import ExcludeTrigger
from apsnb.triggers.interval import IntervalTrigger

HELSINKI = ZoneInfo("Europe/Helsinki")
START = datetime(2026, 1, 1, tzinfo=HELSINKI)


def helsinki(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=HELSINKI, fold=fold)  # type: ignore[misc]


def crontab(expression: str) -> CronTrigger:
    return CronTrigger.from_crontab(expression, HELSINKI, start_time=START)


def test_the_field_that_rejects_is_named() -> None:
    result = explain(crontab("*/5 * * * *"), helsinki(2026, 3, 2, 9, 7))
    assert not result.fires
    assert result.reasons == ["minute 07 is not in '*/5'"]
    assert result.previous_fire_time == helsinki(2026, 3, 2, 9, 5)
    assert result.next_fire_time == helsinki(2026, 3, 2, 9, 10)


def test_a_matching_time_fires() -> None:
    result = explain(crontab("*/5 * * * *"), helsinki(2026, 3, 2, 9, 10))
    assert result.fires and result.fire_time == helsinki(2026, 3, 2, 9, 10)
    assert "matches every field" in result.reasons[0]


def test_crontab_days_are_rejected_only_when_both_fields_reject() -> None:
    result = explain(crontab("0 0 13 * fri"), helsinki(2026, 3, 14))
    assert result.reasons == [
        "day 14 is not in '13' and Saturday is not in day_of_week 'fri' "
        "(a crontab day matches if either does)"
    ]


def test_a_wall_time_in_the_gap_fires_at_the_end_of_the_gap() -> None:
    result = explain(crontab("30 3 * * *"), helsinki(2026, 3, 29, 3, 30))
    assert not result.fires
    assert result.reasons == [
        "03:30 does not exist on 2026-03-29 in Europe/Helsinki: the clocks jump from "
        "03:00 to 04:00",
        "as a fixed-time trigger it fires at 04:00+03:00 instead",
    ]
    assert result.next_fire_time == helsinki(2026, 3, 29, 4)
    assert result.previous_fire_time == helsinki(2026, 3, 28, 3, 30)


def test_the_end_of_the_gap_fires_for_the_gap_time() -> None:
    result = explain(crontab("30 3 * * *"), helsinki(2026, 3, 29, 4))
    assert result.fires
    assert result.reasons == [
        "03:30 does not exist on 2026-03-29 in Europe/Helsinki; as a fixed-time "
        "trigger it fires at 04:00+03:00 instead"
    ]


def test_a_fixed_time_fires_only_at_the_first_occurrence_in_the_overlap() -> None:
    second = explain(crontab("30 3 * * *"), helsinki(2026, 10, 25, 3, 30, fold=1))
    assert not second.fires
    assert second.reasons[1] == (
        "03:30 happens twice on 2026-10-25 in Europe/Helsinki (03:30+03:00, then "
        "03:30+02:00); as a fixed-time trigger it fires only at the first, 03:30+03:00"
    )
    assert explain(crontab("30 3 * * *"), helsinki(2026, 10, 25, 3, 30)).fires


def test_a_wildcard_fires_at_both_occurrences_in_the_overlap() -> None:
    result = explain(crontab("*/30 * * * *"), helsinki(2026, 10, 25, 3, 30, fold=1))
    assert result.fires
    assert result.reasons[1].endswith("as a wildcard trigger it fires at both")


def test_interval_offset_from_start() -> None:
    trigger = IntervalTrigger(hours=2, minutes=30, start_time=START)
    result = explain(trigger, helsinki(2026, 1, 1, 9))
    assert not result.fires
    assert result.reasons[1] == (
        "2026-01-01 09:00 +02:00 is 3 × 2 hours 30 minutes + 1 hour 30 minutes after "
        "start_time: 1 hour short of the next fire time"
    )
    assert (result.previous_fire_time, result.next_fire_time) == (
        helsinki(2026, 1, 1, 7, 30),
        helsinki(2026, 1, 1, 10),
    )
    assert explain(trigger, helsinki(2026, 1, 1, 10)).fires


def test_and_trigger_names_the_child_that_lags() -> None:
    trigger = AndTrigger([
        IntervalTrigger(hours=2, start_time=START),
        CronTrigger(hour="9-17", timezone=HELSINKI, start_time=START),
    ])  # fmt: skip
    result = explain(trigger, helsinki(2026, 1, 1, 9))
    assert not result.fires
    assert result.reasons[-1] == (
        "child 0 lags the most: 1 hour away, more than the threshold of 1 second"
    )
    assert result.next_fire_time == helsinki(2026, 1, 1, 10)
    assert explain(trigger, helsinki(2026, 1, 1, 10)).fires


def test_and_trigger_that_gives_up_shows_the_trace() -> None:
    trigger = AndTrigger(
        [IntervalTrigger(seconds=90, start_time=START + timedelta(seconds=15)),
         CronTrigger(minute="*", timezone="UTC", start_time=START)],
        max_iterations=50,
    )  # fmt: skip
    text = str(explain(trigger, START + timedelta(minutes=3)))
    assert "AndTrigger gave up after 50 iterations" in text
    assert "child 1 (every minute (UTC)) fired at" in text
    assert "the closest they came was 15 s apart; the threshold is 1 s" in text


def test_or_and_exclude_say_which_child_decides() -> None:
    nine = CronTrigger(hour=9, timezone=HELSINKI, start_time=START)
    either = OrTrigger([nine, DateTrigger(helsinki(2026, 1, 1, 10))])
    result = explain(either, helsinki(2026, 1, 1, 10))
    assert result.fires
    assert result.reasons[1] == "child 1 (once at 2026-01-01 10:00 +02:00) fires then"
    holidays = ExcludeTrigger(nine, dates=["2026-01-02"])
    result = explain(holidays, helsinki(2026, 1, 2, 9))
    assert not result.fires
    assert result.reasons[-1] == "but 2026-01-02 is one of the excluded dates"
    assert result.next_fire_time == helsinki(2026, 1, 3, 9)


def test_naive_at_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        explain(crontab("* * * * *"), datetime(2026, 1, 1, 9))


def test_explanation_displays_as_text_and_html() -> None:
    result = explain(crontab("*/5 * * * *"), helsinki(2026, 3, 2, 9, 7))
    assert str(result).splitlines()[0].startswith("✗ does not fire at 2026-03-02 09:07")
    assert "minute 07 is not in &#x27;*/5&#x27;" in result._repr_html_()
    assert "next fire time: 2026-03-02 09:10 +02:00" in str(result)


def test_a_crontab_string_is_explained_as_its_cron_trigger() -> None:
    at = datetime(2026, 1, 5, 9, 7, tzinfo=HELSINKI)
    local = at.astimezone().replace(minute=7, second=0)
    explanation = explain("*/5 * * * *", local)
    assert not explanation.fires
    assert "minute 07 is not in '*/5'" in str(explanation)
