"""Quarantine rows as the store returns them (storage shapes; the API has its own schemas)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class HoldState(enum.StrEnum):
    HELD = "held"  # kept; nothing of it released
    RELEASED = "released"  # at least one release of it was delivered


@dataclass(slots=True)
class StoredItem:
    """One removed part, as the sanitizer described it."""

    index: int
    filename: str
    declared_type: str
    detected_type: str
    size: int
    sha256: str
    flags: list[str] = field(default_factory=list)
    reason: str = ""
    detail: str = ""
    parent: int | None = None  # the item it was opened from (PPAP); None: removed by the sanitizer


@dataclass(slots=True)
class QuarantineRecord:
    """One quarantined mail: its envelope, what the sanitizer said, what it removed."""

    id: str
    received_at: float
    stored_at: float
    sender: str
    recipients: list[str]
    subject: str
    message_id: str
    verdict: str
    reason: str
    size: int
    state: HoldState
    original_sha256: str
    expires_at: float | None
    report: dict[str, Any] = field(default_factory=dict)
    items: list[StoredItem] = field(default_factory=list)
    sanitized_sha256: str | None = None  # the mail as it left; None for mails kept before 0003


@dataclass(frozen=True, slots=True)
class QuarantineFilter:
    """What a list may be narrowed to; every field left empty means "any"."""

    since: float | None = None
    until: float | None = None
    sender: str = ""  # substring, case-insensitive
    recipient: str = ""  # substring, case-insensitive
    subject: str = ""  # substring, case-insensitive
    verdict: str = ""
    reason: str = ""  # a removed item's reason, or the whole-quarantine reason
    detected_type: str = ""  # a removed item's detected type (prefix, e.g. "application/pdf")
    flag: str = ""  # a removed item's flag
    state: HoldState | None = None


@dataclass(frozen=True, slots=True)
class Page:
    records: list[QuarantineRecord]
    next_cursor: str  # "" on the last page
