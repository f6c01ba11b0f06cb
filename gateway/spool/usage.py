"""How full the spool is, cheaply enough to ask on every accept().

Several processes write one spool, so a per-process running counter would be wrong. Instead the
pending queues are listed at most once per `refresh_seconds` and the size of each entry is taken
from a cache keyed by queue ID: only entries not seen before are stat()ed, so a steady state
costs one directory listing per queue per second, not one stat per message.
The same listing feeds the SPOOL_MESSAGES gauge.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from gateway.metrics import SPOOL_MESSAGES
from gateway.spool.layout import MESSAGE_FILE


def list_entries(queue_dir: Path) -> list[str]:
    """Names of the entries of one queue (directories only; stray files are not messages)."""
    try:
        with os.scandir(queue_dir) as it:
            return [e.name for e in it if e.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return []


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


class UsageEstimate:
    def __init__(
        self, root: Path, counted: tuple[str, ...], all_queues: tuple[str, ...],
        refresh_seconds: float = 1.0,
    ) -> None:
        self._root = root
        self._counted = counted
        self._all = all_queues
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
        for queue in self._all:
            names = list_entries(self._root / queue)
            SPOOL_MESSAGES.labels(queue=queue).set(len(names))
            if queue not in self._counted:
                continue
            for name in names:
                size = self._sizes.get(name)
                if size is None:
                    try:
                        size = os.stat(self._root / queue / name / MESSAGE_FILE).st_size
                    except OSError:  # moved or removed meanwhile: counted next time
                        continue
                sizes[name] = size
        self._sizes = sizes
        self._total = sum(sizes.values())
