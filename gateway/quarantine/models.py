"""Quarantine records: the storage row apart from the public schema the admin API returns."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict


class HoldState(enum.StrEnum):
    HELD = "held"
    RELEASED = "released"
    DELETED = "deleted"


@dataclass(slots=True)
class QuarantineRecord:
    """One row of the quarantine table, as stored."""

    id: str
    received_at: float
    sender: str
    recipients: list[str]
    subject: str
    message_id: str
    verdict: str
    size: int
    report: dict[str, Any]
    removed: list[dict[str, Any]]
    state: HoldState
    stored_at: float

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> QuarantineRecord:
        (qid, received_at, sender, recipients, subject, message_id, verdict, size, report,
         removed, state, stored_at) = row  # fmt: skip
        return cls(
            id=qid,
            received_at=received_at,
            sender=sender,
            recipients=json.loads(recipients),
            subject=subject,
            message_id=message_id,
            verdict=verdict,
            size=size,
            report=json.loads(report),
            removed=json.loads(removed),
            state=HoldState(state),
            stored_at=stored_at,
        )


class RemovedPartOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    index: int
    filename: str
    declared_type: str
    detected_type: str
    size: int
    sha256: str
    flags: list[str]
    reason: str
    detail: str


class QuarantineSummary(BaseModel):
    """What a list view shows: no report, no payloads."""

    model_config = ConfigDict(frozen=True)

    id: str
    received_at: float
    sender: str
    recipients: list[str]
    subject: str
    verdict: str
    size: int
    removed_count: int
    state: HoldState

    @classmethod
    def of(cls, record: QuarantineRecord) -> QuarantineSummary:
        return cls(
            id=record.id,
            received_at=record.received_at,
            sender=record.sender,
            recipients=record.recipients,
            subject=record.subject,
            verdict=record.verdict,
            size=record.size,
            removed_count=len(record.removed),
            state=record.state,
        )


class QuarantineDetail(QuarantineSummary):
    message_id: str
    removed: list[RemovedPartOut]
    warnings: list[str]
    reason: str

    @classmethod
    def of(cls, record: QuarantineRecord) -> QuarantineDetail:
        summary = QuarantineSummary.of(record).model_dump()
        return cls(
            **summary,
            message_id=record.message_id,
            removed=[RemovedPartOut.model_validate(part) for part in record.removed],
            warnings=[str(w) for w in record.report.get("warnings", [])],
            reason=str(record.report.get("reason", "")),
        )
