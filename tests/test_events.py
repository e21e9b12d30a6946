"""Events, results and run records made the fast way are the same as those made by
their constructors."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from apsnb._enums import JobOutcome
from apsnb._events import (
    JobAdded,
    JobReleased,
    ScheduleUpdated,
    new_job_added,
    new_schedule_updated,
)
from apsnb._runs import RunRecord
from apsnb._structures import Job, JobResult

FIRE_TIME = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def finished_job(error: BaseException | None = None) -> tuple[Job, JobResult]:
    job = Job(
        task_id="task",
        schedule_id="schedule",
        scheduled_fire_time=FIRE_TIME,
        jitter=timedelta(seconds=2),
    )
    result = JobResult.from_job(
        job,
        JobOutcome.success if error is None else JobOutcome.error,
        started_at=FIRE_TIME + timedelta(seconds=3),
        finished_at=FIRE_TIME + timedelta(seconds=4),
        exception=error,
        traceback=None if error is None else "Traceback: ...",
    )
    return job, result


@pytest.mark.parametrize("error", [None, ValueError("no such row")])
def test_job_released_for_a_result_equals_the_one_its_constructor_makes(
    error: BaseException | None,
) -> None:
    job, result = finished_job(error)
    event = JobReleased.for_result(job, result, "worker-1", output="printed")
    assert event == JobReleased(
        timestamp=result.finished_at,
        job_id=job.id,
        scheduler_id="worker-1",
        task_id="task",
        outcome=result.outcome,
        schedule_id="schedule",
        scheduled_start=FIRE_TIME + timedelta(seconds=2),
        started_at=FIRE_TIME + timedelta(seconds=3),
        exception_type=None if error is None else "ValueError",
        exception_message=None if error is None else "no such row",
        exception_traceback=None if error is None else "Traceback: ...",
        output="printed",
    )
    assert hash(event) == hash(dataclasses.replace(event))
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.outcome = JobOutcome.cancelled  # type: ignore[misc]


def test_a_subclass_of_job_released_gets_its_own_fields() -> None:
    @dataclass(frozen=True, slots=True, kw_only=True)
    class Tagged(JobReleased):
        tag: str = "none"

    job, result = finished_job()
    event = Tagged.for_result(job, result, None)
    assert type(event) is Tagged
    assert event.tag == "none"
    assert event.scheduler_id == ""
    assert event.job_id == job.id


def test_the_store_events_made_field_by_field_equal_their_constructors() -> None:
    job, _ = finished_job()
    assert new_job_added(FIRE_TIME, job.id, "task", "schedule") == JobAdded(
        timestamp=FIRE_TIME, job_id=job.id, task_id="task", schedule_id="schedule"
    )
    assert new_schedule_updated(
        FIRE_TIME, "schedule", "task", FIRE_TIME
    ) == ScheduleUpdated(
        timestamp=FIRE_TIME,
        schedule_id="schedule",
        task_id="task",
        next_fire_time=FIRE_TIME,
    )


@pytest.mark.parametrize("kept_for", [timedelta(0), timedelta(minutes=5)])
def test_a_job_result_made_from_its_job_equals_the_one_its_constructor_makes(
    kept_for: timedelta,
) -> None:
    job = Job(task_id="task", result_expiration_time=kept_for)
    finished = FIRE_TIME + timedelta(seconds=4)
    result = JobResult.from_job(
        job, JobOutcome.success, finished_at=finished, return_value=42
    )
    assert result == JobResult(
        job_id=job.id,
        outcome=JobOutcome.success,
        finished_at=finished,
        expires_at=finished + kept_for,
        return_value=42,
    )

    @dataclass(slots=True, kw_only=True)
    class Annotated(JobResult):
        note: str = "none"

    annotated = Annotated.from_job(job, JobOutcome.success, finished_at=finished)
    assert (type(annotated), annotated.note) == (Annotated, "none")
    assert annotated.expires_at == finished + kept_for


@pytest.mark.parametrize("error", [None, ValueError("no such row")])
def test_a_run_record_made_from_a_result_equals_the_one_its_constructor_makes(
    error: BaseException | None,
) -> None:
    job, result = finished_job(error)
    record = RunRecord.for_result(job, result, "worker-1")
    assert record == RunRecord(
        task_id="task",
        outcome=result.outcome,
        finished_at=result.finished_at,
        schedule_id="schedule",
        job_id=job.id,
        scheduled_fire_time=FIRE_TIME,
        started_at=result.started_at,
        scheduler_id="worker-1",
        reason=None,
        exception_type=None if error is None else "ValueError",
        exception_message=None if error is None else "no such row",
    )

    @dataclass(slots=True, kw_only=True)
    class Annotated(RunRecord):
        note: str = "none"

    annotated = Annotated.for_result(job, result, "worker-1")
    assert (type(annotated), annotated.note) == (Annotated, "none")
    assert annotated.job_id == job.id


def test_a_builder_fills_a_frozen_class_with_or_without_slots() -> None:
    from apsnb._structures import positional_builder

    @dataclass(frozen=True)
    class Plain:
        first: int
        second: str = "two"

    @dataclass(frozen=True, slots=True)
    class Slotted:
        first: int
        second: str = "two"

    for cls in (Plain, Slotted):
        built = positional_builder(cls)(1, "zwei")
        assert built == cls(1, "zwei")
        with pytest.raises(dataclasses.FrozenInstanceError):
            built.first = 2  # type: ignore[misc]
