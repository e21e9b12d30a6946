"""The run history: a record of every job that ended and every fire time that got none.

A store writes a :class:`RunRecord` in the same step that releases a job (or gives it
up), and one for each fire time that coalescing merged into another's job, in the
step that releases the schedule. Records outlive job results: they are kept for the
store's ``history_retention`` and read back with ``get_runs()``, newest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from ._enums import JobOutcome
from ._state import dump_zoned_datetime, load_zoned_datetime
from ._structures import Job, JobResult, positional_builder

__all__ = ("DEFAULT_HISTORY_RETENTION", "RunRecord", "check_retention", "keeps_runs")

#: How long stores keep run records unless told otherwise.
DEFAULT_HISTORY_RETENTION = timedelta(days=30)
#: Exception messages longer than this are cut (a record is a summary; the job's
#: result keeps the whole traceback while it lasts).
MAX_MESSAGE_LENGTH = 2000

_REASONS = {
    JobOutcome.cancelled: "the scheduler stopped while it ran",
    JobOutcome.deserialization_failed: "its stored arguments could not be read",
}


# Not frozen: a frozen dataclass takes twice as long to make, and one is made per job.
@dataclass(slots=True, kw_only=True)
class RunRecord:
    """One entry of the run history: a job that ended, or a fire time that got no job.

    :param task_id: the task the job ran (or would have run)
    :param outcome: how it ended; ``JobOutcome.coalesced`` for a fire time that got
        no job of its own
    :param finished_at: when it ended, or when its fire time was given up (UTC)
    :param schedule_id: the schedule that made it (``None`` for a job added directly)
    :param job_id: the job's id (``None`` for a coalesced fire time)
    :param scheduled_fire_time: the fire time it was for, in the trigger's time zone
    :param started_at: when the task's function was called (``None`` if never)
    :param scheduler_id: the scheduler that ran it, or gave it up
    :param reason: why it did not run, or did not finish (``None`` when it did)
    :param exception_type: the type of the exception it raised (``"ValueError"``,
        ``"package.module.Error"``)
    :param exception_message: that exception's message
    :param output_path: the file it wrote (a notebook run's executed copy), when the
        task's return value (or exception) names one with an ``output_path``
    """

    task_id: str
    outcome: JobOutcome
    finished_at: datetime
    schedule_id: str | None = None
    job_id: UUID | None = None
    scheduled_fire_time: datetime | None = None
    started_at: datetime | None = None
    scheduler_id: str | None = None
    reason: str | None = None
    exception_type: str | None = None
    exception_message: str | None = None
    output_path: str | None = None

    @property
    def duration(self) -> timedelta | None:
        """How long the task ran (``None`` if it never started)."""
        if self.started_at is None:
            return None
        return self.finished_at - self.started_at

    @classmethod
    def for_result(
        cls, job: Job, result: JobResult, scheduler_id: str | None
    ) -> RunRecord:
        """The record of a job that ended with ``result``."""
        values = (
            job.task_id,
            result.outcome,
            result.finished_at,
            job.schedule_id,
            job.id,
            job.scheduled_fire_time,
            result.started_at,
            scheduler_id,
            None,  # reason
            None,  # exception_type
            None,  # exception_message
            None,  # output_path
        )
        if cls is RunRecord:
            record = _new_record(*values)
        else:  # a subclass may have fields of its own
            record = cls(
                **dict(zip(RunRecord.__dataclass_fields__, values, strict=True))
            )
        exception = result.exception
        if exception is None and result.outcome is JobOutcome.success:
            # The common case, kept short: a record is written for every job.
            if result.return_value is not None:
                record.output_path = _output_path(result)
            return record
        record.reason = _reason(job, result, scheduler_id)
        if exception is not None:
            record.exception_type = exception_type(exception)
            record.exception_message = _message(exception)
        record.output_path = _output_path(result)
        return record

    @classmethod
    def coalesced(
        cls,
        job: Job,
        fire_times: Iterable[datetime],
        *,
        omitted: int = 0,
        now: datetime,
    ) -> list[RunRecord]:
        """The records of the fire times coalescing merged into ``job``'s.

        :param omitted: how many more fire times were merged than are listed (a
            schedule that missed more than the scheduler lists one by one); they get
            one record that says how many, and between which listed times
        """
        assert job.scheduled_fire_time is not None
        into = f"coalesced into the run for {job.scheduled_fire_time.isoformat()}"
        listed = list(fire_times)
        records = [
            cls(
                task_id=job.task_id,
                outcome=JobOutcome.coalesced,
                finished_at=now,
                schedule_id=job.schedule_id,
                scheduled_fire_time=fire_time,
                reason=into,
            )
            for fire_time in listed
        ]
        if omitted:
            records.append(
                cls(
                    task_id=job.task_id,
                    outcome=JobOutcome.coalesced,
                    finished_at=now,
                    schedule_id=job.schedule_id,
                    reason=f"{omitted} more fire times after "
                    f"{listed[-1].isoformat() if listed else 'the last run'} were "
                    f"{into} (too many to list one by one)",
                )
            )
        return records

    def marshal(self) -> dict[str, Any]:
        """The record as plain data (zoned datetime text, seconds, enum values)."""
        return {
            "task_id": self.task_id,
            "outcome": self.outcome.value,
            "finished_at": dump_zoned_datetime(self.finished_at),
            "schedule_id": self.schedule_id,
            "job_id": None if self.job_id is None else str(self.job_id),
            "scheduled_fire_time": dump_zoned_datetime(self.scheduled_fire_time),
            "started_at": dump_zoned_datetime(self.started_at),
            "scheduler_id": self.scheduler_id,
            "reason": self.reason,
            "exception_type": self.exception_type,
            "exception_message": self.exception_message,
            "output_path": self.output_path,
        }

    @classmethod
    def unmarshal(cls, data: Mapping[str, Any]) -> RunRecord:
        finished_at = load_zoned_datetime(data["finished_at"])
        assert finished_at is not None
        job_id = data["job_id"]
        return cls(
            task_id=data["task_id"],
            outcome=JobOutcome(data["outcome"]),
            finished_at=finished_at,
            schedule_id=data["schedule_id"],
            job_id=None if job_id is None else UUID(job_id),
            scheduled_fire_time=load_zoned_datetime(data["scheduled_fire_time"]),
            started_at=load_zoned_datetime(data["started_at"]),
            scheduler_id=data["scheduler_id"],
            reason=data["reason"],
            exception_type=data["exception_type"],
            exception_message=data["exception_message"],
            output_path=data["output_path"],
        )


# A record is made per job: see positional_builder.
_new_record = positional_builder(RunRecord)


def check_retention(retention: timedelta | None) -> timedelta | None:
    """Return a store's ``history_retention`` if it is one.

    :raises InvalidSchedulerSetting: if it is not
    """
    if retention is None or (
        isinstance(retention, timedelta) and retention >= timedelta(0)
    ):
        return retention
    from ._exceptions import InvalidSchedulerSetting

    raise InvalidSchedulerSetting(
        "history_retention",
        retention,
        "give a timedelta of 0 or more (0 keeps no run history), or None to keep it "
        "for ever",
    )


def keeps_runs(retention: timedelta | None) -> bool:
    """Whether a store with this ``history_retention`` writes run records at all."""
    return retention is None or retention > timedelta(0)


def exception_type(exception: BaseException) -> str:
    """An exception's type as a user reads it: ``ValueError``, ``package.mod.Error``."""
    kind = type(exception)
    module = kind.__module__
    if module == "builtins":
        return kind.__qualname__
    if module.startswith("apsnb."):
        import apsnb

        if kind.__qualname__ in apsnb.__all__:
            return f"apsnb.{kind.__qualname__}"  # where users import it from
    return f"{module}.{kind.__qualname__}"


def _message(exception: BaseException) -> str:
    try:
        message = str(exception)
    except Exception:  # a broken __str__ must not lose the record
        message = f"<{type(exception).__name__} whose message cannot be shown>"
    if len(message) > MAX_MESSAGE_LENGTH:
        message = message[: MAX_MESSAGE_LENGTH - 1] + "…"
    return message


def _reason(job: Job, result: JobResult, scheduler_id: str | None) -> str | None:
    outcome = result.outcome
    if outcome is JobOutcome.missed_start_deadline:
        start = job.scheduled_start
        if start is None:
            return "not started in time: past its misfire grace time"
        late = _rounded(result.finished_at - start)
        return (
            f"not started in time: looked at {late} after its fire time, past its "
            f"misfire grace time"
        )
    if outcome is JobOutcome.abandoned:
        holder = "" if scheduler_id is None else f" ({scheduler_id})"
        return f"the scheduler running it{holder} stopped before it finished"
    return _REASONS.get(outcome)


def _rounded(span: timedelta) -> timedelta:
    return timedelta(seconds=round(span.total_seconds()))


def _output_path(result: JobResult) -> str | None:
    for source in (result.return_value, result.exception):
        if isinstance(source, Mapping):
            path = source.get("output_path")
        else:
            path = getattr(source, "output_path", None)
        if isinstance(path, str):
            return path
    return None
