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
from gateway.durable import rename_durably, write_file_durably

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


def write_maildir(root: Path, message: bytes) -> Path:
    """Write into tmp/, fsync, rename into new/, fsync new/: durable when it returns."""
    ensure_maildir(root)
    name = unique_name()
    tmp_path = root / "tmp" / name
    write_file_durably(tmp_path, message, mode=0o600)
    final = root / "new" / name
    rename_durably(tmp_path, final, sync_source=False)  # a leftover in tmp/ is harmless
    return final


def deliver_maildir(root: Path, message: bytes, recipients: list[str]) -> dict[str, Reply]:
    """One copy for the whole envelope: the embedded default has a single mailbox."""
    try:
        path = write_maildir(root, message)
    except OSError as exc:
        return all_recipients(recipients, Reply(451, f"4.3.0 maildir write failed: {exc}"))
    return all_recipients(recipients, Reply(250, f"2.0.0 delivered to {path.name}"))
