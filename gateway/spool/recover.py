"""Recovery of a spool left by a crash (kill -9 of the whole tree included).

prepare() runs the whole of it once, before any listener or worker, so it may look at every
queue without racing anyone; return_claim() and discard() also serve at run time.
Nothing here deletes a message that exists nowhere else: tmp/ only ever holds copies still being
built (the original stays in its queue until the finished copy has been renamed into place) and
entries being deleted, and a duplicate is only removed when a newer copy of the same queue ID
is kept.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from gateway.durable import fsync_dir, rename_durably
from gateway.log import log_event
from gateway.spool.layout import PROGRESS, QUEUES, RECORD_FILE, RECOVERY_TARGET, TMP
from gateway.spool.record import SpoolRecord
from gateway.spool.usage import list_entries


def make_dirs(root: Path, *, durable: bool) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for queue in (TMP, *QUEUES):
        (root / queue).mkdir(exist_ok=True)
    fsync_dir(root, durable=durable)


def clean_tmp(root: Path, *, durable: bool) -> int:
    tmp = root / TMP
    removed = 0
    for child in tmp.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
        removed += 1
    fsync_dir(tmp, durable=durable)
    return removed


def discard(root: Path, path: Path) -> None:
    """Delete an entry directory in one step: rename it into tmp/, then empty it there.

    An rmtree in place that is cut short (kill -9, power cut) leaves a half entry in its queue,
    say a message without record.json, later rebuilt and shunted as if corrupt; cut short in
    tmp/, it leaves debris that prepare() removes. Not fsync'd: should the entry come back
    after a power cut, it is a duplicate that resolve_duplicates() settles, or a delivered
    mail delivered again, which at-least-once delivery allows.
    """
    grave = root / TMP / f"{path.name}.gone.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        os.rename(path, grave)
    except FileNotFoundError:  # already gone
        return
    shutil.rmtree(grave, ignore_errors=True)


def _generation(path: Path) -> int:
    try:
        return SpoolRecord.from_json((path / RECORD_FILE).read_bytes()).generation
    except (OSError, ValueError):
        return -1


def _rank(root: Path, queue: str, name: str) -> tuple[int, int]:
    """Which of two copies of one queue ID to keep: the higher rank (generation, then the
    queue further along)."""
    return (_generation(root / queue / name), PROGRESS.index(queue))


def resolve_duplicates(root: Path, *, durable: bool) -> int:
    """Keep one copy of each queue ID, the highest ranked."""
    seen: dict[str, list[str]] = {}
    for queue in QUEUES:
        for name in list_entries(root / queue):
            seen.setdefault(name, []).append(queue)
    removed = 0
    for name, queues in seen.items():
        if len(queues) < 2:
            continue
        ranked = sorted(queues, key=lambda q: _rank(root, q, name))
        keep = ranked[-1]
        for queue in ranked[:-1]:
            discard(root, root / queue / name)
            fsync_dir(root / queue, durable=durable)
            removed += 1
        log_event("duplicate-resolved", name, kept=keep, dropped=ranked[:-1])
    return removed


def return_claim(
    root: Path, claimed: str, queue_id: str, *, durable: bool, event: str = "recovered"
) -> None:
    """Put one claimed entry back where it was claimed from, by a bare rename.

    Not Spool.move(): that resets the claim counter, and the counter is what moves a mail
    that keeps killing its worker into shunt/ instead of retrying it forever.
    A process that died inside move(), between renaming the new copy into place and removing
    the old one, leaves the queue ID in two queues; then the claimed copy, outranked, is
    dropped instead of coming back for a second run. The other copy is never touched: at
    run time another process may be working on it.
    """
    target = RECOVERY_TARGET[claimed]
    own = _rank(root, claimed, queue_id)
    newer = [
        q for q in QUEUES if q != claimed and (root / q / queue_id).is_dir()
        and _rank(root, q, queue_id) > own
    ]
    if newer:
        discard(root, root / claimed / queue_id)
        log_event("duplicate-resolved", queue_id, kept=newer[-1], dropped=[claimed])
        return
    rename_durably(root / claimed / queue_id, root / target / queue_id, durable=durable)
    log_event(event, queue_id, source=claimed, queue=target)


def requeue_claimed(
    root: Path, *, durable: bool, claimed_queues: tuple[str, ...] = tuple(RECOVERY_TARGET)
) -> int:
    """Entries claimed by a process that died go back to the queue they were claimed from."""
    moved = 0
    for claimed in claimed_queues:
        for name in sorted(list_entries(root / claimed)):
            return_claim(root, claimed, name, durable=durable)
            moved += 1
    return moved
