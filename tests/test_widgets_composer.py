"""The trigger composer: its form model, and its widgets driven as a notebook would."""

from __future__ import annotations

import asyncio
import importlib
import itertools
import sys
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import apsnb
import apsnb.abc
from apsnb import InvalidTriggerForm
from apsnb._state import copy_trigger
from apsnb.triggers.calendarinterval import CalendarIntervalTrigger
from apsnb.triggers.combining import AndTrigger, OrTrigger
from apsnb.triggers.cron import CronTrigger
from apsnb.triggers.date import DateTrigger
from apsnb.triggers.interval import IntervalTrigger
from apsnb.widgets import TriggerComposer
from apsnb.widgets._forms import CombineFields, TriggerForm, default_timezone_name

START = datetime(2026, 1, 5)  # a Monday, wall time in the form's zone


def helsinki_form(kind: str = "cron", **changes: Any) -> TriggerForm:
    form = TriggerForm(kind=kind, timezone="Europe/Helsinki", start_time=START)  # type: ignore[arg-type]
    for path, value in changes.items():
        form.set(path.replace("__", "."), value)
    return form


def evaluated(code: str, imports: str) -> object:
    namespace: dict[str, object] = {}
    exec(imports, namespace)
    return eval(code, namespace)


def first_fire_times(trigger: object, count: int) -> list[str]:
    return [t.isoformat() for t in itertools.islice(trigger, count)]  # type: ignore[call-overload]


# The model


FORMS = {
    "cron": lambda: helsinki_form(cron__day_of_week="mon-fri"),
    "crontab": lambda: helsinki_form("crontab", crontab="30 7 * * 1,3"),
    "interval": lambda: helsinki_form("interval", interval__minutes=90.0),
    "calendar": lambda: helsinki_form(
        "calendar", calendar__months=1, calendar__start_date=date(2026, 1, 31)
    ),
    "date": lambda: helsinki_form("date", date__run_time=datetime(2026, 5, 1, 12)),
    "and": lambda: TriggerForm(
        kind="combine",
        combine=CombineFields(
            operator="and",
            threshold=2.5,
            children=[helsinki_form(), helsinki_form("interval")],
        ),
    ),
    "or": lambda: TriggerForm(
        kind="combine",
        combine=CombineFields(children=[helsinki_form(), helsinki_form("crontab")]),
    ),
}


@pytest.mark.parametrize("kind", FORMS)
def test_code_evaluates_to_a_trigger_equal_to_the_built_one(kind: str) -> None:
    form = FORMS[kind]()
    trigger = form.build()
    assert evaluated(form.code(), form.imports()) == trigger
    rebuilt = evaluated(form.code(), form.imports())
    assert first_fire_times(rebuilt, 5) == first_fire_times(form.build(), 5)


def test_cron_code_names_fields_zone_and_start() -> None:
    form = helsinki_form(cron__day_of_week="mon-fri")
    assert form.code() == (
        "CronTrigger(day_of_week='mon-fri', hour='9', minute='0', "
        "timezone='Europe/Helsinki', "
        "start_time=datetime(2026, 1, 5, 0, 0, tzinfo=ZoneInfo('Europe/Helsinki')))"
    )
    assert form.imports().splitlines() == [
        "from datetime import datetime",
        "from zoneinfo import ZoneInfo",
        "from apsnb.triggers.cron import CronTrigger",
    ]
    assert first_fire_times(form.build(), 2) == [
        "2026-01-05T09:00:00+02:00",
        "2026-01-06T09:00:00+02:00",
    ]


def test_combined_code_lists_one_child_per_line() -> None:
    form = FORMS["and"]()
    assert form.code().splitlines()[0] == "AndTrigger(["
    assert form.code().endswith("], threshold=2.5)")
    assert isinstance(form.build(), AndTrigger)
    assert isinstance(FORMS["or"]().build(), OrTrigger)


def test_whole_numbers_are_written_as_ints() -> None:
    assert "minutes=90," in helsinki_form("interval", interval__minutes=90.0).code()


def test_build_makes_a_fresh_trigger_each_time() -> None:
    form = helsinki_form()
    first = form.build()
    first.next()
    second = form.build()
    assert second is not first
    assert second.next() == datetime.fromisoformat("2026-01-05T09:00:00+02:00")


def test_every_bad_cron_field_gets_its_own_message() -> None:
    form = helsinki_form(
        cron__minute="61", cron__hour="25", cron__day_of_week="mon-fry"
    )
    errors = form.check().errors
    assert set(errors) == {"cron.minute", "cron.hour", "cron.day_of_week"}
    assert errors["cron.minute"].startswith("minute='61': 61 is out of range (0-59)")
    assert errors["cron.hour"].startswith("hour='25'")


@pytest.mark.parametrize(
    ("changes", "path", "text"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone 'Mars/Olympus'"),
        ({"timezone": " "}, "timezone", "pick a time zone"),
        ({"end_time": datetime(2025, 1, 1)}, "end_time", "earlier than start_time"),
        ({"kind": "crontab", "crontab": "0 9 * *"}, "crontab", "it has 4 fields"),
        ({"kind": "crontab", "crontab": ""}, "crontab", "write a crontab"),
        ({"kind": "interval", "interval__hours": 0}, "interval", "must be positive"),
        (
            {"kind": "calendar", "calendar__hour": 24},
            "calendar.hour",
            "between 0 and 23",
        ),
        ({"kind": "calendar", "calendar__days": 0}, "calendar", "at least one day"),
        ({"kind": "date"}, "date.run_time", "pick the date and time"),
        ({"kind": "combine"}, "combine", "give at least one trigger"),
    ],
)
def test_a_bad_value_gets_a_message_at_its_field(
    changes: dict[str, Any], path: str, text: str
) -> None:
    form = helsinki_form(**changes)
    checked = form.check()
    assert checked.trigger is None
    assert list(checked.errors) == [path]
    assert text in checked.errors[path]


def test_a_bad_child_is_named_in_the_combined_form() -> None:
    form = FORMS["or"]()
    form.combine.children[1].crontab = "0 9 * *"
    assert form.check().errors == {
        "combine": "trigger 2: " + form.combine.children[1].check().errors["crontab"]
    }


def test_build_code_and_imports_refuse_an_invalid_form_naming_its_fields() -> None:
    form = helsinki_form(cron__minute="61")
    for method in (form.build, form.code, form.imports):
        with pytest.raises(
            InvalidTriggerForm, match=r"cron\.minute: minute='61'"
        ) as info:
            method()
        assert set(info.value.errors) == {"cron.minute"}
    assert isinstance(info.value, ValueError)


def test_switching_kind_keeps_each_kinds_values() -> None:
    form = helsinki_form(cron__hour="7")
    form.kind = "interval"
    form.kind = "cron"
    assert form.build() == CronTrigger(
        hour=7,
        minute=0,
        timezone="Europe/Helsinki",
        start_time=START.isoformat() + "+02:00",
    )


def test_set_refuses_a_misspelt_path() -> None:
    with pytest.raises(AttributeError, match=r"cron\.minutes"):
        TriggerForm().set("cron.minutes", "5")


def test_default_zone_is_a_usable_name() -> None:
    assert TriggerForm(kind="interval").build()  # the zone name is accepted
    assert default_timezone_name()


# The widgets, driven headless


def composer(**options: Any) -> TriggerComposer:
    options.setdefault("debounce", 0)
    options.setdefault("plot", False)
    made = TriggerComposer(**options)
    made.editor.inputs["timezone"].value = "Europe/Helsinki"
    made.editor.inputs["start_time"].value = START
    return made


def test_default_composer_previews_weekdays_at_nine() -> None:
    made = composer()
    assert made.errors == {}
    assert "<td>2026-01-05 09:00:00</td>" in made.table.value
    assert "<td>2026-01-09 09:00:00</td>" in made.table.value
    assert "2026-01-10" not in made.table.value  # a Saturday
    assert made.table.value.count("<tr>") == 11  # a header, and one per fire time
    assert (
        "trigger = CronTrigger(day_of_week=&#x27;mon-fri&#x27;" in made.code_view.value
    )


def test_typing_a_field_updates_the_preview_trigger_and_code() -> None:
    made = composer()
    made.editor.inputs["cron.hour"].value = "9-17/4"
    made.editor.inputs["cron.minute"].value = "30"
    assert "<td>2026-01-05 13:30:00</td>" in made.table.value
    assert made.code == (
        "CronTrigger(day_of_week='mon-fri', hour='9-17/4', minute='30', "
        "timezone='Europe/Helsinki', "
        "start_time=datetime(2026, 1, 5, 0, 0, tzinfo=ZoneInfo('Europe/Helsinki')))"
    )
    assert evaluated(made.code, made.imports) == made.trigger


def test_a_bad_field_shows_its_message_in_red_until_fixed() -> None:
    made = composer()
    made.editor.inputs["cron.minute"].value = "61"
    message = made.editor.messages["cron.minute"]
    assert "minute=&#x27;61&#x27;: 61 is out of range (0-59)" in message.value
    assert "color:#c62828" in message.value
    assert message.layout.display == ""
    assert "Fix the fields marked in red" in made.table.value
    assert made.code_view.value == ""
    with pytest.raises(InvalidTriggerForm):
        _ = made.trigger
    assert "apsnb-invalid" in made.editor.inputs["cron.minute"]._dom_classes
    made.editor.inputs["cron.minute"].value = "15"
    assert message.layout.display == "none"
    assert "apsnb-invalid" not in made.editor.inputs["cron.minute"]._dom_classes
    assert "<td>2026-01-05 09:15:00</td>" in made.table.value


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"kind": "crontab", "crontab": "61 * * * *"}, "crontab"),
        ({"kind": "cron", "cron__minute": "61"}, "cron.minute"),
        ({"kind": "calendar", "calendar__hour": 24}, "calendar.hour"),
        ({"kind": "interval", "interval__hours": 0}, "interval"),
    ],
)
def test_a_bad_zone_does_not_hide_the_other_bad_fields(
    changes: dict[str, Any], path: str
) -> None:
    form = helsinki_form(timezone="Mars/Olympus", **changes)
    assert set(form.check().errors) == {"timezone", path}


def test_an_unknown_zone_is_reported_next_to_the_zone_box() -> None:
    made = composer()
    made.editor.inputs["timezone"].value = "Europe/Helsinky"
    assert "unknown time zone" in made.editor.messages["timezone"].value


def test_each_kind_shows_its_own_panel_and_builds_its_trigger() -> None:
    made = composer()
    made.editor.kind.value = "interval"
    assert made.editor.stack.selected_index == 2
    made.editor.inputs["interval.hours"].value = 0
    made.editor.inputs["interval.minutes"].value = 45
    assert made.trigger == IntervalTrigger(
        minutes=45, start_time=START.replace(tzinfo=ZoneInfo("Europe/Helsinki"))
    )
    assert "<td>2026-01-05 00:45:00</td>" in made.table.value
    made.editor.kind.value = "date"
    assert made.editor.range_row.layout.display == "none"
    made.editor.inputs["date.run_time"].value = datetime(2026, 7, 1, 8)
    assert "<td>2026-07-01 08:00:00</td>" in made.table.value
    assert "<td>+03:00</td>" in made.table.value
    assert "finished after 1 fire time" in made.notes.value
    made.editor.kind.value = "crontab"
    made.editor.inputs["crontab"].value = "@hourly"
    assert "<td>2026-01-05 01:00:00</td>" in made.table.value


def test_and_or_children_are_added_edited_and_removed() -> None:
    made = composer()
    editor = made.editor
    editor.kind.value = "combine"
    assert "give at least one trigger" in editor.messages["combine"].value
    editor.add_button.click()
    editor.add_button.click()
    first, second = editor.child_editors
    assert (
        first.form.timezone == "Europe/Helsinki"
    )  # children start in the parent's zone
    first.inputs["start_time"].value = START
    second.inputs["start_time"].value = START
    second.inputs["cron.hour"].value = "12"
    assert "<td>2026-01-05 09:00:00</td>" in made.table.value
    assert "<td>2026-01-05 12:00:00</td>" in made.table.value
    assert made.code.startswith("OrTrigger([")
    assert evaluated(made.code, made.imports) == made.trigger

    second.inputs["cron.hour"].value = "x"
    assert "x" in second.messages["cron.hour"].value
    assert "trigger 2: hour=&#x27;x&#x27;" in editor.messages["combine"].value

    editor.remove_buttons[1].click()
    assert len(made.form.combine.children) == 1
    assert made.trigger == OrTrigger([first.form.build()])


def test_threshold_shows_only_for_and() -> None:
    made = composer()
    editor = made.editor
    editor.kind.value = "combine"
    assert editor.threshold_row.layout.display == "none"
    editor.inputs["combine.operator"].value = "and"
    assert editor.threshold_row.layout.display == ""
    editor.inputs["combine.threshold"].value = 30.0
    editor.add_button.click()
    assert made.code.endswith("], threshold=30)")


def test_a_trigger_that_fails_while_drawing_becomes_a_note_not_an_exception() -> None:
    made = composer()
    editor = made.editor
    editor.kind.value = "combine"
    editor.inputs["combine.operator"].value = "and"
    cron, interval = editor.add_child(), editor.add_child()
    cron.inputs["start_time"].value = START
    interval.inputs["start_time"].value = datetime(2026, 1, 5, 0, 0, 30)
    interval.kind.value = "interval"  # every hour at :00:30, never within 1 s of 09:00
    assert "in 10000 iterations" in made.notes.value
    assert "No fire times" in made.table.value


def test_show_next_sets_the_number_of_rows() -> None:
    made = composer()
    made.count.value = 3
    assert made.table.value.count("<tr>") == 4


def test_description_is_shown_when_apsnb_lab_describes() -> None:
    pytest.importorskip("apsnb.lab.describe")
    made = composer()
    assert "09:00" in made.description.value


def test_timeline_is_drawn_as_a_png() -> None:
    pytest.importorskip("apsnb.lab.plots")
    made = composer(plot=True)
    assert bytes(made.timeline.value).startswith(b"\x89PNG")
    assert made.timeline.layout.display == ""


def test_a_running_loop_debounces_the_preview() -> None:
    async def edit() -> tuple[str, str]:
        made = composer(debounce=0.05)
        await asyncio.sleep(0.1)
        made.editor.inputs["cron.minute"].value = "5"
        made.editor.inputs["cron.minute"].value = "10"
        before = made.table.value
        await asyncio.sleep(0.15)
        return before, made.table.value

    before, after = asyncio.run(edit())
    assert "09:10:00" not in before
    assert "<td>2026-01-05 09:10:00</td>" in after


def test_importing_without_ipywidgets_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [name for name in sys.modules if name.startswith("apsnb.widgets")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.delattr(apsnb, "widgets")
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(ImportError, match=r"pip install 'apsnb\[lab\]'"):
        importlib.import_module("apsnb.widgets")


@pytest.mark.parametrize(
    "trigger",
    [
        CronTrigger(day_of_week="mon-fri", hour=9, minute=30, timezone="Europe/Helsinki",
                    start_time=datetime(2026, 1, 5, tzinfo=ZoneInfo("Europe/Helsinki"))),
        CronTrigger.from_crontab("*/5 * * * *", timezone="America/New_York",
                                 start_time=datetime(2026, 1, 5, tzinfo=ZoneInfo("UTC"))),
        IntervalTrigger(hours=2, minutes=5,
                        start_time=datetime(2026, 1, 5, 8, tzinfo=ZoneInfo("Europe/Paris"))),
        CalendarIntervalTrigger(months=1, hour=8, start_date="2026-01-31",
                                timezone="Europe/Paris"),
        DateTrigger(datetime(2026, 3, 29, 4, tzinfo=ZoneInfo("Europe/Helsinki"))),
        AndTrigger([CronTrigger(hour=9, timezone="UTC", start_time=datetime(2026, 1, 5, tzinfo=ZoneInfo("UTC"))),
                    IntervalTrigger(hours=1, start_time=datetime(2026, 1, 5, tzinfo=ZoneInfo("UTC")))],
                   threshold=2),
        OrTrigger([DateTrigger(datetime(2026, 1, 5, tzinfo=ZoneInfo("UTC"))),
                   DateTrigger(datetime(2026, 2, 5, tzinfo=ZoneInfo("UTC")))]),
    ],
    ids=repr,
)  # fmt: skip
def test_a_composer_made_from_a_trigger_builds_the_same_fire_times(
    trigger: Any,
) -> None:
    made = TriggerComposer.from_trigger(trigger, plot=False)
    assert made.errors == {}
    rebuilt = made.trigger
    assert type(rebuilt) is type(trigger)
    assert list(itertools.islice(copy_trigger(rebuilt), 20)) == list(
        itertools.islice(copy_trigger(trigger), 20)
    )


def test_a_custom_trigger_cannot_be_shown_in_the_composer() -> None:
    class Never(apsnb.abc.Trigger):
        def next(self) -> None:
            return None

        def __getstate__(self) -> Any:
            return {"version": 1}

        def __setstate__(self, state: Any) -> None:
            pass

    with pytest.raises(TypeError, match="change a custom trigger in code"):
        TriggerComposer.from_trigger(Never())
