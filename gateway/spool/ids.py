"""Queue IDs: unique across processes, sortable by time, filename-safe, short.

Layout (18 upper-case hex digits): 11 digits of milliseconds since the epoch (good until
year 2527), 5 digits of the process id (pid mod 2**20), 2 digits of a per-process sequence
within the millisecond. Names therefore sort in arrival order at millisecond resolution, and two
live processes only clash if their pids differ by an exact multiple of 2**20; the spool's
exclusive create in tmp/ is the last line of defence against even that.
"""

from __future__ import annotations

import os
import threading
import time

QUEUE_ID_LENGTH = 18
_SEQ_LIMIT = 0x100
_PID_MASK = 0xFFFFF
_HEX = frozenset("0123456789ABCDEF")

_lock = threading.Lock()
_last_ms = 0
_seq = 0
_pid = -1


def new_queue_id() -> str:
    global _last_ms, _seq, _pid
    with _lock:
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
        return f"{now:011X}{pid & _PID_MASK:05X}{_seq:02X}"


def is_queue_id(name: str) -> bool:
    """True for a name this module could have produced (guards paths built from names)."""
    return len(name) == QUEUE_ID_LENGTH and _HEX.issuperset(name)


def time_of(queue_id: str) -> float:
    """When the ID was made (epoch seconds): the oldest entry of a queue without reading it."""
    return int(queue_id[:11], 16) / 1000.0
