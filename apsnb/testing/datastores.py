"""A conformance suite for data stores, to run against your own store with pytest.

Subclass :class:`DataStoreConformance` in a test module and give it a ``datastore``
fixture that returns a fresh, unstarted store::

    import pytest
    from apsnb.testing.datastores import DataStoreConformance

    class TestMyStore(DataStoreConformance):
        @pytest.fixture
        def datastore(self, tmp_path):
            return MyStore(tmp_path / "jobs.db")

Needs pytest and anyio's pytest plugin (installed with anyio).
"""

from __future__ import annotations

from typing import Any

import pytest

# The checks live in these modules; registering them first lets pytest explain a
# failed assert there (which values differed) as it does in your own tests.
pytest.register_assert_rewrite(
    "apsnb.testing._store_schedule_checks",
    "apsnb.testing._store_job_checks",
    "apsnb.testing._store_run_checks",
    "apsnb.testing._store_update_checks",
    "apsnb.testing._store_fire_checks",
)

from ._store_fire_checks import FireChecks, ReturnChecks  # noqa: E402
from ._store_job_checks import JobChecks  # noqa: E402
from ._store_run_checks import RunChecks  # noqa: E402
from ._store_schedule_checks import TaskAndScheduleChecks  # noqa: E402
from ._store_update_checks import ScheduleUpdateChecks  # noqa: E402

__all__ = ("DataStoreConformance",)


@pytest.mark.anyio
class DataStoreConformance(
    TaskAndScheduleChecks,
    ScheduleUpdateChecks,
    JobChecks,
    FireChecks,
    ReturnChecks,
    RunChecks,
):
    """The tests every data store passes, synchronous or asynchronous.

    Subclass it (the name must start with ``Test`` for pytest to collect it) and
    define a ``datastore`` fixture that returns a new, unstarted ``DataStore`` or
    ``AsyncDataStore``, with nothing in it and its default history retention. Each test wraps the store with the same
    adapter the scheduler uses (a synchronous store runs in a worker thread), starts
    it with an ``AsyncLocalEventBroker``, checks what it returns and the events it
    publishes, and stops it.

    The tests run on asyncio (override the ``anyio_backend`` fixture to change that)
    and take a few seconds in all; a handful sleep for some milliseconds to let a
    short lease end.
    """

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"

    @pytest.fixture
    def datastore(self) -> Any:
        raise NotImplementedError(
            "define a 'datastore' fixture in your subclass of DataStoreConformance "
            "that returns a new, unstarted store"
        )
