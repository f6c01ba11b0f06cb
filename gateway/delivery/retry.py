"""Backoff schedule for deferred mail: the spool record carries the state, so it survives restarts.

tenacity is not used here: it retries inside one running coroutine, while a deferred mail must wait
in deferred/ for minutes or hours, across restarts, with its next time written in its record.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence


def retry_delay(
    attempt: int,
    schedule: Sequence[float],
    jitter: float,
    rand: Callable[[], float] = random.random,
) -> float:
    """Delay after the `attempt`-th failed delivery (1-based); the last step repeats.

    Jitter spreads a burst of deferred mail (a downstream outage) over ±jitter of the delay so the
    queue does not come back as one wave.
    """
    step = schedule[min(max(attempt, 1), len(schedule)) - 1]
    return max(0.0, step * (1.0 + jitter * (2.0 * rand() - 1.0)))


def next_attempt_at(
    now: float,
    attempt: int,
    created_at: float,
    *,
    schedule: Sequence[float],
    jitter: float,
    max_age: float,
    rand: Callable[[], float] = random.random,
) -> float | None:
    """When to try again, or None when the mail is older than max_age and must fail."""
    if now - created_at >= max_age:
        return None
    return now + retry_delay(attempt, schedule, jitter, rand)


FAILURE_DELAY_SECONDS = 60.0  # the first wait after a mail raised; doubles per failure
FAILURE_DELAY_MAX_SECONDS = 3600.0


def failure_delay(failures: int, rand: Callable[[], float] = random.random) -> float:
    """How long a mail that raised an error waits before its next try: per mail, never per
    process, so one mail that keeps failing never delays the others."""
    base = min(FAILURE_DELAY_MAX_SECONDS, FAILURE_DELAY_SECONDS * 2 ** max(0, failures))
    return float(base * (0.8 + 0.4 * rand()))
