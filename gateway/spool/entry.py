"""What the spool hands out, and the error that means "no room"."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gateway.errors import SpoolError
from gateway.spool.record import SpoolRecord


class SpoolFull(SpoolError):
    """No room: free disk below spool.min_free_bytes, above high water, or ENOSPC/EDQUOT.

    The SMTP side answers 452 4.3.1 for it, 451 4.3.0 for any other SpoolError.
    """


@dataclass(slots=True)
class SpoolEntry:
    queue_id: str
    queue: str
    path: Path  # the entry directory: <root>/<queue>/<queue_id>/
    record: SpoolRecord
