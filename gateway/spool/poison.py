"""Loading an entry defensively, and moving aside (shunt/) what cannot or must not be worked on.

A damaged entry is never fatal and never deleted: an unreadable record.json is kept as
record.json.corrupt beside a rebuilt one, and the entry waits in shunt/ for an operator.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from gateway.durable import rename_durably, replace_file_durably
from gateway.log import log_event
from gateway.metrics import SPOOL_SHUNTED
from gateway.spool.entry import SpoolEntry
from gateway.spool.layout import CORRUPT_RECORD_FILE, MESSAGE_FILE, RECORD_FILE, SHUNT
from gateway.spool.record import SpoolRecord


def load_entry(root: Path, queue: str, queue_id: str, *, durable: bool) -> SpoolEntry | None:
    """One entry, or None when it is gone or unusable (then shunted, reason recorded)."""
    path = root / queue / queue_id
    try:
        record = SpoolRecord.from_json((path / RECORD_FILE).read_bytes())
    except FileNotFoundError:
        if not path.is_dir():
            return None
        _rebuild_and_shunt(root, queue, queue_id, "record.json missing", durable=durable)
        return None
    except (OSError, ValueError) as exc:
        reason = f"record.json unreadable: {exc}"
        _rebuild_and_shunt(root, queue, queue_id, reason, durable=durable)
        return None
    if not (path / MESSAGE_FILE).is_file():
        if queue != SHUNT:
            entry = SpoolEntry(queue_id, queue, path, record)
            shunt(root, entry, "message.eml missing", durable=durable)
        return None
    return SpoolEntry(queue_id, queue, path, record)


def _rebuild_and_shunt(
    root: Path, queue: str, queue_id: str, reason: str, *, durable: bool
) -> None:
    path = root / queue / queue_id
    try:
        size = (path / MESSAGE_FILE).stat().st_size
    except OSError:
        size = 0
    with contextlib.suppress(FileNotFoundError):
        os.replace(path / RECORD_FILE, path / CORRUPT_RECORD_FILE)
    record = SpoolRecord.rebuilt(queue_id, size=size, reason=reason)
    replace_file_durably(path / RECORD_FILE, record.to_json(), durable=durable)
    if queue != SHUNT:
        shunt(root, SpoolEntry(queue_id, queue, path, record), reason, durable=durable)


def shunt(root: Path, entry: SpoolEntry, reason: str, *, durable: bool) -> None:
    entry.record.last_error = reason
    replace_file_durably(entry.path / RECORD_FILE, entry.record.to_json(), durable=durable)
    rename_durably(entry.path, root / SHUNT / entry.queue_id, durable=durable)
    SPOOL_SHUNTED.inc()
    log_event("shunted", entry.queue_id, queue=entry.queue, reason=reason,
              attempts=entry.record.attempts)
