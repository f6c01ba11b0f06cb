"""Quarantined mails in SQL: store one, read one, list with filters, purge. Functions over a
connection, so a caller can put several of them (and an audit entry) in one transaction."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Insert, Row, Table, and_, delete, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from gateway.quarantine.models import (
    HoldState,
    Page,
    QuarantineFilter,
    QuarantineRecord,
    StoredItem,
)
from gateway.quarantine.schema import blobs, items, messages
from gateway.types import LOCKED_FLAGS, Envelope, SanitizeResult


class QuarantineIdClash(ValueError):
    """Another mail already holds this ID (IDs carry the node and the pid: should not happen)."""


_UPDATED_ON_PUT = (
    "received_at", "stored_at", "sender", "recipients", "subject", "message_id", "verdict",
    "reason", "size", "report", "original_sha256", "sanitized_sha256", "expires_at", "locked",
)  # fmt: skip  # never "state": a re-put (a retry) must not undo an admin's decision


def _insert(dialect: str, table: Table) -> Any:
    """INSERT with the dialect's ON CONFLICT support (SQLite and PostgreSQL spell it alike)."""
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


@functools.cache
def _upserts(dialect: str) -> tuple[Insert, Insert, Insert]:
    """Built once per dialect: building an ON CONFLICT statement costs more than running it."""
    blob = _insert(dialect, blobs).on_conflict_do_nothing(index_elements=["sha256"])
    # RETURNING, not rowcount: drivers need not report a row count for an INSERT (psycopg
    # through SQLAlchemy says -1); a returned id is "inserted", none is "already there"
    new = (
        _insert(dialect, messages).on_conflict_do_nothing(index_elements=["id"])
        .returning(messages.c.id)
    )  # fmt: skip
    again = _insert(dialect, messages)
    again = again.on_conflict_do_update(
        index_elements=["id"], set_={k: getattr(again.excluded, k) for k in _UPDATED_ON_PUT},
        # a retry brings the same original; another mail under the same ID is a clash
        where=messages.c.original_sha256 == again.excluded.original_sha256,
    ).returning(messages.c.id)
    return blob, new, again


def put(
    conn: Connection, quarantine_id: str, envelope: Envelope, original: bytes,
    result: SanitizeResult, *, expires_at: float | None = None,
) -> None:
    """Store or replace one mail with its removed parts; its hold state is kept on a replace."""
    now = time.time()
    put_blob, put_new, put_again = _upserts(conn.dialect.name)
    original_sha = hashlib.sha256(original).hexdigest()
    sanitized_sha = hashlib.sha256(result.message).hexdigest()
    report = result.report
    payloads = {original_sha: original, sanitized_sha: result.message}
    for part, payload in zip(report.removed, result.removed_payloads, strict=True):
        payloads[part.sha256] = payload
    conn.execute(put_blob, [
        {"sha256": sha, "size": len(data), "data": data, "stored_at": now}
        for sha, data in payloads.items()
    ])  # fmt: skip
    row = {
        "id": quarantine_id,
        "received_at": envelope.received_at or now,
        "stored_at": now,
        "sender": envelope.mail_from,
        "recipients": json.dumps(envelope.rcpt_tos, ensure_ascii=False),
        "subject": report.subject,
        "message_id": report.message_id,
        "verdict": str(report.verdict),
        "reason": report.reason,
        "size": len(original),
        "report": json.dumps(report.to_json(), ensure_ascii=False),
        "state": str(HoldState.HELD),
        "original_sha256": original_sha,
        "sanitized_sha256": sanitized_sha,
        "expires_at": expires_at,
        "locked": int(any(LOCKED_FLAGS.intersection(p.flags) for p in report.removed)),
    }
    if conn.execute(put_new, row).first() is None:  # put before (a retry): replace its content
        if conn.execute(put_again, row).first() is None:
            raise QuarantineIdClash(f"{quarantine_id} is taken by another mail")
        # what the sanitizer removed is put again; items opened from them since (PPAP) stay,
        # unless the new removed parts need their indexes
        conn.execute(delete(items).where(items.c.message == quarantine_id, or_(
            items.c.parent.is_(None), items.c.idx < len(report.removed))))
    if report.removed:
        conn.execute(items.insert(), [
            {
                "message": quarantine_id, "idx": part.index, "filename": part.filename,
                "declared_type": part.declared_type, "detected_type": part.detected_type,
                "size": part.size, "sha256": part.sha256, "reason": part.reason,
                "flags": json.dumps(list(part.flags)), "detail": part.detail,
            }
            for part in report.removed
        ])  # fmt: skip


def _record(row: Row[Any], item_rows: Sequence[Row[Any]]) -> QuarantineRecord:
    return QuarantineRecord(
        id=row.id, received_at=row.received_at, stored_at=row.stored_at, sender=row.sender,
        recipients=json.loads(row.recipients), subject=row.subject, message_id=row.message_id,
        verdict=row.verdict, reason=row.reason, size=row.size, state=HoldState(row.state),
        original_sha256=row.original_sha256, sanitized_sha256=row.sanitized_sha256,
        expires_at=row.expires_at,
        report=json.loads(row.report),
        items=[
            StoredItem(
                index=i.idx, filename=i.filename, declared_type=i.declared_type,
                detected_type=i.detected_type, size=i.size, sha256=i.sha256,
                flags=json.loads(i.flags), reason=i.reason, detail=i.detail, parent=i.parent,
            )
            for i in item_rows
        ],
    )  # fmt: skip


def _with_items(conn: Connection, rows: Sequence[Row[Any]]) -> list[QuarantineRecord]:
    """Records of message rows, their items read in one query."""
    ids = [r.id for r in rows]
    by_message: dict[str, list[Row[Any]]] = {qid: [] for qid in ids}
    if ids:
        for item in conn.execute(
            select(items).where(items.c.message.in_(ids)).order_by(items.c.message, items.c.idx)
        ):
            by_message[item.message].append(item)
    return [_record(r, by_message[r.id]) for r in rows]


def get(conn: Connection, quarantine_id: str) -> QuarantineRecord | None:
    row = conn.execute(select(messages).where(messages.c.id == quarantine_id)).first()
    if row is None:
        return None
    item_rows = conn.execute(
        select(items).where(items.c.message == quarantine_id).order_by(items.c.idx)
    ).all()
    return _record(row, item_rows)


def _contains(column: Any, text: str) -> Any:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def _conditions(f: QuarantineFilter) -> list[Any]:
    where: list[Any] = []
    if f.since is not None:
        where.append(messages.c.received_at >= f.since)
    if f.until is not None:
        where.append(messages.c.received_at < f.until)
    for column, text in ((messages.c.sender, f.sender), (messages.c.recipients, f.recipient),
                         (messages.c.subject, f.subject)):  # fmt: skip
        if text:
            where.append(_contains(column, text))
    if f.verdict:
        where.append(messages.c.verdict == f.verdict)
    if f.state is not None:
        where.append(messages.c.state == str(f.state))
    item_where = [items.c.message == messages.c.id]
    if f.detected_type:
        item_where.append(items.c.detected_type.startswith(f.detected_type, autoescape=True))
    if f.flag:
        item_where.append(_contains(items.c.flags, json.dumps(f.flag)))
    if f.reason:
        reason_item = exists().where(items.c.message == messages.c.id, items.c.reason == f.reason)
        where.append(or_(messages.c.reason == f.reason, reason_item))
    if len(item_where) > 1:
        where.append(exists().where(*item_where))
    return where


def encode_cursor(received_at: float, quarantine_id: str) -> str:
    return base64.urlsafe_b64encode(f"{received_at!r}/{quarantine_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[float, str]:
    """Raises ValueError for a cursor this module did not make."""
    try:
        at, _, qid = base64.urlsafe_b64decode(cursor.encode()).decode().partition("/")
        return float(at), qid
    except (UnicodeError, ValueError, TypeError) as exc:
        raise ValueError("invalid cursor") from exc


def page(conn: Connection, f: QuarantineFilter, *, limit: int, cursor: str = "") -> Page:
    """Newest first, keyset-paginated: a cursor stays valid while new mail arrives."""
    where = _conditions(f)
    if cursor:
        at, qid = decode_cursor(cursor)
        where.append(or_(messages.c.received_at < at,
                         and_(messages.c.received_at == at, messages.c.id < qid)))  # fmt: skip
    stmt = (
        select(messages).where(*where)
        .order_by(messages.c.received_at.desc(), messages.c.id.desc()).limit(limit + 1)
    )  # fmt: skip
    rows = conn.execute(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    records = _with_items(conn, rows)
    last = rows[-1] if more and rows else None
    return Page(records, encode_cursor(last.received_at, last.id) if last is not None else "")


def count(conn: Connection, f: QuarantineFilter) -> int:
    return int(conn.execute(select(func.count()).select_from(messages)
                            .where(*_conditions(f))).scalar_one())  # fmt: skip


def blob(conn: Connection, sha256: str) -> bytes | None:
    data = conn.execute(select(blobs.c.data).where(blobs.c.sha256 == sha256)).scalar()
    return bytes(data) if data is not None else None


def set_state(conn: Connection, quarantine_id: str, state: HoldState) -> bool:
    result = conn.execute(
        messages.update().where(messages.c.id == quarantine_id).values(state=str(state))
    )
    return result.rowcount > 0


def remove(conn: Connection, quarantine_ids: Sequence[str]) -> int:
    """Delete mails (their items go with them); unreferenced blobs are left to collect_blobs."""
    if not quarantine_ids:
        return 0
    conn.execute(delete(items).where(items.c.message.in_(quarantine_ids)))
    return conn.execute(delete(messages).where(messages.c.id.in_(quarantine_ids))).rowcount


def expired(conn: Connection, now: float, limit: int) -> list[str]:
    stmt = (
        select(messages.c.id).where(messages.c.expires_at.is_not(None),
                                    messages.c.expires_at <= now)
        .order_by(messages.c.expires_at).limit(limit)
    )  # fmt: skip
    return list(conn.execute(stmt).scalars())


def collect_blobs(conn: Connection) -> tuple[int, int]:
    """Delete blobs no mail refers to any more: (count, bytes)."""
    orphan = and_(
        ~exists().where(messages.c.original_sha256 == blobs.c.sha256),
        ~exists().where(messages.c.sanitized_sha256 == blobs.c.sha256),
        ~exists().where(items.c.sha256 == blobs.c.sha256),
    )
    found = conn.execute(select(func.count(), func.coalesce(func.sum(blobs.c.size), 0))
                         .where(orphan)).one()  # fmt: skip
    conn.execute(delete(blobs).where(orphan))
    return int(found[0]), int(found[1])


def stats_by_state(conn: Connection) -> dict[str, tuple[int, int]]:
    """{hold state: (mails, bytes of their originals)}, for the scrape-time gauges."""
    rows = conn.execute(select(messages.c.state, func.count(), func.coalesce(func.sum(
        messages.c.size), 0)).group_by(messages.c.state))  # fmt: skip
    return {state: (int(n), int(size)) for state, n, size in rows}


def count_by_verdict(conn: Connection, since: float) -> dict[str, int]:
    stmt = select(messages.c.verdict, func.count()).where(messages.c.received_at >= since)
    rows = conn.execute(stmt.group_by(messages.c.verdict))
    return {verdict: int(n) for verdict, n in rows}


def oldest(
    conn: Connection, *, received_before: float, limit: int, after: tuple[float, str] | None = None
) -> list[QuarantineRecord]:
    """Mails received before a time, oldest first, from the one after `after`: the candidates
    of a retention run, read in batches."""
    where: list[Any] = [messages.c.received_at < received_before]
    if after is not None:
        at, qid = after
        where.append(or_(messages.c.received_at > at,
                         and_(messages.c.received_at == at, messages.c.id > qid)))  # fmt: skip
    order = (messages.c.received_at, messages.c.id)
    rows = conn.execute(select(messages).where(*where).order_by(*order).limit(limit)).all()
    return _with_items(conn, rows)
