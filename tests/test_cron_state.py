"""CronTrigger: saved state, repr, equality and the errors for bad input."""

from __future__ import annotations

import copy
import json
import pickle
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from apsnb._exceptions import (
    InvalidCronField,
    InvalidTriggerArgumentType,
    NaiveDatetimeError,
    TriggerStateError,
    UnknownTimeZone,
)
from apsnb.triggers.cron import CronTrigger
from tests.cron_support import START, fires
from tests.helpers import assert_continues_after_restore, restored, take


def keyword_trigger() -> CronTrigger:
    return CronTrigger(
        day_of_week="mon-fri",
        hour="9-17/4",
        minute=30,
        start_time="2026-01-01T00:00:00+02:00",
        end_time="2027-01-01T00:00:00+02:00",
        timezone="Europe/Helsinki",
    )


def crontab_trigger() -> CronTrigger:
    return CronTrigger.from_crontab(
        "0 9 13 * fri", "America/New_York", start_time="2026-01-01T00:00:00-05:00"
    )


TRIGGERS = {
    "keyword": keyword_trigger,
    "crontab-either-day": crontab_trigger,
    "wildcard-through-overlap": lambda: CronTrigger.from_crontab(
        "*/15 * * * *", "Europe/Helsinki", start_time="2026-10-25T02:30:00+03:00"
    ),
    "fixed-through-gap": lambda: CronTrigger(
        hour="3-4",
        minute="0,30",
        start_time="2026-03-29T00:00:00+02:00",
        timezone="Europe/Helsinki",
    ),
    "fixed-offset-zone": lambda: CronTrigger(
        hour=9, start_time=START, timezone=timezone(timedelta(hours=5, minutes=30))
    ),
    "month-dependent-days": lambda: CronTrigger(
        day="LW,15W,2nd fri", day_of_week="mon-fri", start_time=START, timezone="UTC"
    ),
    "ends-soon": lambda: CronTrigger(
        hour=9, start_time=START, end_time="2026-01-05T09:00:00+00:00", timezone="UTC"
    ),
}


# State


def test_state_is_plain_versioned_data() -> None:
    assert keyword_trigger().__getstate__() == {
        "version": 1,
        "fields": {
            "year": "*",
            "month": "*",
            "day": "*",
            "week": "*",
            "day_of_week": "mon-fri",
            "hour": "9-17/4",
            "minute": "30",
            "second": "0",
        },
        "day_match": "both",
        "crontab": None,
        "timezone": "Europe/Helsinki",
        "start_time": "2026-01-01T00:00:00+02:00",
        "end_time": "2027-01-01T00:00:00+02:00",
        "last_fire_time": None,
    }


def test_state_records_crontab_and_either_day_match_and_progress() -> None:
    trigger = crontab_trigger()
    trigger.next()
    state = trigger.__getstate__()
    assert json.loads(json.dumps(state)) == state
    assert state["crontab"] == "0 9 13 * fri"
    assert state["day_match"] == "either"
    assert state["last_fire_time"].startswith("2026-01-02T09:00:00-05:00")


@pytest.mark.parametrize("make", TRIGGERS.values(), ids=TRIGGERS.keys())
@pytest.mark.parametrize("fired", [0, 1, 5])
def test_round_trip_mid_sequence_continues_identically(make: Any, fired: int) -> None:
    trigger = make()
    take(trigger, fired)
    json.dumps(trigger.__getstate__())
    assert_continues_after_restore(trigger, 8)


@pytest.mark.parametrize("make", TRIGGERS.values(), ids=TRIGGERS.keys())
def test_deepcopy_continues_identically(make: Any) -> None:
    trigger = make()
    take(trigger, 3)
    clone = copy.deepcopy(trigger)
    assert fires(clone, 8) == fires(trigger, 8)


@pytest.mark.parametrize("how", ["json", "pickle", "state"])
def test_restored_trigger_equals_original_and_has_same_repr(how: str) -> None:
    trigger = crontab_trigger()
    trigger.next()
    clone = restored(trigger, how)
    assert clone == trigger
    assert repr(clone) == repr(trigger)


def test_finished_trigger_stays_finished_after_restore() -> None:
    trigger = TRIGGERS["ends-soon"]()
    assert len(take(trigger, 10)) == 5
    for how in ("json", "pickle"):
        assert restored(trigger, how).next() is None


def test_state_of_a_newer_version_asks_to_upgrade() -> None:
    state = keyword_trigger().__getstate__()
    state["version"] = 2
    with pytest.raises(TriggerStateError, match=r"version 2.*upgrade apsnb"):
        CronTrigger.__new__(CronTrigger).__setstate__(state)


def _without(key: str) -> Any:
    def change(state: dict[str, Any]) -> None:
        del state[key]

    return change


def _set(key: str, value: Any) -> Any:
    def change(state: dict[str, Any]) -> None:
        state[key] = value

    return change


def _set_field(name: str, value: Any) -> Any:
    def change(state: dict[str, Any]) -> None:
        state["fields"][name] = value

    return change


def _without_field(name: str) -> Any:
    def change(state: dict[str, Any]) -> None:
        del state["fields"][name]

    return change


BROKEN_STATES = {
    **{
        f"no-{key}": _without(key)
        for key in (
            "version",
            "fields",
            "day_match",
            "crontab",
            "timezone",
            "start_time",
            "end_time",
            "last_fire_time",
        )
    },
    "no-minute-field": _without_field("minute"),
    "version-0": _set("version", 0),
    "version-text": _set("version", "1"),
    "version-bool": _set("version", True),
    "fields-none": _set("fields", None),
    "fields-list": _set("fields", ["*"] * 8),
    "minute-61": _set_field("minute", "61"),
    "minute-none": _set_field("minute", None),
    "day-match-unknown": _set("day_match", "sometimes"),
    "zone-unknown": _set("timezone", "Mars/Olympus"),
    "zone-number": _set("timezone", 5),
    "start-none": _set("start_time", None),
    "start-garbage": _set("start_time", "yesterday"),
    "start-naive": _set("start_time", "2026-01-01T00:00:00"),
    "start-number": _set("start_time", 1767225600),
    "end-before-start": _set("end_time", "2025-01-01T00:00:00+00:00"),
    "last-fire-garbage": _set("last_fire_time", "soon"),
    "last-fire-naive": _set("last_fire_time", "2026-01-01T09:00:00"),
}


@pytest.mark.parametrize("change", BROKEN_STATES.values(), ids=BROKEN_STATES.keys())
def test_broken_state_raises_trigger_state_error(change: Any) -> None:
    state = json.loads(json.dumps(keyword_trigger().__getstate__()))
    change(state)
    with pytest.raises(TriggerStateError, match="cannot restore CronTrigger") as info:
        CronTrigger.__new__(CronTrigger).__setstate__(state)
    assert isinstance(info.value, ValueError)
    assert not isinstance(info.value, KeyError)


@pytest.mark.parametrize("state", [None, [], "version 1", 1], ids=repr)
def test_state_that_is_not_a_dict_raises_trigger_state_error(state: Any) -> None:
    with pytest.raises(TriggerStateError, match="expected a dict"):
        CronTrigger.__new__(CronTrigger).__setstate__(state)


def test_missing_key_is_named_in_the_error() -> None:
    state = keyword_trigger().__getstate__()
    del state["timezone"]
    with pytest.raises(TriggerStateError, match="lacks the key 'timezone'"):
        CronTrigger.__new__(CronTrigger).__setstate__(state)


# repr


def test_repr_of_keyword_trigger_shows_the_fields_that_build_it() -> None:
    assert repr(keyword_trigger()) == (
        "CronTrigger(day_of_week='mon-fri', hour='9-17/4', minute=30, "
        "start_time='2026-01-01T00:00:00+02:00', end_time='2027-01-01T00:00:00+02:00', "
        "timezone='Europe/Helsinki')"
    )


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"hour": 9, "minute": 0}, "hour=9"),
        ({"year": "*"}, "month=1"),
        ({"month": "*"}, "day=1"),
        ({"month": "*", "day": "*"}, "hour=0"),
        ({"month": 6, "second": 5}, "month=6, second=5"),
        ({"day": 1, "hour": 0}, "day=1"),
        ({"week": "1-10", "day_of_week": "*"}, "week='1-10'"),
    ],
)
def test_repr_shows_the_fewest_fields_that_rebuild_the_trigger(
    fields: dict[str, Any], shown: str
) -> None:
    trigger = CronTrigger(**fields, start_time=START, timezone="UTC")
    assert repr(trigger) == (
        f"CronTrigger({shown}, start_time='2026-01-01T00:00:00+00:00', timezone='UTC')"
    )
    assert eval(repr(trigger), {"CronTrigger": CronTrigger}) == trigger


def test_repr_rounds_a_start_of_now_up_to_the_second_it_fires_from() -> None:
    start = datetime(2026, 1, 1, 8, 59, 59, 474551, tzinfo=UTC)
    trigger = CronTrigger.from_crontab("* * * * * *", "UTC", start_time=start)
    assert repr(trigger) == (
        "CronTrigger.from_crontab('* * * * * *', timezone='UTC', "
        "start_time='2026-01-01T09:00:00+00:00')"
    )
    rebuilt = eval(repr(trigger), {"CronTrigger": CronTrigger})
    assert take(rebuilt, 3) == take(trigger, 3)
    assert "." not in repr(CronTrigger(hour=9))


def test_repr_of_crontab_trigger_shows_the_crontab() -> None:
    assert repr(crontab_trigger()) == (
        "CronTrigger.from_crontab('0 9 13 * fri', timezone='America/New_York', "
        "start_time='2026-01-01T00:00:00-05:00')"
    )


def test_repr_of_crontab_shows_whitespace_collapsed() -> None:
    trigger = CronTrigger.from_crontab("  0  9 * *\t*", "UTC", start_time=START)
    assert repr(trigger) == (
        "CronTrigger.from_crontab('0 9 * * *', timezone='UTC', "
        "start_time='2026-01-01T00:00:00+00:00')"
    )


def test_repr_of_fixed_offset_zone_names_the_offset() -> None:
    assert repr(TRIGGERS["fixed-offset-zone"]()).endswith(
        "start_time='2026-01-01T00:00:00+00:00', timezone='+05:30')"
    )


@pytest.mark.parametrize("make", TRIGGERS.values(), ids=TRIGGERS.keys())
def test_repr_evaluates_to_an_equal_trigger(make: Any) -> None:
    trigger = make()
    rebuilt = eval(repr(trigger), {"CronTrigger": CronTrigger})
    assert rebuilt == trigger
    assert repr(rebuilt) == repr(trigger)
    assert fires(rebuilt, 5) == fires(trigger, 5)


def test_repr_does_not_change_with_progress() -> None:
    trigger = keyword_trigger()
    before = repr(trigger)
    take(trigger, 3)
    assert repr(trigger) == before


# Equality


def test_triggers_configured_equally_are_equal() -> None:
    assert keyword_trigger() == keyword_trigger()
    assert crontab_trigger() == crontab_trigger()


def test_equal_fields_written_differently_are_equal_after_normalising() -> None:
    a = CronTrigger(hour=9, minute="0, 30", start_time=START, timezone="UTC")
    b = CronTrigger(hour="9", minute="0,30", start_time=START, timezone="UTC")
    assert a == b


def test_start_time_is_compared_as_an_instant() -> None:
    a = CronTrigger(hour=9, start_time="2026-01-01T02:00:00+02:00", timezone="UTC")
    b = CronTrigger(hour=9, start_time="2026-01-01T00:00:00+00:00", timezone="UTC")
    assert a == b


def test_progress_does_not_affect_equality() -> None:
    advanced = keyword_trigger()
    take(advanced, 3)
    assert advanced == keyword_trigger()


def _changed(**changes: Any) -> CronTrigger:
    arguments: dict[str, Any] = dict(
        day_of_week="mon-fri", hour="9-17/4", minute=30,
        start_time="2026-01-01T00:00:00+02:00", end_time="2027-01-01T00:00:00+02:00",
        timezone="Europe/Helsinki",
    )  # fmt: skip
    arguments.update(changes)
    return CronTrigger(**arguments)


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(lambda: _changed(minute=31), id="field"),
        pytest.param(lambda: _changed(second=1), id="defaulted-field"),
        pytest.param(lambda: _changed(timezone="Europe/Tallinn"), id="zone"),
        pytest.param(
            lambda: _changed(start_time="2026-01-02T00:00:00+02:00"), id="start"
        ),
        pytest.param(lambda: _changed(end_time=None), id="end"),
    ],
)
def test_triggers_differing_in_configuration_are_not_equal(other: Any) -> None:
    assert other() != keyword_trigger()


def test_crontab_either_days_differ_from_keyword_both_days() -> None:
    keyword = CronTrigger(
        day=13, day_of_week="fri", hour=9, minute=0,
        start_time="2026-01-01T00:00:00-05:00", timezone="America/New_York",
    )  # fmt: skip
    assert keyword != crontab_trigger()


def test_trigger_is_not_equal_to_other_objects() -> None:
    assert keyword_trigger() != "CronTrigger(hour=9)"
    assert keyword_trigger() != None  # noqa: E711


# Bad input


@pytest.mark.parametrize(
    ("field", "value", "fragments"),
    [
        ("minute", "61", ["61 is out of range", "with a and b in 0-59"]),
        ("hour", "24", ["24 is out of range", "0-23"]),
        ("day", "32", ["32 is out of range", "1-31"]),
        ("day", "0", ["0 is out of range", "1-31"]),
        ("month", "13", ["13 is out of range", "1-12"]),
        ("month", "foo", ["'foo' is not a known name", "names (jan, feb, mar, …)"]),
        ("year", "1969", ["1969 is out of range", "1970-9999"]),
        ("week", "54", ["54 is out of range", "1-53"]),
        ("day_of_week", "funday", ["'funday' is not a known name", "0-7"]),
        ("day_of_week", "8", ["8 is out of range", "0-7"]),
        ("day_of_week", "8L", ["8 is not a weekday number", "0-7"]),
        ("day_of_week", "5#6", ["asks for occurrence 6", "n#k with k in 1-5"]),
        ("second", "*/0", ["a step must be at least 1", "'*/n'"]),
        ("day", "L/2", ["'L/2' steps from the last day", "write 'L'"]),
        ("day", "lw/3", ["'LW/3' steps from the last day", "write 'LW'"]),
        ("minute", "5-1", ["the range '5-1' runs backwards", "'a-b'"]),
        ("day", "1st sun-2", ["'1st sun-2' is not an expression it understands", "'2nd fri'"]),
        ("day", "2nd funday", ["'funday' is not a weekday", "mon, tue"]),
        ("minute", "", ["the field is empty", "'*'"]),
        ("minute", "   ", ["the field is empty", "'*'"]),
        ("minute", "1,,2", ["it has an empty item in its list", "comma-separated"]),
        ("hour", "last", ["'last' is not a number", "0-23"]),
        ("hour", "LW", ["'lw' is not a number", "0-23"]),
        ("minute", "5W", ["'5w' is not an expression it understands", "0-59"]),
        ("day", "32W", ["32 is out of range", "'nW'"]),
        ("minute", "1-2-3", ["'1-2-3' is not an expression it understands", "'a-b'"]),
    ],
)  # fmt: skip
def test_bad_field_names_the_field_the_value_and_the_allowed_form(
    field: str, value: str, fragments: list[str]
) -> None:
    with pytest.raises(InvalidCronField) as info:
        CronTrigger(**{field: value}, start_time=START, timezone="UTC")
    message = str(info.value)
    assert message.startswith(f"{field}={value.strip()!r}: ")
    assert f"{field} accepts " in message
    for fragment in fragments:
        assert fragment in message
    assert isinstance(info.value, ValueError)
    assert (info.value.field, info.value.value) == (field, value.strip())


@pytest.mark.parametrize("value", [3.5, [1, 2], True, b"5"], ids=repr)
def test_field_of_wrong_type_is_a_type_error(value: Any) -> None:
    with pytest.raises(InvalidTriggerArgumentType) as info:
        CronTrigger(minute=value, start_time=START, timezone="UTC")
    assert str(info.value) == (
        f"minute={value!r} is a {type(value).__name__}; "
        f"expected a cron expression (str) or an int"
    )
    assert isinstance(info.value, TypeError)


def test_bad_field_in_crontab_names_the_field() -> None:
    with pytest.raises(InvalidCronField, match=r"minute='61': 61 is out of range"):
        CronTrigger.from_crontab("61 * * * *", "UTC", start_time=START)
    with pytest.raises(InvalidCronField, match=r"day_of_week='funday'"):
        CronTrigger.from_crontab("0 9 * * funday", "UTC", start_time=START)


def test_unknown_time_zone_is_refused_with_examples() -> None:
    with pytest.raises(
        UnknownTimeZone, match=r"unknown time zone 'Mars/Olympus'.*Europe/Helsinki"
    ) as info:
        CronTrigger(hour=9, start_time=START, timezone="Mars/Olympus")
    assert isinstance(info.value, ValueError)
    with pytest.raises(UnknownTimeZone, match="Mars/Olympus"):
        CronTrigger.from_crontab("0 9 * * *", "Mars/Olympus", start_time=START)


def test_time_zone_of_wrong_type_is_a_type_error() -> None:
    with pytest.raises(
        InvalidTriggerArgumentType, match="timezone=5 is an int"
    ) as info:
        CronTrigger(hour=9, start_time=START, timezone=5)  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize(
    "arguments",
    [
        pytest.param({"start_time": datetime(2026, 1, 1)}, id="naive-start"),
        pytest.param({"start_time": "2026-01-01T00:00:00"}, id="naive-start-text"),
        pytest.param(
            {"start_time": START, "end_time": datetime(2026, 2, 1)}, id="naive-end"
        ),
    ],
)
def test_naive_datetime_is_refused(arguments: dict[str, Any]) -> None:
    name = "end_time" if "end_time" in arguments else "start_time"
    with pytest.raises(NaiveDatetimeError, match=f"{name}=.*has no time zone") as info:
        CronTrigger(hour=9, timezone="UTC", **arguments)
    assert isinstance(info.value, ValueError)
    with pytest.raises(NaiveDatetimeError):
        CronTrigger.from_crontab("0 9 * * *", "UTC", **arguments)


def test_start_time_of_wrong_type_is_a_type_error() -> None:
    with pytest.raises(InvalidTriggerArgumentType, match="start_time=") as info:
        CronTrigger(hour=9, start_time=20260101, timezone="UTC")  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)


def test_pickle_of_a_fresh_trigger_keeps_its_start() -> None:
    trigger = keyword_trigger()
    clone = pickle.loads(pickle.dumps(trigger))
    assert fires(clone, 3) == fires(keyword_trigger(), 3)


def test_a_value_of_the_wrong_type_is_named_with_its_article() -> None:
    with pytest.raises(InvalidTriggerArgumentType, match=r"hour=\[9\] is a list;"):
        CronTrigger(hour=[9])  # type: ignore[arg-type]
