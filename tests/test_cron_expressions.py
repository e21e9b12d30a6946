"""CronTrigger: what every expression form, field and option selects (in UTC)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from cronsim import CronSim

from apsnb._exceptions import InvalidCrontab, InvalidTriggerArgument, TriggerNeverFires
from apsnb.triggers.cron import CronTrigger
from tests.cron_support import (
    HELSINKI,
    START,
    a6_cron,
    cron,
    crontab,
    days,
    fires,
)
from tests.helpers import take

# 2026-01-01 is a Thursday; every expected list below starts from it unless it says so.


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            {"second": "*/20"},
            ["00:00:00", "00:00:20", "00:00:40", "00:01:00"],
            id="every-20-seconds",
        ),
        pytest.param(
            {"second": "7"}, ["00:00:07", "00:01:07", "00:02:07"], id="second"
        ),
        pytest.param(
            {"minute": "*/15"},
            ["00:00:00", "00:15:00", "00:30:00", "00:45:00", "01:00:00"],
            id="every-15-minutes",
        ),
        pytest.param(
            {"minute": "5"}, ["00:05:00", "01:05:00", "02:05:00"], id="minute"
        ),
        pytest.param(
            {"minute": "10-12"},
            ["00:10:00", "00:11:00", "00:12:00", "01:10:00"],
            id="range",
        ),
        pytest.param(
            {"minute": "10-30/10"},
            ["00:10:00", "00:20:00", "00:30:00", "01:10:00"],
            id="range-with-step",
        ),
        pytest.param(
            {"minute": "50/5"},
            ["00:50:00", "00:55:00", "01:50:00"],
            id="start-with-step-runs-to-the-maximum",
        ),
        pytest.param(
            {"minute": "1,3,5"},
            ["00:01:00", "00:03:00", "00:05:00", "01:01:00"],
            id="list",
        ),
        pytest.param(
            {"minute": "40-41,5,*/30"},
            ["00:00:00", "00:05:00", "00:30:00", "00:40:00", "00:41:00", "01:00:00"],
            id="list-of-mixed-forms",
        ),
        pytest.param(
            {"minute": " 1 , 2 "}, ["00:01:00", "00:02:00"], id="spaces-around-items"
        ),
        pytest.param(
            {"hour": "*/6"},
            ["00:00:00", "06:00:00", "12:00:00", "18:00:00", "00:00:00"],
            id="every-6-hours",
        ),
        pytest.param(
            {"hour": 23, "minute": 59, "second": 59},
            ["23:59:59", "23:59:59"],
            id="int-values",
        ),
    ],
)
def test_time_of_day_fields_accept_every_form(
    fields: dict[str, Any], expected: list[str]
) -> None:
    assert [time[11:19] for time in cron(len(expected), **fields)] == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            {"day": "*/10"},
            ["2026-01-01", "2026-01-11", "2026-01-21", "2026-01-31", "2026-02-01"],
            id="every-10th-day-restarts-each-month",
        ),
        pytest.param({"day": 15}, ["2026-01-15", "2026-02-15", "2026-03-15"], id="day"),
        pytest.param(
            {"day": 31},
            ["2026-01-31", "2026-03-31", "2026-05-31"],
            id="months-without-the-day-are-skipped",
        ),
        pytest.param(
            {"day": "1,15,last"},
            ["2026-01-01", "2026-01-15", "2026-01-31", "2026-02-01"],
            id="list-of-numbers-and-last",
        ),
        pytest.param(
            {"month": "feb,MAY"},
            ["2026-02-01", "2026-05-01", "2027-02-01"],
            id="month-names-any-case",
        ),
        pytest.param(
            {"month": "Jan-mar/2"},
            ["2026-01-01", "2026-03-01", "2027-01-01"],
            id="month-name-range-with-step",
        ),
        pytest.param(
            {"month": "*/4"},
            ["2026-01-01", "2026-05-01", "2026-09-01", "2027-01-01"],
            id="every-4th-month",
        ),
        pytest.param(
            {"month": "11-12"},
            ["2026-11-01", "2026-12-01", "2027-11-01"],
            id="month-range",
        ),
        pytest.param(
            {"year": "2027,2029-2030"},
            ["2027-01-01", "2029-01-01", "2030-01-01"],
            id="year-list-and-range",
        ),
        pytest.param(
            {"year": "2026-2030/2"},
            ["2026-01-01", "2028-01-01", "2030-01-01"],
            id="year-range-with-step",
        ),
        pytest.param(
            {"year": "*/500"},
            ["2470-01-01", "2970-01-01"],
            id="year-step-counts-from-1970",
        ),
    ],
)
def test_date_fields_accept_every_form(
    fields: dict[str, Any], expected: list[str]
) -> None:
    assert days(cron(len(expected), **fields)) == expected


@pytest.mark.parametrize(
    ("day_of_week", "expected"),
    [
        pytest.param(
            "mon-fri",
            ["2026-01-01", "2026-01-02", "2026-01-05", "2026-01-06"],
            id="range-of-names",
        ),
        pytest.param(
            "MON,Wed", ["2026-01-05", "2026-01-07", "2026-01-12"], id="names-any-case"
        ),
        pytest.param(
            "sat-mon",
            ["2026-01-03", "2026-01-04", "2026-01-05", "2026-01-10"],
            id="range-wraps-around-sunday",
        ),
        pytest.param(
            "6-1",
            ["2026-01-03", "2026-01-04", "2026-01-05", "2026-01-10"],
            id="number-range-wraps-around-sunday",
        ),
        pytest.param(
            "mon-fri/2",
            ["2026-01-02", "2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12"],
            id="step-in-range-of-names-is-honoured",
        ),
        pytest.param(
            "1-5/2",
            ["2026-01-02", "2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12"],
            id="step-in-range-of-numbers-is-honoured",
        ),
        pytest.param(
            "sat-mon/2",
            ["2026-01-03", "2026-01-05", "2026-01-10"],
            id="step-in-wrapping-range",
        ),
        pytest.param("0", ["2026-01-04", "2026-01-11"], id="0-is-sunday"),
        pytest.param("7", ["2026-01-04", "2026-01-11"], id="7-is-sunday"),
        pytest.param("1", ["2026-01-05", "2026-01-12"], id="1-is-monday"),
        pytest.param("sun", ["2026-01-04", "2026-01-11"], id="sun"),
        pytest.param(
            "*/2",
            ["2026-01-01", "2026-01-03", "2026-01-04", "2026-01-06", "2026-01-08"],
            id="step-over-all-counts-from-sunday-as-cron",
        ),
        pytest.param(
            "5#2", ["2026-01-09", "2026-02-13", "2026-03-13"], id="hash-2nd-friday"
        ),
        pytest.param(
            "fri#2", ["2026-01-09", "2026-02-13", "2026-03-13"], id="hash-with-name"
        ),
        pytest.param(
            "1#5", ["2026-03-30", "2026-06-29", "2026-08-31"], id="hash-5th-monday"
        ),
        pytest.param(
            "5L", ["2026-01-30", "2026-02-27", "2026-03-27"], id="last-friday-number"
        ),
        pytest.param(
            "friL", ["2026-01-30", "2026-02-27", "2026-03-27"], id="last-friday-name"
        ),
        pytest.param(
            "0L", ["2026-01-25", "2026-02-22", "2026-03-29"], id="last-sunday-as-0L"
        ),
    ],
)
def test_day_of_week_accepts_every_form(day_of_week: str, expected: list[str]) -> None:
    assert days(cron(len(expected), day_of_week=day_of_week)) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(
            "last",
            ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"],
            id="last-day-of-month",
        ),
        pytest.param(
            "L",
            ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"],
            id="L-is-last",
        ),
        pytest.param("l", ["2026-01-31", "2026-02-28"], id="l-lower-case"),
        pytest.param(
            "LW",
            ["2026-01-30", "2026-02-27", "2026-03-31", "2026-04-30", "2026-05-29"],
            id="last-weekday-steps-back-from-weekends",
        ),
        pytest.param(
            "1W",
            [
                "2026-01-01",
                "2026-02-02",
                "2026-03-02",
                "2026-04-01",
                "2026-05-01",
                "2026-06-01",
                "2026-07-01",
                "2026-08-03",
            ],
            id="1W-on-saturday-or-sunday-moves-forward-within-month",
        ),
        pytest.param(
            "15W",
            [
                "2026-01-15",
                "2026-02-16",
                "2026-03-16",
                "2026-04-15",
                "2026-05-15",
                "2026-06-15",
                "2026-07-15",
                "2026-08-14",
            ],
            id="15W-saturday-to-friday-sunday-to-monday",
        ),
        pytest.param(
            "2nd fri", ["2026-01-09", "2026-02-13", "2026-03-13"], id="2nd-friday"
        ),
        pytest.param(
            "last sun", ["2026-01-25", "2026-02-22", "2026-03-29"], id="last-sunday"
        ),
        pytest.param(
            "5th mon",
            ["2026-03-30", "2026-06-29", "2026-08-31", "2026-11-30"],
            id="months-without-a-5th-monday-are-skipped",
        ),
        pytest.param(
            "1st MON, 3rd Mon",
            ["2026-01-05", "2026-01-19", "2026-02-02"],
            id="list-of-ordinals-any-case",
        ),
    ],
)
def test_day_accepts_month_dependent_forms(day: str, expected: list[str]) -> None:
    assert days(cron(len(expected), day=day)) == expected


def test_31W_at_month_end_on_weekend_moves_back_to_friday() -> None:
    # January 31st 2026 is a Saturday, May 31st a Sunday, March 31st a Tuesday.
    assert days(cron(3, month="1,3,5", day="31W")) == [
        "2026-01-30",
        "2026-03-31",
        "2026-05-29",
    ]


def test_30W_on_sunday_at_end_of_30_day_month_moves_back_to_friday() -> None:
    # 2025-11-30 is a Sunday and the last day of November.
    assert days(cron(1, start="2025-11-01T00:00:00+00:00", day="30W")) == ["2025-11-28"]


def test_30W_on_sunday_before_the_31st_moves_forward_to_monday() -> None:
    # 2026-08-30 is a Sunday; August has a 31st.
    assert days(cron(1, start="2026-08-01T00:00:00+00:00", day="30W")) == ["2026-08-31"]


def test_last_day_of_february_in_leap_year_is_29th() -> None:
    assert days(cron(1, start="2028-02-01T00:00:00+00:00", day="last")) == [
        "2028-02-29"
    ]


def test_iso_week_53_exists_only_in_some_years() -> None:
    # ISO week 53 of 2026 runs from Monday 2026-12-28 to Sunday 2027-01-03; the next
    # years with a week 53 are 2032 and 2037.
    assert days(cron(3, week=53, day_of_week="mon")) == [
        "2026-12-28",
        "2032-12-27",
        "2037-12-28",
    ]


def test_week_alone_fires_every_day_of_that_week() -> None:
    assert days(cron(8, start="2026-12-01T00:00:00+00:00", week=53)) == [
        "2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31",
        "2027-01-01", "2027-01-02", "2027-01-03", "2032-12-27",
    ]  # fmt: skip


def test_week_1_monday_is_first_monday_of_iso_year() -> None:
    assert days(cron(2, week=1, day_of_week="mon")) == ["2027-01-04", "2028-01-03"]


def test_fields_are_combined_with_and() -> None:
    assert cron(3, month="2,3", day="1-2", hour="8,20") == [
        "2026-02-01T08:00:00+00:00",
        "2026-02-01T20:00:00+00:00",
        "2026-02-02T08:00:00+00:00",
    ]


# Search ends


@pytest.mark.parametrize(
    ("fields", "start"),
    [
        pytest.param({"year": "2027"}, "2028-01-01T00:00:00+00:00", id="year-passed"),
        pytest.param(
            {"year": "2026"}, "2026-12-31T00:00:01+00:00", id="last-second-passed"
        ),
    ],
)
def test_search_without_matches_returns_none(
    fields: dict[str, Any], start: str
) -> None:
    trigger = CronTrigger(**fields, start_time=start, timezone="UTC")
    assert trigger.next() is None
    assert trigger.next() is None


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        pytest.param(
            {"month": 2, "day": 30}, "month='2', day='30'", id="february-30th"
        ),
        pytest.param(
            {"month": "4,6,9,11", "day": 31}, "day='31'", id="31st-of-30-day-months"
        ),
        pytest.param(
            {"day": 31, "week": 1, "month": 2}, "week='1'", id="week-and-month-disagree"
        ),
        pytest.param(
            {"year": "2027,2031", "month": 2, "day": 29}, "year=", id="no-leap-year"
        ),
        pytest.param(
            {"day": "1-7", "day_of_week": "mon#2"}, "both match", id="and-of-days"
        ),
    ],
)
def test_fields_that_match_no_date_raise_at_construction(
    fields: dict[str, Any], named: str
) -> None:
    with pytest.raises(TriggerNeverFires, match="never fires") as caught:
        CronTrigger(**fields, timezone="UTC")
    assert named in str(caught.value)
    assert str(caught.value).startswith("CronTrigger(")


@pytest.mark.parametrize(
    "expression", ["* * 30 2 *", "* * 31 4 *", "1 1 */100 * MON#4", "0 0 31 2-4/2 *"]
)
def test_a_crontab_that_can_never_fire_raises_like_cronsim(expression: str) -> None:
    with pytest.raises(TriggerNeverFires) as caught:
        CronTrigger.from_crontab(expression, "UTC")
    assert str(caught.value).startswith(f"CronTrigger.from_crontab({expression!r})")
    assert isinstance(caught.value, ValueError)


def test_a_leap_day_alone_or_on_a_weekday_still_fires() -> None:
    trigger = CronTrigger.from_crontab(
        "0 0 29 2 */100", "UTC", start_time="2026-01-01T00:00:00+00:00"
    )  # Sunday, and day and weekday AND together: 29 February on a Sunday
    assert trigger.next() == datetime(2032, 2, 29, tzinfo=UTC)


def test_year_list_ends_after_its_last_year() -> None:
    assert days(cron(5, year="2027,2029-2030")) == [
        "2027-01-01",
        "2029-01-01",
        "2030-01-01",
    ]


def test_last_year_fires_then_returns_none_for_good() -> None:
    trigger = CronTrigger(year=2027, month=12, day=31, start_time=START, timezone="UTC")
    assert fires(trigger, 5) == ["2027-12-31T00:00:00+00:00"]
    assert trigger.next() is None


def test_rare_combination_is_found_decades_ahead() -> None:
    # February has a 5th Monday only in leap years starting on a Monday.
    assert cron(2, month=2, day="5th mon") == [
        "2044-02-29T00:00:00+00:00",
        "2072-02-29T00:00:00+00:00",
    ]


# Defaults of the keyword form


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            {"hour": 9},
            ["2026-01-01T09:00:00+00:00", "2026-01-02T09:00:00+00:00"],
            id="hour-only-fires-daily-on-the-hour",
        ),
        pytest.param(
            {"day_of_week": "mon-fri"},
            [
                "2026-01-01T00:00:00+00:00",
                "2026-01-02T00:00:00+00:00",
                "2026-01-05T00:00:00+00:00",
            ],
            id="weekdays-at-midnight",
        ),
        pytest.param(
            {},
            ["2026-01-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00"],
            id="no-fields-fires-yearly",
        ),
        pytest.param(
            {"minute": 5},
            ["2026-01-01T00:05:00+00:00", "2026-01-01T01:05:00+00:00"],
            id="minute-only-fires-hourly",
        ),
        pytest.param(
            {"month": 6},
            ["2026-06-01T00:00:00+00:00", "2027-06-01T00:00:00+00:00"],
            id="month-only-fires-on-its-first-day",
        ),
    ],
)
def test_unset_less_significant_fields_default_to_minimum(
    fields: dict[str, Any], expected: list[str]
) -> None:
    assert cron(len(expected), **fields) == expected


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"hour": 9},
        {"day_of_week": "mon-fri"},
        {"minute": 5},
        {"second": 30},
        {"month": 6},
        {"week": 10},
        {"year": 2027},
        {"day": 15, "hour": "*/6"},
        {"month": "jan-mar", "minute": "*/20"},
        {"day": "last", "hour": 18},
        {"day": "2nd fri"},
        {"day": 13, "day_of_week": "fri"},
        {"day_of_week": "sat-mon"},
        {"day_of_week": "0-4"},  # cron numbers in a6's keyword form too: Sun-Thu
        {"day_of_week": "7"},
    ],
    ids=repr,
)
def test_defaults_and_named_forms_match_apscheduler_in_utc(
    fields: dict[str, Any],
) -> None:
    assert cron(6, **fields) == a6_cron(6, **fields)


def test_weekday_range_step_differs_from_apscheduler_which_ignores_it() -> None:
    assert days(cron(4, day_of_week="mon-fri/2")) == [
        "2026-01-02", "2026-01-05", "2026-01-07", "2026-01-09",
    ]  # fmt: skip
    assert days(a6_cron(4, day_of_week="mon-fri/2")) == [
        "2026-01-01", "2026-01-02", "2026-01-05", "2026-01-06",
    ]  # fmt: skip


# Day and day_of_week together


def test_keyword_day_and_day_of_week_must_both_match() -> None:
    assert days(cron(3, day=13, day_of_week="fri", hour=9)) == [
        "2026-02-13", "2026-03-13", "2026-11-13",
    ]  # fmt: skip


def test_crontab_day_and_day_of_week_match_either() -> None:
    assert days(crontab("0 9 13 * fri", 6)) == [
        "2026-01-02", "2026-01-09", "2026-01-13", "2026-01-16", "2026-01-23",
        "2026-01-30",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        pytest.param(
            "0 9 */2 * fri",
            ["2026-01-09", "2026-01-23", "2026-02-13", "2026-02-27"],
            id="day-starting-with-star",
        ),
        pytest.param(
            "0 9 13 * */1",
            ["2026-01-13", "2026-02-13", "2026-03-13"],
            id="day_of_week-starting-with-star",
        ),
        pytest.param(
            "0 9 * * fri",
            ["2026-01-02", "2026-01-09", "2026-01-16"],
            id="day-is-star",
        ),
    ],
)
def test_crontab_day_fields_match_both_when_either_starts_with_star(
    expression: str, expected: list[str]
) -> None:
    assert days(crontab(expression, len(expected))) == expected


# from_crontab


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        pytest.param(
            "30 9 * * *",
            ["2026-01-01T09:30:00+00:00", "2026-01-02T09:30:00+00:00"],
            id="five-fields-fire-at-second-0",
        ),
        pytest.param(
            "15 30 9 * * *",
            ["2026-01-01T09:30:15+00:00", "2026-01-02T09:30:15+00:00"],
            id="six-fields-start-with-seconds",
        ),
        pytest.param(
            "  30\t9  *  * *\n",
            ["2026-01-01T09:30:00+00:00", "2026-01-02T09:30:00+00:00"],
            id="extra-whitespace",
        ),
        pytest.param(
            "0 12 1 JAN-mar,Dec Mon-FRI",
            [
                "2026-01-01T12:00:00+00:00",
                "2026-01-02T12:00:00+00:00",
                "2026-01-05T12:00:00+00:00",
            ],
            id="names-any-case",
        ),
        pytest.param(
            "0 0 L,15W * 5#2",
            [
                "2026-01-09T00:00:00+00:00",
                "2026-01-15T00:00:00+00:00",
                "2026-01-31T00:00:00+00:00",
                "2026-02-13T00:00:00+00:00",
                "2026-02-16T00:00:00+00:00",
            ],
            id="month-dependent-forms",
        ),
        pytest.param(
            "0 0 LW * *",
            ["2026-01-30T00:00:00+00:00", "2026-02-27T00:00:00+00:00"],
            id="LW",
        ),
        pytest.param(
            "0 0 * * 0,7",
            ["2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"],
            id="sunday-as-0-and-7",
        ),
        pytest.param(
            "0 0 * * 5L",
            ["2026-01-30T00:00:00+00:00", "2026-02-27T00:00:00+00:00"],
            id="last-friday",
        ),
    ],
)
def test_crontab_fields(expression: str, expected: list[str]) -> None:
    assert crontab(expression, len(expected)) == expected


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("@yearly", ["2026-01-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00"]),
        ("@annually", ["2026-01-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00"]),
        ("@monthly", ["2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00"]),
        ("@weekly", ["2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"]),
        ("@daily", ["2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00"]),
        ("@midnight", ["2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00"]),
        ("@hourly", ["2026-01-01T00:00:00+00:00", "2026-01-01T01:00:00+00:00"]),
        (" @DAILY ", ["2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00"]),
        ("@Weekly", ["2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"]),
    ],
)
def test_crontab_aliases(alias: str, expected: list[str]) -> None:
    assert crontab(alias, 2) == expected


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("0 9 * *", "it has 4 fields"),
        ("0 0 9 * * * 2026", "it has 7 fields"),
        ("", "it has 0 fields"),
        ("@reboot", "'@reboot' is not a known @ alias"),
        ("@every 5m", "'@every 5m' is not a known @ alias"),
    ],
)
def test_crontab_of_wrong_shape_is_refused_with_what_to_write(
    expression: str, reason: str
) -> None:
    with pytest.raises(InvalidCrontab, match=reason) as info:
        CronTrigger.from_crontab(expression, "UTC", start_time=START)
    assert isinstance(info.value, ValueError)
    assert (
        "Write 5 fields ('minute hour day month day_of_week'), 6 with seconds first"
        in str(info.value)
    )
    assert "@yearly @annually @monthly @weekly @daily @midnight @hourly" in str(
        info.value
    )


@pytest.mark.parametrize("expression", [5, None, ["0", "9", "*", "*", "*"]], ids=repr)
def test_crontab_that_is_not_a_string_is_refused(expression: Any) -> None:
    with pytest.raises(
        InvalidCrontab, match=r"a crontab must be a string\. Write 5 fields"
    ):
        CronTrigger.from_crontab(expression, "UTC", start_time=START)


def test_crontab_takes_timezone_start_and_end() -> None:
    trigger = CronTrigger.from_crontab(
        "0 9 * * *",
        "Europe/Helsinki",
        start_time="2026-01-01T09:00:00+02:00",
        end_time="2026-01-02T09:00:00+02:00",
    )
    assert fires(trigger, 3) == [
        "2026-01-01T09:00:00+02:00",
        "2026-01-02T09:00:00+02:00",
    ]


# start_time and end_time


def test_fire_time_equal_to_start_time_is_returned() -> None:
    assert cron(1, start="2026-01-01T09:00:00+00:00", hour=9) == [
        "2026-01-01T09:00:00+00:00"
    ]


def test_start_time_just_after_a_fire_time_skips_it() -> None:
    assert cron(1, start="2026-01-01T09:00:01+00:00", hour=9) == [
        "2026-01-02T09:00:00+00:00"
    ]


def test_start_time_with_microseconds_fires_at_next_whole_second() -> None:
    assert cron(2, start="2026-01-01T00:00:00.000001+00:00", second="*") == [
        "2026-01-01T00:00:01+00:00",
        "2026-01-01T00:00:02+00:00",
    ]


def test_start_time_in_another_zone_is_the_same_instant() -> None:
    # 07:00 UTC is 09:00 in Helsinki (UTC+2 in winter).
    assert cron(
        2, start="2026-01-01T07:00:00+00:00", timezone="Europe/Helsinki", hour=9
    ) == [
        "2026-01-01T09:00:00+02:00",
        "2026-01-02T09:00:00+02:00",
    ]
    assert cron(
        1, start="2026-01-01T07:00:01+00:00", timezone="Europe/Helsinki", hour=9
    ) == ["2026-01-02T09:00:00+02:00"]


def test_fire_times_are_in_the_trigger_zone() -> None:
    trigger = CronTrigger(
        hour=9, start_time=datetime.fromisoformat(START), timezone="Europe/Helsinki"
    )
    fire_time = trigger.next()
    assert fire_time is not None and fire_time.tzinfo is HELSINKI


def test_end_time_is_inclusive() -> None:
    trigger = CronTrigger(
        hour=9,
        start_time=START,
        end_time="2026-01-03T09:00:00+00:00",
        timezone="UTC",
    )
    assert fires(trigger, 5) == [
        "2026-01-01T09:00:00+00:00",
        "2026-01-02T09:00:00+00:00",
        "2026-01-03T09:00:00+00:00",
    ]
    assert trigger.next() is None


def test_end_time_equal_to_start_time_allows_one_fire() -> None:
    trigger = CronTrigger(hour=9, start_time="2026-01-01T09:00:00+00:00",
                          end_time="2026-01-01T09:00:00+00:00", timezone="UTC")  # fmt: skip
    assert fires(trigger, 2) == ["2026-01-01T09:00:00+00:00"]


def test_end_time_before_start_time_is_refused() -> None:
    with pytest.raises(
        InvalidTriggerArgument,
        match=r"end_time=.2025-12-31T00:00:00\+00:00.*earlier than start_time",
    ) as info:
        CronTrigger(
            hour=9,
            start_time=START,
            end_time="2025-12-31T00:00:00+00:00",
            timezone="UTC",
        )
    assert isinstance(info.value, ValueError)
    with pytest.raises(InvalidTriggerArgument, match="earlier than start_time"):
        CronTrigger.from_crontab(
            "0 9 * * *", "UTC", start_time=START, end_time="2025-12-31T00:00:00+00:00"
        )


# Steps larger than their range: cron keeps the first value


def cronsim_fires(expression: str, count: int) -> list[datetime]:
    """cronsim's first fire times from START (it yields those after its start)."""
    peer = CronSim(expression, datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC))
    return list(itertools.islice(peer, count))


def test_first_monday_of_the_month_idiom_ands_the_day_fields() -> None:
    expression = "1 1 */100,1-7 * MON"
    assert crontab(expression, 4) == [
        "2026-01-05T01:01:00+00:00", "2026-02-02T01:01:00+00:00",
        "2026-03-02T01:01:00+00:00", "2026-04-06T01:01:00+00:00",
    ]  # fmt: skip
    trigger = CronTrigger.from_crontab(expression, "UTC", start_time=START)
    assert take(trigger, 12) == cronsim_fires(expression, 12)


@pytest.mark.parametrize(
    ("expression", "first_two"),
    [
        ("*/100 0 1 1 *", ["2026-01-01T00:00:00", "2027-01-01T00:00:00"]),
        ("0 0 */100 * *", ["2026-01-01T00:00:00", "2026-02-01T00:00:00"]),
        ("0 0 5/40 * *", ["2026-01-05T00:00:00", "2026-02-05T00:00:00"]),
        ("0 0 1-7/9 * *", ["2026-01-01T00:00:00", "2026-02-01T00:00:00"]),
        ("0 0 1 */13 *", ["2026-01-01T00:00:00", "2027-01-01T00:00:00"]),
        ("0 0 * * */8", ["2026-01-04T00:00:00", "2026-01-11T00:00:00"]),  # Sundays
    ],
)
def test_a_step_larger_than_its_range_keeps_the_first_value(
    expression: str, first_two: list[str]
) -> None:
    assert crontab(expression, 2) == [f"{text}+00:00" for text in first_two]
    trigger = CronTrigger.from_crontab(expression, "UTC", start_time=START)
    assert take(trigger, 2) == cronsim_fires(expression, 2)
