"""What operators see and do through the spool's door: list, look up, count, retry now, delete.

A part of gateway.spool.store.Spool (which mixes it in), kept apart because it is the admin
plane's view, not the mail's path.
"""

from __future__ import annotations

import dataclasses
import time

from gateway.errors import SpoolError
from gateway.spool.entry import QueueStats, SpoolEntry, spool_error
from gateway.spool.files import QueueFiles
from gateway.spool.ids import is_queue_id, time_of
from gateway.spool.queuefile import DamagedQueueFile
from gateway.spool.queues import READY, RESTING, Queue
from gateway.spool.record import PENDING as RCPT_PENDING
from gateway.spool.record import SpoolRecord
from gateway.types import Envelope


class OperatorViews:
    _files: QueueFiles

    def entries(self, queue: Queue, *, limit: int = 100, after: str = "") -> list[SpoolEntry]:
        """Entries of one queue, oldest first, from the one after `after` (a queue ID)."""
        out: list[SpoolEntry] = []
        for name in sorted(n for n in self._files.names(queue) if n > after):
            if len(out) >= limit:
                break
            if (entry := self.get(queue, name)) is not None:
                out.append(entry)
        return out

    def get(self, queue: Queue, queue_id: str) -> SpoolEntry | None:
        """One entry as it is now; a damaged file is shown with `damaged` set, not moved."""
        if not is_queue_id(queue_id):
            return None
        try:
            return self._files.load(queue, queue_id)
        except FileNotFoundError:
            return None
        except (OSError, DamagedQueueFile) as exc:
            record = SpoolRecord(queue_id, Envelope("", []), created_at=time_of(queue_id))
            record.size = self._files.size(queue, queue_id)
            return SpoolEntry(queue_id, queue, record, damaged=str(exc))

    def find(self, queue_id: str) -> SpoolEntry | None:
        """The entry with this queue ID, in whichever queue it is now."""
        for queue in Queue:
            if (entry := self.get(queue, queue_id)) is not None:
                return entry
        return None

    def stats(self) -> dict[Queue, QueueStats]:
        """Messages, bytes and the oldest arrival per queue (a queue ID carries its time)."""
        stats: dict[Queue, QueueStats] = {}
        for queue in Queue:
            names = self._files.names(queue)
            size = sum(self._files.size(queue, name) for name in names)
            stats[queue] = QueueStats(len(names), size, time_of(min(names)) if names else None)
        return stats

    def retry_now(self, queue: Queue, queue_id: str) -> SpoolEntry | None:
        """An operator's "try again now" for a deferred, failed or shunted entry: failed
        recipients are tried again and the maximum age counts from now. None when it is gone."""
        if queue not in (Queue.DEFERRED, Queue.FAILED, Queue.SHUNT):
            raise ValueError(f"cannot retry from {queue}")
        entry = self.get(queue, queue_id)
        if entry is None or entry.damaged:
            return None
        fresh = {"status": RCPT_PENDING, "reply": ""}
        recipients = {
            rcpt: state if state.get("status") == "delivered" else dict(fresh)
            for rcpt, state in entry.record.recipients.items()
        }
        record = dataclasses.replace(
            entry.record, next_attempt_at=0.0, retry_since=time.time(), crashes=0, failures=0,
            recipients=recipients,
        )
        try:
            return self._files.rewrite(entry, READY[record.stage], record, None)
        except SpoolError:
            if self.get(queue, queue_id) is None:  # moved on meanwhile (the scanner woke it)
                return None
            raise

    def delete(self, queue: Queue, queue_id: str) -> bool:
        """Remove an entry an operator decided to drop; False when it was not there."""
        if queue not in RESTING:
            raise ValueError(f"cannot delete from {queue}: a process holds it")
        if not is_queue_id(queue_id):
            return False
        try:
            return self._files.unlink(queue, queue_id, sync=True)
        except OSError as exc:
            raise spool_error(exc, f"cannot delete {queue_id}") from exc
