"""apsnb: job scheduling for Jupyter notebooks.

The schedulers, their data model, events and errors are available here; plug-ins are
imported by full path (``from apsnb.triggers.cron import CronTrigger``,
``from apsnb.datastores.sqlite import SQLiteDataStore``).

``import apsnb`` stays light: the errors are imported at once, everything else (the
scheduler, with anyio and asyncio) on first use, so ``import apsnb.triggers.cron``
costs only the triggers. pandas, matplotlib and ipywidgets are imported only by
``apsnb.lab`` and ``apsnb.widgets``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._exceptions import ApsnbError as ApsnbError
from ._exceptions import ConflictingIdError as ConflictingIdError
from ._exceptions import CopyConflict as CopyConflict
from ._exceptions import CopyIncomplete as CopyIncomplete
from ._exceptions import DataStoreAccessDenied as DataStoreAccessDenied
from ._exceptions import DataStoreBusy as DataStoreBusy
from ._exceptions import DataStoreCorrupt as DataStoreCorrupt
from ._exceptions import DataStoreError as DataStoreError
from ._exceptions import DataStoreFileMissing as DataStoreFileMissing
from ._exceptions import DataStoreFull as DataStoreFull
from ._exceptions import DataStoreReadOnly as DataStoreReadOnly
from ._exceptions import DataStoreSchemaError as DataStoreSchemaError
from ._exceptions import DataStoreUnavailable as DataStoreUnavailable
from ._exceptions import DeserializationError as DeserializationError
from ._exceptions import IncompatibleDataStore as IncompatibleDataStore
from ._exceptions import InvalidAllowedModule as InvalidAllowedModule
from ._exceptions import InvalidChoice as InvalidChoice
from ._exceptions import InvalidCronField as InvalidCronField
from ._exceptions import InvalidCrontab as InvalidCrontab
from ._exceptions import InvalidFireTime as InvalidFireTime
from ._exceptions import InvalidNotebookParameters as InvalidNotebookParameters
from ._exceptions import InvalidNotebookTimeout as InvalidNotebookTimeout
from ._exceptions import InvalidSchedulerSetting as InvalidSchedulerSetting
from ._exceptions import InvalidTriggerArgument as InvalidTriggerArgument
from ._exceptions import InvalidTriggerArgumentType as InvalidTriggerArgumentType
from ._exceptions import InvalidTriggerForm as InvalidTriggerForm
from ._exceptions import JobCancelled as JobCancelled
from ._exceptions import JobDeadlineMissed as JobDeadlineMissed
from ._exceptions import JobLookupError as JobLookupError
from ._exceptions import JobResultNotReady as JobResultNotReady
from ._exceptions import MaxIterationsReached as MaxIterationsReached
from ._exceptions import MaxSkipsReached as MaxSkipsReached
from ._exceptions import NaiveDatetimeError as NaiveDatetimeError
from ._exceptions import NotANotebook as NotANotebook
from ._exceptions import NotebookFailed as NotebookFailed
from ._exceptions import NotebookNotFound as NotebookNotFound
from ._exceptions import ScheduleLookupError as ScheduleLookupError
from ._exceptions import SchedulerIdentityInUse as SchedulerIdentityInUse
from ._exceptions import SchedulerNotRunning as SchedulerNotRunning
from ._exceptions import SerializationError as SerializationError
from ._exceptions import TaskFunctionMissing as TaskFunctionMissing
from ._exceptions import TaskLookupError as TaskLookupError
from ._exceptions import TriggerNeverFires as TriggerNeverFires
from ._exceptions import TriggerStateError as TriggerStateError
from ._exceptions import UnknownKernel as UnknownKernel
from ._exceptions import UnknownStoreLocation as UnknownStoreLocation
from ._exceptions import UnknownTimeZone as UnknownTimeZone
from ._exceptions import UntrustedReference as UntrustedReference
from ._exceptions import UnusableCallable as UnusableCallable

if TYPE_CHECKING:
    from ._enums import CoalescePolicy as CoalescePolicy
    from ._enums import ConflictPolicy as ConflictPolicy
    from ._enums import JobOutcome as JobOutcome
    from ._enums import RunState as RunState
    from ._enums import SchedulerRole as SchedulerRole
    from ._events import DataStoreEvent as DataStoreEvent
    from ._events import Event as Event
    from ._events import JobAcquired as JobAcquired
    from ._events import JobAdded as JobAdded
    from ._events import JobDeserializationFailed as JobDeserializationFailed
    from ._events import JobReleased as JobReleased
    from ._events import JobRemoved as JobRemoved
    from ._events import ScheduleAdded as ScheduleAdded
    from ._events import ScheduleDeserializationFailed as ScheduleDeserializationFailed
    from ._events import ScheduleRemoved as ScheduleRemoved
    from ._events import SchedulerEvent as SchedulerEvent
    from ._events import SchedulerStarted as SchedulerStarted
    from ._events import SchedulerStopped as SchedulerStopped
    from ._events import ScheduleUpdated as ScheduleUpdated
    from ._events import TaskAdded as TaskAdded
    from ._events import TaskRemoved as TaskRemoved
    from ._events import TaskUpdated as TaskUpdated
    from ._runs import RunRecord as RunRecord
    from ._schedulers.async_ import AsyncScheduler as AsyncScheduler
    from ._schedulers.async_ import current_job as current_job
    from ._schedulers.sync import Scheduler as Scheduler
    from ._structures import Job as Job
    from ._structures import JobResult as JobResult
    from ._structures import Schedule as Schedule
    from ._structures import ScheduleResult as ScheduleResult
    from ._structures import Task as Task
    from ._structures import TaskDefaults as TaskDefaults

__version__ = "0.1.0"

#: Where each name that is imported on first use lives.
_LAZY = {
    "CoalescePolicy": "_enums",
    "ConflictPolicy": "_enums",
    "JobOutcome": "_enums",
    "RunState": "_enums",
    "SchedulerRole": "_enums",
    "DataStoreEvent": "_events",
    "Event": "_events",
    "JobAcquired": "_events",
    "JobAdded": "_events",
    "JobDeserializationFailed": "_events",
    "JobReleased": "_events",
    "JobRemoved": "_events",
    "ScheduleAdded": "_events",
    "ScheduleDeserializationFailed": "_events",
    "ScheduleRemoved": "_events",
    "SchedulerEvent": "_events",
    "SchedulerStarted": "_events",
    "SchedulerStopped": "_events",
    "ScheduleUpdated": "_events",
    "TaskAdded": "_events",
    "TaskRemoved": "_events",
    "TaskUpdated": "_events",
    "RunRecord": "_runs",
    "AsyncScheduler": "_schedulers.async_",
    "current_job": "_schedulers.async_",
    "Scheduler": "_schedulers.sync",
    "Job": "_structures",
    "JobResult": "_structures",
    "Schedule": "_structures",
    "ScheduleResult": "_structures",
    "Task": "_structures",
    "TaskDefaults": "_structures",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'apsnb' has no attribute {name!r}")
    value = getattr(import_module(f"apsnb.{module}"), name)
    globals()[name] = value  # the next lookup does not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = (
    "ApsnbError",
    "AsyncScheduler",
    "CoalescePolicy",
    "ConflictPolicy",
    "ConflictingIdError",
    "CopyConflict",
    "CopyIncomplete",
    "DataStoreAccessDenied",
    "DataStoreBusy",
    "DataStoreCorrupt",
    "DataStoreError",
    "DataStoreEvent",
    "DataStoreFileMissing",
    "DataStoreFull",
    "DataStoreReadOnly",
    "DataStoreSchemaError",
    "DataStoreUnavailable",
    "DeserializationError",
    "Event",
    "IncompatibleDataStore",
    "InvalidAllowedModule",
    "InvalidChoice",
    "InvalidCronField",
    "InvalidCrontab",
    "InvalidFireTime",
    "InvalidNotebookParameters",
    "InvalidNotebookTimeout",
    "InvalidSchedulerSetting",
    "InvalidTriggerArgument",
    "InvalidTriggerArgumentType",
    "InvalidTriggerForm",
    "Job",
    "JobAcquired",
    "JobAdded",
    "JobCancelled",
    "JobDeadlineMissed",
    "JobDeserializationFailed",
    "JobLookupError",
    "JobOutcome",
    "JobReleased",
    "JobRemoved",
    "JobResult",
    "JobResultNotReady",
    "MaxIterationsReached",
    "MaxSkipsReached",
    "NaiveDatetimeError",
    "NotANotebook",
    "NotebookFailed",
    "NotebookNotFound",
    "RunRecord",
    "RunState",
    "Schedule",
    "ScheduleAdded",
    "ScheduleDeserializationFailed",
    "ScheduleLookupError",
    "ScheduleRemoved",
    "ScheduleResult",
    "ScheduleUpdated",
    "Scheduler",
    "SchedulerEvent",
    "SchedulerIdentityInUse",
    "SchedulerNotRunning",
    "SchedulerRole",
    "SchedulerStarted",
    "SchedulerStopped",
    "SerializationError",
    "Task",
    "TaskAdded",
    "TaskDefaults",
    "TaskFunctionMissing",
    "TaskLookupError",
    "TaskRemoved",
    "TaskUpdated",
    "TriggerNeverFires",
    "TriggerStateError",
    "UnknownKernel",
    "UnknownStoreLocation",
    "UnknownTimeZone",
    "UntrustedReference",
    "UnusableCallable",
    "current_job",
)
