"""Recovery of a spool left by a crash (kill -9 of the whole tree, a power cut).

Runs once at start, before any listener or worker, so it may look at every queue without racing
anyone. Nothing here deletes a message that exists nowhere else: tmp/ only ever holds files
still being written (the old version stays in its queue until the new one has been renamed into
place), and a duplicate is only removed when a newer copy of the same queue ID is kept.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from gateway.durable import fsync_dir
from gateway.log import log_event
from gateway.spool.files import TMP
from gateway.spool.queuefile import DamagedQueueFile, read_header
from gateway.spool.queues import PROGRESS, READY, UNCLAIMED, Queue


def make_dirs(root: Path, *, durable: bool) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for name in (TMP, *Queue):
        (root / name).mkdir(exist_ok=True)
    fsync_dir(root, durable=durable)


def clean_tmp(root: Path) -> int:
    removed = 0
    with os.scandir(root / TMP) as it:
        for child in it:
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                os.unlink(child.path)
                removed += 1
    return removed


def _rank(path: Path, queue: Queue) -> tuple[int, int]:
    """Which of two copies of one queue ID to keep: the higher (generation, progress)."""
    try:
        generation = read_header(path).record.generation
    except (OSError, DamagedQueueFile):
        generation = -1
    return generation, PROGRESS.index(queue)


def resolve_duplicates(root: Path, names: dict[Queue, list[str]], *, durable: bool) -> int:
    """Keep one copy of each queue ID, the highest ranked."""
    seen: dict[str, list[Queue]] = {}
    for queue, queue_names in names.items():
        for name in queue_names:
            if (root / queue / name).is_file():  # a stray directory is no copy of anything
                seen.setdefault(name, []).append(queue)
    removed = 0
    for name, queues in seen.items():
        if len(queues) < 2:
            continue
        ranked = sorted(queues, key=lambda q: _rank(root / q / name, q))
        for queue in ranked[:-1]:
            os.unlink(root / queue / name)
            fsync_dir(root / queue, durable=durable)
            removed += 1
        log_event("duplicate-resolved", name, kept=ranked[-1], dropped=ranked[:-1])
    return removed


def return_claimed(root: Path, claimed: Queue, name: str) -> Queue:
    """Put an entry claimed by a process that is gone back where it waits, uncounted: after a
    kill of the whole tree nobody knows which mail (if any) was to blame. A claim is a bare
    rename, and so is this: no fsync, as either place is safe after a power cut."""
    source = root / claimed / name
    try:
        target = READY[read_header(source).record.stage]
    except (OSError, DamagedQueueFile):  # the claimer's own queue decides; claim() shunts it
        target = UNCLAIMED[claimed]
    os.rename(source, root / target / name)
    log_event("recovered", name, source=claimed, queue=target)
    return target
