"""Errors of a scheduler's calls: unknown tasks, schedules and jobs, jobs that did not
run, conflicting ids, and a scheduler that is not running or cannot start."""

from __future__ import annotations

from .base import ApsnbError

__all__ = (
    "ConflictingIdError",
    "JobCancelled",
    "JobDeadlineMissed",
    "JobLookupError",
    "JobResultNotReady",
    "ScheduleLookupError",
    "SchedulerIdentityInUse",
    "SchedulerNotRunning",
    "TaskLookupError",
)


class TaskLookupError(ApsnbError, LookupError):
    """Raised when no task has the given id."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        super().__init__(
            f"no task with the id {task_id!r}: add it with configure_task() or by "
            f"passing the function itself to add_schedule()/add_job()"
        )


class ScheduleLookupError(ApsnbError, LookupError):
    """Raised when no schedule has the given id."""

    def __init__(self, schedule_id: str) -> None:
        self.schedule_id = schedule_id
        super().__init__(
            f"no schedule with the id {schedule_id!r}; get_schedules() lists the "
            f"existing ones"
        )


class JobLookupError(ApsnbError, LookupError):
    """Raised when no job or job result has the given id."""

    def __init__(self, job_id: object) -> None:
        self.job_id = job_id
        super().__init__(
            f"no job with the id {job_id}: it never existed, or its result expired "
            f"or was already read (results are kept for result_expiration_time)"
        )


class JobResultNotReady(ApsnbError, LookupError):
    """Raised by ``get_job_result(wait=False)`` when the job has not finished yet."""

    def __init__(self, job_id: object) -> None:
        self.job_id = job_id
        super().__init__(
            f"job {job_id} has not finished yet; call get_job_result(job_id) (it "
            f"waits by default) or try again later"
        )


class JobCancelled(ApsnbError, RuntimeError):
    """Raised by ``get_job_result``/``run_job`` when the job was cancelled."""

    def __init__(self, job_id: object) -> None:
        self.job_id = job_id
        super().__init__(f"job {job_id} was cancelled before it finished")


class JobDeadlineMissed(ApsnbError, RuntimeError):
    """Raised by ``get_job_result``/``run_job`` when the job started too late."""

    def __init__(self, job_id: object) -> None:
        self.job_id = job_id
        super().__init__(
            f"job {job_id} was not run: it could not start before its deadline "
            f"(scheduled time + misfire_grace_time); raise misfire_grace_time to allow "
            f"late starts"
        )


class ConflictingIdError(ApsnbError, KeyError):
    """Raised when adding a schedule whose id exists, with ``ConflictPolicy.exception``."""

    def __init__(self, schedule_id: str) -> None:
        self.schedule_id = schedule_id
        super().__init__(
            f"a schedule with the id {schedule_id!r} exists already; pass "
            f"conflict_policy=ConflictPolicy.replace to replace it, or another id"
        )

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class SchedulerNotRunning(ApsnbError, RuntimeError):
    """Raised when an operation needs a running scheduler and it is not running."""

    def __init__(self, operation: str) -> None:
        super().__init__(
            f"{operation} needs a running scheduler: start it first with "
            f"'await scheduler.start_in_background()' (or scheduler.start_in_background() "
            f"for the synchronous Scheduler)"
        )


class SchedulerIdentityInUse(ApsnbError, RuntimeError):
    """Raised when a scheduler with the same identity runs on an event loop that does
    not respond (blocked, most likely by the call that starts the new one)."""

    def __init__(self, identity: str) -> None:
        self.identity = identity
        super().__init__(
            f"a scheduler with the identity {identity!r} runs on another event loop "
            f"(the notebook kernel's?) that is blocked, by this very call most "
            f"likely, so it cannot be stopped from here; stop it first "
            f"('await scheduler.stop()' in a cell), or give this scheduler another "
            f"identity"
        )
