"""What the SMTP side tells operators about a refusal: one metric and one log line per reply."""

from __future__ import annotations

from typing import Any

from gateway.log import log_event
from gateway.metrics import SMTP_REJECTED, SMTP_TEMPFAIL
from gateway.smtp.status import code_of


def printable(text: str) -> str:
    """Client-supplied text for a log line: surrogate escapes of bad UTF-8 become visible."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def rejected(reply: str, **fields: Any) -> str:
    """Count and log a policy refusal; return the reply to send."""
    code = code_of(reply)
    SMTP_REJECTED.labels(code=code).inc()
    log_event("rejected", "", code=code, reply=reply, **fields)
    return reply


def tempfailed(reply: str, reason: str, **fields: Any) -> str:
    """Count and log a 4xx for a fault of ours; return the reply to send."""
    SMTP_TEMPFAIL.labels(reason=reason).inc()
    log_event("tempfail", "", code=code_of(reply), reason=reason, **fields)
    return reply
