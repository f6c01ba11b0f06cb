"""The durable filesystem steps every state change of a message is made of.

Used by the spool, the quarantine and Maildir delivery alike: one implementation of
"tmp + fsync + rename + directory fsync" for the whole gateway.

With durable=False the fsyncs are skipped (tests and benchmarks only); atomicity through
rename is kept either way, so a killed process never leaves a half-written visible file.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path


def fsync_dir(path: Path, *, durable: bool = True) -> None:
    if not durable:
        return
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class GroupSync:
    """The fsync of one directory, shared by the threads that need it at the same moment (group
    commit): a thread whose rename came before a sync started is covered by that sync, and a
    thread that arrives while one runs waits for the next. N concurrent accepts cost one or two
    directory fsyncs instead of N; each thread still returns only once its own name is durable.
    """

    def __init__(self, path: Path, *, durable: bool = True) -> None:
        self._path = path
        self._durable = durable
        self._cond = threading.Condition()
        self._requested = 0  # tickets handed out, one per caller, after its rename
        self._done = 0  # every ticket up to this one is durable
        self._running = False

    def sync(self) -> None:
        if not self._durable:
            return
        with self._cond:
            self._requested += 1
            ticket = self._requested
            while self._done < ticket:
                if self._running:
                    self._cond.wait()
                    continue
                self._running = True
                covers = self._requested  # every rename before this moment
                self._cond.release()
                try:
                    fsync_dir(self._path)
                finally:
                    self._cond.acquire()
                    self._running = False
                    self._cond.notify_all()
                self._done = max(self._done, covers)


def write_file_durably(
    path: Path, data: bytes, *, durable: bool = True, mode: int = 0o640
) -> None:
    """Create `path` (it must not exist) with `data`, flushed to disk before returning.

    O_EXCL because every caller writes into a directory it has just made or a temporary name
    it owns: an existing file means two writers collided, which must fail loudly.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)


def replace_file_durably(
    path: Path, data: bytes, *, durable: bool = True, mode: int = 0o640, sync_dir: bool = True
) -> None:
    """Atomically replace `path`: write a sibling temporary file, fsync, rename, fsync dir.

    sync_dir=False for a caller writing several files into one directory: it fsyncs the
    directory once after the last of them.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    write_file_durably(tmp, data, durable=durable, mode=mode)
    os.replace(tmp, path)
    if sync_dir:
        fsync_dir(path.parent, durable=durable)


def rename_durably(
    src: Path, dst: Path, *, durable: bool = True, sync_source: bool = True
) -> None:
    """Rename (a file or a directory) and make both directory entries durable.

    os.rename, not os.replace semantics matter for directories: renaming onto an existing
    non-empty directory fails, so an entry is never silently overwritten.
    sync_source=False when the source is tmp/: a name reappearing there after a crash is
    harmless, since prepare() empties tmp/, and it saves one fsync per message.
    """
    os.rename(src, dst)
    fsync_dir(dst.parent, durable=durable)
    if sync_source and src.parent != dst.parent:
        fsync_dir(src.parent, durable=durable)
