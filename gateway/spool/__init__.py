"""The crash-safe spool: see gateway.spool.store, its only door."""

from gateway.spool.entry import QueueStats, SpoolEntry, SpoolFull, SpoolSpace
from gateway.spool.queues import Queue, Route, Stage
from gateway.spool.record import SpoolRecord
from gateway.spool.store import Spool

__all__ = ["Queue", "QueueStats", "Route", "Spool", "SpoolEntry", "SpoolFull", "SpoolRecord",
           "SpoolSpace", "Stage"]
