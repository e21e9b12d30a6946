"""Events made the fast way are the same as events made by their constructor."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from apsnb._enums import JobOutcome
from apsnb._events import JobReleased
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
