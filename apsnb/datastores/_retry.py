"""One retry rule for every persistent store, configured per store.

Each store says which of its failures are temporary (by error type or code, never by
message text) and how to log a retry; the shape of the retries (random, exponentially
growing waits, a cap on attempts and on total time) is the same for all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetrySettings:
    """How a store retries a temporary failure (a locked file, a lost connection).

    After a failure the store waits a random, exponentially growing delay (from
    ``initial_delay`` up to ``max_delay`` seconds) and tries again, up to
    ``attempts`` times and ``total_time`` seconds in all; then it raises the store's
    named error, and the scheduler tries again later. Each retry is logged at
    WARNING on the store's logger.
    """

    attempts: int = 5
    total_time: float = 30.0
    initial_delay: float = 0.05
    max_delay: float = 1.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts={self.attempts!r}: make at least 1 attempt")
        for name in ("total_time", "initial_delay", "max_delay"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}={getattr(self, name)!r} must not be negative")


def retrying(
    settings: RetrySettings,
    *,
    is_temporary: Callable[[BaseException], bool],
    before_sleep: Callable[[RetryCallState], None],
) -> Retrying:
    """A tenacity ``Retrying`` that retries what ``is_temporary`` says, as
    ``settings`` say, and re-raises the last failure when they run out."""
    return Retrying(
        retry=retry_if_exception(is_temporary),
        stop=stop_after_attempt(settings.attempts)
        | stop_after_delay(settings.total_time),
        wait=wait_random_exponential(
            multiplier=settings.initial_delay, max=settings.max_delay
        ),
        before_sleep=before_sleep,
        reraise=True,
    )
