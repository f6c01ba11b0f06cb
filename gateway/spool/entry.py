"""What the spool hands out, and the errors that mean "no room" or "cannot write"."""

from __future__ import annotations

import errno
from dataclasses import dataclass

from gateway.errors import SpoolError
from gateway.spool.queues import Queue
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
    """One message in one queue, as its header said when it was read."""

    queue_id: str
    queue: Queue
    record: SpoolRecord
    offset: int = 0  # where the message starts in the queue file (the spool's own business)
    damaged: str = ""  # set on a damaged file in shunt/: why its header could not be read


@dataclass(frozen=True, slots=True)
class QueueStats:
    messages: int
    bytes: int
    oldest_at: float | None  # arrival time of the oldest message (epoch seconds)


@dataclass(frozen=True, slots=True)
class SpoolSpace:
    """Room left, and the two limits that refuse new mail with 452 4.3.1 when reached."""

    free_bytes: int  # free on the spool's file system, for an unprivileged user
    min_free_bytes: int  # spool.min_free_bytes
    pending_bytes: int  # held by the queues still to be worked on
    high_water_bytes: int  # spool.high_water_bytes
