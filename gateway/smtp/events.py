"""What the SMTP side tells operators: one metric per refusal, one escaped log line per event.

Every reply of 400 or more that is not our own fault counts once in
mutaika_smtp_rejected_total{code, reason}, whoever wrote it (us or aiosmtpd): the protocol
counts at the one place replies leave. Client text never reaches a log line unescaped.
"""

from __future__ import annotations

import logging
from typing import Any

from gateway.log import log_event
from gateway.metrics import SMTP_REJECTED, SMTP_TEMPFAIL
from gateway.smtp.status import NOT_REFUSALS, code_of, reason_of

_SURROGATES = range(0xDC80, 0xDD00)  # aiosmtpd's surrogateescape of bytes that are not UTF-8


def printable(text: str) -> str:
    """Client-supplied text made safe for a log line or a reply.

    Bytes that were not UTF-8 show as \\xNN, control and other invisible characters (NUL, ESC,
    bidi overrides, line separators) as \\xNN / \\uNNNN, and a backslash doubles, so the escape
    is unambiguous and nothing can forge a line, colour a terminal or make grep see binary.
    """
    if text.isprintable() and "\\" not in text:
        return text
    out = []
    for c in text:
        n = ord(c)
        if c == "\\":
            out.append("\\\\")
        elif n in _SURROGATES:
            out.append(f"\\x{n - 0xDC00:02x}")
        elif c.isprintable():
            out.append(c)
        elif n < 0x100:
            out.append(f"\\x{n:02x}")
        else:
            out.append(f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}")
    return "".join(out)


class EscapeClientText(logging.Filter):
    """For loggers we do not write (aiosmtpd's mail.log logs commands and addresses raw)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        escaped = printable(message)
        if escaped is not message:
            record.msg, record.args = escaped, None
        return True


def count_reply(reply: str) -> None:
    """Count one reply as a refusal when it is one (see the module docstring)."""
    if reply[:1] in ("4", "5") and reply not in NOT_REFUSALS:
        SMTP_REJECTED.labels(code=code_of(reply), reason=reason_of(reply)).inc()


def rejected(reply: str, why: str = "", **fields: Any) -> str:
    """Log a refusal of ours (the reply is counted when it is sent); return the reply."""
    log_event(
        "rejected", "", code=code_of(reply), reason=reason_of(reply), detail=why or None,
        reply=reply, **fields,
    )
    return reply


def tempfailed(reply: str, reason: str, **fields: Any) -> str:
    """Count and log a 4xx for a fault of ours; return the reply to send."""
    SMTP_TEMPFAIL.labels(reason=reason).inc()
    log_event("tempfail", "", code=code_of(reply), reason=reason, **fields)
    return reply
