"""Small, total questions about one MIME part: its type, disposition, name and bytes."""

from __future__ import annotations

from email.message import Message

from gateway.pipeline.headers import part_filename

BODY_TYPES = frozenset({"text/plain", "text/html"})
REPORT_TEXT_TYPES = frozenset(
    {
        "message/delivery-status",
        "message/global-delivery-status",
        "message/disposition-notification",
        "message/global-disposition-notification",
        "message/feedback-report",
        "text/rfc822-headers",
        "message/global-headers",
    }
)
NESTED_TYPES = frozenset({"message/rfc822", "message/global"})
SIGNATURE_TYPES = frozenset(
    {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
)
ENCRYPTED_TYPES = frozenset(
    {"application/pkcs7-mime", "application/x-pkcs7-mime", "application/pgp-encrypted"}
)
CALENDAR_TYPES = frozenset({"text/calendar", "application/ics", "text/x-vcalendar"})
TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})


def content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # a header object the stdlib cannot read: treat as the RFC default
        return "text/plain"


def disposition(part: Message) -> str:
    try:
        value = part.get_content_disposition()
    except Exception:
        return ""
    return value or ""


def filename(part: Message) -> str:
    return part_filename(part)


def charset(part: Message) -> str | None:
    try:
        value = part.get_content_charset()
    except Exception:
        return None
    return value or None


KNOWN_TRANSFER_ENCODINGS = frozenset(
    {"", "7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "uuencode", "x-uue"}
)


def transfer_encoding(part: Message) -> str:
    value = part.get("Content-Transfer-Encoding")
    return str(value).strip().lower() if value is not None else ""


def payload(part: Message, limit: int) -> tuple[bytes, bool]:
    """The decoded payload of a leaf part, and whether it had to be cut or was damaged."""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        raw = part.get_payload()
        data = raw.encode("ascii", "surrogateescape") if isinstance(raw, str) else b""
        return data[:limit], True
    if not isinstance(data, bytes):
        return b"", False
    if len(data) > limit:
        return data[:limit], True
    return data, False


def is_attachment(part: Message) -> bool:
    return disposition(part) == "attachment"


def content_id(part: Message) -> str:
    value = part.get("Content-ID")
    return str(value).strip().strip("<>") if value is not None else ""
