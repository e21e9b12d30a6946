"""Local event brokers: who hears which event, where callbacks run, and the adapters."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable
from typing import Any
from uuid import uuid4

import anyio
import anyio.to_thread
import pytest

from apsnb._events import (
    DataStoreEvent,
    Event,
    JobAdded,
    SchedulerStarted,
    SchedulerStopped,
    TaskAdded,
)
from apsnb.abc import AsyncEventBroker, EventBroker, Subscription
from apsnb.eventbrokers._adapters import as_async_broker, as_sync_broker
from apsnb.eventbrokers.local import AsyncLocalEventBroker, LocalEventBroker


def task_added(number: int = 0) -> TaskAdded:
    return TaskAdded(task_id=f"task-{number}")


def job_added() -> JobAdded:
    return JobAdded(job_id=uuid4(), task_id="task", schedule_id=None)


def run_in_thread_and_join(target: object) -> None:
    """Run ``target`` in a new thread while blocking this one (and its event loop)."""
    thread = threading.Thread(target=target)  # type: ignore[arg-type]
    thread.start()
    thread.join()


async def wait_for(condition: object, timeout: float = 5) -> None:
    with anyio.fail_after(timeout):
        while not condition():  # type: ignore[operator]
            await anyio.sleep(0.001)


# The synchronous broker, used from threads without an event loop.


def test_subscribing_to_a_base_class_receives_its_subclasses() -> None:
    broker = LocalEventBroker()
    store_events: list[Event] = []
    job_events: list[Event] = []
    broker.subscribe(store_events.append, [DataStoreEvent])
    broker.subscribe(job_events.append, [JobAdded])
    published = [task_added(), SchedulerStarted(), job_added()]
    for event in published:
        broker.publish(event)
    assert store_events == [published[0], published[2]]
    assert job_events == [published[2]]


def test_without_event_types_every_event_is_received() -> None:
    broker = LocalEventBroker()
    received: list[Event] = []
    broker.subscribe(received.append)
    published = [task_added(), SchedulerStarted()]
    for event in published:
        broker.publish_local(event)
    assert received == published


def test_a_single_event_class_is_accepted_as_event_types() -> None:
    broker = LocalEventBroker()
    received: list[Event] = []
    broker.subscribe(received.append, TaskAdded)  # type: ignore[arg-type]
    broker.publish(SchedulerStarted())
    broker.publish(event := task_added())
    assert received == [event]


@pytest.mark.parametrize(
    ("event_types", "error"),
    [([str], TypeError), ([TaskAdded, "JobAdded"], TypeError), ([], ValueError)],
    ids=["not-an-event", "a-name", "empty"],
)
def test_event_types_must_be_event_classes(
    event_types: Iterable[type[Event]], error: type[Exception]
) -> None:
    with pytest.raises(error, match="event_types"):
        LocalEventBroker().subscribe(print, event_types)


def test_callbacks_run_in_the_publishing_thread_when_subscribed_without_a_loop() -> (
    None
):
    broker = LocalEventBroker()
    threads: list[int] = []
    broker.subscribe(lambda event: threads.append(threading.get_ident()))
    publisher = threading.Thread(target=broker.publish, args=(task_added(),))
    publisher.start()
    publisher.join()
    assert threads == [publisher.ident]


def test_one_shot_subscription_is_delivered_exactly_once_to_concurrent_publishers() -> (
    None
):
    broker = LocalEventBroker()
    received: list[Event] = []
    lock = threading.Lock()

    def record(event: Event) -> None:
        with lock:
            received.append(event)

    broker.subscribe(record, one_shot=True)
    start_together = threading.Barrier(8)

    def publish_many() -> None:
        start_together.wait()
        for number in range(50):
            broker.publish(task_added(number))

    publishers = [threading.Thread(target=publish_many) for _ in range(8)]
    for publisher in publishers:
        publisher.start()
    for publisher in publishers:
        publisher.join()
    assert len(received) == 1


def test_events_reach_each_subscriber_in_publishing_order() -> None:
    broker = LocalEventBroker()
    received: list[str] = []
    broker.subscribe(lambda event: received.append(event.task_id))
    for number in range(100):
        broker.publish(task_added(number))
    assert received == [f"task-{number}" for number in range(100)]


def test_a_batch_reaches_each_subscriber_in_order_and_only_of_its_types() -> None:
    broker = LocalEventBroker()
    everything: list[Event] = []
    tasks_only: list[Event] = []
    broker.subscribe(everything.append)
    broker.subscribe(tasks_only.append, {TaskAdded})
    batch = [task_added(1), job_added(), task_added(2), job_added()]
    broker.publish_all(batch)
    assert everything == batch
    assert tasks_only == [batch[0], batch[2]]


def test_a_one_shot_subscription_gets_only_the_first_event_of_a_batch() -> None:
    broker = LocalEventBroker()
    first: list[Event] = []
    broker.subscribe(first.append, one_shot=True)
    batch = [task_added(1), task_added(2), task_added(3)]
    broker.publish_all(batch)
    broker.publish_all(batch)
    assert first == [batch[0]]


def test_a_stopped_broker_drops_a_batch() -> None:
    broker = LocalEventBroker()
    received: list[Event] = []
    broker.subscribe(received.append)
    broker.stop()
    broker.publish_all([task_added(1), task_added(2)])
    assert received == []


def test_a_broker_without_a_batch_call_of_its_own_publishes_one_by_one() -> None:
    published: list[Event] = []

    class Recording(LocalEventBroker):
        def publish(self, event: Event) -> None:
            published.append(event)

    batch = [task_added(1), task_added(2)]
    EventBroker.publish_all(Recording(), batch)
    assert published == batch


def test_callback_exceptions_are_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = LocalEventBroker()
    received: list[Event] = []

    def fail(event: Event) -> None:
        raise ZeroDivisionError("callback bug")

    broker.subscribe(fail)
    broker.subscribe(received.append)
    with caplog.at_level(logging.ERROR, logger="apsnb.eventbrokers"):
        broker.publish(event := task_added())
    assert received == [event]
    [record] = caplog.records
    assert record.name == "apsnb.eventbrokers"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ZeroDivisionError)


def test_unsubscribe_is_idempotent_and_a_subscription_is_a_context_manager() -> None:
    broker = LocalEventBroker()
    received: list[Event] = []
    subscription = broker.subscribe(received.append)
    assert isinstance(subscription, Subscription)
    subscription.unsubscribe()
    subscription.unsubscribe()
    with broker.subscribe(received.append):
        broker.publish(inside := task_added(1))
    broker.publish(task_added(2))
    assert received == [inside]


def test_a_stopped_broker_drops_events_until_started_again() -> None:
    broker = LocalEventBroker()
    received: list[Event] = []
    broker.subscribe(received.append)
    broker.stop()
    broker.publish(task_added(1))
    broker.start()
    broker.publish(after := task_added(2))
    assert received == [after]


def test_a_coroutine_callback_needs_a_loop_to_subscribe() -> None:
    async def callback(event: Event) -> None:
        pass

    with pytest.raises(TypeError, match="coroutine function"):
        LocalEventBroker().subscribe(callback)


def test_an_awaitable_returned_without_a_loop_is_reported_not_leaked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handle(event: Event) -> None:
        pass

    broker = LocalEventBroker()
    broker.subscribe(lambda event: handle(event))  # a sync wrapper of a coroutine
    with caplog.at_level(logging.ERROR, logger="apsnb.eventbrokers"):
        broker.publish(task_added())  # no "never awaited" warning (an error here)
    [record] = caplog.records
    assert "not awaited" in record.getMessage()


def test_a_subscription_whose_loop_closed_is_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = LocalEventBroker()
    received: list[Event] = []

    async def subscribe_on_a_loop() -> None:
        broker.subscribe(received.append)

    asyncio.run(subscribe_on_a_loop())
    with caplog.at_level(logging.DEBUG, logger="apsnb.eventbrokers"):
        broker.publish(task_added(1))
        broker.publish(task_added(2))
    assert received == []
    assert [r.getMessage() for r in caplog.records if "closed" in r.getMessage()]
    assert len(caplog.records) == 1  # dropped at the first event


# Subscribers on an event loop (as in a notebook).


@pytest.mark.anyio
async def test_events_published_from_a_worker_thread_run_on_the_subscribers_loop() -> (
    None
):
    broker = LocalEventBroker()
    loop_thread = threading.get_ident()
    threads: list[int] = []
    broker.subscribe(lambda event: threads.append(threading.get_ident()))
    publisher_threads = []

    def publish() -> None:
        publisher_threads.append(threading.get_ident())
        broker.publish(task_added())

    await anyio.to_thread.run_sync(publish)
    await wait_for(lambda: threads)
    assert threads == [loop_thread]
    assert publisher_threads != [loop_thread]


@pytest.mark.anyio
async def test_order_is_kept_across_the_hop_to_the_subscribers_loop() -> None:
    broker = AsyncLocalEventBroker()
    received: list[str] = []
    broker.subscribe(lambda event: received.append(event.task_id))
    thread_view = as_sync_broker(broker)

    def publish_many() -> None:
        for number in range(100):
            thread_view.publish(task_added(number))

    await anyio.to_thread.run_sync(publish_many)
    await wait_for(lambda: len(received) == 100)
    assert received == [f"task-{number}" for number in range(100)]


@pytest.mark.anyio
async def test_a_burst_from_another_thread_wakes_the_loop_once_not_per_event() -> None:
    # A store in a worker thread publishes a batch's events together: one wake-up
    # of the subscribers' loop (a system call, and the GIL handed over) carries
    # them all, in order.
    broker = AsyncLocalEventBroker()
    received: list[str] = []
    broker.subscribe(lambda event: received.append(event.task_id))
    thread_view = as_sync_broker(broker)
    loop = asyncio.get_running_loop()
    wakeups = 0
    original = loop.call_soon_threadsafe

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal wakeups
        wakeups += 1
        return original(*args, **kwargs)

    loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
    try:

        def publish_burst() -> None:
            for number in range(50):
                thread_view.publish(task_added(number))

        await anyio.to_thread.run_sync(publish_burst)
        await wait_for(lambda: len(received) == 50)
    finally:
        del loop.call_soon_threadsafe
    assert received == [f"task-{number}" for number in range(50)]
    # The burst, and anyio handing the thread's result back: not one per event.
    assert wakeups <= 10, wakeups


@pytest.mark.anyio
async def test_coroutine_callbacks_are_awaited_on_the_loop() -> None:
    broker = AsyncLocalEventBroker()
    received: list[Event] = []

    async def record(event: Event) -> None:
        await anyio.sleep(0)
        received.append(event)

    broker.subscribe(record)
    await broker.publish(here := task_added(1))
    await anyio.to_thread.run_sync(as_sync_broker(broker).publish, there := job_added())
    await wait_for(lambda: len(received) == 2)
    assert received == [here, there]


@pytest.mark.anyio
async def test_coroutine_callback_exceptions_are_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = AsyncLocalEventBroker()

    async def fail(event: Event) -> None:
        raise ZeroDivisionError("callback bug")

    broker.subscribe(fail)
    with caplog.at_level(logging.ERROR, logger="apsnb.eventbrokers"):
        await broker.publish(task_added())
        await wait_for(lambda: caplog.records)
    [record] = caplog.records
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ZeroDivisionError)


@pytest.mark.anyio
async def test_stopping_delivers_what_was_published_before() -> None:
    broker = AsyncLocalEventBroker()
    received: list[Event] = []
    broker.subscribe(received.append)
    thread_view = as_sync_broker(broker)
    stopped = SchedulerStopped()

    def publish_then_stop() -> None:
        thread_view.publish(stopped)
        thread_view.stop()
        thread_view.publish(task_added())

    # The loop is blocked until the thread is done, so both calls precede delivery.
    run_in_thread_and_join(publish_then_stop)
    await wait_for(lambda: received)
    await anyio.sleep(0.01)
    assert received == [stopped]


@pytest.mark.anyio
async def test_a_forced_stop_drops_events_not_yet_delivered() -> None:
    broker = AsyncLocalEventBroker()
    received: list[Event] = []
    broker.subscribe(received.append)
    thread_view = as_sync_broker(broker)

    def publish_then_force_stop() -> None:
        thread_view.publish(task_added())
        thread_view.stop(force=True)

    run_in_thread_and_join(publish_then_force_stop)
    await anyio.sleep(0.02)
    assert received == []


@pytest.mark.anyio
async def test_one_shot_coroutine_callback_runs_once() -> None:
    broker = AsyncLocalEventBroker()
    received: list[Event] = []

    async def record(event: Event) -> None:
        received.append(event)

    broker.subscribe(record, [TaskAdded], one_shot=True)
    await broker.publish(SchedulerStarted())
    await broker.publish(first := task_added(1))
    await broker.publish(task_added(2))
    await wait_for(lambda: received)
    await anyio.sleep(0.01)
    assert received == [first]


# The adapters.


class ForwardingBroker(LocalEventBroker):
    """A broker with behaviour of its own, which a view must not bypass."""

    __slots__ = ("publishing_threads",)

    def __init__(self) -> None:
        super().__init__()
        self.publishing_threads: list[int] = []

    def publish(self, event: Event) -> None:
        self.publishing_threads.append(threading.get_ident())
        super().publish(event)


class RecordingAsyncBroker(AsyncLocalEventBroker):
    """An async broker that is not an AsyncLocalEventBroker itself."""

    __slots__ = ("publishing_threads",)

    def __init__(self) -> None:
        super().__init__()
        self.publishing_threads: list[int] = []

    async def publish(self, event: Event) -> None:
        self.publishing_threads.append(threading.get_ident())
        await super().publish(event)


@pytest.mark.anyio
async def test_the_async_view_of_a_local_broker_shares_its_delivery() -> None:
    broker = LocalEventBroker()
    view = as_async_broker(broker)
    assert isinstance(view, AsyncLocalEventBroker)
    received: list[Event] = []
    view.subscribe(received.append)
    broker.publish(first := task_added(1))
    await view.publish(second := task_added(2))
    await view.stop()
    broker.publish(task_added(3))
    assert received == [first, second]


@pytest.mark.anyio
async def test_the_sync_view_of_an_async_local_broker_shares_its_delivery() -> None:
    broker = AsyncLocalEventBroker()
    view = as_sync_broker(broker)
    assert isinstance(view, LocalEventBroker)
    received: list[Event] = []
    broker.subscribe(received.append)
    await anyio.to_thread.run_sync(view.publish, event := task_added())
    await wait_for(lambda: received)
    assert received == [event]


def test_adapters_return_a_broker_of_the_right_kind_as_it_is() -> None:
    sync_broker, async_broker = LocalEventBroker(), AsyncLocalEventBroker()
    assert as_async_broker(async_broker) is async_broker
    assert as_sync_broker(sync_broker) is sync_broker
    with pytest.raises(TypeError, match="not an event broker"):
        as_async_broker(object())  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_other_sync_brokers_are_called_in_a_worker_thread() -> None:
    broker = ForwardingBroker()
    view = as_async_broker(broker)
    assert isinstance(view, AsyncEventBroker)
    received: list[Event] = []
    view.subscribe(received.append)
    await view.start()
    await view.publish(event := task_added())
    await wait_for(lambda: received)
    assert received == [event]
    assert broker.publishing_threads != [threading.get_ident()]
    await view.stop()


class LocalPublishingBroker(LocalEventBroker):
    """A broker that notes the thread of each local publish (as ForwardingBroker)."""

    __slots__ = ("blocking", "local_threads")

    def __init__(self, *, blocking: bool) -> None:
        super().__init__()
        self.blocking = blocking  # whether views call it in a worker thread
        self.local_threads: list[int] = []

    def publish_local(self, event: Event) -> None:
        self.local_threads.append(threading.get_ident())
        super().publish_local(event)


@pytest.mark.anyio
@pytest.mark.parametrize("blocking", [True, False])
async def test_a_batch_published_locally_through_a_view_arrives_in_order(
    blocking: bool,
) -> None:
    broker = LocalPublishingBroker(blocking=blocking)
    view = as_async_broker(broker)
    received: list[Event] = []
    view.subscribe(received.append)
    batch = [task_added(number) for number in range(5)]
    await view.publish_local_all(batch)
    await wait_for(lambda: len(received) == 5)
    assert received == batch
    if blocking:  # one hop to a worker thread for the whole batch
        assert len(set(broker.local_threads)) == 1
        assert broker.local_threads[0] != threading.get_ident()
    else:
        assert broker.local_threads == [threading.get_ident()] * 5


@pytest.mark.anyio
async def test_an_async_local_broker_publishes_a_batch_locally_in_order() -> None:
    broker = AsyncLocalEventBroker()
    tasks_only: list[Event] = []
    broker.subscribe(tasks_only.append, {TaskAdded})
    batch = [task_added(1), job_added(), task_added(2)]
    await broker.publish_local_all(batch)
    assert tasks_only == [batch[0], batch[2]]
    # A broker of its own: the default publishes the events one by one.
    await AsyncEventBroker.publish_local_all(broker, [last := task_added(3)])
    assert tasks_only[-1] is last


@pytest.mark.anyio
async def test_other_async_brokers_are_called_on_their_loop_from_worker_threads() -> (
    None
):
    broker = RecordingAsyncBroker()
    view = as_sync_broker(broker)
    assert isinstance(view, EventBroker)
    received: list[Event] = []

    def subscribe_and_publish() -> None:
        view.subscribe(received.append)
        view.publish(task_added())

    await anyio.to_thread.run_sync(subscribe_and_publish)
    await wait_for(lambda: received)
    assert broker.publishing_threads == [threading.get_ident()]
    await anyio.to_thread.run_sync(view.stop)


def test_wants_says_whether_an_event_would_reach_a_subscriber() -> None:
    from apsnb._events import JobAcquired, JobRemoved, SchedulerEvent

    broker = LocalEventBroker()
    assert not broker.wants(JobAcquired)
    subscription = broker.subscribe(lambda event: None, {SchedulerEvent})
    assert broker.wants(JobAcquired)  # a base class takes its subclasses
    assert not broker.wants(JobRemoved)
    subscription.unsubscribe()
    assert not broker.wants(JobAcquired)
    with broker.subscribe(lambda event: None):  # every event
        assert broker.wants(JobRemoved)
    # The async twin sharing the subscribers, and a view from threads, say the same.
    async_view = as_async_broker(broker)
    with broker.subscribe(lambda event: None, {JobRemoved}):
        assert async_view.wants(JobRemoved)
        assert as_sync_broker(async_view).wants(JobRemoved)
        assert not async_view.wants(JobAcquired)


class _ForwardingBroker(LocalEventBroker):
    """A broker that, like one connecting processes, cannot know who listens."""

    def wants(self, event_type: type) -> bool:
        return EventBroker.wants(self, event_type)


def test_a_broker_that_cannot_tell_wants_every_event() -> None:
    from apsnb._events import JobAcquired

    assert _ForwardingBroker().wants(JobAcquired)
    assert as_async_broker(_ForwardingBroker()).wants(JobAcquired)
