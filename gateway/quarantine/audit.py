"""The audit log in SQL: one hash chain, appended inside the transaction of the change it records.

Each entry's hash is SHA-256(previous hash + canonical JSON of the entry, its number included),
so editing, deleting or reordering an entry breaks the chain from there on. Appends line up on
the single row of audit_head (SELECT … FOR UPDATE on PostgreSQL; on SQLite the write
transaction's BEGIN IMMEDIATE already admits one writer), which also remembers where the chain
ends: removing its last entries is seen too.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, func, select

from gateway.quarantine.records import AuditEntry, AuditFilter
from gateway.quarantine.schema import audit_head, audit_log

GENESIS = "0" * 64
_VERIFY_BATCH = 1000


def canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(entry)).hexdigest()


def _hashed_fields(row: Any) -> dict[str, Any]:
    detail = row.detail if isinstance(row.detail, dict) else json.loads(row.detail)
    return {
        "seq": int(row.seq), "at": float(row.at), "actor": row.actor, "role": row.role,
        "action": row.action, "target": row.target, "reason": row.reason, "result": row.result,
        "detail": detail,
    }  # fmt: skip


def append(
    conn: Connection, *, actor: str, role: str, action: str, target: str = "", reason: str = "",
    result: str = "ok", detail: dict[str, Any] | None = None, at: float | None = None,
) -> AuditEntry:
    head = conn.execute(
        select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1).with_for_update()
    ).one()
    fields: dict[str, Any] = {
        "seq": int(head.seq) + 1, "at": round(time.time() if at is None else at, 6),
        "actor": actor, "role": role, "action": action, "target": target, "reason": reason,
        "result": result, "detail": detail or {},
    }  # fmt: skip
    # what the database gives back is what is hashed: JSON types only, no tuples or floats as keys
    fields["detail"] = json.loads(canonical(fields["detail"]))
    digest = chain_hash(head.hash, fields)
    conn.execute(audit_log.insert().values(
        **{**fields, "detail": canonical(fields["detail"]).decode()}, prev_hash=head.hash,
        hash=digest,
    ))  # fmt: skip
    conn.execute(audit_head.update().where(audit_head.c.id == 1)
                 .values(seq=fields["seq"], hash=digest))  # fmt: skip
    return AuditEntry(**fields, prev_hash=head.hash, hash=digest)


def _entry(row: Row[Any]) -> AuditEntry:
    fields = _hashed_fields(row)
    return AuditEntry(**fields, prev_hash=row.prev_hash, hash=row.hash)


def page(conn: Connection, f: AuditFilter, *, limit: int, after: int = 0) -> list[AuditEntry]:
    """Oldest first from the entry after number `after`."""
    where: list[Any] = [audit_log.c.seq > after]
    if f.since is not None:
        where.append(audit_log.c.at >= f.since)
    if f.until is not None:
        where.append(audit_log.c.at < f.until)
    if f.actor:
        where.append(audit_log.c.actor == f.actor)
    if f.action.endswith("."):
        where.append(audit_log.c.action.startswith(f.action, autoescape=True))
    elif f.action:
        where.append(audit_log.c.action == f.action)
    if f.target:
        where.append(audit_log.c.target == f.target)
    if f.result:
        where.append(audit_log.c.result == f.result)
    rows = conn.execute(select(audit_log).where(*where).order_by(audit_log.c.seq).limit(limit))
    return [_entry(row) for row in rows]


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    checked: int  # entries read
    head_seq: int
    head_hash: str
    bad_seq: int | None = None  # the first entry that does not fit the chain
    problem: str = ""


def _rows(conn: Connection) -> Iterator[Row[Any]]:
    after = -1
    while True:
        rows = conn.execute(select(audit_log).where(audit_log.c.seq > after)
                            .order_by(audit_log.c.seq).limit(_VERIFY_BATCH)).all()  # fmt: skip
        yield from rows
        if len(rows) < _VERIFY_BATCH:
            return
        after = rows[-1].seq


def verify(conn: Connection) -> Verification:
    """Walk the whole chain in one snapshot; name the first entry that does not fit."""
    head = conn.execute(select(audit_head.c.seq, audit_head.c.hash)
                        .where(audit_head.c.id == 1)).first()  # fmt: skip
    if head is None:
        return Verification(False, 0, 0, "", 1, "the chain's head row (audit_head) is missing")
    expected_seq, prev, checked = 1, GENESIS, 0

    def bad(seq: int, problem: str) -> Verification:
        return Verification(False, checked, int(head.seq), head.hash, seq, problem)

    for row in _rows(conn):
        checked += 1
        seq = int(row.seq)
        if seq != expected_seq:
            return bad(expected_seq, f"entry {expected_seq} is missing (next is {seq})")
        if row.prev_hash != prev:
            return bad(seq, f"entry {seq} does not follow entry {seq - 1} (deleted, replaced "
                            "or reordered)")  # fmt: skip
        try:
            recomputed = chain_hash(prev, _hashed_fields(row))
        except (ValueError, TypeError):
            recomputed = ""
        if recomputed != row.hash:
            return bad(seq, f"entry {seq} was changed after it was written")
        prev, expected_seq = row.hash, seq + 1
    last = expected_seq - 1
    if last != head.seq or prev != head.hash:
        return bad(last + 1, f"the chain ends at entry {last}, but {head.seq} entries were "
                             "written (entries removed from the end)")  # fmt: skip
    return Verification(True, checked, int(head.seq), head.hash)


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())
