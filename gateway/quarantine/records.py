"""Rows of the release plane as the store returns them (storage shapes; the API has its own)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class ReleaseState(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    QUEUED = "queued"
    DELIVERED = "delivered"
    PARTIALLY_DELIVERED = "partially-delivered"
    FAILED = "failed"


# No longer counted as "the same request": a new identical request may be made.
CLOSED = frozenset({ReleaseState.REJECTED, ReleaseState.EXPIRED, ReleaseState.CANCELLED})
# A mail of the release may be in a spool now: its quarantine row must stay.
IN_FLIGHT = frozenset({ReleaseState.APPROVED, ReleaseState.QUEUED})


@dataclass(slots=True)
class ReleaseEvent:
    at: float
    actor: str
    from_state: str
    to_state: str
    comment: str


@dataclass(slots=True)
class ReleaseRecord:
    id: str
    quarantine_id: str
    what: str  # original | items
    items: list[int]
    recipients: list[str]
    state: ReleaseState
    policy: str
    requested_by: str
    requested_at: float
    comment: str
    decided_by: str | None
    decided_at: float | None
    decision_comment: str | None
    expires_at: float | None
    queue_id: str | None
    node: str
    results: dict[str, dict[str, str]]
    updated_at: float
    idempotency_key: str | None = None
    events: list[ReleaseEvent] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReleaseFilter:
    state: str = ""
    quarantine_id: str = ""
    requested_by: str = ""
    since: float | None = None
    until: float | None = None


@dataclass(slots=True)
class TokenRecord:
    id: str
    name: str
    role: str
    secret_sha256: str
    created_at: float
    created_by: str
    revoked_at: float | None


@dataclass(slots=True)
class AuditEntry:
    seq: int
    at: float
    actor: str
    role: str
    action: str
    target: str
    reason: str
    result: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class AuditFilter:
    since: float | None = None
    until: float | None = None
    actor: str = ""
    action: str = ""  # exact, or a prefix ending in "." ("release." takes every release action)
    target: str = ""
    result: str = ""
