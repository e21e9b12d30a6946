"""CronTrigger across time zones and DST changes.

Fixed-time triggers (no hour, minute or second starting with ``*``) fire once per wall
time: a time in a spring-forward gap at the first instant after the gap, a repeated time
at its first occurrence. Wildcard triggers fire at every real instant that matches:
nothing in a gap, both occurrences in an overlap, in real-time order.

The transitions used (checked with zoneinfo):

* Europe/Helsinki: 2026-03-29 03:00 -> 04:00, 2026-10-25 04:00 -> 03:00
* America/New_York: 2026-03-08 02:00 -> 03:00, 2026-11-01 02:00 -> 01:00
* Australia/Lord_Howe (30 minutes): 2026-04-05 02:00 -> 01:30, 2026-10-04 02:00 -> 02:30
* America/Havana (at midnight): 2026-03-08 00:00 -> 01:00, 2026-11-01 01:00 -> 00:00
* America/Santiago (at midnight): 2026-04-05 00:00 -> 04-04 23:00, 2026-09-06 00:00 -> 01:00
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from apsnb.triggers.cron import CronTrigger
from tests.cron_support import HELSINKI, a6_cron, cron, crontab, fires
from tests.helpers import assert_continues_after_restore, instants, take

# Fixed-time triggers in a spring-forward gap


@pytest.mark.parametrize(
    ("zone", "fields", "start", "expected"),
    [
        pytest.param(
            "Europe/Helsinki",
            {"hour": 3, "minute": 30},
            "2026-03-28T12:00:00+02:00",
            ["2026-03-29T04:00:00+03:00", "2026-03-30T03:30:00+03:00"],
            id="helsinki",
        ),
        pytest.param(
            "America/New_York",
            {"hour": 2, "minute": 30},
            "2026-03-07T12:00:00-05:00",
            ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"],
            id="new-york",
        ),
        pytest.param(
            "Australia/Lord_Howe",
            {"hour": 2, "minute": 15},
            "2026-10-03T12:00:00+10:30",
            ["2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"],
            id="lord-howe-30-minute-gap",
        ),
        pytest.param(
            "America/Havana",
            {"hour": 0},
            "2026-03-07T00:00:00-05:00",
            [
                "2026-03-07T00:00:00-05:00",
                "2026-03-08T01:00:00-04:00",
                "2026-03-09T00:00:00-04:00",
            ],
            id="havana-midnight",
        ),
        pytest.param(
            "America/Santiago",
            {"hour": 0, "minute": 30},
            "2026-09-05T00:00:00-04:00",
            [
                "2026-09-05T00:30:00-04:00",
                "2026-09-06T01:00:00-03:00",
                "2026-09-07T00:30:00-03:00",
            ],
            id="santiago-midnight",
        ),
    ],
)
def test_daily_cron_in_spring_gap_fires_at_first_valid_instant(
    zone: str, fields: dict[str, Any], start: str, expected: list[str]
) -> None:
    assert cron(len(expected), start=start, timezone=zone, **fields) == expected


def test_daily_cron_in_spring_gap_differs_from_apscheduler_nonexistent_time() -> None:
    fields: dict[str, Any] = {"hour": 3, "minute": 30}
    start, zone = "2026-03-28T12:00:00+02:00", "Europe/Helsinki"
    assert cron(1, start, zone, **fields) == ["2026-03-29T04:00:00+03:00"]
    # 03:30+02:00 is a wall time Helsinki clocks never show on 2026-03-29.
    assert a6_cron(1, start, zone, **fields) == ["2026-03-29T03:30:00+02:00"]


def test_several_gap_times_collapse_into_one_fire() -> None:
    # 03:00, 03:30 (in the gap) and 04:00 (real) all mean 04:00+03:00.
    assert cron(
        4, "2026-03-29T00:00:00+02:00", "Europe/Helsinki", hour="3-4", minute="0,30"
    ) == [
        "2026-03-29T04:00:00+03:00",
        "2026-03-29T04:30:00+03:00",
        "2026-03-30T03:00:00+03:00",
        "2026-03-30T03:30:00+03:00",
    ]


def test_gap_fire_is_returned_when_start_time_is_the_end_of_the_gap() -> None:
    # start_time is inclusive, and 03:30 fires at exactly 04:00+03:00 that day.
    assert cron(
        2, "2026-03-29T04:00:00+03:00", "Europe/Helsinki", hour=3, minute=30
    ) == ["2026-03-29T04:00:00+03:00", "2026-03-30T03:30:00+03:00"]
    assert crontab("0 0 * * *", 1, "2026-09-06T01:00:00-03:00", "America/Santiago") == [
        "2026-09-06T01:00:00-03:00"
    ]


def test_gap_fire_is_not_repeated_after_restore() -> None:
    trigger = CronTrigger(
        hour="3-4", minute="0,30", start_time="2026-03-29T00:00:00+02:00",
        timezone="Europe/Helsinki",
    )  # fmt: skip
    assert fires(trigger, 1) == ["2026-03-29T04:00:00+03:00"]
    assert_continues_after_restore(trigger, 5)


def test_fixed_times_next_to_the_gap_are_unaffected() -> None:
    assert cron(
        4, "2026-03-29T00:00:00+02:00", "Europe/Helsinki", hour="2,4", minute=59
    ) == [
        "2026-03-29T02:59:00+02:00",
        "2026-03-29T04:59:00+03:00",
        "2026-03-30T02:59:00+03:00",
        "2026-03-30T04:59:00+03:00",
    ]


# Fixed-time triggers in a fall-back overlap


@pytest.mark.parametrize(
    ("zone", "fields", "start", "expected"),
    [
        pytest.param(
            "Europe/Helsinki",
            {"hour": 3, "minute": 30},
            "2026-10-24T12:00:00+03:00",
            ["2026-10-25T03:30:00+03:00", "2026-10-26T03:30:00+02:00"],
            id="helsinki",
        ),
        pytest.param(
            "America/New_York",
            {"hour": 1, "minute": 30},
            "2026-10-31T12:00:00-04:00",
            ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"],
            id="new-york",
        ),
        pytest.param(
            "Australia/Lord_Howe",
            {"hour": 1, "minute": 45},
            "2026-04-04T12:00:00+11:00",
            ["2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"],
            id="lord-howe-30-minute-overlap",
        ),
        pytest.param(
            "America/Havana",
            {"hour": 0, "minute": 30},
            "2026-10-31T12:00:00-04:00",
            ["2026-11-01T00:30:00-04:00", "2026-11-02T00:30:00-05:00"],
            id="havana-midnight",
        ),
        pytest.param(
            "America/Santiago",
            {"hour": 23, "minute": 30},
            "2026-04-04T12:00:00-03:00",
            ["2026-04-04T23:30:00-03:00", "2026-04-05T23:30:00-04:00"],
            id="santiago-midnight",
        ),
        pytest.param(
            "America/Santiago",
            {"hour": 0},
            "2026-04-04T00:00:00-03:00",
            ["2026-04-04T00:00:00-03:00", "2026-04-05T00:00:00-04:00"],
            id="santiago-midnight-after-overlap-happens-once",
        ),
    ],
)
def test_daily_cron_in_fall_overlap_fires_once_at_first_occurrence(
    zone: str, fields: dict[str, Any], start: str, expected: list[str]
) -> None:
    assert cron(len(expected), start=start, timezone=zone, **fields) == expected


def test_daily_cron_in_fall_overlap_differs_from_apscheduler_which_fires_twice() -> (
    None
):
    fields: dict[str, Any] = {"hour": 3, "minute": 30}
    start, zone = "2026-10-24T12:00:00+03:00", "Europe/Helsinki"
    assert cron(2, start, zone, **fields) == [
        "2026-10-25T03:30:00+03:00",
        "2026-10-26T03:30:00+02:00",
    ]
    assert a6_cron(2, start, zone, **fields) == [
        "2026-10-25T03:30:00+03:00",
        "2026-10-25T03:30:00+02:00",
    ]


def test_fixed_time_does_not_fire_at_second_occurrence_after_start_in_overlap() -> None:
    # start_time is the second 03:10; 03:30 already fired (or would have) an hour ago.
    assert cron(
        1, "2026-10-25T03:10:00+02:00", "Europe/Helsinki", hour=3, minute=30
    ) == ["2026-10-26T03:30:00+02:00"]


def test_fixed_times_in_overlap_fire_once_each_in_wall_clock_order() -> None:
    trigger = CronTrigger(
        hour="2-4", minute="0,30", start_time="2026-10-25T00:00:00+03:00",
        timezone="Europe/Helsinki",
    )  # fmt: skip
    assert fires(trigger, 7) == [
        "2026-10-25T02:00:00+03:00",
        "2026-10-25T02:30:00+03:00",
        "2026-10-25T03:00:00+03:00",
        "2026-10-25T03:30:00+03:00",
        "2026-10-25T04:00:00+02:00",
        "2026-10-25T04:30:00+02:00",
        "2026-10-26T02:00:00+02:00",
    ]


@pytest.mark.parametrize("fired", range(7))
def test_fixed_time_trigger_restored_around_overlap_continues_identically(
    fired: int,
) -> None:
    trigger = CronTrigger(
        hour="2-4", minute="0,30", start_time="2026-10-25T00:00:00+03:00",
        timezone="Europe/Helsinki",
    )  # fmt: skip
    take(trigger, fired)
    assert_continues_after_restore(trigger, 6)


# Wildcard triggers


@pytest.mark.parametrize(
    ("zone", "expression", "start", "expected"),
    [
        pytest.param(
            "Europe/Helsinki",
            "*/15 * * * *",
            "2026-03-29T02:30:00+02:00",
            [
                "2026-03-29T02:30:00+02:00",
                "2026-03-29T02:45:00+02:00",
                "2026-03-29T04:00:00+03:00",
                "2026-03-29T04:15:00+03:00",
            ],
            id="helsinki",
        ),
        pytest.param(
            "America/New_York",
            "0 * * * *",
            "2026-03-08T01:00:00-05:00",
            [
                "2026-03-08T01:00:00-05:00",
                "2026-03-08T03:00:00-04:00",
                "2026-03-08T04:00:00-04:00",
            ],
            id="new-york-hourly",
        ),
        pytest.param(
            "Australia/Lord_Howe",
            "*/15 * * * *",
            "2026-10-04T01:30:00+10:30",
            [
                "2026-10-04T01:30:00+10:30",
                "2026-10-04T01:45:00+10:30",
                "2026-10-04T02:30:00+11:00",
                "2026-10-04T02:45:00+11:00",
            ],
            id="lord-howe",
        ),
        pytest.param(
            "America/Havana",
            "*/30 * * * *",
            "2026-03-07T23:00:00-05:00",
            [
                "2026-03-07T23:00:00-05:00",
                "2026-03-07T23:30:00-05:00",
                "2026-03-08T01:00:00-04:00",
                "2026-03-08T01:30:00-04:00",
            ],
            id="havana-midnight",
        ),
    ],
)
def test_wildcard_cron_fires_nothing_inside_spring_gap(
    zone: str, expression: str, start: str, expected: list[str]
) -> None:
    assert crontab(expression, len(expected), start, zone) == expected


@pytest.mark.parametrize(
    ("fields", "start", "expected"),
    [
        pytest.param(
            {"minute": "*"},
            "2026-03-29T02:58:00+02:00",
            [
                "2026-03-29T02:58:00+02:00",
                "2026-03-29T02:59:00+02:00",
                "2026-03-29T04:00:00+03:00",
                "2026-03-29T04:01:00+03:00",
            ],
            id="every-minute",
        ),
        pytest.param(
            {"hour": "*"},
            "2026-03-29T01:00:00+02:00",
            [
                "2026-03-29T01:00:00+02:00",
                "2026-03-29T02:00:00+02:00",
                "2026-03-29T04:00:00+03:00",
                "2026-03-29T05:00:00+03:00",
            ],
            id="every-hour",
        ),
        pytest.param(
            {"hour": "*/3", "minute": 30},
            "2026-03-29T00:00:00+02:00",
            ["2026-03-29T00:30:00+02:00", "2026-03-29T06:30:00+03:00"],
            id="every-3-hours-skips-03-30",
        ),
    ],
)
def test_keyword_wildcard_fires_nothing_inside_spring_gap(
    fields: dict[str, Any], start: str, expected: list[str]
) -> None:
    assert cron(len(expected), start, "Europe/Helsinki", **fields) == expected


HELSINKI_OVERLAP_EVERY_15 = [
    "2026-10-25T02:30:00+03:00",
    "2026-10-25T02:45:00+03:00",
    "2026-10-25T03:00:00+03:00",
    "2026-10-25T03:15:00+03:00",
    "2026-10-25T03:30:00+03:00",
    "2026-10-25T03:45:00+03:00",
    "2026-10-25T03:00:00+02:00",
    "2026-10-25T03:15:00+02:00",
    "2026-10-25T03:30:00+02:00",
    "2026-10-25T03:45:00+02:00",
    "2026-10-25T04:00:00+02:00",
    "2026-10-25T04:15:00+02:00",
]


@pytest.mark.parametrize(
    ("zone", "expression", "start", "expected"),
    [
        pytest.param(
            "Europe/Helsinki",
            "*/15 * * * *",
            "2026-10-25T02:30:00+03:00",
            HELSINKI_OVERLAP_EVERY_15,
            id="helsinki",
        ),
        pytest.param(
            "America/New_York",
            "*/30 * * * *",
            "2026-11-01T00:30:00-04:00",
            [
                "2026-11-01T00:30:00-04:00",
                "2026-11-01T01:00:00-04:00",
                "2026-11-01T01:30:00-04:00",
                "2026-11-01T01:00:00-05:00",
                "2026-11-01T01:30:00-05:00",
                "2026-11-01T02:00:00-05:00",
            ],
            id="new-york",
        ),
        pytest.param(
            "Australia/Lord_Howe",
            "*/15 * * * *",
            "2026-04-05T01:00:00+11:00",
            [
                "2026-04-05T01:00:00+11:00",
                "2026-04-05T01:15:00+11:00",
                "2026-04-05T01:30:00+11:00",
                "2026-04-05T01:45:00+11:00",
                "2026-04-05T01:30:00+10:30",
                "2026-04-05T01:45:00+10:30",
                "2026-04-05T02:00:00+10:30",
            ],
            id="lord-howe",
        ),
        pytest.param(
            "America/Havana",
            "*/30 * * * *",
            "2026-10-31T23:30:00-04:00",
            [
                "2026-10-31T23:30:00-04:00",
                "2026-11-01T00:00:00-04:00",
                "2026-11-01T00:30:00-04:00",
                "2026-11-01T00:00:00-05:00",
                "2026-11-01T00:30:00-05:00",
                "2026-11-01T01:00:00-05:00",
            ],
            id="havana-midnight",
        ),
        pytest.param(
            "America/Santiago",
            "*/30 * * * *",
            "2026-04-04T22:30:00-03:00",
            [
                "2026-04-04T22:30:00-03:00",
                "2026-04-04T23:00:00-03:00",
                "2026-04-04T23:30:00-03:00",
                "2026-04-04T23:00:00-04:00",
                "2026-04-04T23:30:00-04:00",
                "2026-04-05T00:00:00-04:00",
            ],
            id="santiago-midnight",
        ),
    ],
)
def test_wildcard_cron_fires_both_occurrences_in_overlap_in_real_time_order(
    zone: str, expression: str, start: str, expected: list[str]
) -> None:
    assert crontab(expression, len(expected), start, zone) == expected


@pytest.mark.parametrize(
    ("fields", "start", "expected"),
    [
        pytest.param(
            {"hour": "*"},
            "2026-10-25T02:00:00+03:00",
            [
                "2026-10-25T02:00:00+03:00",
                "2026-10-25T03:00:00+03:00",
                "2026-10-25T03:00:00+02:00",
                "2026-10-25T04:00:00+02:00",
            ],
            id="every-hour",
        ),
        pytest.param(
            {"hour": 3, "minute": "*/20"},
            "2026-10-25T00:00:00+03:00",
            [
                "2026-10-25T03:00:00+03:00",
                "2026-10-25T03:20:00+03:00",
                "2026-10-25T03:40:00+03:00",
                "2026-10-25T03:00:00+02:00",
                "2026-10-25T03:20:00+02:00",
                "2026-10-25T03:40:00+02:00",
                "2026-10-26T03:00:00+02:00",
            ],
            id="fixed-hour-with-wildcard-minute",
        ),
        pytest.param(
            {"hour": 3, "minute": 30, "second": "*/30"},
            "2026-10-25T00:00:00+03:00",
            [
                "2026-10-25T03:30:00+03:00",
                "2026-10-25T03:30:30+03:00",
                "2026-10-25T03:30:00+02:00",
                "2026-10-25T03:30:30+02:00",
                "2026-10-26T03:30:00+02:00",
            ],
            id="wildcard-second",
        ),
    ],
)
def test_keyword_wildcard_fires_both_occurrences_in_overlap(
    fields: dict[str, Any], start: str, expected: list[str]
) -> None:
    assert cron(len(expected), start, "Europe/Helsinki", **fields) == expected


def test_every_minute_through_overlap_is_one_minute_apart_in_real_time() -> None:
    # 02:00+03:00 to 04:59+02:00 is four real hours.
    trigger = CronTrigger(
        minute="*", start_time="2026-10-25T02:00:00+03:00", timezone="Europe/Helsinki"
    )
    times = take(trigger, 240)
    assert times[-1].isoformat() == "2026-10-25T04:59:00+02:00"
    steps = {later - earlier for earlier, later in itertools.pairwise(instants(times))}
    assert steps == {60.0}


@pytest.mark.parametrize(
    ("zone", "expression", "spring", "fall"),
    [
        ("Europe/Helsinki", "*/15 * * * *", "2026-03-28T12:00+02:00", "2026-10-24T12:00+03:00"),
        ("Europe/Helsinki", "0,30 3-4 * * *", "2026-03-28T12:00+02:00", "2026-10-24T12:00+03:00"),
        ("Europe/Helsinki", "*/20 3 * * *", "2026-03-28T12:00+02:00", "2026-10-24T12:00+03:00"),
        ("America/New_York", "*/10 * * * *", "2026-03-07T12:00-05:00", "2026-10-31T12:00-04:00"),
        ("America/New_York", "30 1,2 * * *", "2026-03-07T12:00-05:00", "2026-10-31T12:00-04:00"),
        ("Australia/Lord_Howe", "*/10 * * * *", "2026-10-03T12:00+10:30", "2026-04-04T12:00+11:00"),
        ("Australia/Lord_Howe", "15,45 1-2 * * *", "2026-10-03T12:00+10:30", "2026-04-04T12:00+11:00"),
        ("America/Havana", "*/20 * * * *", "2026-03-07T12:00-05:00", "2026-10-31T12:00-04:00"),
        ("America/Havana", "0,30 0 * * *", "2026-03-07T12:00-05:00", "2026-10-31T12:00-04:00"),
        ("America/Santiago", "*/20 * * * *", "2026-09-05T12:00-04:00", "2026-04-04T12:00-03:00"),
        ("America/Santiago", "0,30 0,23 * * *", "2026-09-05T12:00-04:00", "2026-04-04T12:00-03:00"),
    ],
)  # fmt: skip
def test_fire_times_strictly_increase_and_exist_across_both_transitions(
    zone: str, expression: str, spring: str, fall: str
) -> None:
    for start in (spring, fall):
        trigger = CronTrigger.from_crontab(expression, zone, start_time=start)
        times = take(trigger, 200)
        assert times[-1] - times[0] > timedelta(days=1)  # the transition is covered
        stamps = instants(times)
        assert all(a < b for a, b in itertools.pairwise(stamps))
        for time in times:
            # A real wall time: it reads the same after a round trip through UTC.
            back = time.astimezone(UTC).astimezone(time.tzinfo)
            assert back.isoformat() == time.isoformat()


@pytest.mark.parametrize(
    ("zone", "expression", "start", "count"),
    [
        pytest.param(
            "Europe/Helsinki", "*/15 * * * *", "2026-10-25T02:30:00+03:00", 12,
            id="helsinki",
        ),
        pytest.param(
            "Europe/Helsinki", "*/20 3 * * *", "2026-10-25T00:00:00+03:00", 7,
            id="helsinki-fixed-hour",
        ),
        pytest.param(
            "America/New_York", "*/30 * * * *", "2026-11-01T00:30:00-04:00", 6,
            id="new-york",
        ),
        pytest.param(
            "Australia/Lord_Howe", "*/10 * * * *", "2026-04-05T01:00:00+11:00", 12,
            id="lord-howe",
        ),
        pytest.param(
            "America/Havana", "*/15 * * * *", "2026-10-31T23:30:00-04:00", 12,
            id="havana-midnight",
        ),
        pytest.param(
            "America/Santiago", "*/15 * * * *", "2026-04-04T22:30:00-03:00", 12,
            id="santiago-midnight",
        ),
    ],
)  # fmt: skip
def test_wildcard_trigger_restored_at_every_point_of_overlap_continues_identically(
    zone: str, expression: str, start: str, count: int
) -> None:
    # The hard case: after the first 03:15 fired, the second 03:00 and 03:15 are due.
    for fired in range(count + 1):
        trigger = CronTrigger.from_crontab(expression, zone, start_time=start)
        take(trigger, fired)
        assert_continues_after_restore(trigger, count + 2 - fired)


def test_restored_after_first_occurrence_still_fires_earlier_second_occurrences() -> (
    None
):
    trigger = CronTrigger.from_crontab(
        "*/15 * * * *", "Europe/Helsinki", start_time="2026-10-25T02:30:00+03:00"
    )
    assert fires(trigger, 4)[-1] == "2026-10-25T03:15:00+03:00"
    copy = CronTrigger.__new__(CronTrigger)
    copy.__setstate__(trigger.__getstate__())
    assert fires(copy, 8) == HELSINKI_OVERLAP_EVERY_15[4:]


def test_start_time_at_second_occurrence_fires_from_there() -> None:
    assert crontab(
        "*/15 * * * *", 3, "2026-10-25T03:15:00+02:00", "Europe/Helsinki"
    ) == [
        "2026-10-25T03:15:00+02:00",
        "2026-10-25T03:30:00+02:00",
        "2026-10-25T03:45:00+02:00",
    ]


def test_start_time_given_as_naive_wall_time_in_overlap_uses_first_occurrence() -> None:
    # datetime(..., tzinfo=zone) is fold=0: the first 03:00 of the overlap.
    start = datetime(2026, 10, 25, 3, 0, tzinfo=HELSINKI)
    trigger = CronTrigger(minute="*/30", start_time=start, timezone="Europe/Helsinki")
    assert fires(trigger, 3) == [
        "2026-10-25T03:00:00+03:00",
        "2026-10-25T03:30:00+03:00",
        "2026-10-25T03:00:00+02:00",
    ]


# Fixed or wildcard


@pytest.mark.parametrize(
    ("trigger", "fixed"),
    [
        (lambda: CronTrigger(hour=9), True),
        (lambda: CronTrigger(), True),
        (lambda: CronTrigger(day_of_week="mon-fri"), True),
        (lambda: CronTrigger(hour="9-17/2", minute="0,30"), True),
        (lambda: CronTrigger(minute=5), False),  # hour defaults to '*'
        (lambda: CronTrigger(minute="*/15"), False),
        (lambda: CronTrigger(hour="*", minute=0), False),
        (lambda: CronTrigger(hour=3, second="*/10"), False),
        (lambda: CronTrigger.from_crontab("30 3 * * *"), True),
        (lambda: CronTrigger.from_crontab("@hourly"), False),
        (lambda: CronTrigger.from_crontab("*/5 3 * * *"), False),
    ],
)
def test_trigger_is_wildcard_when_hour_minute_or_second_starts_with_star(
    trigger: Any, fixed: bool
) -> None:
    assert trigger().fixed_time is fixed


# Zones without DST


def test_utc_has_no_gap_or_overlap() -> None:
    assert cron(3, "2026-03-28T00:00:00+00:00", "UTC", hour=3, minute=30) == [
        "2026-03-28T03:30:00+00:00",
        "2026-03-29T03:30:00+00:00",
        "2026-03-30T03:30:00+00:00",
    ]


def test_fixed_offset_zone_fires_at_its_offset() -> None:
    zone = timezone(timedelta(hours=5, minutes=30))
    trigger = CronTrigger(hour=9, start_time="2026-03-29T00:00:00+00:00", timezone=zone)
    assert fires(trigger, 2) == [
        "2026-03-29T09:00:00+05:30",
        "2026-03-30T09:00:00+05:30",
    ]
    assert_continues_after_restore(trigger, 3)


def test_same_trigger_in_different_zones_fires_at_different_instants() -> None:
    start = "2026-01-01T00:00:00+00:00"
    helsinki = cron(1, start, "Europe/Helsinki", hour=9)
    new_york = cron(1, start, "America/New_York", hour=9)
    assert helsinki == ["2026-01-01T09:00:00+02:00"]
    assert new_york == ["2026-01-01T09:00:00-05:00"]
