"""What one delivery attempt means for a spool entry: pure functions over the spool record."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from gateway.config import DeliverySettings
from gateway.delivery.reply import Reply
from gateway.delivery.retry import next_attempt_at
from gateway.spool.record import SpoolRecord

_DONE = ("delivered", "failed")


def pending_recipients(record: SpoolRecord) -> list[str]:
    """Recipients still to try: a retry never repeats one that succeeded or failed for good."""
    return [
        rcpt
        for rcpt in record.envelope.rcpt_tos
        if record.recipients.get(rcpt, {}).get("status") not in _DONE
    ]


@dataclass(slots=True)
class Outcome:
    action: Literal["remove", "defer", "fail"]
    record: SpoolRecord
    delivered: list[str] = field(default_factory=list)
    newly_failed: dict[str, Reply] = field(default_factory=dict)
    deferred: list[str] = field(default_factory=list)


def _expire(reply: str, max_age: float) -> Reply:
    return Reply(554, f"5.4.7 gave up after {max_age:g} s in the queue; last reply: {reply}")


def apply_replies(
    record: SpoolRecord,
    replies: dict[str, Reply],
    now: float,
    settings: DeliverySettings,
    rand: Callable[[], float] = random.random,
) -> Outcome:
    statuses = {rcpt: dict(state) for rcpt, state in record.recipients.items()}
    outcome = Outcome("remove", record)
    for rcpt, reply in replies.items():
        statuses[rcpt] = {"status": reply.status, "reply": str(reply)}
        if reply.status == "delivered":
            outcome.delivered.append(rcpt)
        elif reply.status == "failed":
            outcome.newly_failed[rcpt] = reply
        else:
            outcome.deferred.append(rcpt)
    attempts = record.delivery_attempts + 1
    not_done = [r for r in replies.values() if r.status != "delivered"]
    last_error = str(not_done[-1]) if not_done else ""
    next_at = 0.0
    if outcome.deferred:
        when = next_attempt_at(
            now,
            attempts,
            record.age_base,
            schedule=settings.retry_schedule_seconds,
            jitter=settings.retry_jitter,
            max_age=settings.max_age_seconds,
            rand=rand,
        )
        if when is None:
            for rcpt in outcome.deferred:
                expired = _expire(statuses[rcpt]["reply"], settings.max_age_seconds)
                statuses[rcpt] = {"status": "failed", "reply": str(expired)}
                outcome.newly_failed[rcpt] = expired
            outcome.deferred = []
        else:
            next_at = when
    failed_any = any(state.get("status") == "failed" for state in statuses.values())
    if outcome.deferred:
        outcome.action = "defer"
    elif failed_any:
        outcome.action = "fail"
    outcome.record = dataclasses.replace(
        record,
        recipients=statuses,
        delivery_attempts=attempts,
        next_attempt_at=next_at,
        first_deferred_at=(record.first_deferred_at or now)
        if outcome.deferred
        else record.first_deferred_at,
        last_error=last_error,
    )
    return outcome
