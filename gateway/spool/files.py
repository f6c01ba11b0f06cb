"""How entries sit on disk: one file per message under `<root>/<queue>/`, written under tmp/.

The mechanics only (paths, whole-file writes, renames, reads); which move is allowed when is
gateway.spool.store's business, and nobody outside this package sees a path.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from pathlib import Path

from gateway.durable import GroupSync, fsync_dir, write_file_durably
from gateway.spool.entry import SpoolEntry, spool_error
from gateway.spool.queuefile import pack, read_header, read_message
from gateway.spool.queues import Queue
from gateway.spool.record import SpoolRecord
from gateway.spool.usage import list_names

TMP = "tmp"


class QueueFiles:
    def __init__(self, root: Path, *, durable: bool) -> None:
        self.root = root
        self.tmp = root / TMP
        self.durable = durable
        self._seq = itertools.count()
        # the spool threads of one listener accept at the same time: their queue directory
        # fsyncs are shared (gateway.durable.GroupSync)
        self._dir_sync = {q: GroupSync(self.dir(q), durable=durable) for q in Queue}

    def dir(self, queue: Queue) -> Path:
        return self.root / queue

    def path(self, queue: Queue, queue_id: str) -> Path:
        return self.root / queue / queue_id

    def names(self, queue: Queue) -> list[str]:
        return list_names(self.dir(queue))

    def write(
        self, queue: Queue, record: SpoolRecord, message: bytes, *, replace: bool = False
    ) -> SpoolEntry:
        """A new file in `queue`, durable: tmp, fsync, rename, fsync of the queue directory.
        Without `replace` it never overwrites: a clash of queue IDs fails instead."""
        data = pack(record, message)
        tmp = self.tmp / f"{record.queue_id}.{os.getpid()}.{next(self._seq)}"
        target = self.path(queue, record.queue_id)
        try:
            write_file_durably(tmp, data, durable=self.durable, mode=0o600)
            if replace:
                os.replace(tmp, target)
            else:
                os.link(tmp, target)  # unlike rename, fails if the target exists
        finally:
            tmp.unlink(missing_ok=True)
        self._dir_sync[queue].sync()
        return SpoolEntry(record.queue_id, queue, record, len(data) - len(message))

    def rewrite(
        self, entry: SpoolEntry, queue: Queue, record: SpoolRecord, message: bytes | None
    ) -> SpoolEntry:
        """Replace an entry by a new version in `queue`; the old file goes only once the new
        one is durable, and the higher generation tells recovery which one is newer.
        Raises SpoolFull or SpoolError."""
        record = dataclasses.replace(record, generation=entry.record.generation + 1)
        try:
            if message is None:
                message = self.read_message(entry)
            if queue == entry.queue:  # in place: replaced atomically under the same name
                return self.write(queue, record, message, replace=True)
            moved = self.write(queue, record, message)
            self.path(entry.queue, entry.queue_id).unlink(missing_ok=True)
        except OSError as exc:
            raise spool_error(exc, f"cannot write {entry.queue_id} to {queue}") from exc
        return moved

    def rename(self, entry: SpoolEntry, queue: Queue) -> SpoolEntry:
        """Move unchanged (a bare rename: no fsync, either place is safe after a power cut)."""
        os.rename(self.path(entry.queue, entry.queue_id), self.path(queue, entry.queue_id))
        return dataclasses.replace(entry, queue=queue)

    def load(self, queue: Queue, queue_id: str) -> SpoolEntry:
        """Read an entry's header. Raises FileNotFoundError, OSError or DamagedQueueFile."""
        header = read_header(self.path(queue, queue_id))
        return SpoolEntry(queue_id, queue, header.record, header.offset)

    def read_message(self, entry: SpoolEntry) -> bytes:
        return read_message(self.path(entry.queue, entry.queue_id), entry.offset,
                            entry.record.size)  # fmt: skip

    def size(self, queue: Queue, queue_id: str) -> int:
        try:
            return os.stat(self.path(queue, queue_id)).st_size
        except OSError:  # moved on meanwhile
            return 0

    def unlink(self, queue: Queue, queue_id: str, *, sync: bool = False) -> bool:
        try:
            self.path(queue, queue_id).unlink()
        except FileNotFoundError:
            return False
        if sync:
            fsync_dir(self.dir(queue), durable=self.durable)
        return True

    def writable(self, queue: Queue | None) -> bool:
        directory = self.tmp if queue is None else self.dir(queue)
        return os.access(directory, os.W_OK | os.X_OK)
