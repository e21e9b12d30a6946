"""What ``run_job`` gives back for a finished job: its value, or its own exception."""

from __future__ import annotations

from typing import Any

from .._enums import JobOutcome
from .._exceptions import JobCancelled, JobDeadlineMissed, SerializationError
from .._structures import JobResult


def outcome_of(stored: JobResult, local: JobResult | None) -> Any:
    """Return the job's return value, or raise what it raised.

    :param stored: the result as the data store kept it
    :param local: the same result as this process made it, if this process ran the
        job: it holds the very exception object and return value, which a store
        (JSON in SQLite) may keep only as text, or not at all
    :raises SerializationError: if the store could not keep a return value, so that
        what the function returned is never silently replaced by ``None``
    """
    result = local if local is not None else stored
    if stored.outcome is JobOutcome.success:
        lost = local is not None and stored.return_value is None
        if lost and local.return_value is not None:
            raise SerializationError(
                f"the return value of job {stored.job_id} "
                f"(a {type(local.return_value).__name__})",
                "the data store's serializer cannot hold it; return plain data "
                "(numbers, text, lists, dicts, datetimes) or give the store a "
                "serializer that can (PickleSerializer, for trusted files only)",
            )
        return result.return_value
    if stored.outcome is JobOutcome.error:
        if result.exception is not None:
            raise result.exception
        raise RuntimeError(f"job {stored.job_id} failed:\n{stored.traceback}")
    if stored.outcome is JobOutcome.missed_start_deadline:
        raise JobDeadlineMissed(stored.job_id)
    raise JobCancelled(stored.job_id)
