"""The header of a queue file: everything the spool knows about a message besides its bytes.

JSON, never pickle: an operator reads it with `mutaika queue show`, and a damaged file cannot
execute anything. ensure_ascii=True on purpose: the header stays one line of ASCII (the queue
file format relies on it), and any text the gateway stored comes back unchanged.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from gateway.spool.queues import Route, Stage
from gateway.types import Envelope

PENDING = "pending"


@dataclass(slots=True)
class SpoolRecord:
    queue_id: str
    envelope: Envelope
    created_at: float = 0.0
    stage: Stage = Stage.SANITIZE
    route: Route = Route.RELAY
    # Claims that ended with the claiming process dead (counted only when the supervisor saw the
    # worker die holding this mail): the poison counter that moves a mail into shunt/.
    crashes: int = 0
    # Exceptions this mail raised in a process that survived them (not storage faults).
    failures: int = 0
    delivery_attempts: int = 0
    next_attempt_at: float = 0.0
    first_deferred_at: float = 0.0
    retry_since: float = 0.0  # an operator's "retry now": the maximum age counts from here
    verdict: str = ""
    quarantine_id: str = ""
    message_id: str = ""
    release_id: str = ""  # set on a release: its outcome is reported back to the release
    size: int = 0  # of the message bytes in the file (a check against truncation)
    last_error: str = ""
    recipients: dict[str, dict[str, str]] = field(default_factory=dict)
    # Bumped by every rewrite: after a crash between "new copy in place" and "old copy removed",
    # recovery keeps the copy with the higher generation.
    generation: int = 0

    @classmethod
    def new(
        cls, queue_id: str, envelope: Envelope, *, size: int, message_id: str = "",
        stage: Stage = Stage.SANITIZE,
    ) -> SpoolRecord:
        return cls(
            queue_id=queue_id,
            envelope=envelope,
            created_at=time.time(),
            stage=stage,
            size=size,
            message_id=message_id,
            recipients={r: {"status": PENDING, "reply": ""} for r in envelope.rcpt_tos},
        )

    @property
    def age_base(self) -> float:
        """Where delivery.max_age_seconds counts from."""
        return self.retry_since or self.created_at

    def to_json(self) -> bytes:
        data: dict[str, Any] = {
            "queue_id": self.queue_id,
            "envelope": self.envelope.to_json(),
            "created_at": self.created_at,
            "stage": str(self.stage),
            "route": str(self.route),
            "crashes": self.crashes,
            "failures": self.failures,
            "delivery_attempts": self.delivery_attempts,
            "next_attempt_at": self.next_attempt_at,
            "first_deferred_at": self.first_deferred_at,
            "retry_since": self.retry_since,
            "verdict": self.verdict,
            "quarantine_id": self.quarantine_id,
            "message_id": self.message_id,
            "release_id": self.release_id,
            "size": self.size,
            "last_error": self.last_error,
            "recipients": self.recipients,
            "generation": self.generation,
        }
        return json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode("ascii")

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
                stage=Stage(data.get("stage", Stage.SANITIZE)),
                route=Route(data.get("route", Route.RELAY)),
                crashes=int(data.get("crashes", 0)),
                failures=int(data.get("failures", 0)),
                delivery_attempts=int(data.get("delivery_attempts", 0)),
                next_attempt_at=float(data.get("next_attempt_at", 0.0)),
                first_deferred_at=float(data.get("first_deferred_at", 0.0)),
                retry_since=float(data.get("retry_since", 0.0)),
                verdict=str(data.get("verdict", "")),
                quarantine_id=str(data.get("quarantine_id", "")),
                message_id=str(data.get("message_id", "")),
                release_id=str(data.get("release_id", "")),
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
