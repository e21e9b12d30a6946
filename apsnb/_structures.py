"""What the scheduler keeps in its data store: tasks, schedules, jobs and job results.

Each structure can turn itself into plain data (``marshal``) and back (``unmarshal``),
so that a store can keep it in any serializer: the trigger as its class and state,
datetimes as ISO strings, durations as seconds, enums by value. Arguments and return
values are left as they are for the store's serializer to handle.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from ._converters import as_timedelta
from ._enums import CoalescePolicy, JobOutcome
from ._exceptions import InvalidSchedulerSetting
from ._ids import new_job_id
from ._state import dump_trigger, dump_zoned_datetime, load_trigger, load_zoned_datetime
from .abc import Trigger

if TYPE_CHECKING:
    from ._runs import RunRecord

__all__ = ("Job", "JobResult", "Schedule", "ScheduleResult", "Task", "TaskDefaults")


def utcnow() -> datetime:
    return datetime.now(UTC)


_Copied = TypeVar("_Copied", "Task", "Schedule", "Job")
_Built = TypeVar("_Built")


def _copy(original: _Copied, changes: dict[str, Any]) -> _Copied:
    """A shallow copy of ``original`` with ``changes`` applied."""
    cls = type(original)
    copier = _COPIERS.get(cls)
    if copier is None:
        copier = _COPIERS[cls] = _make_copier(cls)
    copied = copier(original)
    if changes:
        fields = cls.__dataclass_fields__
        for name, value in changes.items():
            if name not in fields:
                raise TypeError(f"{cls.__name__} has no field named {name!r}")
            setattr(copied, name, value)
    return copied


_COPIERS: dict[type, Callable[[Any], Any]] = {}


def _make_copier(cls: type) -> Callable[[Any], Any]:
    """A function that copies an instance of the dataclass ``cls`` field by field.

    Written out for the class's fields and compiled, as ``dataclasses`` writes
    ``__init__``: a data store copies each job and schedule it takes in or hands out,
    a few times per job, and this costs a third of a loop of ``getattr``/``setattr``
    (``dataclasses.replace`` runs ``__init__`` again and costs three times as much).
    """
    names = list(cls.__dataclass_fields__)  # type: ignore[attr-defined]
    body = "\n".join(f"    copied.{name} = original.{name}" for name in names)
    source = f"def copy(original):\n    copied = new(cls)\n{body}\n    return copied\n"
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    exec(source, namespace)  # made of the class's own field names, nothing else
    return namespace["copy"]


def positional_builder(cls: type[_Built]) -> Callable[..., _Built]:
    """A function that makes an instance of the dataclass ``cls`` from its field
    values in field order, as ``__init__`` would with no defaults or checks to apply.

    For the objects made once per job: ``__init__`` takes keyword arguments only,
    and parsing a dozen of them costs about as much as setting the fields. A frozen
    class refuses assignment, so its fields are set as its ``__init__`` sets them,
    past ``__setattr__``: through each slot's own setter (a third cheaper than
    ``object.__setattr__``, which looks the slot up by name each time).
    """
    names = list(cls.__dataclass_fields__)  # type: ignore[attr-defined]
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    if not cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        lines = [f"    built.{name} = {name}" for name in names]
    else:
        lines = []
        for number, name in enumerate(names):
            slot = inspect.getattr_static(cls, name, None)
            namespace[f"set_{number}"] = (
                slot.__set__ if inspect.ismemberdescriptor(slot) else _setter(name)
            )
            lines.append(f"    set_{number}(built, {name})")
    source = (
        f"def build({', '.join(names)}):\n    built = new(cls)\n"
        + "\n".join(lines)
        + "\n    return built\n"
    )
    exec(source, namespace)  # made of the class's own field names, nothing else
    return namespace["build"]  # type: ignore[no-any-return]


def _setter(name: str) -> Callable[[Any, Any], None]:
    """Sets attribute ``name`` past a frozen class's ``__setattr__`` (a field that
    is not a slot: the class has no ``slots=True``)."""

    def set_field(instance: Any, value: Any) -> None:
        object.__setattr__(instance, name, value)

    return set_field


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _duration(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=value)


@dataclass(slots=True, kw_only=True)
class Task:
    """A function the scheduler can run, with settings shared by its jobs.

    :param id: the task's unique id (by default the function's import path)
    :param func: the import path of the function (``"package.module:function"``), or
        ``None`` when the function lives only in this process (a notebook function)
    :param job_executor: name of the executor that runs its jobs
    :param max_running_jobs: how many of its jobs may run at once (``None``: no limit)
    :param misfire_grace_time: how late a job may start (``None``: any time)
    :param metadata: free-form JSON-compatible data
    :param running_jobs: how many of its jobs run now (kept by the store)
    """

    id: str
    func: str | None = None
    job_executor: str = "threadpool"
    max_running_jobs: int | None = None
    misfire_grace_time: timedelta | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    running_jobs: int = 0

    def copy(self, **changes: Any) -> Task:
        """A shallow copy, with the given fields changed."""
        return _copy(self, changes)

    def __repr__(self) -> str:
        # func=None reads like a failure, but it means the function is bound by id in
        # the process that configured the task (a notebook's own function).
        func = (
            repr(self.func)
            if self.func is not None
            else "None (bound by id in the process that configured it)"
        )
        fields = [f"id={self.id!r}", f"func={func}"]
        fields += [
            f"{name}={getattr(self, name)!r}"
            for name in ("job_executor", "max_running_jobs", "misfire_grace_time",
                         "metadata", "running_jobs")
        ]  # fmt: skip
        return f"Task({', '.join(fields)})"

    def marshal(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "func": self.func,
            "job_executor": self.job_executor,
            "max_running_jobs": self.max_running_jobs,
            "misfire_grace_time": _seconds(self.misfire_grace_time),
            "metadata": self.metadata,
            "running_jobs": self.running_jobs,
        }

    @classmethod
    def unmarshal(cls, data: Mapping[str, Any]) -> Task:
        return cls(
            id=data["id"],
            func=data["func"],
            job_executor=data["job_executor"],
            max_running_jobs=data["max_running_jobs"],
            misfire_grace_time=_duration(data["misfire_grace_time"]),
            metadata=dict(data["metadata"]),
            running_jobs=data.get("running_jobs", 0),
        )


@dataclass(slots=True, kw_only=True)
class TaskDefaults:
    """Settings for tasks that do not give their own.

    :raises InvalidSchedulerSetting: if ``misfire_grace_time`` is negative
    """

    job_executor: str | None = None  # None: by the function (async or threadpool)
    max_running_jobs: int | None = None
    misfire_grace_time: timedelta | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Refused here, where the mistake is made, not when a task first takes it.
        if self.misfire_grace_time is not None:
            setting = "TaskDefaults.misfire_grace_time"
            grace = as_timedelta(self.misfire_grace_time, setting)
            if grace < timedelta(0):
                raise InvalidSchedulerSetting(
                    setting,
                    self.misfire_grace_time,
                    "give a duration of 0 or more (None: no limit)",
                )
            self.misfire_grace_time = grace


@dataclass(slots=True, kw_only=True)
class Schedule:
    """A task, a trigger and the settings of the jobs the trigger's fire times make."""

    id: str
    task_id: str
    trigger: Trigger
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    paused: bool = False
    coalesce: CoalescePolicy = CoalescePolicy.latest
    misfire_grace_time: timedelta | None = None
    max_jitter: timedelta | None = None
    job_executor: str | None = None
    job_result_expiration_time: timedelta = timedelta(0)
    metadata: dict[str, Any] = field(default_factory=dict)
    next_fire_time: datetime | None = None
    last_fire_time: datetime | None = None
    acquired_by: str | None = None
    acquired_until: datetime | None = None

    def marshal(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "task_id": self.task_id,
            "trigger": dump_trigger(self.trigger),
            "args": self.args,
            "kwargs": self.kwargs,
            "paused": self.paused,
            "coalesce": self.coalesce.value,
            "misfire_grace_time": _seconds(self.misfire_grace_time),
            "max_jitter": _seconds(self.max_jitter),
            "job_executor": self.job_executor,
            "job_result_expiration_time": self.job_result_expiration_time.total_seconds(),
            "metadata": self.metadata,
            "next_fire_time": dump_zoned_datetime(self.next_fire_time),
            "last_fire_time": dump_zoned_datetime(self.last_fire_time),
            "acquired_by": self.acquired_by,
            "acquired_until": dump_zoned_datetime(self.acquired_until),
        }

    @classmethod
    def unmarshal(cls, data: Mapping[str, Any]) -> Schedule:
        return cls(
            id=data["id"],
            task_id=data["task_id"],
            trigger=load_trigger(data["trigger"]),
            args=tuple(data["args"]),
            kwargs=dict(data["kwargs"]),
            paused=data["paused"],
            coalesce=CoalescePolicy(data["coalesce"]),
            misfire_grace_time=_duration(data["misfire_grace_time"]),
            max_jitter=_duration(data["max_jitter"]),
            job_executor=data["job_executor"],
            job_result_expiration_time=timedelta(
                seconds=data["job_result_expiration_time"]
            ),
            metadata=dict(data["metadata"]),
            next_fire_time=load_zoned_datetime(data["next_fire_time"]),
            last_fire_time=load_zoned_datetime(data["last_fire_time"]),
            acquired_by=data["acquired_by"],
            acquired_until=load_zoned_datetime(data["acquired_until"]),
        )

    def copy(self, **changes: Any) -> Schedule:
        """A shallow copy, with the given fields changed (the trigger is shared)."""
        return _copy(self, changes)


# Not frozen, as the run records: a frozen dataclass takes three times as long to
# make, and one is made per fire time (a job result, per job).
@dataclass(slots=True, kw_only=True)
class ScheduleResult:
    """What processing an acquired schedule did: its trigger's new progress, the
    jobs its due fire times made (added by the store when it releases the schedule),
    and the run records of the fire times that got no job (``missed``, added to the
    run history in the same step)."""

    schedule_id: str
    task_id: str
    trigger: Trigger
    last_fire_time: datetime | None
    next_fire_time: datetime | None
    jobs: tuple[Job, ...] = ()
    missed: tuple[RunRecord, ...] = ()


@dataclass(slots=True, kw_only=True)
class Job:
    """One run of a task: what to call it with, and when it may start."""

    id: UUID = field(default_factory=new_job_id)
    task_id: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    schedule_id: str | None = None
    scheduled_fire_time: datetime | None = None
    executor: str = "threadpool"
    jitter: timedelta = timedelta(0)
    start_deadline: datetime | None = None
    result_expiration_time: timedelta = timedelta(0)
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
    acquired_by: str | None = None
    acquired_until: datetime | None = None

    def copy(self, **changes: Any) -> Job:
        """A shallow copy, with the given fields changed."""
        return _copy(self, changes)

    @property
    def scheduled_start(self) -> datetime | None:
        """When the job is meant to start: its fire time plus its jitter."""
        if self.scheduled_fire_time is None:
            return None
        return self.scheduled_fire_time + self.jitter

    def marshal(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "task_id": self.task_id,
            "args": self.args,
            "kwargs": self.kwargs,
            "schedule_id": self.schedule_id,
            "scheduled_fire_time": dump_zoned_datetime(self.scheduled_fire_time),
            "executor": self.executor,
            "jitter": self.jitter.total_seconds(),
            "start_deadline": dump_zoned_datetime(self.start_deadline),
            "result_expiration_time": self.result_expiration_time.total_seconds(),
            "metadata": self.metadata,
            "created_at": dump_zoned_datetime(self.created_at),
            "acquired_by": self.acquired_by,
            "acquired_until": dump_zoned_datetime(self.acquired_until),
        }

    @classmethod
    def unmarshal(cls, data: Mapping[str, Any]) -> Job:
        created_at = load_zoned_datetime(data["created_at"])
        return cls(
            id=UUID(data["id"]),
            task_id=data["task_id"],
            args=tuple(data["args"]),
            kwargs=dict(data["kwargs"]),
            schedule_id=data["schedule_id"],
            scheduled_fire_time=load_zoned_datetime(data["scheduled_fire_time"]),
            executor=data["executor"],
            jitter=timedelta(seconds=data["jitter"]),
            start_deadline=load_zoned_datetime(data["start_deadline"]),
            result_expiration_time=timedelta(seconds=data["result_expiration_time"]),
            metadata=dict(data["metadata"]),
            created_at=created_at if created_at is not None else utcnow(),
            acquired_by=data["acquired_by"],
            acquired_until=load_zoned_datetime(data["acquired_until"]),
        )


@dataclass(slots=True, kw_only=True)
class JobResult:
    """How a job ended, and what it returned or raised.

    ``exception`` is the exception object when it could be kept; ``traceback`` is its
    formatted traceback, always kept as text.
    """

    job_id: UUID
    outcome: JobOutcome
    started_at: datetime | None = None
    finished_at: datetime = field(default_factory=utcnow)
    expires_at: datetime = field(default_factory=utcnow)
    exception: BaseException | None = None
    traceback: str | None = None
    return_value: Any = None

    @classmethod
    def from_job(
        cls,
        job: Job,
        outcome: JobOutcome,
        *,
        started_at: datetime | None = None,
        finished_at: datetime | None = None,
        exception: BaseException | None = None,
        traceback: str | None = None,
        return_value: Any = None,
    ) -> JobResult:
        finished_at = finished_at or utcnow()
        expiration = job.result_expiration_time
        values = (
            job.id,
            outcome,
            started_at,
            finished_at,
            finished_at + expiration if expiration else finished_at,  # expires_at
            exception,
            traceback,
            return_value,
        )
        if cls is not JobResult:  # a subclass may have fields of its own
            return cls(**dict(zip(JobResult.__dataclass_fields__, values, strict=True)))
        return _new_job_result(*values)

    def marshal(self) -> dict[str, Any]:
        return {
            "job_id": str(self.job_id),
            "outcome": self.outcome.value,
            "started_at": dump_zoned_datetime(self.started_at),
            "finished_at": dump_zoned_datetime(self.finished_at),
            "expires_at": dump_zoned_datetime(self.expires_at),
            "exception": self.exception,
            "traceback": self.traceback,
            "return_value": self.return_value,
        }

    @classmethod
    def unmarshal(cls, data: Mapping[str, Any]) -> JobResult:
        return cls(
            job_id=UUID(data["job_id"]),
            outcome=JobOutcome(data["outcome"]),
            started_at=load_zoned_datetime(data["started_at"]),
            finished_at=load_zoned_datetime(data["finished_at"]) or utcnow(),
            expires_at=load_zoned_datetime(data["expires_at"]) or utcnow(),
            exception=data.get("exception"),
            traceback=data.get("traceback"),
            return_value=data.get("return_value"),
        )


# Made once per job: see positional_builder.
_new_job_result = positional_builder(JobResult)
