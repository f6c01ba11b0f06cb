"""Quarantined mails as the API shows them."""

from __future__ import annotations

import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.api.schemas.common import moment, when
from gateway.api.schemas.releases import Release
from gateway.quarantine import QuarantineRecord, StoredItem

_QID = "0195F3A2B4C5D6E7F8"


class Item(BaseModel):
    index: int
    filename: str
    declared_type: str
    detected_type: str
    size: int
    sha256: str
    flags: list[str]
    reason: str
    detail: str
    parent: int | None = Field(default=None, description=(
        "the password-protected item this one was opened from (PPAP); null for what the "
        "sanitizer removed"))

    @classmethod
    def of(cls, item: StoredItem) -> Item:
        return cls(index=item.index, filename=item.filename, declared_type=item.declared_type,
                   detected_type=item.detected_type, size=item.size, sha256=item.sha256,
                   flags=list(item.flags), reason=item.reason, detail=item.detail,
                   parent=item.parent)


class QuarantineSummary(BaseModel):
    id: str = Field(description="the 隔離ID printed in the notice (= the queue ID)")
    received_at: datetime.datetime
    sender: str
    recipients: list[str]
    subject: str
    message_id: str
    verdict: str = Field(description="clean | sanitized | quarantined-whole")
    reason: str = Field(description="why the mail was kept whole, else empty")
    size: int
    state: str = Field(description="held | released")
    expires_at: datetime.datetime | None
    items: list[Item]

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": _QID, "received_at": "2026-12-01T00:12:03Z", "sender": "billing@example.com",
        "recipients": ["kaikei@city.example.lg.jp"], "subject": "請求書の送付",
        "message_id": "<1@example.com>", "verdict": "sanitized", "reason": "", "size": 48213,
        "state": "held", "expires_at": None,
        "items": [{"index": 0, "filename": "請求書.pdf", "declared_type": "application/pdf",
                   "detected_type": "application/pdf", "size": 40211, "sha256": "9f86d0…",
                   "flags": [], "reason": "attachment", "detail": ""}],
    }]})

    @classmethod
    def of(cls, r: QuarantineRecord) -> QuarantineSummary:
        return cls(id=r.id, received_at=moment(r.received_at), sender=r.sender,
                   recipients=r.recipients, subject=r.subject, message_id=r.message_id,
                   verdict=r.verdict, reason=r.reason, size=r.size, state=str(r.state),
                   expires_at=when(r.expires_at), items=[Item.of(i) for i in r.items])


class QuarantinePage(BaseModel):
    items: list[QuarantineSummary]
    next_cursor: str = Field(description="pass as `cursor` for the next page; empty on the last")


class Header(BaseModel):
    name: str
    value: str


class QuarantineDetail(QuarantineSummary):
    envelope_sender: str
    envelope_recipients: list[str]
    original_sha256: str
    headers: list[Header] = Field(description="the original's header fields, decoded")
    sanitized_text: str = Field(description="the body staff received, made again from the "
                                            "original with the current policy")
    warnings: list[str]
    releases: list[Release] = Field(description="release history, oldest first")


class QuarantineFilterIn(BaseModel):
    """Narrow a list or a bulk action; every field left out means "any"."""

    since: datetime.datetime | None = None
    until: datetime.datetime | None = None
    sender: str = Field(default="", max_length=500)
    recipient: str = Field(default="", max_length=500)
    subject: str = Field(default="", max_length=500)
    reason: str = Field(default="", max_length=64)
    detected_type: str = Field(default="", max_length=200)
    flag: str = Field(default="", max_length=64)
    verdict: str = Field(default="", max_length=32)
    state: Literal["held", "released"] | None = None


class BulkRequest(BaseModel):
    filter: QuarantineFilterIn
    action: Literal["delete"] = "delete"
    dry_run: bool = Field(default=True, description="only count what the filter matches")
    expected_count: int | None = Field(default=None, ge=0, description=(
        "required when dry_run is false: the count of the dry run; refused with 409 when the "
        "filter matches another number now"))
    reason: str = Field(default="", max_length=2000)

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"filter": {"sender": "spam.example", "state": "held"}, "dry_run": True},
        {"filter": {"sender": "spam.example", "state": "held"}, "dry_run": False,
         "expected_count": 12, "reason": "campaign, ticket 4411"},
    ]})


class BulkResult(BaseModel):
    matched: int
    deleted: int
    skipped: list[str] = Field(description="mails kept because a release of theirs is under way")
    dry_run: bool
