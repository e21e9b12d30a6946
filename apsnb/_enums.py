"""The small vocabularies of the scheduler: roles, run states, outcomes, policies."""

from __future__ import annotations

from enum import Enum

__all__ = (
    "CoalescePolicy",
    "ConflictPolicy",
    "JobOutcome",
    "RunState",
    "SchedulerRole",
)


class SchedulerRole(Enum):
    """What a scheduler does while it runs.

    ``scheduler`` turns due schedules into jobs, ``worker`` runs jobs, ``both`` does
    both (the default).
    """

    scheduler = "scheduler"
    worker = "worker"
    both = "both"


class RunState(Enum):
    """Where a scheduler is in its life: ``starting``, ``started``, ``stopping``,
    ``stopped``."""

    starting = "starting"
    started = "started"
    stopping = "stopping"
    stopped = "stopped"


class JobOutcome(Enum):
    """How a job ended.

    ``success`` (returned), ``error`` (raised), ``missed_start_deadline`` (started too
    late for its misfire grace time), ``deserialization_failed`` (its stored data could
    not be read), ``cancelled`` (the scheduler stopped it), ``abandoned`` (the scheduler
    running it died before it finished). One more appears only in the run history:
    ``coalesced``, a fire time that got no job of its own because coalescing merged
    it into another fire time's job (a scheduler that was not running for a while).
    """

    success = "success"
    error = "error"
    missed_start_deadline = "missed_start_deadline"
    deserialization_failed = "deserialization_failed"
    cancelled = "cancelled"
    abandoned = "abandoned"
    coalesced = "coalesced"


class ConflictPolicy(Enum):
    """What ``add_schedule`` does when a schedule with the same id exists.

    ``update`` it in place to what the call says, keeping its id and history (the
    scheduler's default; a store is never asked for it), ``replace`` it whole,
    ``do_nothing`` (keep the existing one), or raise ``exception``
    (``ConflictingIdError``).
    """

    update = "update"
    replace = "replace"
    do_nothing = "do_nothing"
    exception = "exception"


class CoalescePolicy(Enum):
    """How many jobs a schedule gets when several of its fire times are due at once.

    ``earliest``: one, for the earliest; ``latest``: one, for the latest; ``all``: one
    for each.
    """

    earliest = "earliest"
    latest = "latest"
    all = "all"
