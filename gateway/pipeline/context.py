"""What travels through the stages: the input, what has been learned, what will be written."""

from __future__ import annotations

import enum
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import Message
from typing import TYPE_CHECKING

from gateway.config import SanitizeSettings
from gateway.errors import QuarantineWhole
from gateway.pipeline.parts import describe_removed
from gateway.types import Envelope, RemovedPart, SanitizeReport

if TYPE_CHECKING:
    from gateway.pipeline.excerpter import Excerpter


class PieceKind(enum.Enum):
    PLAIN = "plain"  # text/plain bytes still to decode
    HTML = "html"  # text/html bytes still to decode and render
    TEXT = "text"  # already text: calendar summaries, nested-message headings, notes


@dataclass(slots=True)
class BodyPiece:
    """One run of body text in reading order; `quote` is the depth of nested forwards."""

    kind: PieceKind
    payload: bytes = b""
    charset: str | None = None
    text: str = ""
    quote: int = 0


@dataclass(slots=True)
class Context:
    raw: bytes
    settings: SanitizeSettings
    envelope: Envelope | None
    report: SanitizeReport
    deadline: float
    message: Message | None = None
    pieces: list[BodyPiece] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # sentences for the notice, e.g. "署名を削除"
    body_text: str = ""
    reader_text: str = ""  # body_text as it was before the notice was appended
    removed_payloads: list[bytes] = field(default_factory=list)
    output: bytes = b""
    request_link: bool = False  # the notice holds the place of a release-request link
    body_charset_hint: str | None = None  # first declared body charset: hint for 8-bit headers
    carrier: str | None = None  # the sender's mobile carrier, for its emoji (carrier_emoji.py)
    excerpter: Excerpter | None = None  # text of removed documents for the notice (excerpts.py)
    extra_notes: tuple[str, ...] = ()  # the caller's sentences for the notice, after ours

    def check_deadline(self) -> None:
        if time.monotonic() > self.deadline:
            raise QuarantineWhole("time-limit", f"over {self.settings.limits.max_seconds:g} s")

    def remove(
        self,
        payload: bytes,
        *,
        filename: str,
        declared_type: str,
        reason: str,
        flags: Iterable[str] = (),
        detail: str = "",
    ) -> RemovedPart:
        part = describe_removed(
            payload,
            filename=filename,
            declared_type=declared_type,
            reason=reason,
            extra_flags=flags,
            detail=detail,
        )
        part.index = len(self.report.removed)
        self.report.removed.append(part)
        self.removed_payloads.append(payload)
        return part

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)
