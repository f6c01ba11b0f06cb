"""The quarantine interface: what workers write and the admin API reads."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from gateway.quarantine.models import HoldState, QuarantineRecord
from gateway.types import Envelope, SanitizeResult


class QuarantineStore(Protocol):
    def prepare(self) -> None:
        """Create what storage needs (directories, schema); called once at start."""

    def put(self, quarantine_id: str, envelope: Envelope, original: bytes,
            result: SanitizeResult, original_path: Path | None = None) -> None:  # fmt: skip
        """Keep the original and the removed parts; durable on return; idempotent per id.

        `original_path`, when given, is a durable file holding `original` (the spool's copy):
        it is hard-linked instead of written again.

        Putting an id again (a retry, or the time-limit fallback) replaces the payloads and the
        metadata but keeps an admin's state decision (released/deleted).
        """

    def get(self, quarantine_id: str) -> QuarantineRecord | None: ...

    def list(self, *, state: HoldState | None = None, limit: int = 100,
             offset: int = 0) -> list[QuarantineRecord]:  # fmt: skip
        """Newest first."""

    def original(self, quarantine_id: str) -> bytes | None: ...

    def part(self, quarantine_id: str, index: int) -> bytes | None: ...

    def set_state(self, quarantine_id: str, state: HoldState) -> bool: ...

    def close(self) -> None: ...
