"""Release requests as the API shows them."""

from __future__ import annotations

import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.api.schemas.common import when
from gateway.quarantine import ReleaseRecord

ReleaseStateName = Literal["requested", "approved", "rejected", "expired", "cancelled", "queued",
                           "delivered", "partially-delivered", "failed"]


class RecipientResult(BaseModel):
    status: str = Field(description="pending | delivered | deferred | failed")
    reply: str = Field(description="the downstream's SMTP reply")


class ReleaseEventOut(BaseModel):
    at: datetime.datetime
    actor: str
    from_state: str
    to_state: str
    comment: str


class Release(BaseModel):
    id: str
    quarantine_id: str
    what: Literal["original", "items", "safecopy"]
    items: list[int]
    recipients: list[str]
    state: ReleaseStateName
    policy: Literal["self", "approval", "admin"]
    requested_by: str
    requested_at: datetime.datetime
    comment: str
    decided_by: str | None
    decided_at: datetime.datetime | None
    decision_comment: str | None
    expires_at: datetime.datetime | None
    queue_id: str | None
    results: dict[str, RecipientResult]
    updated_at: datetime.datetime
    history: list[ReleaseEventOut]

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "R0195F3A2C0000012300", "quarantine_id": "0195F3A2B4C5D6E7F8", "what": "original",
        "items": [], "recipients": ["kaikei@city.example.lg.jp"], "state": "failed",
        "policy": "approval", "requested_by": "token:3fa2c1d0e9b8:kaikei-desk",
        "requested_at": "2026-12-01T00:20:00Z", "comment": "取引先からの請求書",
        "decided_by": "token:77aa01bc22cd:approver-sato", "decided_at": "2026-12-01T00:31:00Z",
        "decision_comment": "確認済み", "expires_at": "2026-12-04T00:20:00Z",
        "queue_id": "0195F3A2D11111123400",
        "results": {"kaikei@city.example.lg.jp": {
            "status": "failed", "reply": "550 5.1.1 no such user"}},
        "updated_at": "2026-12-01T00:31:02Z", "history": [],
    }]})

    @classmethod
    def of(cls, r: ReleaseRecord) -> Release:
        return cls.model_validate({
            "id": r.id, "quarantine_id": r.quarantine_id, "what": r.what, "items": r.items,
            "recipients": r.recipients, "state": str(r.state), "policy": r.policy,
            "requested_by": r.requested_by, "requested_at": when(r.requested_at),
            "comment": r.comment, "decided_by": r.decided_by, "decided_at": when(r.decided_at),
            "decision_comment": r.decision_comment, "expires_at": when(r.expires_at),
            "queue_id": r.queue_id,
            "results": {k: {"status": v.get("status", ""), "reply": v.get("reply", "")}
                        for k, v in r.results.items()},
            "updated_at": when(r.updated_at),
            "history": [{"at": when(e.at), "actor": e.actor, "from_state": e.from_state,
                         "to_state": e.to_state, "comment": e.comment} for e in r.events],
        })


class ReleasePage(BaseModel):
    items: list[Release]
    next_cursor: str


class ReleaseCreate(BaseModel):
    quarantine_id: str = Field(min_length=1, max_length=64)
    what: Literal["original", "items", "safecopy"] = Field(
        default="original", description="the original mail, chosen removed parts attached to "
        "the sanitized text, or safe copies of chosen parts (release.policy.safecopy) attached "
        "to it")
    items: list[int] = Field(default=[], max_length=500, description=(
        "indexes, for what=items and what=safecopy"))
    to: list[str] = Field(default=[], max_length=100, description=(
        "recipients inside smtp.local_domains; empty: the original recipients"))
    comment: str = Field(default="", max_length=2000, description="why (kept with the request)")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"quarantine_id": "0195F3A2B4C5D6E7F8", "what": "original", "comment": "取引先の請求書"},
        {"quarantine_id": "0195F3A2B4C5D6E7F8", "what": "items", "items": [0],
         "to": ["kaikei@city.example.lg.jp"], "comment": "PDF only"},
    ]})


class Decision(BaseModel):
    comment: str = Field(default="", max_length=2000)

    model_config = ConfigDict(json_schema_extra={"examples": [{"comment": "確認済み"}]})
