"""check_trigger and assert_valid_trigger: planted bugs are found, good triggers pass."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from apsnb import InvalidTriggerArgumentType
from apsnb.abc import Trigger
from apsnb.lab import check_trigger
from apsnb.lab.checks import (
    RULE_AWARE,
    RULE_BACKWARDS,
    RULE_GETSTATE,
    RULE_JSON,
    RULE_PROMPT,
    RULE_RAISES,
    RULE_REPEAT,
    RULE_RESTORE,
    RULE_VERSION,
)
from apsnb.testing import assert_valid_trigger
from apsnb.triggers.calendarinterval import CalendarIntervalTrigger
from apsnb.triggers.combining import AndTrigger, OrTrigger
from apsnb.triggers.cron import CronTrigger
from apsnb.triggers.date import DateTrigger
from apsnb.triggers.exclude import ExcludeTrigger
from apsnb.triggers.interval import IntervalTrigger

HELSINKI = ZoneInfo("Europe/Helsinki")
START = datetime(2026, 3, 28, tzinfo=HELSINKI)


class EveryMinute(Trigger):
    """A correct custom trigger: fires every minute from ``start``, ``limit`` times."""

    def __init__(self, start: datetime = START, limit: int = 500) -> None:
        self.start = start
        self.limit = limit
        self.fired = 0

    def fire_time(self, index: int) -> Any:
        return (self.start.astimezone(UTC) + timedelta(minutes=index)).astimezone(
            HELSINKI
        )

    def next(self) -> Any:
        if self.fired >= self.limit:
            return None
        self.fired += 1
        return self.fire_time(self.fired - 1)

    def __getstate__(self) -> Any:
        return {"version": 1, "start": self.start.isoformat(), "limit": self.limit,
                "fired": self.fired}  # fmt: skip

    def __setstate__(self, state: Any) -> None:
        self.start = datetime.fromisoformat(state["start"])
        self.limit = state["limit"]
        self.fired = state["fired"]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.start.isoformat()!r}, limit={self.limit})"


class NaiveAtFour(EveryMinute):
    def fire_time(self, index: int) -> Any:
        value = super().fire_time(index)
        return value.replace(tzinfo=None) if index == 4 else value


class ReturnsStrings(EveryMinute):
    def fire_time(self, index: int) -> Any:
        return super().fire_time(index).isoformat()


class RepeatsItself(EveryMinute):
    def fire_time(self, index: int) -> Any:
        return super().fire_time(min(index, 3))


class GoesBackwards(EveryMinute):
    def fire_time(self, index: int) -> Any:
        return super().fire_time(index - 2 if index == 5 else index)


class ForgetsProgress(EveryMinute):
    def __getstate__(self) -> Any:
        return {"version": 1, "start": self.start.isoformat(), "limit": self.limit}

    def __setstate__(self, state: Any) -> None:
        self.start = datetime.fromisoformat(state["start"])
        self.limit = state["limit"]
        self.fired = 0


class KeepsDatetimeInState(EveryMinute):
    def __getstate__(self) -> Any:
        return {
            "version": 1,
            "start": self.start,
            "limit": self.limit,
            "fired": self.fired,
        }

    def __setstate__(self, state: Any) -> None:
        start = state["start"]
        self.start = (
            start if isinstance(start, datetime) else datetime.fromisoformat(start)
        )
        self.limit = state["limit"]
        self.fired = state["fired"]


class NoVersion(EveryMinute):
    def __getstate__(self) -> Any:
        state = super().__getstate__()
        del state["version"]
        return state


class RaisesAtThree(EveryMinute):
    def next(self) -> Any:
        if self.fired == 3:
            raise RuntimeError("the database is down")
        return super().next()


class HangsAtTwo(EveryMinute):
    def next(self) -> Any:
        while self.fired == 2:  # a bug: waits for something that never happens
            time.sleep(0.01)
        return super().next()


def rules(report: Any) -> set[str]:
    return {problem.rule for problem in report.problem_list}


def test_a_correct_custom_trigger_passes_without_problems() -> None:
    report = check_trigger(EveryMinute())
    assert report.ok, str(report)
    assert report.problem_list == ()
    assert len(report.fire_times) == 200


def test_naive_datetime_is_reported_with_index_value_and_fix() -> None:
    report = check_trigger(NaiveAtFour())
    assert not report.ok
    [problem] = report.errors
    assert (problem.rule, problem.index) == (RULE_AWARE, 4)
    assert "2026-03-28 00:04:00 without tzinfo" in problem.values
    assert "ZoneInfo('Europe/Helsinki')" in problem.fix


def test_strings_are_reported_and_listed_only_a_few_times() -> None:
    report = check_trigger(ReturnsStrings(), n=50)
    aware = [p for p in report.problem_list if p.rule == RULE_AWARE]
    assert [p.index for p in aware] == [0, 1, 2, None]
    assert "a str" in aware[0].values
    assert "47 more" in aware[-1].values


def test_the_same_instant_twice_is_reported() -> None:
    report = check_trigger(RepeatsItself(), n=10)
    repeats = [p for p in report.problem_list if p.rule == RULE_REPEAT]
    assert repeats[0].index == 4
    assert "same instant" in repeats[0].values


def test_going_backwards_is_reported() -> None:
    report = check_trigger(GoesBackwards(), n=10)
    [problem] = [p for p in report.problem_list if p.rule == RULE_BACKWARDS]
    assert problem.index == 5
    assert "60 s earlier" in problem.values


def test_a_state_without_the_progress_is_reported() -> None:
    report = check_trigger(ForgetsProgress(), n=20)
    restore = [p for p in report.errors if p.rule == RULE_RESTORE]
    assert restore and restore[0].index == 1
    assert "after 1 fire time returned" in restore[0].values
    assert "progress" in restore[0].fix


def test_a_state_json_cannot_store_names_the_key() -> None:
    report = check_trigger(KeepsDatetimeInState(), n=20)
    assert rules(report) == {RULE_JSON}
    problem = report.errors[0]
    assert "state['start'] is a datetime" in problem.values
    assert "isoformat()" in problem.fix


def test_a_missing_version_is_only_a_warning() -> None:
    report = check_trigger(NoVersion(), n=20)
    assert report.ok
    [problem] = report.warnings
    assert problem.rule == RULE_VERSION


def test_next_raising_is_reported_at_its_index() -> None:
    report = check_trigger(RaisesAtThree(), n=20)
    [problem] = report.errors
    assert (problem.rule, problem.index) == (RULE_RAISES, 3)
    assert "RuntimeError: the database is down" in problem.values
    assert len(report.fire_times) == 3


def test_a_hanging_next_is_abandoned_within_the_budget() -> None:
    began = time.perf_counter()
    report = check_trigger(HangsAtTwo(), n=20, time_budget=0.5)
    assert time.perf_counter() - began < 2.0
    [problem] = report.errors
    assert (problem.rule, problem.index) == (RULE_PROMPT, 2)
    assert "did not return" in problem.values


def test_a_state_that_cannot_be_taken_stops_the_check_safely() -> None:
    class NoState(EveryMinute):
        def __getstate__(self) -> Any:
            raise NotImplementedError

    report = check_trigger(NoState())
    assert not report.ok
    assert report.fire_times == []
    assert report.errors[0].rule == RULE_RESTORE
    assert rules(report) <= {RULE_RESTORE, RULE_GETSTATE}


def test_the_users_trigger_is_not_advanced() -> None:
    trigger = CronTrigger(hour=9, timezone=HELSINKI, start_time=START)
    check_trigger(trigger)
    assert trigger.next() == datetime(2026, 3, 28, 9, tzinfo=HELSINKI)


@pytest.mark.parametrize(
    "trigger",
    [
        CronTrigger.from_crontab("*/30 * * * *", HELSINKI, start_time=START),
        CronTrigger.from_crontab("30 3 * * *", HELSINKI,
                                 start_time=datetime(2026, 3, 1, tzinfo=HELSINKI)),
        CronTrigger.from_crontab("30 3 * * *", HELSINKI,
                                 start_time=datetime(2026, 10, 1, tzinfo=HELSINKI)),
        CronTrigger(hour="9-17", minute="*/15", day_of_week="mon-fri", timezone=HELSINKI,
                    start_time=START),
        IntervalTrigger(hours=1, start_time=START),
        CalendarIntervalTrigger(days=1, hour=3, minute=30, start_date="2026-03-20",
                                timezone=HELSINKI),
        DateTrigger("2026-12-24T18:00:00+02:00"),
        AndTrigger([IntervalTrigger(hours=2, start_time=START),
                    CronTrigger(hour="9-17", timezone=HELSINKI, start_time=START)]),
        OrTrigger([CronTrigger(hour=9, timezone=HELSINKI, start_time=START),
                   DateTrigger("2026-04-01T12:00:00+03:00")]),
        ExcludeTrigger(CronTrigger(hour=9, timezone=HELSINKI, start_time=START),
                       dates=["2026-04-01"]),
    ],
    ids=repr,
)  # fmt: skip
def test_every_built_in_trigger_passes(trigger: Trigger) -> None:
    report = check_trigger(trigger)
    assert report.problem_list == (), str(report)


def test_assert_valid_trigger_raises_with_the_report_text() -> None:
    with pytest.raises(AssertionError) as raised:
        assert_valid_trigger(NaiveAtFour())
    message = str(raised.value)
    assert message.startswith("✗ NaiveAtFour(")
    assert "at index 4" in message and "without tzinfo" in message and "Fix:" in message


def test_assert_valid_trigger_returns_the_report_when_only_warnings() -> None:
    report = assert_valid_trigger(NoVersion(), n=20)
    assert report.ok and len(report.warnings) == 1


def test_report_shows_problems_as_dataframe_text_and_html() -> None:
    report = check_trigger(NaiveAtFour(), n=10)
    frame = report.problems
    assert list(frame.columns) == ["rule", "severity", "index", "values", "fix"]
    assert frame.loc[0, "index"] == 4
    page = report._repr_html_()
    assert "✗" in page and "<table>" in page and "without tzinfo" in page
    assert "First fire times" in page
    assert str(report).splitlines()[0].startswith("✗ NaiveAtFour(")
    assert repr(report).startswith("<TriggerReport ✗")


def test_and_trigger_that_gives_up_shows_the_childrens_fire_times() -> None:
    trigger = AndTrigger(
        [IntervalTrigger(seconds=90, start_time=START + timedelta(seconds=15)),
         CronTrigger(minute="*", timezone="UTC", start_time=START)],
        max_iterations=50,
    )  # fmt: skip
    report = check_trigger(trigger)
    [problem] = report.errors
    assert problem.rule == RULE_RAISES
    assert "child 0 (every 1 minute 30 seconds" in problem.values
    assert "always at second :00" in problem.values
    assert "closest they came was 15 s apart" in problem.values


# What check_trigger accepts, and how it words what it cannot check


def test_a_crontab_string_is_checked_as_a_cron_trigger() -> None:
    report = check_trigger("*/5 * * * *", n=20)
    assert report.ok
    assert report.trigger.startswith("CronTrigger.from_crontab('*/5 * * * *'")
    assert len(report.fire_times) == 20


def test_something_that_is_not_a_trigger_is_refused_by_name() -> None:
    with pytest.raises(InvalidTriggerArgumentType, match="is an object; expected an "):
        check_trigger(object())


def test_the_row_that_counts_more_problems_keeps_their_fix() -> None:
    class AllNaive(EveryMinute):
        def fire_time(self, index: int) -> Any:
            return datetime(2026, 1, 1) + timedelta(minutes=index)

    report = check_trigger(AllNaive(limit=10), n=10)
    summary = report.errors[-1]
    assert summary.values == "… and 7 more like these"
    assert summary.fix.startswith("return aware datetimes")
    assert not str(report).rstrip().endswith("Fix:")


def test_a_trigger_that_cannot_be_copied_is_not_said_to_have_raised() -> None:
    class Uncopyable(EveryMinute):
        def __setstate__(self, state: Any) -> None:
            raise KeyError("start")

    report = check_trigger(Uncopyable())
    assert "(it could not be copied through its state)" in report.headline()
    assert "next() raised" not in report.headline()
