"""``CronTrigger``: fire when the local time matches every given field, as cron does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, tzinfo
from typing import Any

from ..._converters import (
    as_optional_aware_datetime,
    as_timezone,
    parse_timezone_key,
    timezone_key,
)
from ..._exceptions import (
    InvalidCrontab,
    InvalidTriggerArgument,
    InvalidTriggerArgumentType,
    TriggerNeverFires,
)
from ..._state import dump_datetime, load_datetime, require_version, restoring
from ...abc import Trigger
from .fields import (
    DEFAULT_EXPRESSIONS,
    FIELD_NAMES,
    DaySelector,
    normalize_expression,
    parse,
)
from .search import CronPlan, fire_times, matches_some_date

__all__ = ("CronTrigger",)

_CRONTAB_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_EXHAUSTED: Iterator[datetime] = iter(())


class CronTrigger(Trigger):
    """Fires when the local time matches all the given fields, like UNIX cron.

    Each field takes an expression: ``*`` (any), ``*/n`` (every n-th), ``a``,
    ``a-b``, ``a-b/n``, ``a/n`` and comma-separated lists of them; months and weekdays
    also by name (``jan``, ``mon-fri``). ``day`` also takes ``last`` (or ``L``), ``LW``,
    ``nW`` and ``2nd fri`` / ``last sun``; ``day_of_week`` takes 0-7 (0 and 7 are
    Sunday), ``nL`` and ``n#k``. Fields less significant than the least significant one
    given default to their minimum, more significant ones to ``*``: ``CronTrigger(
    hour=9)`` fires daily at 09:00:00. Given together, ``day`` and ``day_of_week`` must
    both match ("Friday the 13th"); crontab strings (:meth:`from_crontab`) follow cron
    instead.

    Fire times are found in local wall-clock time of ``timezone``. Across DST changes a
    *fixed-time* trigger (no ``hour``, ``minute`` or ``second`` starting with ``*``)
    fires once per wall time: a time skipped by spring-forward fires at the end of the
    gap and a repeated time fires at its first occurrence. A *wildcard* trigger fires at
    every real instant that matches: nothing in the gap, twice in the overlap.

    :param year: 4-digit year (1970-9999)
    :param month: month (1-12 or jan-dec)
    :param day: day of the month (1-31)
    :param week: ISO week (1-53)
    :param day_of_week: weekday (0-7 or mon-sun; 0 and 7 are Sunday)
    :param hour: hour (0-23)
    :param minute: minute (0-59)
    :param second: second (0-59)
    :param start_time: earliest possible fire time, inclusive (default: now)
    :param end_time: latest possible fire time, inclusive
    :param timezone: time zone of the fields (name or tzinfo; default: the local zone)
    :raises InvalidCronField: if a field cannot be read (a step larger than its range
        is fine: it keeps the first value, as in cron)
    :raises TriggerNeverFires: if no date matches the year, month, day, week and
        day_of_week fields together (``month=2, day=30``)
    """

    __slots__ = (
        "_crontab",
        "_iterator",
        "_last_fire_time",
        "_or_days",
        "_plan",
        "day",
        "day_of_week",
        "end_time",
        "hour",
        "minute",
        "month",
        "second",
        "start_time",
        "timezone",
        "week",
        "year",
    )

    year: str
    month: str
    day: str
    week: str
    day_of_week: str
    hour: str
    minute: str
    second: str
    start_time: datetime
    end_time: datetime | None
    timezone: tzinfo

    def __init__(
        self,
        *,
        year: int | str | None = None,
        month: int | str | None = None,
        day: int | str | None = None,
        week: int | str | None = None,
        day_of_week: int | str | None = None,
        hour: int | str | None = None,
        minute: int | str | None = None,
        second: int | str | None = None,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        timezone: tzinfo | str | None = None,
    ) -> None:
        given = dict(
            year=year, month=month, day=day, week=week, day_of_week=day_of_week,
            hour=hour, minute=minute, second=second,
        )  # fmt: skip
        expressions = {}
        remaining = {name for name, value in given.items() if value is not None}
        for name in FIELD_NAMES:
            value = given[name]
            if value is not None:
                remaining.discard(name)
                expressions[name] = _field_text(name, value)
            else:
                expressions[name] = "*" if remaining else DEFAULT_EXPRESSIONS[name]
        tz = as_timezone(timezone)
        start = as_optional_aware_datetime(start_time, "start_time")
        self._configure(
            expressions,
            or_days=False,
            crontab=None,
            start_time=datetime.now(tz) if start is None else start,
            end_time=as_optional_aware_datetime(end_time, "end_time"),
            timezone=tz,
        )

    @classmethod
    def from_crontab(
        cls,
        expr: str,
        timezone: tzinfo | str | None = None,
        *,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
    ) -> CronTrigger:
        """Create a trigger from a crontab string, with cron's meaning.

        Takes 5 fields (``minute hour day month day_of_week``), 6 with seconds first,
        or ``@yearly``, ``@annually``, ``@monthly``, ``@weekly``, ``@daily``,
        ``@midnight``, ``@hourly``. Unlike the keyword form, when neither ``day`` nor
        ``day_of_week`` starts with ``*``, a day matching *either* fires, as in cron:
        ``0 9 13 * fri`` fires on every 13th and every Friday.
        """
        if not isinstance(expr, str):
            raise InvalidCrontab(expr, "a crontab must be a string")
        text = " ".join(expr.split())
        parts = _CRONTAB_ALIASES.get(text.lower(), text).split()
        if text.startswith("@") and text.lower() not in _CRONTAB_ALIASES:
            raise InvalidCrontab(expr, f"{text!r} is not a known @ alias")
        if len(parts) == 5:
            parts.insert(0, "0")
        if len(parts) != 6:
            raise InvalidCrontab(expr, f"it has {len(parts)} fields")
        second, minute, hour, day, month, day_of_week = parts
        trigger = cls.__new__(cls)
        tz = as_timezone(timezone)
        start = as_optional_aware_datetime(start_time, "start_time")
        expressions = dict(
            year="*", month=month, day=day, week="*", day_of_week=day_of_week,
            hour=hour, minute=minute, second=second,
        )  # fmt: skip
        trigger._configure(
            expressions,
            or_days=not (day.startswith("*") or day_of_week.startswith("*")),
            crontab=text,
            start_time=datetime.now(tz) if start is None else start,
            end_time=as_optional_aware_datetime(end_time, "end_time"),
            timezone=tz,
        )
        return trigger

    def _configure(
        self,
        expressions: dict[str, str],
        *,
        or_days: bool,
        crontab: str | None,
        start_time: datetime,
        end_time: datetime | None,
        timezone: tzinfo,
    ) -> None:
        parsed = {name: parse(name, expressions[name]) for name in FIELD_NAMES}
        for name in FIELD_NAMES:
            setattr(self, name, expressions[name])
        if end_time is not None and end_time < start_time:
            raise InvalidTriggerArgument(
                "CronTrigger", "end_time", end_time.isoformat(),
                f"it is earlier than start_time ({start_time.isoformat()})",
            )  # fmt: skip
        year = parsed["year"]
        self._plan = CronPlan(
            years=None if year.unrestricted else sorted(year.values),
            months=sorted(parsed["month"].values),
            days=DaySelector(
                parsed["day"], parsed["day_of_week"], parsed["week"], or_days
            ),
            hours=sorted(parsed["hour"].values),
            minutes=sorted(parsed["minute"].values),
            seconds=sorted(parsed["second"].values),
            timezone=timezone,
            fixed_time=not any(
                parsed[name].wildcard for name in ("hour", "minute", "second")
            ),
        )
        self._or_days = or_days
        self._crontab = crontab
        if not matches_some_date(self._plan):
            raise TriggerNeverFires(self._arguments_text() + ")", _no_date_reason(self))
        self.start_time = start_time
        self.end_time = end_time
        self.timezone = timezone
        self._last_fire_time: datetime | None = None
        self._iterator: Iterator[datetime] | None = None

    def next(self) -> datetime | None:
        iterator = self._iterator
        if iterator is None:
            if self._last_fire_time is None:
                iterator = fire_times(self._plan, self.start_time, inclusive=True)
            else:
                iterator = fire_times(self._plan, self._last_fire_time, inclusive=False)
            self._iterator = iterator
        fire_time = next(iterator, None)
        if fire_time is None or (
            self.end_time is not None and fire_time > self.end_time
        ):
            self._iterator = _EXHAUSTED
            return None
        self._last_fire_time = fire_time
        return fire_time

    @property
    def fixed_time(self) -> bool:
        """True if no time field starts with ``*`` (see the DST rules above)."""
        return self._plan.fixed_time

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 1,
            "fields": {name: getattr(self, name) for name in FIELD_NAMES},
            "day_match": "either" if self._or_days else "both",
            "crontab": self._crontab,
            "timezone": timezone_key(self.timezone),
            "start_time": dump_datetime(self.start_time),
            "end_time": dump_datetime(self.end_time),
            "last_fire_time": dump_datetime(self._last_fire_time),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = require_version(self, state, 1)  # type: ignore[assignment]
        with restoring(self):
            fields = state["fields"]
            if state["day_match"] not in ("either", "both"):
                raise ValueError(f"day_match is {state['day_match']!r}")
            start_time = load_datetime(state["start_time"])
            if start_time is None:
                raise ValueError("start_time is missing")
            self._configure(
                {name: normalize_expression(fields[name]) for name in FIELD_NAMES},
                or_days=state["day_match"] == "either",
                crontab=_saved_crontab(state["crontab"]),
                start_time=start_time,
                end_time=load_datetime(state["end_time"]),
                timezone=parse_timezone_key(state["timezone"]),
            )
            self._last_fire_time = load_datetime(state["last_fire_time"])

    def _configuration(self) -> tuple[object, ...]:
        return (
            *(getattr(self, name) for name in FIELD_NAMES),
            self._or_days,
            self.start_time,
            self.end_time,
            timezone_key(self.timezone),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CronTrigger):
            return NotImplemented
        return self._configuration() == other._configuration()

    def _arguments_text(self) -> str:
        """How the fields were given: a crontab call, or the fewest keywords that
        build the same fields (the others follow from the defaults)."""
        if self._crontab is not None:
            return f"CronTrigger.from_crontab({self._crontab!r}"
        expressions = [getattr(self, name) for name in FIELD_NAMES]
        # The last field given decides the defaults: every later field must hold
        # its default. Of the fields that can be last, prefer one that is not '*'.
        last = max(
            (
                index
                for index, name in enumerate(FIELD_NAMES)
                if expressions[index] != DEFAULT_EXPRESSIONS[name]
            ),
            default=0,
        )
        if expressions[last] == "*":
            last = next(
                (i for i in range(last, len(FIELD_NAMES)) if expressions[i] != "*"),
                last,
            )
        shown = [
            f"{name}={_field_repr(expressions[index])}"
            for index, name in enumerate(FIELD_NAMES)
            if index == last or (index < last and expressions[index] != "*")
        ]
        return f"CronTrigger({', '.join(shown)}"

    def __repr__(self) -> str:
        # Fire times are whole seconds: the start rounded up to one, and the end down,
        # give the same fire times without the microseconds of datetime.now().
        start = self.start_time
        if start.microsecond:
            start = start.replace(microsecond=0) + timedelta(seconds=1)
        times = [f"start_time={start.isoformat()!r}"]
        if self.end_time is not None:
            end = self.end_time.replace(microsecond=0)
            times.append(f"end_time={end.isoformat()!r}")
        zone = f"timezone={timezone_key(self.timezone)!r}"
        # Each form in the order of its signature.
        if self._crontab is not None:
            parts = [self._arguments_text(), zone, *times]
        else:
            parts = [self._arguments_text(), *times, zone]
        return ", ".join(parts) + ")"


def _field_repr(expression: str) -> str:
    return expression if expression.isdigit() else repr(expression)


def _no_date_reason(trigger: CronTrigger) -> str:
    restricted = ", ".join(
        f"{name}={getattr(trigger, name)!r}"
        for name in ("year", "month", "day", "week", "day_of_week")
        if getattr(trigger, name) != "*"
    )
    reason = f"no date matches {restricted} together"
    if trigger.day != "*" and trigger.day_of_week != "*" and not trigger._or_days:
        reason += " (the day and the day of the week must both match"
        if trigger._crontab is not None:
            reason += ", as cron does when either starts with '*'"
        reason += ")"
    if any(day > 28 for day in parse("day", trigger.day).values):
        reason += "; months have 28-31 days (February 29 only in leap years)"
    return reason


def _field_text(name: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidTriggerArgumentType(
            name, value, "a cron expression (str) or an int"
        )
    return normalize_expression(value)


def _saved_crontab(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"crontab is {value!r}, not a string")
    return value
