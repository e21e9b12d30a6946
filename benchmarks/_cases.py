"""The trigger benchmark cases, each defined once for every implementation.

A case names a trigger configuration as plain data (a *spec*); the adapters in
``_peers.py`` turn a spec into each implementation's trigger. The speed targets
from the spec sit beside the case they apply to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

#: Every case starts here, as a wall-clock time in the case's own time zone.
START = datetime(2026, 1, 1)

#: Target reference meaning "whichever peer supporting the case is fastest".
FASTEST_PEER = "fastest peer"
#: Target reference naming APScheduler 4.0.0a6 (the ``apscheduler4`` peer).
APSCHEDULER4 = "apscheduler4"


@dataclass(frozen=True)
class CronSpec:
    """A cron expression, by APScheduler field names; ``second=None`` means 0."""

    minute: str = "*"
    hour: str = "*"
    day: str = "*"
    month: str = "*"
    day_of_week: str = "*"
    second: str | None = None

    @property
    def crontab(self) -> str:
        """The five classic crontab fields, without seconds."""
        return f"{self.minute} {self.hour} {self.day} {self.month} {self.day_of_week}"

    @property
    def fields(self) -> dict[str, str]:
        """Keyword arguments for an APScheduler-style ``CronTrigger``."""
        return {
            "second": self.second or "0",
            "minute": self.minute,
            "hour": self.hour,
            "day": self.day,
            "month": self.month,
            "day_of_week": self.day_of_week,
        }


@dataclass(frozen=True)
class IntervalSpec:
    """A fixed interval, first firing at the case's start."""

    minutes: int


@dataclass(frozen=True)
class CalendarIntervalSpec:
    """Every ``months`` months at midnight, from ``start_date`` on."""

    months: int
    start_date: date


@dataclass(frozen=True)
class AndSpec:
    """Fires when all of ``parts`` fire at the same time."""

    parts: tuple[TriggerSpec, ...]


@dataclass(frozen=True)
class OrSpec:
    """Fires whenever any of ``parts`` fires."""

    parts: tuple[TriggerSpec, ...]


TriggerSpec = CronSpec | IntervalSpec | CalendarIntervalSpec | AndSpec | OrSpec


@dataclass(frozen=True)
class Target:
    """A speed goal: apsnb makes at least ``factor`` times the calls of ``against``.

    ``against`` is a peer name or :data:`FASTEST_PEER`.
    """

    factor: float
    against: str

    def __str__(self) -> str:
        label = "a6" if self.against == APSCHEDULER4 else self.against
        return f"≥ {self.factor:g}× {label}"


@dataclass(frozen=True)
class Case:
    """One benchmark row: a trigger, its zone and how many calls one trigger gets.

    ``calls_per_trigger`` is the length of one run of ``next()`` calls on a fresh
    trigger; it is chosen to cover the span a case is about (a year for the DST
    case, two centuries for the leap day) while keeping dates far from year 9999.
    """

    name: str
    spec: TriggerSpec
    timezone: str
    calls_per_trigger: int
    targets: tuple[Target, ...]

    @property
    def start(self) -> datetime:
        """The aware start time: :data:`START` in the case's zone."""
        return START.replace(tzinfo=ZoneInfo(self.timezone))


CRON_TARGETS = (Target(3, APSCHEDULER4), Target(1.5, FASTEST_PEER))
INTERVAL_TARGETS = (Target(1.2, FASTEST_PEER),)
COMBINING_TARGETS = (Target(3, APSCHEDULER4),)

WORKDAY_QUARTERS = CronSpec(minute="*/15", hour="9-17", day_of_week="mon-fri")

CASES: tuple[Case, ...] = (
    Case("cron */5 * * * *", CronSpec(minute="*/5"), "UTC", 1000, CRON_TARGETS),
    Case(
        "cron 0 9 * * mon-fri",
        CronSpec(minute="0", hour="9", day_of_week="mon-fri"),
        "UTC",
        261,  # one year of weekdays
        CRON_TARGETS,
    ),
    Case(
        "cron 0 0 29 2 * (leap day)",
        CronSpec(minute="0", hour="0", day="29", month="2"),
        "UTC",
        50,  # two centuries, so the non-leap 2100 and 2200 are skipped
        CRON_TARGETS,
    ),
    Case("cron every 10 s", CronSpec(second="*/10"), "UTC", 1000, CRON_TARGETS),
    Case(
        "cron 30 1-4 * * * Helsinki",
        CronSpec(minute="30", hour="1-4"),
        "Europe/Helsinki",
        1460,  # a year, through the 03:30 gap in March and the repeat in October
        CRON_TARGETS,
    ),
    Case("interval 5 min", IntervalSpec(minutes=5), "UTC", 1000, INTERVAL_TARGETS),
    Case(
        "calendar monthly on the 31st",
        CalendarIntervalSpec(months=1, start_date=date(2026, 1, 31)),
        "UTC",
        70,  # ten years of the seven months that have a 31st
        INTERVAL_TARGETS,
    ),
    Case(
        "And(workday :*/15, every 10 min)",
        AndSpec((WORKDAY_QUARTERS, IntervalSpec(minutes=10))),
        "UTC",
        500,
        COMBINING_TARGETS,
    ),
    Case(
        "Or(3 crons)",
        OrSpec(
            (
                CronSpec(minute="0", hour="9", day_of_week="mon-fri"),
                CronSpec(minute="30", hour="12"),
                CronSpec(minute="*/20", day_of_week="sat,sun"),
            )
        ),
        "UTC",
        500,
        COMBINING_TARGETS,
    ),
)
