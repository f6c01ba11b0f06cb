"""The audit log in SQL: one hash chain, appended inside the transaction of the change it records.

Each entry's hash is SHA-256(previous hash + canonical JSON of the entry, its number included),
so editing, deleting or reordering an entry breaks the chain from there on. Appends line up on
the single row of audit_head (SELECT … FOR UPDATE on PostgreSQL; on SQLite the write
transaction's BEGIN IMMEDIATE already admits one writer), which also remembers where the chain
ends: removing its last entries is seen too.
"""

from __future__ import annotations

import dataclasses
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


@dataclass(frozen=True, slots=True)
class Walk:
    """How far a walk along the chain got: the last entry that fits, and the first that does
    not (bad_seq None when every entry read fits)."""

    seq: int
    hash: str
    checked: int
    bad_seq: int | None = None
    problem: str = ""


def head(conn: Connection) -> tuple[int, str] | None:
    row = conn.execute(select(audit_head.c.seq, audit_head.c.hash)
                       .where(audit_head.c.id == 1)).first()  # fmt: skip
    return None if row is None else (int(row.seq), row.hash)


def stored_hash(conn: Connection, seq: int) -> str | None:
    return conn.execute(select(audit_log.c.hash).where(audit_log.c.seq == seq)).scalar()


def _rows(conn: Connection, after: int, until: int | None, limit: int | None
          ) -> Iterator[Row[Any]]:  # fmt: skip
    left = limit
    while left is None or left > 0:
        batch = _VERIFY_BATCH if left is None else min(left, _VERIFY_BATCH)
        query = select(audit_log).where(audit_log.c.seq > after)
        if until is not None:
            query = query.where(audit_log.c.seq <= until)
        rows = conn.execute(query.order_by(audit_log.c.seq).limit(batch)).all()
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].seq
        left = None if left is None else left - len(rows)


def walk(conn: Connection, *, after: int = 0, prev: str = GENESIS, until: int | None = None,
         limit: int | None = None) -> Walk:  # fmt: skip
    """Check the entries after number `after` (whose hash is `prev`), up to `until` and at most
    `limit` of them; stop at the first that does not fit. An entry missing at the end is the
    caller's to see (it knows where the chain should end)."""
    expected, checked = after + 1, 0
    for row in _rows(conn, after, until, limit):
        checked += 1
        seq = int(row.seq)
        if seq != expected:
            problem = f"entry {expected} is missing (next is {seq})"
            return Walk(expected - 1, prev, checked, expected, problem)
        if row.prev_hash != prev:
            return Walk(seq - 1, prev, checked, seq, f"entry {seq} does not follow entry "
                        f"{seq - 1} (deleted, replaced or reordered)")  # fmt: skip
        try:
            recomputed = chain_hash(prev, _hashed_fields(row))
        except (ValueError, TypeError):
            recomputed = ""
        if recomputed != row.hash:
            return Walk(seq - 1, prev, checked, seq, f"entry {seq} was changed after it was "
                        "written")  # fmt: skip
        prev, expected = row.hash, seq + 1
    return Walk(expected - 1, prev, checked)


def at_the_end(reached: Walk, head_seq: int, head_hash: str) -> Walk:
    """A walk that read every entry there is, judged against where the head says the chain
    ends: entries removed from the end, or a head that names another last entry, are found."""
    if reached.bad_seq is not None or (reached.seq, reached.hash) == (head_seq, head_hash):
        return reached
    if reached.seq == head_seq:
        problem = f"entry {head_seq} is not the last entry the chain's head names"
        return dataclasses.replace(reached, bad_seq=head_seq, problem=problem)
    if reached.seq > head_seq:
        problem = f"entry {head_seq + 1} lies beyond the chain's head (added outside mutaika)"
        return dataclasses.replace(reached, bad_seq=head_seq + 1, problem=problem)
    problem = f"the chain ends at entry {reached.seq}, but {head_seq} entries were written " \
        "(entries removed from the end)"
    return dataclasses.replace(reached, bad_seq=reached.seq + 1, problem=problem)


def verify(conn: Connection) -> Verification:
    """Walk the whole chain in one snapshot; name the first entry that does not fit."""
    found = head(conn)
    if found is None:
        return Verification(False, 0, 0, "", 1, "the chain's head row (audit_head) is missing")
    head_seq, head_hash = found
    reached = at_the_end(walk(conn), head_seq, head_hash)
    if reached.bad_seq is not None:
        return Verification(False, reached.checked, head_seq, head_hash, reached.bad_seq,
                            reached.problem)  # fmt: skip
    return Verification(True, reached.checked, head_seq, head_hash)


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())
