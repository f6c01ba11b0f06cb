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
