"""The JSON sidecar of a spool entry (record.json): what we know about a message besides its bytes.

JSON, never pickle: an operator reads it with jq, and a damaged file cannot execute anything.
ensure_ascii=True on purpose: SMTPUTF8 addresses may carry surrogate escapes of invalid UTF-8,
which only an ASCII-escaped dump can store and give back unchanged.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from gateway.types import Envelope

PENDING = "pending"


@dataclass(slots=True)
class SpoolRecord:
    queue_id: str
    envelope: Envelope
    created_at: float = 0.0
    attempts: int = 0  # claims in the current stage (the crash-loop counter)
    delivery_attempts: int = 0
    next_attempt_at: float = 0.0
    first_deferred_at: float = 0.0
    verdict: str = ""
    quarantine_id: str = ""
    message_id: str = ""
    size: int = 0
    last_error: str = ""
    recipients: dict[str, dict[str, str]] = field(default_factory=dict)
    # Bumped by every move that rewrites the entry; after a crash between "new copy in place"
    # and "old copy removed", prepare() keeps the copy with the higher generation.
    generation: int = 0

    @classmethod
    def new(
        cls, queue_id: str, envelope: Envelope, *, size: int, message_id: str = ""
    ) -> SpoolRecord:
        return cls(
            queue_id=queue_id,
            envelope=envelope,
            created_at=time.time(),
            size=size,
            message_id=message_id,
            recipients={r: {"status": PENDING, "reply": ""} for r in envelope.rcpt_tos},
        )

    @classmethod
    def rebuilt(cls, queue_id: str, *, size: int, reason: str) -> SpoolRecord:
        """A stand-in for an unreadable record: the envelope is lost, the message is not."""
        return cls(
            queue_id=queue_id,
            envelope=Envelope(mail_from="", rcpt_tos=[]),
            created_at=time.time(),
            size=size,
            last_error=reason,
        )

    def to_json(self) -> bytes:
        data: dict[str, Any] = {
            "queue_id": self.queue_id,
            "envelope": self.envelope.to_json(),
            "created_at": self.created_at,
            "attempts": self.attempts,
            "delivery_attempts": self.delivery_attempts,
            "next_attempt_at": self.next_attempt_at,
            "first_deferred_at": self.first_deferred_at,
            "verdict": self.verdict,
            "quarantine_id": self.quarantine_id,
            "message_id": self.message_id,
            "size": self.size,
            "last_error": self.last_error,
            "recipients": self.recipients,
            "generation": self.generation,
        }
        return json.dumps(data, ensure_ascii=True, indent=1).encode("ascii")

    @classmethod
    def from_json(cls, raw: bytes | str) -> SpoolRecord:
        """Parse a record; raise ValueError (never anything else) when it is unusable."""
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or not isinstance(data.get("envelope"), dict):
                raise ValueError("not a spool record")
            recipients = data.get("recipients") or {}
            if not isinstance(recipients, dict):
                raise ValueError("recipients is not an object")
            return cls(
                queue_id=str(data["queue_id"]),
                envelope=Envelope.from_json(data["envelope"]),
                created_at=float(data.get("created_at", 0.0)),
                attempts=int(data.get("attempts", 0)),
                delivery_attempts=int(data.get("delivery_attempts", 0)),
                next_attempt_at=float(data.get("next_attempt_at", 0.0)),
                first_deferred_at=float(data.get("first_deferred_at", 0.0)),
                verdict=str(data.get("verdict", "")),
                quarantine_id=str(data.get("quarantine_id", "")),
                message_id=str(data.get("message_id", "")),
                size=int(data.get("size", 0)),
                last_error=str(data.get("last_error", "")),
                recipients={
                    str(k): {str(a): str(b) for a, b in dict(v).items()}
                    for k, v in recipients.items()
                },
                generation=int(data.get("generation", 0)),
            )
        except (KeyError, TypeError, AttributeError, RecursionError, OverflowError) as exc:
            raise ValueError(f"malformed spool record: {exc!r}") from None
