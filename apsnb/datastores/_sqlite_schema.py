"""The SQLite store's tables and indexes, their version, and the steps between versions.

A database records each schema version applied to it in ``apsnb_schema_version``.
Opening a database runs the steps it lacks, in order, in one ``BEGIN IMMEDIATE``
transaction (so two processes opening a new file at once do it once); a database of a
newer version than this apsnb knows is refused. A step is never edited once released:
a change is a new step, so every database goes through the same SQL.

Times that queries compare are whole microseconds since the epoch (UTC) in ``*_us``
columns; the exact zoned text (``2026-03-29T04:00:00+03:00[Europe/Helsinki]``) is
kept beside them where the zone matters. Durations are seconds (REAL). Arguments,
return values and trigger states are the store serializer's output, stored as TEXT
when it is UTF-8 (JSON, the default) and as a BLOB otherwise (pickle); metadata is JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from .._exceptions import IncompatibleDataStore

VERSION_TABLE = "apsnb_schema_version"
TASKS = "apsnb_tasks"
SCHEDULES = "apsnb_schedules"
JOBS = "apsnb_jobs"
RESULTS = "apsnb_job_results"
RUNS = "apsnb_runs"


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema: what it brings a database of ``version - 1`` to."""

    version: int
    description: str
    apply: Callable[[Database], None]


def _create_version_1(database: Database) -> None:
    for statement in _VERSION_1:
        database.execute(statement)


_VERSION_1 = (
    f"""CREATE TABLE {TASKS} (
        id TEXT PRIMARY KEY,
        func TEXT,
        job_executor TEXT NOT NULL,
        max_running_jobs INTEGER,
        misfire_grace_time REAL,
        metadata TEXT NOT NULL
    )""",
    f"""CREATE TABLE {SCHEDULES} (
        id TEXT PRIMARY KEY,
        task_id TEXT NOT NULL,
        trigger BLOB NOT NULL,
        args BLOB NOT NULL,
        kwargs BLOB NOT NULL,
        paused INTEGER NOT NULL,
        coalesce_policy TEXT NOT NULL,
        misfire_grace_time REAL,
        max_jitter REAL,
        job_executor TEXT,
        job_result_expiration_time REAL NOT NULL,
        metadata TEXT NOT NULL,
        next_fire_time TEXT,
        next_fire_time_us INTEGER,
        last_fire_time TEXT,
        acquired_by TEXT,
        acquired_until_us INTEGER,
        claimable_at_us INTEGER
    )""",
    # claimable_at_us: when the schedule can next be claimed, the later of its next
    # fire time and the end of its claim (+1 µs: a claim holds while now <= its end);
    # NULL when never (paused, finished). One column makes "what is due" and "when
    # is the next one due" a range and a minimum on one index.
    f"CREATE INDEX {SCHEDULES}_claimable ON {SCHEDULES} (claimable_at_us, id)",
    f"CREATE INDEX {SCHEDULES}_holder ON {SCHEDULES} (acquired_by)",
    f"""CREATE INDEX {SCHEDULES}_finished ON {SCHEDULES} (id)
        WHERE next_fire_time_us IS NULL""",
    # position: the order jobs were added in (an INTEGER PRIMARY KEY keeps its values
    # through VACUUM, unlike a plain rowid).
    f"""CREATE TABLE {JOBS} (
        position INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        task_id TEXT NOT NULL,
        args BLOB NOT NULL,
        kwargs BLOB NOT NULL,
        schedule_id TEXT,
        scheduled_fire_time TEXT,
        executor TEXT NOT NULL,
        jitter REAL NOT NULL,
        start_deadline TEXT,
        start_deadline_us INTEGER,
        result_expiration_time REAL NOT NULL,
        metadata TEXT NOT NULL,
        created_at TEXT NOT NULL,
        acquired_by TEXT,
        acquired_until_us INTEGER
    )""",
    # Waiting jobs of a task in order (acquired_by IS NULL), the jobs a scheduler
    # holds, and the running jobs counted per task, all from one index.
    f"CREATE INDEX {JOBS}_queue ON {JOBS} (acquired_by, task_id, position)",
    f"CREATE INDEX {JOBS}_lease_end ON {JOBS} (acquired_until_us)",
    f"""CREATE INDEX {JOBS}_deadline ON {JOBS} (start_deadline_us)
        WHERE acquired_by IS NULL""",
    f"""CREATE TABLE {RESULTS} (
        job_id TEXT PRIMARY KEY,
        outcome TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        expires_at_us INTEGER NOT NULL,
        exception BLOB,
        traceback TEXT,
        return_value BLOB
    )""",
    f"CREATE INDEX {RESULTS}_expiry ON {RESULTS} (expires_at_us)",
)

#: The columns holding the serializer's output, by table (key column first).
_SERIALIZED_COLUMNS = {
    SCHEDULES: ("id", "trigger", "args", "kwargs"),
    JOBS: ("id", "args", "kwargs"),
    RESULTS: ("job_id", "exception", "return_value"),
}


def _serialized_text_version_2(database: Database) -> None:
    # Version 1 stored JSON as BLOBs, which browsers show as hex or base64. The
    # columns are declared BLOB (no type affinity), so they hold TEXT as they are:
    # only the values change. Bytes that are not UTF-8 (pickle) stay BLOBs.
    for table, (key, *columns) in _SERIALIZED_COLUMNS.items():
        for column in columns:
            rows = database.execute(
                f"SELECT {key}, {column} FROM {table} WHERE typeof({column}) = 'blob'"
            ).fetchall()
            for row_key, data in rows:
                try:
                    text = data.decode()
                except UnicodeDecodeError:
                    continue
                database.execute(
                    f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (text, row_key)
                )


def _create_version_3(database: Database) -> None:
    for statement in _VERSION_3:
        database.execute(statement)


_VERSION_3 = (
    # position: the order records were written in, which breaks ties of
    # finished_at_us (the coalesced fire times of one pass share it).
    f"""CREATE TABLE {RUNS} (
        position INTEGER PRIMARY KEY,
        task_id TEXT NOT NULL,
        outcome TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        finished_at_us INTEGER NOT NULL,
        schedule_id TEXT,
        job_id TEXT,
        scheduled_fire_time TEXT,
        started_at TEXT,
        scheduler_id TEXT,
        reason TEXT,
        exception_type TEXT,
        exception_message TEXT,
        output_path TEXT
    )""",
    # Newest first, and pruning by age, walk the first index; one schedule's runs
    # the second, so that the latest runs of one schedule among 100,000 are a range.
    f"CREATE INDEX {RUNS}_finished ON {RUNS} (finished_at_us, position)",
    f"CREATE INDEX {RUNS}_schedule ON {RUNS} (schedule_id, finished_at_us, position)",
)

#: Every step, oldest first; the last one's version is the one this apsnb writes.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "tasks, schedules, jobs and job results", _create_version_1),
    Migration(
        2, "serialized values as TEXT when they are UTF-8", _serialized_text_version_2
    ),
    Migration(3, "run history", _create_version_3),
)


def supported_version() -> int:
    return MIGRATIONS[-1].version


def schema_version(database: Database) -> int:
    """The schema version of ``database`` (0 when apsnb has not written to it)."""
    if not database[VERSION_TABLE].exists():
        return 0
    row = database.execute(f"SELECT MAX(version) FROM {VERSION_TABLE}").fetchone()
    return row[0] or 0


def prepare_schema(database: Database, location: str) -> None:
    """Create or migrate apsnb's tables in ``database``, or refuse a newer one.

    Reads first, and writes only when a step is missing, so that an up-to-date
    database opens even where it can only be read.
    """
    if _check(schema_version(database), location) == supported_version():
        return
    connection = database.conn
    connection.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another process may have just migrated.
        version = _check(schema_version(database), location)
        if version == 0:
            database.execute(
                f"""CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (
                    version INTEGER PRIMARY KEY,
                    description TEXT NOT NULL,
                    applied_at TEXT NOT NULL
                )"""
            )
        for migration in MIGRATIONS:
            if migration.version > version:
                migration.apply(database)
                database.execute(
                    f"INSERT INTO {VERSION_TABLE} VALUES (?, ?, ?)",
                    (
                        migration.version,
                        migration.description,
                        datetime.now(UTC).isoformat(),
                    ),
                )
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


def _check(version: int, location: str) -> int:
    if version > supported_version():
        raise IncompatibleDataStore(location, version, supported_version())
    return version
