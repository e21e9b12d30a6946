"""The schedule dashboard's state: table rows, the feed of job outcomes, and counts.

Plain Python, no ipywidgets: the dashboard's view hands this model what it reads from
the scheduler (schedules, jobs, waiting schedules) and every event it receives, then
draws :attr:`DashboardModel.rows`, :attr:`DashboardModel.feed` and the counts.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from uuid import UUID

from .._enums import JobOutcome, RunState
from .._events import (
    Event,
    JobAcquired,
    JobReleased,
    ScheduleAdded,
    ScheduleRemoved,
    SchedulerStarted,
    SchedulerStopped,
    ScheduleUpdated,
)
from .._structures import Job, Schedule
from ..abc import Trigger

#: Events after which the schedule table is out of date.
SCHEDULE_EVENTS = (ScheduleAdded, ScheduleUpdated, ScheduleRemoved)


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """One schedule as the dashboard's table shows it.

    Fire times are in the trigger's own zone (a cron trigger's ``timezone``, an
    interval trigger's start time's zone), so they read as the trigger was written.
    """

    id: str
    task_id: str
    description: str
    next_fire_time: datetime | None
    last_fire_time: datetime | None
    paused: bool
    waiting: bool  # held: its task's function is not defined in this process

    @property
    def next_fire_text(self) -> str:
        """The next fire time for reading (``Mon 2026-01-05 09:00:00 EET``), or ``—``.

        A paused schedule keeps the fire time it stopped at, which soon lies in the
        past: it reads ``paused (due since …)`` then, never as a time to come.
        """
        text = readable_time(self.next_fire_time)
        due = self.next_fire_time
        if self.paused and due is not None and due <= datetime.now(due.tzinfo):
            return f"paused (due since {text})"
        return text

    @property
    def last_fire_text(self) -> str:
        """The last fire time for reading, or ``—`` when it has not fired yet."""
        return readable_time(self.last_fire_time)


@dataclass(frozen=True, slots=True)
class OutcomeEntry:
    """One finished job in the feed (from a ``JobReleased`` event)."""

    job_id: UUID
    time: datetime  # when the job was released (UTC)
    schedule_id: str | None
    task_id: str
    outcome: JobOutcome
    exception: str | None  # "ValueError: boom", when the job raised
    traceback: str | None = None  # the job's traceback, when it raised
    output: str | None = None  # what it printed (a scheduler capturing output)

    @property
    def failed(self) -> bool:
        """Whether the job raised (shown in red)."""
        return self.outcome is JobOutcome.error


class DashboardModel:
    """What the dashboard shows, updated from schedules, jobs and events.

    :param history: how many job outcomes :attr:`feed` keeps (the newest)
    :param describe: says in words when a trigger fires (default:
        ``apsnb.lab.describe``, or the trigger's ``repr`` without the lab)
    """

    def __init__(
        self, history: int = 50, describe: Callable[[Trigger], str] | None = None
    ) -> None:
        self.describe = describe or describe_trigger
        #: The schedules, sorted by id, as of the last :meth:`show_schedules`.
        self.rows: list[ScheduleRow] = []
        #: The latest job outcomes, oldest first (at most ``history``).
        self.feed: deque[OutcomeEntry] = deque(maxlen=history)
        #: How many jobs ended with each outcome since the model was made.
        self.outcome_counts: Counter[JobOutcome] = Counter()
        #: Jobs taken by a scheduler and not released yet.
        self.running_job_ids: set[UUID] = set()
        #: The scheduler's state, as last reported.
        self.state: RunState = RunState.stopped
        self._waiting: frozenset[str] = frozenset()

    # What the scheduler holds

    def show_schedules(
        self,
        schedules: Iterable[Schedule],
        waiting: Mapping[str, Iterable[str]],
        jobs: Iterable[Job] | None = None,
    ) -> None:
        """Make the rows from ``schedules``; ``waiting`` is ``waiting_schedules()``.

        ``jobs`` (``get_jobs()``), when given, resets the running jobs to the ones
        acquired by a scheduler that the feed has not seen finish.
        """
        self._waiting = waiting_ids(waiting)
        self.rows = sorted(
            (self._row(schedule) for schedule in schedules), key=lambda row: row.id
        )
        if jobs is not None:
            finished = {entry.job_id for entry in self.feed}
            self.running_job_ids = {
                job.id
                for job in jobs
                if job.acquired_by is not None and job.id not in finished
            }

    def _row(self, schedule: Schedule) -> ScheduleRow:
        zone = trigger_zone(schedule.trigger)
        return ScheduleRow(
            id=schedule.id,
            task_id=schedule.task_id,
            description=self.describe(schedule.trigger),
            next_fire_time=in_zone(schedule.next_fire_time, zone),
            last_fire_time=in_zone(schedule.last_fire_time, zone),
            paused=schedule.paused,
            waiting=schedule.id in self._waiting,
        )

    def waiting_changed(self, waiting: Mapping[str, Iterable[str]]) -> bool:
        """Whether ``waiting`` flags other schedules than the rows show."""
        return waiting_ids(waiting) != self._waiting

    def row(self, schedule_id: str) -> ScheduleRow | None:
        """The row of this schedule, or ``None`` if the table does not show it."""
        return next((row for row in self.rows if row.id == schedule_id), None)

    # Events

    def record(self, event: Event) -> bool:
        """Take in one event; return whether the schedule table is now out of date."""
        if isinstance(event, JobReleased):
            self.running_job_ids.discard(event.job_id)
            self.outcome_counts[event.outcome] += 1
            self.feed.append(_entry(event))
        elif isinstance(event, JobAcquired):
            self.running_job_ids.add(event.job_id)
        elif isinstance(event, SchedulerStarted):
            self.state = RunState.started
        elif isinstance(event, SchedulerStopped):
            self.state = RunState.stopped
            self.running_job_ids.clear()  # stopping cancels and releases every job
        return isinstance(event, SCHEDULE_EVENTS)

    @property
    def successes(self) -> int:
        """Jobs that returned, since the model was made."""
        return self.outcome_counts[JobOutcome.success]

    @property
    def errors(self) -> int:
        """Jobs that raised, since the model was made."""
        return self.outcome_counts[JobOutcome.error]

    @property
    def other_outcomes(self) -> int:
        """Jobs missed, cancelled, abandoned or unreadable, since the model was made."""
        return sum(self.outcome_counts.values()) - self.successes - self.errors

    def newest_first(self) -> list[OutcomeEntry]:
        """The feed, newest entry first (the order the dashboard lists it in)."""
        return list(reversed(self.feed))


def _entry(event: JobReleased) -> OutcomeEntry:
    exception = None
    if event.exception_type or event.exception_message:
        exception = ": ".join(
            part for part in (event.exception_type, event.exception_message) if part
        )
    return OutcomeEntry(
        job_id=event.job_id,
        time=event.timestamp,
        schedule_id=event.schedule_id,
        task_id=event.task_id,
        outcome=event.outcome,
        exception=exception,
        traceback=event.exception_traceback,
        output=event.output,
    )


def waiting_ids(waiting: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """The schedule ids in a ``waiting_schedules()`` mapping (task id → schedule ids)."""
    return frozenset(schedule_id for ids in waiting.values() for schedule_id in ids)


def trigger_zone(trigger: Trigger) -> tzinfo | None:
    """The zone a trigger was written in, or ``None`` if it does not say.

    Cron and calendar triggers have a ``timezone``; interval and date triggers keep
    the zone of their start or run time; a combination uses its first child's.
    """
    zone = getattr(trigger, "timezone", None)
    if isinstance(zone, tzinfo):
        return zone
    for name in ("start_time", "run_time"):
        value = getattr(trigger, name, None)
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.tzinfo
    children = getattr(trigger, "triggers", None)
    if isinstance(children, list | tuple) and children:
        return trigger_zone(children[0])
    return None


def in_zone(value: datetime | None, zone: tzinfo | None) -> datetime | None:
    """``value`` in ``zone`` (unchanged when either is missing or it is naive)."""
    if value is None or zone is None or value.tzinfo is None:
        return value
    return value.astimezone(zone)


def readable_time(value: datetime | None) -> str:
    """``Mon 2026-01-05 09:00:00 EET``; ``—`` for ``None``."""
    if value is None:
        return "—"
    text = f"{value:%a %Y-%m-%d %H:%M:%S}"
    zone = value.tzname()
    return f"{text} {zone}" if zone else text


def describe_trigger(trigger: Trigger) -> str:
    """``apsnb.lab.describe(trigger)``; the ``repr`` when the lab cannot say."""
    try:
        from ..lab.describe import describe
    except ImportError:  # pandas or matplotlib missing: the lab cannot be imported
        return repr(trigger)
    try:
        text = describe(trigger)
    except Exception as error:  # a custom trigger with odd attributes
        return f"{trigger!r} (no description: {type(error).__name__})"
    # A start of "now" carries microseconds that say nothing to a reader.
    return _FRACTION.sub(r"\1", text)


_FRACTION = re.compile(r"(\d\d:\d\d:\d\d)\.\d+")
