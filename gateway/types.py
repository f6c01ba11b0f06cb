"""Value types shared across the gateway: one place, so every layer speaks the same words."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Verdict(enum.StrEnum):
    CLEAN = "clean"  # already a single text/plain part; re-emitted with the header allowlist
    SANITIZED = "sanitized"  # converted and/or parts removed
    QUARANTINED_WHOLE = "quarantined-whole"  # a limit or an unreadable structure: notice only


class UrlPolicy(enum.StrEnum):
    DEFANG = "defang"
    KEEP = "keep"
    REMOVE = "remove"


class Language(enum.StrEnum):
    JA = "ja"
    EN = "en"


class PartFlag(enum.StrEnum):
    TYPE_MISMATCH = "type-mismatch"
    EXECUTABLE = "executable"
    DANGEROUS_EXTENSION = "dangerous-extension"
    ENCRYPTED_ARCHIVE = "encrypted-archive"
    PASSWORD_PROTECTED = "password-protected"
    MACROS = "macros"
    ARCHIVE = "archive"
    INLINE_IMAGE = "inline-image"
    SIGNATURE = "signature"
    ENCRYPTED_MESSAGE = "encrypted-message"
    CALENDAR = "calendar"
    TNEF = "tnef"
    EMBEDDED_IN_TEXT = "embedded-in-text"  # uuencode / BinHex / yEnc cut out of a text body
    TRUNCATED = "truncated"  # the payload could not be decoded whole
    ALTERNATIVE_BODY = "alternative-body"  # an HTML alternative dropped in favour of text/plain
    EMPTY = "empty"  # 0 bytes: named, so listed, but there is nothing in it
    EXTERNAL_BODY = "external-body"  # message/external-body: points at data kept elsewhere
    PARTIAL = "partial-message"  # message/partial: one fragment of a split mail
    BROKEN_STRUCTURE = "broken-structure"  # cut out of a multipart whose boundary is unusable
    ACTIVE_CONTENT = "active-content"  # PDF JavaScript, open/launch actions
    EMBEDDED_FILES = "embedded-files"  # PDF with files attached inside it
    PADDED_NAME = "padded-name"  # blanks pad the name to push its real extension out of view


# A part that opens only with a password (PPAP): the store marks its mail, the release plane
# offers to open it (gateway.services.safecopy_offer).
LOCKED_FLAGS = frozenset({PartFlag.ENCRYPTED_ARCHIVE, PartFlag.PASSWORD_PROTECTED})


@dataclass(slots=True)
class Envelope:
    mail_from: str
    rcpt_tos: list[str]
    client_address: str = ""
    helo: str = ""
    received_at: float = 0.0  # epoch seconds

    def to_json(self) -> dict[str, Any]:
        return {
            "mail_from": self.mail_from,
            "rcpt_tos": list(self.rcpt_tos),
            "client_address": self.client_address,
            "helo": self.helo,
            "received_at": self.received_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Envelope:
        return cls(
            mail_from=str(data.get("mail_from", "")),
            rcpt_tos=[str(r) for r in data.get("rcpt_tos", [])],
            client_address=str(data.get("client_address", "")),
            helo=str(data.get("helo", "")),
            received_at=float(data.get("received_at", 0.0)),
        )


@dataclass(slots=True)
class RemovedPart:
    """What the recipient is told about a part that did not cross, and what the admin sees."""

    filename: str  # decoded and safe to show ("" when the part had none)
    declared_type: str
    detected_type: str  # from the bytes (libmagic), "" if not examined
    size: int
    sha256: str
    flags: list[str] = field(default_factory=list)
    reason: str = ""  # short machine word: attachment, inline-image, signature, ...
    detail: str = ""  # human detail, e.g. items inside a winmail.dat
    index: int = 0  # position among removed parts; the quarantine key of the payload

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "filename": self.filename,
            "declared_type": self.declared_type,
            "detected_type": self.detected_type,
            "size": self.size,
            "sha256": self.sha256,
            "flags": list(self.flags),
            "reason": self.reason,
            "detail": self.detail,
        }


@dataclass(slots=True)
class SanitizeReport:
    verdict: Verdict = Verdict.SANITIZED
    quarantine_id: str = ""
    removed: list[RemovedPart] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    charsets: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    original_content_type: str = ""
    message_id: str = ""
    subject: str = ""
    from_address: str = ""
    size: int = 0
    reason: str = ""  # why a message was quarantined whole
    # by RemovedPart.index: {"text", "truncated", "refused"} (gateway.pipeline.excerpts)
    excerpts: dict[int, dict[str, Any]] = field(default_factory=dict)

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    def mark_whole(self, reason: str, detail: str = "") -> None:
        self.verdict = Verdict.QUARANTINED_WHOLE
        self.reason = reason
        if detail:
            self.warn(f"{reason}: {detail}")

    def note_charset(self, charset: str) -> None:
        if charset and charset not in self.charsets:
            self.charsets.append(charset)

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": str(self.verdict),
            "quarantine_id": self.quarantine_id,
            "reason": self.reason,
            "message_id": self.message_id,
            "subject": self.subject,
            "from": self.from_address,
            "size": self.size,
            "original_content_type": self.original_content_type,
            "removed": [part.to_json() for part in self.removed],
            "warnings": list(self.warnings),
            "charsets": list(self.charsets),
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
            "excerpts": {str(k): dict(v) for k, v in self.excerpts.items()},
        }


@dataclass(slots=True)
class SanitizeResult:
    message: bytes  # the sanitized single text/plain mail, CRLF line ends
    report: SanitizeReport
    removed_payloads: list[bytes] = field(default_factory=list)  # by RemovedPart.index
    text: str = ""  # the body as staff read it, without the notice
