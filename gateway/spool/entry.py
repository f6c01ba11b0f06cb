"""What the spool hands out, and the error that means "no room"."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path

from gateway.errors import SpoolError
from gateway.spool.record import SpoolRecord


class SpoolFull(SpoolError):
    """No room: free disk below spool.min_free_bytes, above high water, or ENOSPC/EDQUOT.

    The SMTP side answers 452 4.3.1 for it, 451 4.3.0 for any other SpoolError.
    """


_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


def spool_error(exc: OSError, what: str) -> SpoolError:
    """The SpoolError for a failed file operation: SpoolFull when the disk or quota is full."""
    if exc.errno in _FULL_ERRNOS:
        return SpoolFull(f"{what}: {exc.strerror}")
    return SpoolError(f"{what}: {exc.strerror or exc}")


@dataclass(slots=True)
class SpoolEntry:
    queue_id: str
    queue: str
    path: Path  # the entry directory: <root>/<queue>/<queue_id>/
    record: SpoolRecord
