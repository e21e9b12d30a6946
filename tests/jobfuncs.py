"""Job functions importable by reference, for the executor tests' worker processes."""

from __future__ import annotations

import os
import threading
from collections.abc import Coroutine
from typing import Any


def scaled_sum(a: int, b: int, *, scale: int = 1) -> int:
    return (a + b) * scale


async def async_scaled_sum(a: int, b: int, *, scale: int = 1) -> int:
    return (a + b) * scale


def sum_and_process_id(a: int, b: int, *, scale: int = 1) -> tuple[int, int]:
    return (a + b) * scale, os.getpid()


async def async_process_id() -> int:
    return os.getpid()


def thread_id() -> int:
    return threading.get_ident()


async def async_thread_id() -> int:
    return threading.get_ident()


def coroutine_for_thread_id() -> Coroutine[Any, Any, int]:
    """A synchronous wrapper that returns a coroutine for the executor to await."""
    return async_thread_id()


def fail(message: str) -> None:
    raise ZeroDivisionError(message)


def raise_stopiteration() -> None:
    raise StopIteration("from the job")


async def async_fail(message: str) -> None:
    raise ZeroDivisionError(message)


class Greeter:
    def __init__(self, greeting: str) -> None:
        self.greeting = greeting

    def greet(self, name: str) -> str:
        return f"{self.greeting}, {name}"

    @classmethod
    def default(cls) -> Greeter:
        return cls("hello")


#: (fire time, start deadline) of each record_deadline job run in this process.
DEADLINES: list[tuple[Any, Any]] = []


def record_deadline() -> None:
    from apsnb import current_job

    job = current_job.get()
    DEADLINES.append((job.scheduled_fire_time, job.start_deadline))
