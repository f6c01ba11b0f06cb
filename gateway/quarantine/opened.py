"""Items opened from a quarantined item (PPAP: the files inside a password-protected ZIP), and
the mails whose items a later password notice may open. Functions over a connection, as in
gateway.quarantine.messages, so the services can audit in the same transaction."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from sqlalchemy import Connection, func, select

from gateway.quarantine.messages import _upserts, _with_items
from gateway.quarantine.models import QuarantineRecord, StoredItem
from gateway.quarantine.schema import items, messages
from gateway.types import RemovedPart


def add_opened(
    conn: Connection, quarantine_id: str, parent: int, parts: Sequence[tuple[RemovedPart, bytes]]
) -> list[StoredItem]:
    """Store `parts` as items of the mail, opened from its item `parent`, under the next free
    indexes (the sanitizer's own are never renumbered); payloads are content-addressed."""
    put_blob = _upserts(conn.dialect.name)[0]
    now = time.time()
    highest = conn.execute(select(func.max(items.c.idx))
                           .where(items.c.message == quarantine_id)).scalar()  # fmt: skip
    first = 0 if highest is None else int(highest) + 1
    blobs = {part.sha256: data for part, data in parts}
    if blobs:
        conn.execute(put_blob, [{"sha256": sha, "size": len(data), "data": data, "stored_at": now}
                                for sha, data in blobs.items()])  # fmt: skip
    stored = [
        StoredItem(index=first + n, filename=part.filename, declared_type=part.declared_type,
                   detected_type=part.detected_type, size=part.size, sha256=part.sha256,
                   flags=list(part.flags), reason=part.reason, detail=part.detail, parent=parent)
        for n, (part, _) in enumerate(parts)
    ]  # fmt: skip
    if stored:
        conn.execute(items.insert(), [
            {"message": quarantine_id, "idx": s.index, "filename": s.filename,
             "declared_type": s.declared_type, "detected_type": s.detected_type, "size": s.size,
             "sha256": s.sha256, "reason": s.reason, "flags": json.dumps(s.flags),
             "detail": s.detail, "parent": parent}
            for s in stored
        ])  # fmt: skip
    return stored


def locked_from(
    conn: Connection, sender: str, *, since: float, until: float, limit: int
) -> list[QuarantineRecord]:
    """Mails from `sender` received in [since, until] that held a password-protected part,
    newest first (one seek of the (locked, sender, received_at) index)."""
    stmt = (
        select(messages)
        .where(messages.c.locked == 1, messages.c.sender == sender,
               messages.c.received_at >= since, messages.c.received_at <= until)
        .order_by(messages.c.received_at.desc()).limit(limit)
    )  # fmt: skip
    return _with_items(conn, conn.execute(stmt).all())
