"""The trigger composer's state: field values in; a trigger, its code and errors out.

Plain Python, no ipywidgets: the composer's view binds widgets to a :class:`TriggerForm`
and asks it for the trigger, the code and the message to show next to each field.
Both the trigger and its code come from one :class:`~._calls.TriggerCall`.

Errors are keyed by *field paths*: ``"timezone"``, ``"start_time"``, ``"end_time"``,
``"<kind>.<field>"`` (``"cron.minute"``, ``"calendar.start_date"``) and ``"<kind>"``
for what concerns the whole kind (``"interval"``: the interval is zero).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from .._converters import as_timezone
from .._exceptions import (
    ApsnbError,
    InvalidCrontab,
    InvalidTriggerForm,
    UnknownTimeZone,
)
from ..abc import Trigger
from ._calls import TriggerCall

TriggerKind = Literal["cron", "crontab", "interval", "calendar", "date", "combine"]

#: Each kind with the label the composer shows for it.
KIND_LABELS: dict[TriggerKind, str] = {
    "cron": "Cron",
    "crontab": "Crontab",
    "interval": "Interval",
    "calendar": "Calendar",
    "date": "Date",
    "combine": "And / Or",
}
CRON_FIELDS = (
    "year",
    "month",
    "day",
    "week",
    "day_of_week",
    "hour",
    "minute",
    "second",
)
INTERVAL_UNITS = ("weeks", "days", "hours", "minutes", "seconds")
CALENDAR_FIELDS = ("years", "months", "weeks", "days", "hour", "minute", "second")

# Checking one cron field alone needs a fixed zone and start; neither affects parsing.
_CHECK_START = datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC"))


def default_timezone_name() -> str:
    """The local zone's IANA name, or ``'UTC'`` when the local zone has no usable name.

    The composer writes the zone into the code, so a pasted trigger means the same on
    a server in another zone.
    """
    try:
        from tzlocal import get_localzone_name

        name = get_localzone_name()
        if name:
            as_timezone(name)
            return name
    except Exception:  # no zone configured, or one ZoneInfo cannot read
        pass
    return "UTC"


@dataclass(slots=True)
class CronFields:
    """Cron expressions; an empty field is left out of the call (see ``CronTrigger``)."""

    year: str = ""
    month: str = ""
    day: str = ""
    week: str = ""
    day_of_week: str = ""
    hour: str = "9"
    minute: str = "0"
    second: str = ""


@dataclass(slots=True)
class IntervalFields:
    """The length of an ``IntervalTrigger``'s interval, unit by unit."""

    weeks: float = 0
    days: float = 0
    hours: float = 1
    minutes: float = 0
    seconds: float = 0


@dataclass(slots=True)
class CalendarFields:
    """A ``CalendarIntervalTrigger``'s step, time of day and date range."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 1
    hour: int = 9
    minute: int = 0
    second: int = 0
    start_date: date | None = None
    end_date: date | None = None


@dataclass(slots=True)
class DateFields:
    """A ``DateTrigger``'s run time, as a naive wall time in the form's zone."""

    run_time: datetime | None = None


@dataclass(slots=True)
class CombineFields:
    """Child forms joined by ``AndTrigger`` (with ``threshold`` seconds) or ``OrTrigger``."""

    operator: Literal["and", "or"] = "or"
    threshold: float = 1
    children: list[TriggerForm] = field(default_factory=list)


class FormCheck(NamedTuple):
    """What a form makes: the call and trigger when it is valid, else the errors."""

    call: TriggerCall | None
    trigger: Trigger | None
    #: Field path → message; empty when the form is valid.
    errors: dict[str, str]


@dataclass(slots=True)
class TriggerForm:
    """The values of a trigger composer's form, for any kind of trigger.

    Each kind keeps its own values, so switching kinds and back loses nothing.
    ``start_time``, ``end_time`` and ``date.run_time`` are naive wall times read in
    ``timezone`` (``start_time`` empty: the trigger starts when it is built).
    """

    kind: TriggerKind = "cron"
    timezone: str = field(default_factory=default_timezone_name)
    start_time: datetime | None = None
    end_time: datetime | None = None
    cron: CronFields = field(default_factory=CronFields)
    crontab: str = "0 9 * * mon-fri"
    interval: IntervalFields = field(default_factory=IntervalFields)
    calendar: CalendarFields = field(default_factory=CalendarFields)
    date: DateFields = field(default_factory=DateFields)
    combine: CombineFields = field(default_factory=CombineFields)

    def get(self, path: str) -> Any:
        """The value at a field path such as ``"cron.minute"``."""
        owner, name = self._owner(path)
        return getattr(owner, name)

    def set(self, path: str, value: Any) -> None:
        """Set the value at a field path such as ``"cron.minute"``."""
        owner, name = self._owner(path)
        setattr(owner, name, value)  # slots: a misspelt path raises AttributeError

    def _owner(self, path: str) -> tuple[Any, str]:
        *parents, name = path.split(".")
        owner: Any = self
        for parent in parents:
            owner = getattr(owner, parent)
        if not hasattr(owner, name):
            raise AttributeError(f"the trigger form has no field {path!r}")
        return owner, name

    def check(self) -> FormCheck:
        """Build the trigger, or collect a message for every field that prevents it.

        Never raises: an unforeseen error becomes the message of the kind itself.
        """
        errors: dict[str, str] = {}
        try:
            call = _CALL_MAKERS[self.kind](self, errors)
        except Exception as error:
            errors[self.kind] = _message(error)
            call = None
        if call is not None and "timezone" in errors:
            _check_in_utc(call, self.kind, errors)
        if call is None or errors:
            return FormCheck(None, None, errors)
        try:
            trigger = call.build()
        except ApsnbError as error:
            errors[_error_path(self.kind, error)] = str(error)
        except Exception as error:
            errors[self.kind] = _message(error)
        if errors:
            return FormCheck(None, None, errors)
        return FormCheck(call, trigger, errors)

    def build(self) -> Trigger:
        """A new trigger from the form; raises ``InvalidTriggerForm`` if it has errors."""
        return self._valid().trigger  # type: ignore[return-value]

    def code(self) -> str:
        """The expression that builds the trigger; raises ``InvalidTriggerForm``."""
        return self._valid().call.code()  # type: ignore[union-attr]

    def imports(self) -> str:
        """The imports :meth:`code` needs; raises ``InvalidTriggerForm``."""
        return self._valid().call.imports()  # type: ignore[union-attr]

    def _valid(self) -> FormCheck:
        checked = self.check()
        if checked.errors:
            raise InvalidTriggerForm(checked.errors)
        return checked


# Making the call for each kind. Each adds what it finds wrong to `errors` (and may
# still return a call, which is then not used).


def _cron_call(form: TriggerForm, errors: dict[str, str]) -> TriggerCall:
    kwargs: dict[str, Any] = {}
    for name in CRON_FIELDS:
        text = str(getattr(form.cron, name)).strip()
        if not text:
            continue
        try:  # alone, so that every bad field gets its message at once
            _cron_class()(**{name: text}, timezone="UTC", start_time=_CHECK_START)
        except ApsnbError as error:
            errors[f"cron.{name}"] = str(error)
        kwargs[name] = text
    return TriggerCall("CronTrigger", (), kwargs | _zone_and_range(form, errors))


def _crontab_call(form: TriggerForm, errors: dict[str, str]) -> TriggerCall:
    text = " ".join(form.crontab.split())
    if not text:
        errors["crontab"] = "write a crontab such as '0 9 * * mon-fri' or '@daily'"
    zone_and_range = _zone_and_range(form, errors)
    timezone = zone_and_range.pop("timezone")
    return TriggerCall(
        "CronTrigger.from_crontab", (text,), {"timezone": timezone} | zone_and_range
    )


def _interval_call(form: TriggerForm, errors: dict[str, str]) -> TriggerCall:
    kwargs = {
        unit: _number(getattr(form.interval, unit))
        for unit in INTERVAL_UNITS
        if getattr(form.interval, unit)
    }
    # The zone only says how start_time and end_time are read: IntervalTrigger has none.
    zone_and_range = _zone_and_range(form, errors)
    del zone_and_range["timezone"]
    return TriggerCall("IntervalTrigger", (), kwargs | zone_and_range)


def _calendar_call(form: TriggerForm, errors: dict[str, str]) -> TriggerCall:
    fields = form.calendar
    kwargs: dict[str, Any] = {
        name: _number(getattr(fields, name))
        for name in CALENDAR_FIELDS
        if getattr(fields, name) or name in ("hour", "minute")
    }
    for name in ("start_date", "end_date"):
        value = getattr(fields, name)
        if value is not None:
            kwargs[name] = value.date() if isinstance(value, datetime) else value
    timezone, _ = _zone(form, errors)
    return TriggerCall("CalendarIntervalTrigger", (), kwargs | {"timezone": timezone})


def _date_call(form: TriggerForm, errors: dict[str, str]) -> TriggerCall:
    _, zone = _zone(form, errors)
    if form.date.run_time is None:
        errors["date.run_time"] = "pick the date and time to fire at"
    run_time = _instant(form.date.run_time, zone)
    return TriggerCall("DateTrigger", (run_time,), {})


def _combine_call(form: TriggerForm, errors: dict[str, str]) -> TriggerCall:
    fields = form.combine
    calls = []
    for number, child in enumerate(fields.children, start=1):
        checked = child.check()
        if checked.errors:
            first = next(iter(checked.errors.values()))
            errors.setdefault("combine", f"trigger {number}: {first}")
        calls.append(checked.call)
    if fields.operator == "or":
        return TriggerCall("OrTrigger", (calls,), {})
    threshold = _number(fields.threshold)
    kwargs = {} if threshold == 1 else {"threshold": threshold}
    return TriggerCall("AndTrigger", (calls,), kwargs)


_CALL_MAKERS = {
    "cron": _cron_call,
    "crontab": _crontab_call,
    "interval": _interval_call,
    "calendar": _calendar_call,
    "date": _date_call,
    "combine": _combine_call,
}


def _zone(form: TriggerForm, errors: dict[str, str]) -> tuple[str, tzinfo | None]:
    """The zone's name as written in the code, and the zone (None if unknown)."""
    name = form.timezone.strip()
    if not name:
        errors["timezone"] = "pick a time zone, such as 'UTC' or 'Europe/Helsinki'"
        return name, None
    try:
        return name, as_timezone(name)
    except ApsnbError as error:
        errors["timezone"] = str(error)
        return name, None


def _zone_and_range(form: TriggerForm, errors: dict[str, str]) -> dict[str, Any]:
    """``timezone``, ``start_time`` and ``end_time`` arguments (the last two if set)."""
    timezone, zone = _zone(form, errors)
    kwargs: dict[str, Any] = {"timezone": timezone}
    for name in ("start_time", "end_time"):
        value = getattr(form, name)
        if value is not None:
            kwargs[name] = _instant(value, zone)
    return kwargs


def _instant(wall_time: datetime | None, zone: tzinfo | None) -> datetime | None:
    """A naive wall time read in ``zone`` (an aware one is kept as it is)."""
    if wall_time is None or wall_time.tzinfo is not None:
        return wall_time
    return wall_time.replace(tzinfo=zone or ZoneInfo("UTC"))


def _error_path(kind: TriggerKind, error: ApsnbError) -> str:
    """The field an error from a trigger's constructor is about."""
    if isinstance(error, UnknownTimeZone):
        return "timezone"
    if isinstance(error, InvalidCrontab):
        return "crontab"
    argument = getattr(error, "field", None) or getattr(error, "argument", None)
    if kind in ("cron", "crontab", "interval") and argument in (
        "start_time",
        "end_time",
    ):
        return str(argument)
    fields = {
        "cron": CRON_FIELDS,
        "interval": INTERVAL_UNITS,
        "calendar": (*CALENDAR_FIELDS, "start_date", "end_date"),
        "date": ("run_time",),
        "combine": ("threshold",),
    }.get(kind, ())
    return f"{kind}.{argument}" if argument in fields else kind


def _check_in_utc(call: TriggerCall, kind: TriggerKind, errors: dict[str, str]) -> None:
    """Find the other fields' errors while the zone is bad: build the call in UTC.

    A trigger's constructor stops at its first problem, and a bad zone would hide
    the rest; with a stand-in zone, every bad field gets its message at once.
    """
    if kind == "combine":  # each child reports its own fields
        return
    probe = call
    if "timezone" in call.kwargs:
        probe = call._replace(kwargs={**call.kwargs, "timezone": "UTC"})
    try:
        probe.build()
    except ApsnbError as error:
        errors.setdefault(_error_path(kind, error), str(error))
    except Exception:
        pass  # the zone's message is the one that counts here


def _message(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def _number(value: float) -> int | float:
    """Whole numbers as ints, so the code reads ``hours=2``, not ``hours=2.0``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _cron_class() -> Any:
    from ..triggers.cron import CronTrigger

    return CronTrigger
