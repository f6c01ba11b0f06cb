"""Start-up recovery of a spool left by a crash (kill -9 of the whole tree included).

Runs once, before any listener or worker, so it may look at every queue without racing anyone.
Nothing here deletes a message that exists nowhere else: tmp/ only ever holds copies still being
built (the original stays in its queue until the finished copy has been renamed into place), and
a duplicate is only removed when a newer copy of the same queue ID is kept.
"""

from __future__ import annotations

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


def _generation(path: Path) -> int:
    try:
        return SpoolRecord.from_json((path / RECORD_FILE).read_bytes()).generation
    except (OSError, ValueError):
        return -1


def resolve_duplicates(root: Path, *, durable: bool) -> int:
    """Keep one copy of each queue ID: the highest generation, then the furthest queue."""
    seen: dict[str, list[str]] = {}
    for queue in QUEUES:
        for name in list_entries(root / queue):
            seen.setdefault(name, []).append(queue)
    removed = 0
    for name, queues in seen.items():
        if len(queues) < 2:
            continue
        ranked = sorted(
            queues, key=lambda q: (_generation(root / q / name), PROGRESS.index(q))
        )
        keep = ranked[-1]
        for queue in ranked[:-1]:
            shutil.rmtree(root / queue / name, ignore_errors=True)
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
    """
    target = RECOVERY_TARGET[claimed]
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
