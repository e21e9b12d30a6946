"""The LISTEN/NOTIFY event broker on a real server: events between brokers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from uuid import uuid4

import psycopg
import pytest

from apsnb import DataStoreAccessDenied
from apsnb._enums import JobOutcome
from apsnb._events import (
    Event,
    JobReleased,
    ScheduleAdded,
    ScheduleDeserializationFailed,
    TaskAdded,
)
from apsnb._structures import utcnow
from apsnb.eventbrokers.postgresql import PostgreSQLEventBroker

from .postgres_support import postgres_url, with_database

__all__ = ("postgres_url",)


class Inbox:
    """Events a broker delivered, waited for from the test's thread."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = threading.Condition()

    def __call__(self, event: Event) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Event]:
        with self._changed:
            self._changed.wait_for(lambda: len(self.events) >= count, timeout)
            return list(self.events)


@pytest.fixture
def brokers(postgres_url: str) -> Iterator[tuple[PostgreSQLEventBroker, ...]]:
    channel = f"apsnb_{uuid4().hex[:8]}"
    pair = tuple(PostgreSQLEventBroker(postgres_url, channel=channel) for _ in range(2))
    for broker in pair:
        broker.start()
    yield pair
    for broker in pair:
        broker.stop()


def test_an_event_reaches_the_other_broker_and_the_publisher_once(
    brokers: tuple[PostgreSQLEventBroker, ...],
) -> None:
    sender, receiver = brokers
    here, there = Inbox(), Inbox()
    sender.subscribe(here)
    receiver.subscribe(there)
    fire_time = utcnow()
    event = ScheduleAdded(schedule_id="s", task_id="t", next_fire_time=fire_time)
    sender.publish(event)
    assert there.wait_for(1) == [event]
    time.sleep(0.2)  # the publisher's own notification comes back, and is dropped
    assert here.events == [event]


def test_a_batch_beyond_the_notify_limit_arrives_whole_and_in_order(
    brokers: tuple[PostgreSQLEventBroker, ...],
) -> None:
    sender, receiver = brokers
    there = Inbox()
    receiver.subscribe(there)
    traceback = "Traceback (most recent call last):\n" + "  line ü\n" * 3000
    released = JobReleased(
        job_id=uuid4(),
        scheduler_id="a",
        task_id="t",
        outcome=JobOutcome.error,
        exception_type="ValueError",
        exception_message="bad",
        exception_traceback=traceback,
    )
    events = [TaskAdded(task_id=f"task-{i}") for i in range(300)] + [released]
    for event in events:
        sender.publish(event)
    assert there.wait_for(len(events)) == events


def test_events_holding_exceptions_stay_in_their_process(
    brokers: tuple[PostgreSQLEventBroker, ...],
) -> None:
    sender, receiver = brokers
    there = Inbox()
    receiver.subscribe(there)
    sender.publish(ScheduleDeserializationFailed(schedule_id="s", exception=OSError()))
    sender.publish(TaskAdded(task_id="after"))
    assert there.wait_for(1) == [
        TaskAdded(task_id="after", timestamp=there.events[0].timestamp)
    ]


def test_a_wrong_database_is_refused_at_start(postgres_url: str) -> None:
    broker = PostgreSQLEventBroker(with_database(postgres_url, "apsnb_no_such_db"))
    with pytest.raises(DataStoreAccessDenied, match="createdb"):
        broker.start()


def test_a_notification_naming_anything_else_is_ignored_and_logged(
    brokers: tuple[PostgreSQLEventBroker, ...],
    postgres_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A notification is untrusted input: only the known event classes are built."""
    _, receiver = brokers
    there = Inbox()
    receiver.subscribe(there)
    hostile = '[{"event":"Popen","args":["touch","/tmp/owned"]}]'
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        for payload in (f"x:0:0:1:{hostile}", "not even a header", "x:1:0:1:[{}]"):
            connection.execute("SELECT pg_notify(%s, %s)", (receiver.channel, payload))
        connection.execute(
            "SELECT pg_notify(%s, %s)",
            (receiver.channel, 'x:2:0:1:[{"event":"TaskAdded","task_id":"fine"}]'),
        )
    [event] = there.wait_for(1)
    assert event == TaskAdded(task_id="fine", timestamp=event.timestamp)
    logged = [r.getMessage() for r in caplog.records if "malformed" in r.getMessage()]
    # The receiver read them before the good one (the other broker may be reading).
    assert len(logged) >= 3
    assert any("unknown event 'Popen'" in message for message in logged)


def test_an_event_nobody_here_listens_to_is_not_decoded(
    brokers: tuple[PostgreSQLEventBroker, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    from apsnb.eventbrokers import postgresql

    decoded: list[str] = []

    def counting_decode(data: dict[str, object]) -> Event:
        decoded.append(str(data["event"]))
        return postgresql_decode(data)

    postgresql_decode = postgresql.decode
    monkeypatch.setattr(postgresql, "decode", counting_decode)
    sender, receiver = brokers
    there = Inbox()
    receiver.subscribe(there, {TaskAdded})
    released = JobReleased(
        job_id=uuid4(), scheduler_id="s", task_id="t", outcome=JobOutcome.success
    )
    added = TaskAdded(task_id="t")
    sender.publish(released)
    sender.publish(added)
    assert there.wait_for(1) == [added]
    # The sender's own notifications come back to it and are dropped unread; the
    # receiver decoded only the event it has a subscriber for.
    time.sleep(0.2)
    assert decoded == ["TaskAdded"]
