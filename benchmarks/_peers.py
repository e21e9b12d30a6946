"""The implementations compared, and one small adapter per implementation.

An adapter turns a case into a *factory*: each call builds a fresh trigger at
the case's start and returns a zero-argument callable giving its next fire time.
Peers are imported inside the adapters only, so this module loads in any of the
isolated environments without the others' packages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from importlib import import_module
from typing import Any
from zoneinfo import ZoneInfo

from _cases import (
    AndSpec,
    CalendarIntervalSpec,
    Case,
    CronSpec,
    IntervalSpec,
    OrSpec,
    TriggerSpec,
)

NextFireTime = Callable[[], datetime | None]
TriggerFactory = Callable[[], NextFireTime]

#: croniter and cronsim return the first time strictly *after* their start,
#: whereas APScheduler's triggers may fire *at* it; starting them a second
#: earlier makes every implementation see the same first fire time.
EXCLUSIVE_START_OFFSET = timedelta(seconds=1)


class Unsupported(Exception):
    """Raised when a peer has no equivalent of a case's trigger."""


@dataclass(frozen=True)
class Peer:
    """One implementation: how to install it, what to import, how to adapt a case.

    ``label`` is the short name shown in tables, before the version run;
    ``requirement`` is the pip requirement installed into ``.bench/<name>``;
    ``None`` means the implementation runs from the repository itself.
    """

    name: str
    label: str
    requirement: str | None
    distribution: str
    package: str
    trigger_modules: tuple[str, ...]
    make_factory: Callable[[Case], TriggerFactory]


def _apscheduler4_style_factory(package: str, case: Case) -> TriggerFactory:
    """Adapter for APScheduler 4's ``Trigger.next()`` API, which apsnb mirrors."""
    timezone, start = ZoneInfo(case.timezone), case.start

    def build() -> NextFireTime:
        return _apscheduler4_style_trigger(package, case.spec, timezone, start).next

    return build


def _apscheduler4_style_trigger(
    package: str, spec: TriggerSpec, timezone: ZoneInfo, start: datetime
) -> Any:
    triggers = f"{package}.triggers"
    match spec:
        case CronSpec():
            cron = import_module(f"{triggers}.cron")
            return cron.CronTrigger(**spec.fields, timezone=timezone, start_time=start)
        case IntervalSpec():
            interval = import_module(f"{triggers}.interval")
            return interval.IntervalTrigger(minutes=spec.minutes, start_time=start)
        case CalendarIntervalSpec():
            calendar = import_module(f"{triggers}.calendarinterval")
            return calendar.CalendarIntervalTrigger(
                months=spec.months, start_date=spec.start_date, timezone=timezone
            )
        case AndSpec() | OrSpec():
            combining = import_module(f"{triggers}.combining")
            combinator = (
                combining.AndTrigger
                if isinstance(spec, AndSpec)
                else combining.OrTrigger
            )
            parts = [
                _apscheduler4_style_trigger(package, part, timezone, start)
                for part in spec.parts
            ]
            return combinator(parts)
    raise Unsupported(spec)


def _apscheduler3_factory(case: Case) -> TriggerFactory:
    """Adapter for APScheduler 3's ``get_next_fire_time(previous, now)``.

    The scheduler calls it with the previous fire time as both arguments once a
    job has run, so each call here does the same.
    """
    timezone, start = ZoneInfo(case.timezone), case.start

    def build() -> NextFireTime:
        trigger = _apscheduler3_trigger(case.spec, timezone, start)
        previous: datetime | None = None

        def next_fire_time() -> datetime | None:
            nonlocal previous
            previous = trigger.get_next_fire_time(previous, previous or start)
            return previous

        return next_fire_time

    return build


def _apscheduler3_trigger(
    spec: TriggerSpec, timezone: ZoneInfo, start: datetime
) -> Any:
    match spec:
        case CronSpec():
            from apscheduler.triggers.cron import CronTrigger

            return CronTrigger(**spec.fields, timezone=timezone, start_date=start)
        case IntervalSpec():
            from apscheduler.triggers.interval import IntervalTrigger

            return IntervalTrigger(
                minutes=spec.minutes, start_date=start, timezone=timezone
            )
        case CalendarIntervalSpec():
            from apscheduler.triggers.calendarinterval import CalendarIntervalTrigger

            return CalendarIntervalTrigger(
                months=spec.months, start_date=spec.start_date, timezone=timezone
            )
        case AndSpec() if any(isinstance(part, IntervalSpec) for part in spec.parts):
            # Its AndTrigger asks each part for the time after the *previous* fire
            # time, which an IntervalTrigger answers ignoring ``now``: it never
            # catches up and loops forever (a hang its docstring warns about).
            raise Unsupported("APScheduler 3's AndTrigger hangs on an IntervalTrigger")
        case AndSpec() | OrSpec():
            from apscheduler.triggers.combining import AndTrigger, OrTrigger

            combinator = AndTrigger if isinstance(spec, AndSpec) else OrTrigger
            return combinator(
                [_apscheduler3_trigger(part, timezone, start) for part in spec.parts]
            )
    raise Unsupported(spec)


def _croniter_factory(case: Case) -> TriggerFactory:
    """Adapter for croniter, whose optional seconds field comes *last*."""
    from croniter import croniter

    spec = _plain_cron(case.spec)
    expression = spec.crontab + (f" {spec.second}" if spec.second else "")
    start = case.start - EXCLUSIVE_START_OFFSET
    croniter(expression, start)  # fail on a bad expression here, not mid-run

    def build() -> NextFireTime:
        return partial(croniter(expression, start).get_next, datetime)

    return build


def _cronsim_factory(case: Case) -> TriggerFactory:
    """Adapter for cronsim, whose optional seconds field comes *first*."""
    from cronsim import CronSim

    spec = _plain_cron(case.spec)
    expression = (f"{spec.second} " if spec.second else "") + spec.crontab
    start = case.start - EXCLUSIVE_START_OFFSET
    CronSim(expression, start)  # fail on a bad expression here, not mid-run

    def build() -> NextFireTime:
        return CronSim(expression, start).__next__

    return build


def _plain_cron(spec: TriggerSpec) -> CronSpec:
    """The spec if it is a single cron expression; cron-only peers support no more."""
    if not isinstance(spec, CronSpec):
        raise Unsupported("it evaluates single cron expressions only")
    return spec


def _trigger_modules(package: str) -> tuple[str, ...]:
    """The trigger modules of APScheduler 3 and 4 and apsnb, which share names."""
    names = ("cron", "interval", "calendarinterval", "combining")
    return tuple(f"{package}.triggers.{name}" for name in names)


PEERS: tuple[Peer, ...] = (
    Peer(
        name="apsnb",
        label="apsnb",
        requirement=None,
        distribution="apsnb",
        package="apsnb",
        trigger_modules=_trigger_modules("apsnb"),
        make_factory=partial(_apscheduler4_style_factory, "apsnb"),
    ),
    Peer(
        name="apscheduler4",
        label="APS",
        requirement="APScheduler==4.0.0a6",
        distribution="APScheduler",
        package="apscheduler",
        trigger_modules=_trigger_modules("apscheduler"),
        make_factory=partial(_apscheduler4_style_factory, "apscheduler"),
    ),
    Peer(
        name="apscheduler3",
        label="APS",
        requirement="APScheduler>=3.11,<4",
        distribution="APScheduler",
        package="apscheduler",
        trigger_modules=_trigger_modules("apscheduler"),
        make_factory=_apscheduler3_factory,
    ),
    Peer(
        name="croniter",
        label="croniter",
        requirement="croniter",
        distribution="croniter",
        package="croniter",
        trigger_modules=("croniter",),
        make_factory=_croniter_factory,
    ),
    Peer(
        name="cronsim",
        label="cronsim",
        requirement="cronsim",
        distribution="cronsim",
        package="cronsim",
        trigger_modules=("cronsim",),
        make_factory=_cronsim_factory,
    ),
)

#: The implementation being measured; every other peer is a reference.
SUBJECT = PEERS[0]
PEERS_BY_NAME = {peer.name: peer for peer in PEERS}
