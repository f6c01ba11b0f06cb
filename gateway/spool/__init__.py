"""The crash-safe spool: see gateway.spool.store."""

from gateway.spool.entry import SpoolEntry, SpoolFull
from gateway.spool.record import SpoolRecord
from gateway.spool.store import Spool

__all__ = ["Spool", "SpoolEntry", "SpoolFull", "SpoolRecord"]
