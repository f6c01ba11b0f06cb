"""The spool, the only door to the queue: every move of a message between queues goes through here.

One file per message (gateway.spool.queuefile) in one directory per queue (gateway.spool.files,
private). A claim is a rename that only one process wins; a rewrite is a new file written under
tmp/, fsync'd and renamed into its queue, then the old one unlinked, so several processes share
one spool and a crash at any point leaves the message whole in one queue (or, for a moment, in
two: recovery keeps the newer). What is fsync'd: the file and its directory when the version
being written becomes the only copy of a state that matters (accept, enqueue, defer, fail,
shunt). Claims, returns and removals are bare renames and unlinks: after a power cut either
place is safe, and a removal that comes back is a duplicate delivery, which at-least-once
allows (Postfix does not sync its queue file removal either).
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections import deque
from pathlib import Path

from gateway.errors import SpoolError
from gateway.log import log_event
from gateway.metrics import SPOOL_SHUNTED
from gateway.spool import recover
from gateway.spool.entry import SpoolEntry, SpoolFull, SpoolSpace, spool_error
from gateway.spool.files import QueueFiles
from gateway.spool.ids import new_queue_id
from gateway.spool.legacy import convert_legacy
from gateway.spool.operators import OperatorViews
from gateway.spool.queuefile import DamagedQueueFile
from gateway.spool.queues import CLAIMED, PENDING, READY, UNCLAIMED, Queue, Route, Stage
from gateway.spool.record import SpoolRecord
from gateway.spool.usage import UsageEstimate, free_bytes
from gateway.types import Envelope

__all__ = ["Spool", "SpoolEntry", "SpoolFull"]

_CLAIM_BATCH = 256  # names taken per directory listing; bounds the sort with a deep backlog


class Spool(OperatorViews):
    def __init__(
        self,
        root: Path,
        *,
        fsync: bool = True,
        max_attempts: int = 5,
        high_water_bytes: int = 10 * 1024**3,
        min_free_bytes: int = 256 * 1024**2,
    ) -> None:
        self._files = QueueFiles(Path(root), durable=fsync)
        self.max_attempts = max_attempts
        self._high_water = high_water_bytes
        self._min_free = min_free_bytes
        self._usage = UsageEstimate(self._files.dir(q) for q in PENDING)
        self._lock = threading.Lock()
        self._candidates: dict[Queue, deque[str]] = {q: deque() for q in CLAIMED}

    # -- start-up ---------------------------------------------------------------------------

    def prepare(self) -> None:
        """Create the queues, drop half-written files, put every claimed entry back (uncounted).
        Call once, before any other process uses the spool."""
        root, durable = self._files.root, self._files.durable
        recover.make_dirs(root, durable=durable)
        recover.clean_tmp(root)
        convert_legacy(self._files)
        names = {q: self._files.names(q) for q in Queue}
        recover.resolve_duplicates(root, names, durable=durable)
        for claimed in CLAIMED.values():
            self.return_claims(claimed)

    def return_claims(self, claimed: Queue) -> int:
        """Put back every entry of a claimed queue. Only for its single owner, before it claims
        anything (the delivery process at its start, for sending/)."""
        names = sorted(self._files.names(claimed))
        for name in names:
            recover.return_claimed(self._files.root, claimed, name)
        return len(names)

    # -- the SMTP side and other producers ---------------------------------------------------

    def space(self) -> SpoolSpace:
        """The room left now; SpoolError when the spool's file system cannot be looked at."""
        try:
            free = free_bytes(self._files.root)
        except OSError as exc:
            raise SpoolError(f"spool not usable: {exc.strerror or exc}") from exc
        return SpoolSpace(free, self._min_free, self._usage.bytes_used(), self._high_water)

    def check_space(self, size: int = 0) -> None:
        """Raise SpoolFull when `size` more bytes would not fit (SMTP asks at MAIL FROM with the
        declared SIZE, and again before the write), SpoolError when the spool is unusable."""
        space = self.space()
        if space.free_bytes - size < space.min_free_bytes:
            raise SpoolFull("free disk space below spool.min_free_bytes")
        if space.pending_bytes + size > space.high_water_bytes:
            raise SpoolFull("spool above spool.high_water_bytes")

    def accept(
        self, raw: bytes, envelope: Envelope, *, queue_id: str | None = None,
        message_id: str = "",
    ) -> str:
        """Store a received message durably in incoming/ and return its queue ID.

        queue_id may be reserved beforehand with gateway.spool.ids.new_queue_id() (the SMTP
        handler does, to name it in our Received: header). Raises SpoolFull or SpoolError.
        """
        record = SpoolRecord.new(queue_id or new_queue_id(), envelope, size=len(raw),
                                 message_id=message_id)  # fmt: skip
        return self._add(Queue.INCOMING, record, raw)

    def enqueue(
        self, message: bytes, envelope: Envelope, *, route: Route = Route.RELAY,
        release_id: str = "", quarantine_id: str = "", verdict: str = "",
    ) -> str:
        """Put a message ready to send into outgoing/, durably (a release, a DSN, a notice).
        Raises SpoolFull or SpoolError."""
        record = SpoolRecord.new(new_queue_id(), envelope, size=len(message),
                                 stage=Stage.DELIVER)  # fmt: skip
        record.route, record.release_id = route, release_id
        record.quarantine_id, record.verdict = quarantine_id, verdict
        return self._add(Queue.OUTGOING, record, message)

    def _add(self, queue: Queue, record: SpoolRecord, message: bytes) -> str:
        self.check_space(len(message))
        try:
            self._files.write(queue, record, message)
        except OSError as exc:
            raise spool_error(exc, "spool write failed") from exc
        return record.queue_id

    # -- workers and delivery ----------------------------------------------------------------

    def claim(self, queue: Queue) -> SpoolEntry | None:
        """Take the oldest entry of incoming/ or outgoing/; None when there is none."""
        claimed = CLAIMED[queue]
        while (name := self._next_candidate(queue)) is not None:
            try:
                os.rename(self._files.path(queue, name), self._files.path(claimed, name))
            except FileNotFoundError:  # another process won this one
                continue
            except OSError as exc:
                raise spool_error(exc, f"cannot claim {name}") from exc
            entry = self._load(claimed, name)
            if entry is not None:
                return entry
        return None

    def _next_candidate(self, queue: Queue) -> str | None:
        with self._lock:
            pending = self._candidates[queue]
            if not pending:
                pending.extend(sorted(self._files.names(queue))[:_CLAIM_BATCH])
            return pending.popleft() if pending else None

    def _load(self, queue: Queue, name: str) -> SpoolEntry | None:
        """The entry, or None when it is gone or damaged (then moved to shunt/ unchanged)."""
        try:
            return self._files.load(queue, name)
        except FileNotFoundError:
            return None
        except (OSError, DamagedQueueFile) as exc:
            if queue != Queue.SHUNT:
                os.rename(self._files.path(queue, name), self._files.path(Queue.SHUNT, name))
                SPOOL_SHUNTED.inc()
                log_event("shunted", name, queue=queue, reason=f"damaged queue file: {exc}")
            return None

    def read_message(self, entry: SpoolEntry) -> bytes:
        try:
            return self._files.read_message(entry)
        except OSError as exc:
            raise spool_error(exc, f"cannot read {entry.queue_id}") from exc

    def finish(self, entry: SpoolEntry) -> None:
        """The message is done with (delivered): remove it. Not fsync'd (see the module doc)."""
        try:
            self._files.unlink(entry.queue, entry.queue_id)
        except OSError as exc:
            raise spool_error(exc, f"cannot remove {entry.queue_id}") from exc

    def defer(
        self, entry: SpoolEntry, record: SpoolRecord, *, message: bytes | None = None
    ) -> SpoolEntry:
        """To deferred/ until record.next_attempt_at, with its new state (and message)."""
        return self._files.rewrite(entry, Queue.DEFERRED, record, message)

    def fail(
        self, entry: SpoolEntry, record: SpoolRecord, *, message: bytes | None = None
    ) -> SpoolEntry:
        """To failed/: given up, kept for an operator (who may retry it)."""
        return self._files.rewrite(entry, Queue.FAILED, record, message)

    def requeue(
        self, entry: SpoolEntry, record: SpoolRecord, *, message: bytes | None = None
    ) -> SpoolEntry:
        """To the queue that serves record.stage, at once (e.g. the notice of a mail whose
        worker was killed at the time limit)."""
        return self._files.rewrite(entry, READY[record.stage], record, message)

    def postpone(self, entry: SpoolEntry, error: str, delay: float) -> Queue:
        """This mail raised `error` (not a storage fault): try it again after `delay` seconds,
        or shunt it with the reason once it failed spool.max_attempts times."""
        record = dataclasses.replace(
            entry.record, failures=entry.record.failures + 1, last_error=error[:1000],
            next_attempt_at=time.time() + delay,
        )
        if record.failures >= self.max_attempts:
            self._shunt(entry, record, f"failed {record.failures} times; last: {error}"[:1000])
            return Queue.SHUNT
        self._files.rewrite(entry, Queue.DEFERRED, record, None)
        return Queue.DEFERRED

    def put_back(self, entry: SpoolEntry) -> None:
        """Give a claimed entry back unchanged and uncounted: the job failed for a fault of ours
        (disk, database), which says nothing about the mail."""
        try:
            self._files.rename(entry, UNCLAIMED[entry.queue])
        except OSError as exc:
            raise spool_error(exc, f"cannot put {entry.queue_id} back") from exc
        log_event("put-back", entry.queue_id, queue=UNCLAIMED[entry.queue])

    def shunt(self, entry: SpoolEntry, reason: str) -> None:
        self._shunt(entry, entry.record, reason)

    def _shunt(self, entry: SpoolEntry, record: SpoolRecord, reason: str) -> None:
        self._files.rewrite(entry, Queue.SHUNT, dataclasses.replace(record, last_error=reason),
                            None)  # fmt: skip
        SPOOL_SHUNTED.inc()
        log_event("shunted", entry.queue_id, queue=entry.queue, reason=reason,
                  crashes=record.crashes, failures=record.failures)  # fmt: skip

    def return_crashed(self, claimed: Queue, queue_id: str) -> Queue | None:
        """The process that claimed this entry died holding it (the supervisor saw it): back to
        its queue with the crash counted, or to shunt/ after spool.max_attempts such deaths.
        None when the entry is no longer there."""
        entry = self._load(claimed, queue_id)
        if entry is None:
            return None
        record = dataclasses.replace(entry.record, crashes=entry.record.crashes + 1)
        try:
            if record.crashes >= self.max_attempts:
                self._shunt(entry, record, f"its worker died {record.crashes} times on it")
                return Queue.SHUNT
            moved = self._files.rewrite(entry, READY[record.stage], record, None)
        except SpoolError as exc:  # no room to count it: back uncounted rather than stuck
            self.put_back(entry)
            log_event("requeued", queue_id, queue=UNCLAIMED[claimed], uncounted=str(exc))
            return UNCLAIMED[claimed]
        log_event("requeued", queue_id, queue=moved.queue, crashes=record.crashes)
        return moved.queue

    def wake_due(self, now: float) -> dict[Queue, int]:
        """Move deferred entries whose time has come to the queue that serves them."""
        woken = {q: 0 for q in READY.values()}
        for name in sorted(self._files.names(Queue.DEFERRED)):
            entry = self._load(Queue.DEFERRED, name)
            if entry is None or entry.record.next_attempt_at > now:
                continue
            target = READY[entry.record.stage]
            try:
                self._files.rename(entry, target)
            except FileNotFoundError:  # an operator retried or deleted it meanwhile
                continue
            except OSError as exc:
                raise spool_error(exc, f"cannot move {name} to {target}") from exc
            woken[target] += 1
        return woken

    def problems(self) -> list[str]:
        """Why the spool cannot take mail now (for /readyz); empty when it can."""
        problems = [
            f"spool queue {q or 'tmp'} is missing or not writable"
            for q in (None, Queue.INCOMING, Queue.OUTGOING) if not self._files.writable(q)
        ]  # fmt: skip
        try:
            self.check_space()
        except SpoolError as exc:
            problems.append(f"spool: {exc}")
        return problems
