"""The Received: header we prepend, and the Message-ID we log: both from untrusted input.

HELO names and addresses come from the client, so only safe printable ASCII of them reaches our
header (a bare CR in a HELO argument would otherwise split the header), and the Message-ID is
looked up in a bounded prefix of the message so a huge header block costs nothing extra.
"""

from __future__ import annotations

import email.utils
import re
import time

_MAX_TOKEN = 255
_MESSAGE_ID_SCAN = 64 * 1024
_MAX_MESSAGE_ID = 998
_FIELD = b"message-id:"
_FIELD_END = re.compile(rb"\n(?![ \t])")  # a folded value goes on after white space
_UNSAFE = frozenset("()<>\\;\"")


def safe_token(text: str) -> str:
    """Printable ASCII without comment or address delimiters; anything else becomes '?'."""
    cleaned = "".join(
        c if "!" <= c <= "~" and c not in _UNSAFE else "?" for c in text[:_MAX_TOKEN]
    )
    return cleaned or "unknown"


def _plain_address(address: str) -> bool:
    return 0 < len(address) <= _MAX_TOKEN and all(
        "!" <= c <= "~" and c not in "<>()\\" for c in address
    )


def received_header(
    *,
    helo: str,
    client_ip: str,
    hostname: str,
    protocol: str,
    queue_id: str,
    recipients: list[str],
    when: float | None = None,
) -> bytes:
    """RFC 5321 4.4 trace header, CRLF-terminated, folded, ASCII only.

    The recipient is named only when there is exactly one, as Postfix does: naming several
    would disclose Bcc recipients to each other.
    """
    stamp = email.utils.formatdate(time.time() if when is None else when, localtime=True)
    lines = [
        f"Received: from {safe_token(helo)} ([{safe_token(client_ip)}])",
        f"\tby {safe_token(hostname)} (mutaika) with {protocol} id {queue_id}",
    ]
    if len(recipients) == 1 and _plain_address(recipients[0]):
        lines.append(f"\tfor <{recipients[0]}>;")
    else:
        lines[-1] += ";"
    lines.append(f"\t{stamp}")
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def protocol_name(*, extended: bool, tls: bool, smtputf8: bool) -> str:
    """The `with` keyword of RFC 3848 / RFC 6531: SMTP, ESMTP, ESMTPS, UTF8SMTPS..."""
    if not extended:
        return "SMTP"
    base = "UTF8SMTP" if smtputf8 else "ESMTP"
    return base + ("S" if tls else "")


def message_id_of(raw: bytes) -> str:
    """The Message-ID header value of a message, "" when absent in the first 64 KiB of headers."""
    head = raw[:_MESSAGE_ID_SCAN]
    end = head.find(b"\r\n\r\n")
    if end >= 0:
        head = head[:end]
    lowered = head.lower()
    if lowered.startswith(_FIELD):
        start = len(_FIELD)
    else:
        pos = lowered.find(b"\n" + _FIELD)
        if pos < 0:
            return ""
        start = pos + 1 + len(_FIELD)
    match = _FIELD_END.search(head, start)
    value = head[start : match.start() if match else len(head)]
    return " ".join(value.decode("ascii", "replace").split())[:_MAX_MESSAGE_ID]
