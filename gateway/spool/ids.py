"""Queue IDs: unique across processes and nodes, sortable by time, filename-safe, short.

Layout (22 upper-case hex digits): 11 digits of milliseconds since the epoch (good until year
2527), 4 digits naming the node (a hash of `node_name`, the host name by default), 5 digits of
the process id (pid mod 2**20), 2 digits of a per-process sequence within the millisecond.
Names sort in arrival order at millisecond resolution. The node digits matter once several
gateways share one store: containers started alike give their processes the same pids, and two
listeners accepting in the same millisecond would otherwise mint one ID for two mails. The
spool's exclusive create and the store's check of the original's hash are the last lines of
defence. IDs of the earlier 18-digit layout (no node) are still recognised.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time

QUEUE_ID_LENGTH = 22
_LEGACY_LENGTH = 18
_SEQ_LIMIT = 0x100
_PID_MASK = 0xFFFFF
_HEX = frozenset("0123456789ABCDEF")

_lock = threading.Lock()
_last_ms = 0
_seq = 0
_pid = -1
_node: int | None = None


def node_tag(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:2], "big")


def set_node(name: str) -> None:
    """Name this node (settings.node_name; the host name when empty). Call at process start."""
    global _node
    with _lock:
        _node = node_tag(name or socket.gethostname())


def new_queue_id() -> str:
    global _last_ms, _seq, _pid, _node
    with _lock:
        if _node is None:
            _node = node_tag(socket.gethostname())
        pid = os.getpid()
        if pid != _pid:  # a forked child must not continue its parent's sequence
            _pid, _last_ms, _seq = pid, 0, 0
        now = time.time_ns() // 1_000_000
        if now < _last_ms:  # the clock stepped back: stay monotonic within this process
            now = _last_ms
        if now == _last_ms:
            _seq += 1
            if _seq >= _SEQ_LIMIT:  # 256 IDs in one millisecond: borrow the next one
                now += 1
                _seq = 0
        else:
            _seq = 0
        _last_ms = now
        return f"{now:011X}{_node:04X}{pid & _PID_MASK:05X}{_seq:02X}"


def is_queue_id(name: str) -> bool:
    """True for a name this module could have produced (guards paths built from names)."""
    return len(name) in (QUEUE_ID_LENGTH, _LEGACY_LENGTH) and _HEX.issuperset(name)


def time_of(queue_id: str) -> float:
    """When the ID was made (epoch seconds): the oldest entry of a queue without reading it."""
    return int(queue_id[:11], 16) / 1000.0
