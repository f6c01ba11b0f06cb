"""The message a release sends: the original as it came, or the sanitized text with the chosen
removed parts attached; either with one trace header naming the release."""

from __future__ import annotations

import email.policy
import re
from collections.abc import Sequence
from email import message_from_bytes
from email.message import EmailMessage
from typing import TYPE_CHECKING

from gateway.config import SanitizeSettings
from gateway.quarantine import StoredItem
from gateway.types import Envelope

if TYPE_CHECKING:
    from gateway.pipeline.excerpter import Excerpter

TRACE_HEADER = "X-Mutaika-Release"
_TRACE_FIELD = re.compile(rb"x-mutaika-release[ \t]*:", re.IGNORECASE)
_END_OF_HEADER = re.compile(rb"\r?\n\r?\n")


def _without_trace(header: bytes) -> bytes:
    """Drop any X-Mutaika-Release field (with its continuation lines) a sender wrote: the
    released mail carries exactly ours. The rest of the header block stays byte for byte, so
    Received fields and signatures survive."""
    kept: list[bytes] = []
    dropping = False
    for line in header.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t"):
            if not dropping:
                kept.append(line)
            continue
        dropping = bool(_TRACE_FIELD.match(line))
        if not dropping:
            kept.append(line)
    return b"".join(kept)


def original_release(original: bytes, release_id: str) -> bytes:
    match = _END_OF_HEADER.search(original)
    split = match.start() if match else len(original)
    header, rest = original[:split], original[split:]
    newline = b"\r\n" if b"\r\n" in (header[:2000] or b"\r\n") else b"\n"
    trace = f"{TRACE_HEADER}: {release_id}".encode("ascii") + newline
    return trace + _without_trace(header) + rest


def sanitized_with(
    original: bytes, envelope: Envelope, quarantine_id: str, release_id: str,
    settings: SanitizeSettings, attachments: Sequence[tuple[str, str, bytes]], *,
    notes: Sequence[str] = (), excerpter: Excerpter | None = None,
) -> bytes:
    """The sanitized text, made again from the original with the current policy (and the
    excerpts staff were shown), as a multipart/mixed with each (name, type, bytes) attached."""
    from gateway.pipeline import sanitize  # the sanitizer only where a release needs it

    result = sanitize(original, settings, envelope=envelope, quarantine_id=quarantine_id,
                      excerpter=excerpter, notes=notes)  # fmt: skip
    message = message_from_bytes(result.message, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    del message[TRACE_HEADER]
    message[TRACE_HEADER] = release_id
    for filename, media_type, payload in attachments:
        maintype, _, subtype = (media_type or "application/octet-stream").partition("/")
        if maintype in ("multipart", "message") or not subtype:  # would need parsing to attach
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(payload, maintype=maintype, subtype=subtype.split(";")[0],
                               filename=filename)  # fmt: skip
    return message.as_bytes(policy=email.policy.SMTP)


def items_release(
    original: bytes, envelope: Envelope, quarantine_id: str, release_id: str,
    settings: SanitizeSettings, chosen: Sequence[tuple[StoredItem, bytes]],
    excerpter: Excerpter | None = None,
) -> bytes:
    """The sanitized text with each chosen removed part attached under its safe name."""
    attachments = [(item.filename or f"item-{item.index}.bin",
                    item.declared_type or item.detected_type, payload)
                   for item, payload in chosen]  # fmt: skip
    return sanitized_with(original, envelope, quarantine_id, release_id, settings, attachments,
                          excerpter=excerpter)
