"""The per-recipient outcome every transport returns, and how it maps to a recipient status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["delivered", "deferred", "failed"]


@dataclass(frozen=True, slots=True)
class Reply:
    code: int
    text: str

    @property
    def status(self) -> Status:
        if 200 <= self.code < 300:
            return "delivered"
        if 500 <= self.code < 600:
            return "failed"
        # 4xx and anything unexpected (a broken peer) are retried: never lose a mail on a guess
        return "deferred"

    def __str__(self) -> str:
        return f"{self.code} {self.text}".strip()


def transient(reason: str) -> Reply:
    """Connection refused, timeout or drop: 4xx semantics, the mail is retried."""
    return Reply(451, f"4.4.1 {reason}")


def all_recipients(recipients: list[str], reply: Reply) -> dict[str, Reply]:
    return {rcpt: reply for rcpt in recipients}


# RFC 4954 6: 530 5.7.0 "authentication required", 5.7.8 bad credentials, 5.7.9 mechanism too
# weak; 535 is the reply to a failed AUTH itself.
_AUTH_CODES = (530, 535)
_AUTH_STATUSES = ("5.7.8", "5.7.9")


def auth_is_temporary(reply: Reply) -> Reply:
    """A relay refusing us for want of (other) credentials refuses every mail alike until an
    operator fixes our configuration: our fault, not the mail's, so retried, never bounced."""
    if reply.status != "failed":
        return reply
    enhanced = reply.text.split(" ", 1)[0]
    if (
        reply.code in _AUTH_CODES
        or enhanced in _AUTH_STATUSES
        or (enhanced == "5.7.0" and "auth" in reply.text.lower())
    ):
        return Reply(454, f"4.7.0 the relay wants authentication: {reply}")
    return reply
