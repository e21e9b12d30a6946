"""The errors apsnb raises: each names what was wrong and says how to fix it.

Every error subclasses :class:`ApsnbError` and the builtin it matches. They live in
modules by subject and are all importable from here (and from :mod:`apsnb`).
"""

from __future__ import annotations

from .arguments import InvalidChoice as InvalidChoice
from .arguments import InvalidSchedulerSetting as InvalidSchedulerSetting
from .arguments import InvalidTriggerArgument as InvalidTriggerArgument
from .arguments import InvalidTriggerArgumentType as InvalidTriggerArgumentType
from .arguments import NaiveDatetimeError as NaiveDatetimeError
from .arguments import UnknownTimeZone as UnknownTimeZone
from .base import ApsnbError as ApsnbError
from .base import with_article as with_article
from .notebooks import InvalidNotebookParameters as InvalidNotebookParameters
from .notebooks import InvalidNotebookTimeout as InvalidNotebookTimeout
from .notebooks import NotANotebook as NotANotebook
from .notebooks import NotebookFailed as NotebookFailed
from .notebooks import NotebookNotFound as NotebookNotFound
from .notebooks import UnknownKernel as UnknownKernel

# Stored pickles of a NotebookFailed from when the errors were one module look here.
from .notebooks import _rebuild_notebook_failed as _rebuild_notebook_failed
from .scheduler import ConflictingIdError as ConflictingIdError
from .scheduler import JobCancelled as JobCancelled
from .scheduler import JobDeadlineMissed as JobDeadlineMissed
from .scheduler import JobLookupError as JobLookupError
from .scheduler import JobResultNotReady as JobResultNotReady
from .scheduler import ScheduleLookupError as ScheduleLookupError
from .scheduler import SchedulerIdentityInUse as SchedulerIdentityInUse
from .scheduler import SchedulerNotRunning as SchedulerNotRunning
from .scheduler import TaskLookupError as TaskLookupError
from .stores import CopyConflict as CopyConflict
from .stores import CopyIncomplete as CopyIncomplete
from .stores import DataStoreAccessDenied as DataStoreAccessDenied
from .stores import DataStoreBusy as DataStoreBusy
from .stores import DataStoreCorrupt as DataStoreCorrupt
from .stores import DataStoreError as DataStoreError
from .stores import DataStoreFileMissing as DataStoreFileMissing
from .stores import DataStoreFull as DataStoreFull
from .stores import DataStoreReadOnly as DataStoreReadOnly
from .stores import DataStoreSchemaError as DataStoreSchemaError
from .stores import DataStoreUnavailable as DataStoreUnavailable
from .stores import DeserializationError as DeserializationError
from .stores import IncompatibleDataStore as IncompatibleDataStore
from .stores import SerializationError as SerializationError
from .stores import UnknownStoreLocation as UnknownStoreLocation
from .triggers import InvalidCronField as InvalidCronField
from .triggers import InvalidCrontab as InvalidCrontab
from .triggers import InvalidFireTime as InvalidFireTime
from .triggers import InvalidTriggerForm as InvalidTriggerForm
from .triggers import MaxIterationsReached as MaxIterationsReached
from .triggers import MaxSkipsReached as MaxSkipsReached
from .triggers import TriggerNeverFires as TriggerNeverFires
from .triggers import TriggerStateError as TriggerStateError
from .trust import InvalidAllowedModule as InvalidAllowedModule
from .trust import TaskFunctionMissing as TaskFunctionMissing
from .trust import UntrustedReference as UntrustedReference
from .trust import UnusableCallable as UnusableCallable
