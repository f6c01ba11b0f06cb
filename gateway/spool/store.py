"""The crash-safe spool: one directory per message, one rename per state change.

See the relay contract for the layout. Every write goes tmp → fsync → rename → fsync of the
directories (gateway.durable), so a message is either wholly in a queue or not there, and
several processes can share one spool because a claim is a rename that only one of them wins.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import shutil
import threading
from collections import deque
from pathlib import Path

from gateway.durable import (
    fsync_dir,
    rename_durably,
    replace_file_durably,
    write_file_durably,
)
from gateway.errors import SpoolError
from gateway.metrics import SPOOL_MESSAGES
from gateway.spool import recover
from gateway.spool.entry import SpoolEntry, SpoolFull, spool_error
from gateway.spool.ids import is_queue_id, new_queue_id
from gateway.spool.layout import (
    CLAIM_TARGET,
    DEFERRED,
    INCOMING,
    MESSAGE_FILE,
    OUTGOING,
    PENDING_QUEUES,
    QUEUES,
    RECORD_FILE,
    RECOVERY_TARGET,
    TMP,
)
from gateway.spool.poison import load_entry, shunt
from gateway.spool.record import SpoolRecord
from gateway.spool.usage import UsageEstimate, free_bytes, list_entries
from gateway.types import Envelope

__all__ = ["Spool", "SpoolEntry", "SpoolFull"]

_CLAIM_BATCH = 256  # names taken per directory listing; bounds the sort with a deep backlog


class Spool:
    def __init__(
        self,
        root: Path,
        *,
        fsync: bool = True,
        max_attempts: int = 5,
        high_water_bytes: int = 10 * 1024**3,
        min_free_bytes: int = 256 * 1024**2,
    ) -> None:
        self.root = Path(root)
        self._durable = fsync
        self._max_attempts = max_attempts
        self._high_water = high_water_bytes
        self._min_free = min_free_bytes
        self._usage = UsageEstimate(self.root, PENDING_QUEUES, QUEUES)
        self._lock = threading.Lock()
        self._candidates: dict[str, deque[str]] = {q: deque() for q in CLAIM_TARGET}
        self._deferred_due: dict[str, float] = {}
        self._tmp_seq = itertools.count()

    # -- start-up ---------------------------------------------------------------------------

    def prepare(self) -> None:
        """Create the queues, drop half-built entries, put claimed entries back (crash recovery)."""
        durable = self._durable
        recover.make_dirs(self.root, durable=durable)
        recover.clean_tmp(self.root, durable=durable)
        recover.resolve_duplicates(self.root, durable=durable)
        recover.requeue_claimed(self.root, durable=durable)
        self.counts()

    # -- SMTP side --------------------------------------------------------------------------

    def accept(
        self, raw: bytes, envelope: Envelope, *, queue_id: str | None = None,
        message_id: str = "",
    ) -> str:
        """Store a received message durably in incoming/ and return its queue ID.

        queue_id may be reserved beforehand with gateway.spool.ids.new_queue_id() (the SMTP
        handler does, to name it in our Received: header). Raises SpoolFull or SpoolError.
        """
        qid = queue_id or new_queue_id()
        self.check_space(len(raw))
        record = SpoolRecord.new(qid, envelope, size=len(raw), message_id=message_id)
        building = self.root / TMP / qid
        try:
            self._build(building, record, message=raw)
            try:
                rename_durably(
                    building, self.root / INCOMING / qid, durable=self._durable,
                    sync_source=False,
                )
            except OSError:
                shutil.rmtree(building, ignore_errors=True)
                raise
        except OSError as exc:
            raise spool_error(exc, "spool write failed") from exc
        return qid

    def check_space(self, size: int = 0) -> None:
        """Raise SpoolFull when `size` more bytes would not fit (SMTP asks at MAIL FROM with the
        declared SIZE, and again before the write), SpoolError when the spool is unusable."""
        try:
            free = free_bytes(self.root)
        except OSError as exc:
            raise SpoolError(f"spool not usable: {exc.strerror or exc}") from exc
        if free - size < self._min_free:
            raise SpoolFull("free disk space below spool.min_free_bytes")
        if self._usage.bytes_used() + size > self._high_water:
            raise SpoolFull("spool above spool.high_water_bytes")

    # -- worker and delivery side -----------------------------------------------------------

    def claim(self, source: str) -> SpoolEntry | None:
        """Take the oldest entry of incoming/ or outgoing/; None when there is none.

        The attempt counter is bumped on disk before the entry is handed out, so a message that
        kills whoever works on it is shunted after max_attempts claims instead of looping.

        Only the new record's data is fsync'd, no directory: after a power cut the entry is in
        the source queue or in the claimed one, and prepare() puts claimed entries back, both
        safe; its record.json is the old or the new one, both whole. Without that fsync, XFS
        or ext4 with noauto_da_alloc may keep the rename but not the data: an empty record,
        and the envelope lost. The counter guards against crashing processes, and a process
        crash does not lose the page cache; a power cut can only reset it. This saves three
        fsyncs per claim.
        """
        target = CLAIM_TARGET[source]
        while (name := self._next_candidate(source)) is not None:
            try:
                rename_durably(self.root / source / name, self.root / target / name, durable=False)
            except FileNotFoundError:  # another process won this one
                continue
            entry = self.entry(target, name)
            if entry is None:  # unreadable: already shunted with its reason
                continue
            record = entry.record
            record.attempts += 1
            if record.attempts > self._max_attempts:
                reason = f"claimed {record.attempts - 1} times without finishing"
                shunt(self.root, entry, reason, durable=self._durable)
                continue
            try:
                self._write_claim_record(entry.path, record)
            except OSError as exc:  # not counted, so not handed out: give it back
                with contextlib.suppress(OSError):
                    rename_durably(entry.path, self.root / source / name, durable=False)
                raise SpoolError(f"cannot record the claim: {exc.strerror or exc}") from exc
            return entry
        return None

    def release(self, entry: SpoolEntry) -> None:
        """Give a claimed entry back to the queue it was claimed from, the claim not counted.

        For a job that failed for a fault of ours (disk, database), not of the message: the
        claim counter shunts poison, and good mail must not be shunted for our outage.
        """
        if entry.queue not in RECOVERY_TARGET:
            raise ValueError(f"not a claimed entry: {entry.queue}/{entry.queue_id}")
        record = dataclasses.replace(entry.record, attempts=max(0, entry.record.attempts - 1))
        try:
            self._write_claim_record(entry.path, record)
            recover.return_claim(
                self.root, entry.queue, entry.queue_id, durable=self._durable, event="released"
            )
        except OSError as exc:
            raise spool_error(exc, "cannot release the claim") from exc

    def _write_claim_record(self, path: Path, record: SpoolRecord) -> None:
        """The claim counter, written as claim() explains: data fsync'd, directory not."""
        replace_file_durably(
            path / RECORD_FILE, record.to_json(), durable=self._durable, sync_dir=False
        )

    def _next_candidate(self, source: str) -> str | None:
        with self._lock:
            pending = self._candidates[source]
            if not pending:
                names = sorted(n for n in list_entries(self.root / source) if is_queue_id(n))
                pending.extend(names[:_CLAIM_BATCH])
            return pending.popleft() if pending else None

    def entry(self, queue: str, queue_id: str) -> SpoolEntry | None:
        """Load one entry; an unusable one is shunted (message kept, reason recorded) → None."""
        return load_entry(self.root, queue, queue_id, durable=self._durable)

    def move(
        self, entry: SpoolEntry, dest: str, *, message: bytes | None = None,
        record: SpoolRecord | None = None,
    ) -> SpoolEntry:
        """Move an entry to another queue, durably, replacing its message and/or record.

        A changed entry is built whole in tmp/ and renamed into `dest` before the old copy is
        removed: a crash in between leaves two copies and prepare() keeps the newer generation.
        Moving into a new stage resets the attempt counter; `dest` may be the entry's own queue
        to update it in place. Raises SpoolFull or SpoolError.
        """
        if dest not in QUEUES:
            raise ValueError(f"no such spool queue: {dest!r}")
        try:
            return self._move(entry, dest, message=message, record=record)
        except OSError as exc:
            raise spool_error(exc, f"cannot move {entry.queue_id} to {dest}") from exc

    def _move(
        self, entry: SpoolEntry, dest: str, *, message: bytes | None,
        record: SpoolRecord | None,
    ) -> SpoolEntry:
        base = record if record is not None else entry.record
        new_record = dataclasses.replace(base, queue_id=entry.queue_id)
        if dest != entry.queue:
            new_record.attempts = 0
        if message is None and record is None and new_record == entry.record:
            dest_path = self.root / dest / entry.queue_id
            rename_durably(entry.path, dest_path, durable=self._durable)
            return SpoolEntry(entry.queue_id, dest, dest_path, new_record)
        new_record.generation = entry.record.generation + 1
        if dest == entry.queue:
            if message is not None:
                replace_file_durably(entry.path / MESSAGE_FILE, message, durable=self._durable)
            replace_file_durably(entry.path / RECORD_FILE, new_record.to_json(),
                                 durable=self._durable)
            return SpoolEntry(entry.queue_id, dest, entry.path, new_record)
        building = self.root / TMP / f"{entry.queue_id}.{os.getpid()}.{next(self._tmp_seq)}"
        self._build(building, new_record, message=message, link=entry.path / MESSAGE_FILE)
        dest_path = self.root / dest / entry.queue_id
        try:
            rename_durably(building, dest_path, durable=self._durable, sync_source=False)
        except OSError:
            shutil.rmtree(building, ignore_errors=True)
            raise
        # No fsync for the old copy's removal: should it come back after a power cut,
        # prepare() keeps the newer generation, which is already durable in `dest`.
        recover.discard(self.root, entry.path)
        return SpoolEntry(entry.queue_id, dest, dest_path, new_record)

    def _build(
        self, path: Path, record: SpoolRecord, *, message: bytes | None,
        link: Path | None = None,
    ) -> None:
        """Write a complete entry directory at `path` (under tmp/), flushed to disk."""
        os.mkdir(path)  # exclusive: a clash of queue IDs fails here, and the other copy stays
        try:
            if message is not None:
                write_file_durably(path / MESSAGE_FILE, message, durable=self._durable)
            elif link is not None:
                os.link(link, path / MESSAGE_FILE)  # unchanged message: no copy, same inode
            write_file_durably(path / RECORD_FILE, record.to_json(), durable=self._durable)
            fsync_dir(path, durable=self._durable)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise

    def remove(self, entry: SpoolEntry) -> None:
        """Delete a delivered entry (the quarantine keeps the original).

        Not fsync'd, as Postfix does not sync its queue file removal: after a power cut the
        entry may come back and be delivered twice, which at-least-once delivery allows.
        """
        try:
            recover.discard(self.root, entry.path)
        except OSError as exc:
            raise spool_error(exc, f"cannot remove {entry.queue_id}") from exc

    def due_deferred(self, now: float) -> int:
        """Put deferred entries whose next_attempt_at has come back into outgoing/."""
        names = sorted(n for n in list_entries(self.root / DEFERRED) if is_queue_id(n))
        present = set(names)
        with self._lock:
            self._deferred_due = {n: t for n, t in self._deferred_due.items() if n in present}
        moved = 0
        for name in names:
            due = self._deferred_due.get(name)
            if due is None:
                entry = self.entry(DEFERRED, name)
                if entry is None:
                    continue
                due = entry.record.next_attempt_at
                with self._lock:
                    self._deferred_due[name] = due
            if due > now:
                continue
            entry = self.entry(DEFERRED, name)
            if entry is not None:
                try:
                    self._move(entry, OUTGOING, message=None, record=None)
                    moved += 1
                except FileNotFoundError:  # moved by someone else meanwhile
                    pass
                except OSError as exc:
                    raise spool_error(exc, f"cannot move {name} to {OUTGOING}") from exc
            # Forgotten once gone from deferred/: deferred again, the entry has a new time.
            with self._lock:
                self._deferred_due.pop(name, None)
        return moved

    def read_message(self, entry: SpoolEntry) -> bytes:
        return (entry.path / MESSAGE_FILE).read_bytes()

    def counts(self) -> dict[str, int]:
        counts = {queue: len(list_entries(self.root / queue)) for queue in QUEUES}
        for queue, n in counts.items():
            SPOOL_MESSAGES.labels(queue=queue).set(n)
        return counts
