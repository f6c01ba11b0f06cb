"""Queue entries, audit entries, tokens and the status, as the API shows them."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.api.schemas.common import moment, when
from gateway.quarantine import AuditEntry, TokenRecord
from gateway.spool import SpoolEntry


class QueueEntry(BaseModel):
    queue_id: str
    queue: str
    created_at: datetime.datetime | None
    sender: str
    recipients: dict[str, dict[str, str]] = Field(description="per recipient: status and reply")
    size: int
    delivery_attempts: int
    next_attempt_at: datetime.datetime | None
    last_error: str
    release_id: str
    quarantine_id: str
    damaged: str = Field(description="why the file could not be read, for a damaged entry")

    @classmethod
    def of(cls, e: SpoolEntry) -> QueueEntry:
        r = e.record
        return cls(queue_id=e.queue_id, queue=str(e.queue), created_at=when(r.created_at or None),
                   sender=r.envelope.mail_from, recipients=r.recipients, size=r.size,
                   delivery_attempts=r.delivery_attempts,
                   next_attempt_at=when(r.next_attempt_at or None), last_error=r.last_error,
                   release_id=r.release_id, quarantine_id=r.quarantine_id, damaged=e.damaged)


class AuditEntryOut(BaseModel):
    seq: int
    at: datetime.datetime
    actor: str
    role: str
    action: str
    target: str
    reason: str
    result: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "seq": 42, "at": "2026-12-01T00:31:00Z", "actor": "token:77aa01bc22cd:approver-sato",
        "role": "approver", "action": "release.approve", "target": "R0195F3A2C0000012300",
        "reason": "確認済み", "result": "ok", "detail": {"quarantine_id": "0195F3A2B4C5D6E7F8"},
        "prev_hash": "5e88…", "hash": "a3f1…",
    }]})

    @classmethod
    def of(cls, e: AuditEntry) -> AuditEntryOut:
        return cls(seq=e.seq, at=moment(e.at), actor=e.actor, role=e.role,
                   action=e.action, target=e.target, reason=e.reason, result=e.result,
                   detail=e.detail, prev_hash=e.prev_hash, hash=e.hash)


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_after: int = Field(description="pass as `after` for the next page; 0 on the last")


class AuditVerification(BaseModel):
    ok: bool
    checked: int
    head_seq: int
    head_hash: str = Field(description="note it somewhere else: a chain rewritten whole from "
                                       "the start would end elsewhere")
    bad_seq: int | None
    problem: str


class Token(BaseModel):
    id: str
    name: str
    role: str
    created_at: datetime.datetime
    created_by: str
    revoked_at: datetime.datetime | None

    @classmethod
    def of(cls, t: TokenRecord) -> Token:
        return cls(id=t.id, name=t.name, role=t.role, created_at=moment(t.created_at),
                   created_by=t.created_by, revoked_at=when(t.revoked_at))


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: Literal["viewer", "operator", "approver", "admin"]

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "approver-sato", "role": "approver"}]})


class NewToken(Token):
    token: str = Field(description="the secret: shown this once, stored only as a hash")


class QueueState(BaseModel):
    messages: int
    bytes: int
    oldest_age_seconds: float


class DeliveryError(BaseModel):
    queue: str
    queue_id: str
    error: str


class Status(BaseModel):
    version: str
    started_at: datetime.datetime
    uptime_seconds: float
    queues: dict[str, QueueState]
    last_delivery_error: DeliveryError | None
    today_by_verdict: dict[str, int]
    releases_by_state: dict[str, int]

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "version": "0.1.0", "started_at": "2026-12-01T00:00:00Z", "uptime_seconds": 3600.0,
        "queues": {"deferred": {"messages": 2, "bytes": 40960, "oldest_age_seconds": 310.5}},
        "last_delivery_error": {"queue": "deferred", "queue_id": "0195F3A2D11111123400",
                                "error": "452 4.2.2 mailbox full"},
        "today_by_verdict": {"sanitized": 120, "clean": 300, "quarantined-whole": 2},
        "releases_by_state": {"requested": 1, "delivered": 14},
    }]})


QueueName = Literal["deferred", "failed", "shunt"]
AuditFormat = Literal["json", "jsonl"]
