"""The spool of the first release (a directory per message: message.eml + record.json), turned
into queue files at start, so an upgrade with mail still queued loses none of it.

Each old entry is first renamed to `<name>.legacy` in its queue (no longer a queue ID, so no
claim can take it), then its queue file is written whole, then the old directory is removed;
a crash in between leaves a `.legacy` directory that the next start converts again, or drops
once its file exists.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from gateway.log import log_event
from gateway.spool.files import QueueFiles
from gateway.spool.ids import is_queue_id
from gateway.spool.queues import READY, Queue, Stage
from gateway.spool.record import SpoolRecord
from gateway.types import Envelope

_SUFFIX = ".legacy"
_DELIVER = (Queue.OUTGOING, Queue.SENDING, Queue.DEFERRED, Queue.FAILED)
_KEEP = (Queue.DEFERRED, Queue.FAILED, Queue.SHUNT)  # claimed ones go back to READY


def _convert(files: QueueFiles, queue: Queue, old: Path, name: str) -> None:
    try:
        record = SpoolRecord.from_json((old / "record.json").read_bytes())
        record.queue_id = name
    except (OSError, ValueError) as exc:
        record = SpoolRecord(name, Envelope("", []), last_error=f"old record unreadable: {exc}")
        queue = Queue.SHUNT
    if queue in _DELIVER or (queue == Queue.SHUNT and record.verdict):
        record.stage = Stage.DELIVER
    target = queue if queue in _KEEP else READY[record.stage]
    files.write(target, record, (old / "message.eml").read_bytes())
    shutil.rmtree(old, ignore_errors=True)
    log_event("converted", name, source=queue, queue=target)


def convert_legacy(files: QueueFiles) -> int:
    """Turn every old entry directory into a queue file; the number converted."""
    converted = 0
    for queue in Queue:
        directory = files.dir(queue)
        for entry in sorted(os.scandir(directory), key=lambda e: e.name):
            name = entry.name.removesuffix(_SUFFIX)
            if not entry.is_dir(follow_symlinks=False) or not is_queue_id(name):
                continue
            old = Path(entry.path)
            if not (old / "message.eml").is_file():
                continue  # not an old entry: claim() sends such a thing to shunt/
            if any(files.path(q, name).is_file() for q in Queue):
                shutil.rmtree(old, ignore_errors=True)  # converted before a crash
                continue
            if not entry.name.endswith(_SUFFIX):
                old = old.rename(directory / f"{name}{_SUFFIX}")
            _convert(files, queue, old, name)
            converted += 1
    return converted
