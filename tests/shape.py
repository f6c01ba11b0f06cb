"""The promise every sanitized mail keeps, checked independently of how it was built."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage

ALLOWED_HEADERS = {
    "from",
    "to",
    "cc",
    "reply-to",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}
TRACE_PREFIX = "x-mutaika-"
MARKUP = re.compile(
    r"<\s*/?\s*(script|style|html|head|body|div|span|table|tr|td|th|iframe|frame|object|embed|"
    r"form|input|img|meta|link|base|svg|math|font|a\s+href|p\s*>|br\s*/?>)",
    re.IGNORECASE,
)
DANGEROUS_SCHEME = re.compile(
    r"(?<![\w-])(?:(?:javascript|vbscript)\s*:|data:[a-z]+/[\w.+-]+[;,])", re.IGNORECASE
)
# A line of encoded data: long, only base64's alphabet, and mixing upper, lower and digits
# (so a ruler of "1111" or "-----" is not one).
# Under the default policy every web address is defanged (hxxp://, [.]): none may be live.
LIVE_URL = re.compile(r"(?<![\w-])(?:https?|ftp)://", re.IGNORECASE)
BASE64_LINE = re.compile(r"^(?=.*[A-Z])(?=.*[a-z])(?=.*[0-9+/])[A-Za-z0-9+/]{56,}={0,2}$")
BASE64_RUN = 4  # this many such lines in a row is an attachment left behind


def parse_output(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def body_text(data: bytes) -> str:
    part = parse_output(data)
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    charset = part.get_content_charset() or "us-ascii"
    codec = "iso2022_jp_ext" if charset == "iso-2022-jp" else charset
    payload = payload.replace(b"\r\n", b"\n")
    try:
        return payload.decode(codec)  # strict: the body must decode
    except UnicodeDecodeError:
        # our ISO-2022-JP output carries NEC/IBM extensions (CP50220), as Outlook reads them
        import gateway.pipeline.charset as charset_module  # registers our codec

        assert charset_module
        return payload.decode("mutaika-cp50221")


def shape_problems(data: bytes) -> list[str]:
    """Everything wrong with `data` as a sanitized mail; [] when it keeps the promise."""
    problems: list[str] = []
    for number, line in enumerate(data.split(b"\r\n"), 1):
        if len(line) > 998:
            problems.append(f"line {number} is {len(line)} octets")
            break
    if b"\n" in data.replace(b"\r\n", b""):
        problems.append("bare LF in output")
    message = parse_output(data)
    if message.is_multipart():
        problems.append("output is multipart")
    if message.get_content_type() != "text/plain":
        problems.append(f"content type {message.get_content_type()}")
    for name in message:
        lowered = name.lower()
        if lowered not in ALLOWED_HEADERS and not lowered.startswith(TRACE_PREFIX):
            problems.append(f"header not allowed: {name}")
    if message.get_param("name") or message.get("Content-Disposition"):
        problems.append("attachment headers present")
    try:
        text = body_text(data)
    except (UnicodeDecodeError, LookupError, AssertionError) as exc:
        return [*problems, f"body does not decode: {exc}"]
    if MARKUP.search(text):
        problems.append(f"markup left: {MARKUP.search(text).group(0)!r}")  # type: ignore[union-attr]
    if LIVE_URL.search(text):
        problems.append(f"live URL left: {LIVE_URL.search(text).group(0)!r}")  # type: ignore[union-attr]
    if DANGEROUS_SCHEME.search(text):
        problems.append(f"dangerous URL scheme left: {DANGEROUS_SCHEME.search(text).group(0)!r}")  # type: ignore[union-attr]
    run = 0
    for line in text.split("\n"):
        run = run + 1 if BASE64_LINE.match(line.strip()) else 0
        if run >= BASE64_RUN:
            problems.append("base64 block left in body")
            break
    return problems
