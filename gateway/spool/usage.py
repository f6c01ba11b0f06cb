"""Listing a queue, and how full the spool is, cheaply enough to ask on every accept().

Several processes write one spool, so a per-process running counter would be wrong. Instead the
pending queues are listed at most once per `refresh_seconds` and the size of each file is taken
from a cache keyed by queue ID: only files not seen before are stat()ed, so a steady state
costs one directory listing per queue per second, not one stat per message.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from gateway.spool.ids import is_queue_id


def list_names(queue_dir: Path) -> list[str]:
    """Queue IDs of the files in one queue directory (anything else there is not a message)."""
    try:
        with os.scandir(queue_dir) as it:
            return [e.name for e in it if is_queue_id(e.name)]
    except FileNotFoundError:
        return []


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


class UsageEstimate:
    def __init__(self, queue_dirs: Iterable[Path], refresh_seconds: float = 1.0) -> None:
        self._dirs = list(queue_dirs)
        self._refresh = refresh_seconds
        self._lock = threading.Lock()
        self._sizes: dict[str, int] = {}
        self._total = 0
        self._at = float("-inf")

    def bytes_used(self) -> int:
        """Bytes held by the pending queues, at most `refresh_seconds` old."""
        with self._lock:
            now = time.monotonic()
            if now - self._at >= self._refresh:
                self._rescan()
                self._at = now
            return self._total

    def _rescan(self) -> None:
        sizes: dict[str, int] = {}
        for directory in self._dirs:
            for name in list_names(directory):
                size = self._sizes.get(name)
                if size is None:
                    try:
                        size = os.stat(directory / name).st_size
                    except OSError:  # moved or removed meanwhile: counted next time
                        continue
                sizes[name] = size
        self._sizes = sizes
        self._total = sum(sizes.values())
