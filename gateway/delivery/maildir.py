"""Maildir delivery, the embedded default when no relay is configured.

Hand-written rather than mailbox.Maildir: the stdlib class neither fsyncs the file nor the
directories, and a 250 already given must survive a power cut.
"""

from __future__ import annotations

import itertools
import os
import socket
import time
from pathlib import Path

from gateway.delivery.reply import Reply, all_recipients

_COUNTER = itertools.count()
_SUBDIRS = ("tmp", "new", "cur")


def ensure_maildir(root: Path) -> None:
    for sub in _SUBDIRS:
        (root / sub).mkdir(parents=True, exist_ok=True)


def unique_name() -> str:
    """time.MusecPpidQn.host, as the Maildir spec describes: unique across processes and hosts."""
    now = time.time()
    secs = int(now)
    usecs = int((now - secs) * 1_000_000)
    host = socket.gethostname().replace("/", "\\057").replace(":", "\\072")
    return f"{secs}.M{usecs}P{os.getpid()}Q{next(_COUNTER)}.{host}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_maildir(root: Path, message: bytes) -> Path:
    """Write into tmp/, fsync, rename into new/, fsync new/: durable when it returns."""
    ensure_maildir(root)
    name = unique_name()
    tmp_path = root / "tmp" / name
    fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(message)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    final = root / "new" / name
    os.rename(tmp_path, final)
    _fsync_dir(root / "new")
    return final


def deliver_maildir(root: Path, message: bytes, recipients: list[str]) -> dict[str, Reply]:
    """One copy for the whole envelope: the embedded default has a single mailbox."""
    try:
        path = write_maildir(root, message)
    except OSError as exc:
        return all_recipients(recipients, Reply(451, f"4.3.0 maildir write failed: {exc}"))
    return all_recipients(recipients, Reply(250, f"2.0.0 delivered to {path.name}"))
