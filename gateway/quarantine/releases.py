"""Release requests and their history in SQL: functions over a connection, like messages.py.

A state change is a compare-and-set on the state it leaves (update() with `from_states`), so two
principals acting on one release at once cannot both win, on either backend.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Connection, Row, and_, exc, func, or_, select

from gateway.quarantine.messages import decode_cursor, encode_cursor
from gateway.quarantine.records import (
    IN_FLIGHT,
    ReleaseEvent,
    ReleaseFilter,
    ReleaseRecord,
    ReleaseState,
)
from gateway.quarantine.schema import release_events, releases

_JSON_COLUMNS = ("items", "recipients", "results")


def _record(row: Row[Any], events: Sequence[Row[Any]] = ()) -> ReleaseRecord:
    return ReleaseRecord(
        id=row.id, quarantine_id=row.quarantine_id, what=row.what, items=json.loads(row.items),
        recipients=json.loads(row.recipients), state=ReleaseState(row.state), policy=row.policy,
        requested_by=row.requested_by, requested_at=row.requested_at, comment=row.comment,
        decided_by=row.decided_by, decided_at=row.decided_at,
        decision_comment=row.decision_comment, expires_at=row.expires_at,
        queue_id=row.queue_id, node=row.node, results=json.loads(row.results),
        updated_at=row.updated_at, idempotency_key=row.idempotency_key,
        events=[
            ReleaseEvent(e.at, e.actor, e.from_state, e.to_state, e.comment) for e in events
        ],
    )  # fmt: skip


def _values(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: json.dumps(value, ensure_ascii=False) if key in _JSON_COLUMNS else
        str(value) if key == "state" else value
        for key, value in values.items()
    }  # fmt: skip


def insert(conn: Connection, record: ReleaseRecord, *, dedupe: str | None) -> bool:
    """False when an open release with the same dedupe key or idempotency key exists (found
    again by the caller); the transaction goes on either way."""
    row = _values({
        "id": record.id, "quarantine_id": record.quarantine_id, "what": record.what,
        "items": record.items, "recipients": record.recipients, "state": record.state,
        "policy": record.policy, "requested_by": record.requested_by,
        "requested_at": record.requested_at, "comment": record.comment,
        "decided_by": record.decided_by, "decided_at": record.decided_at,
        "decision_comment": record.decision_comment, "expires_at": record.expires_at,
        "queue_id": record.queue_id, "node": record.node, "results": record.results,
        "updated_at": record.updated_at, "dedupe": dedupe,
        "idempotency_key": record.idempotency_key,
    })  # fmt: skip
    try:
        with conn.begin_nested():  # a savepoint: PostgreSQL's transaction survives the conflict
            conn.execute(releases.insert().values(**row))
    except exc.IntegrityError:
        return False
    return True


def find(conn: Connection, *, dedupe: str = "", idempotency_key: str = "") -> ReleaseRecord | None:
    where = (releases.c.idempotency_key == idempotency_key if idempotency_key
             else releases.c.dedupe == dedupe)  # fmt: skip
    row = conn.execute(select(releases).where(where)).first()
    return _record(row) if row is not None else None


def get(conn: Connection, release_id: str, *, events: bool = True) -> ReleaseRecord | None:
    row = conn.execute(select(releases).where(releases.c.id == release_id)).first()
    if row is None:
        return None
    history: Sequence[Row[Any]] = ()
    if events:
        history = conn.execute(
            select(release_events).where(release_events.c.release_id == release_id)
            .order_by(release_events.c.id)
        ).all()  # fmt: skip
    return _record(row, history)


def update(
    conn: Connection, release_id: str, from_states: Collection[ReleaseState], *,
    if_updated_at: float | None = None, **values: Any,
) -> bool:
    """Change a release only if it is still in one of `from_states` (and, with
    `if_updated_at`, untouched since it was read: a lease only one process can take)."""
    where = [releases.c.id == release_id, releases.c.state.in_([str(s) for s in from_states])]
    if if_updated_at is not None:
        where.append(releases.c.updated_at == if_updated_at)
    result = conn.execute(releases.update().where(*where).values(**_values(values)))
    return result.rowcount > 0


def add_event(
    conn: Connection, release_id: str, *, at: float, actor: str, from_state: str, to_state: str,
    comment: str = "",
) -> None:
    conn.execute(release_events.insert().values(
        release_id=release_id, at=at, actor=actor, from_state=from_state, to_state=to_state,
        comment=comment,
    ))  # fmt: skip


def page(
    conn: Connection, f: ReleaseFilter, *, limit: int, cursor: str = ""
) -> tuple[list[ReleaseRecord], str]:
    """Newest request first, keyset-paginated; ("" as the cursor on the last page)."""
    where: list[Any] = []
    if f.state:
        where.append(releases.c.state == f.state)
    if f.quarantine_id:
        where.append(releases.c.quarantine_id == f.quarantine_id)
    if f.requested_by:
        where.append(releases.c.requested_by == f.requested_by)
    if f.since is not None:
        where.append(releases.c.requested_at >= f.since)
    if f.until is not None:
        where.append(releases.c.requested_at < f.until)
    if cursor:
        at, rid = decode_cursor(cursor)
        where.append(or_(releases.c.requested_at < at,
                         and_(releases.c.requested_at == at, releases.c.id < rid)))  # fmt: skip
    rows = conn.execute(
        select(releases).where(*where)
        .order_by(releases.c.requested_at.desc(), releases.c.id.desc()).limit(limit + 1)
    ).all()  # fmt: skip
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more and rows else None
    return [_record(r) for r in rows], (
        encode_cursor(last.requested_at, last.id) if last is not None else "")


def for_quarantine(conn: Connection, quarantine_id: str) -> list[ReleaseRecord]:
    rows = conn.execute(select(releases).where(releases.c.quarantine_id == quarantine_id)
                        .order_by(releases.c.requested_at, releases.c.id)).all()  # fmt: skip
    return [get(conn, row.id) or _record(row) for row in rows]


def ids_in_state(
    conn: Connection, state: ReleaseState, *, expires_before: float | None = None,
    updated_before: float | None = None, node: str | None = None, limit: int = 500,
) -> list[str]:
    where: list[Any] = [releases.c.state == str(state)]
    if expires_before is not None:
        where += [releases.c.expires_at.is_not(None), releases.c.expires_at <= expires_before]
    if updated_before is not None:
        where.append(releases.c.updated_at < updated_before)
    if node is not None:
        where.append(releases.c.node == node)
    stmt = select(releases.c.id).where(*where).order_by(releases.c.updated_at).limit(limit)
    return list(conn.execute(stmt).scalars())


def quarantine_ids_in_flight(conn: Connection, quarantine_ids: Sequence[str]) -> set[str]:
    if not quarantine_ids:
        return set()
    stmt = select(releases.c.quarantine_id).where(
        releases.c.quarantine_id.in_(quarantine_ids),
        releases.c.state.in_([str(s) for s in IN_FLIGHT]),
    )
    return set(conn.execute(stmt).scalars())


def count_by_state(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(releases.c.state, func.count()).group_by(releases.c.state))
    return {state: int(n) for state, n in rows}


def remove_for(conn: Connection, quarantine_ids: Sequence[str]) -> None:
    """Delete the releases (and their history) of mails about to be deleted."""
    if not quarantine_ids:
        return
    ids = select(releases.c.id).where(releases.c.quarantine_id.in_(quarantine_ids))
    conn.execute(release_events.delete().where(release_events.c.release_id.in_(ids)))
    conn.execute(releases.delete().where(releases.c.quarantine_id.in_(quarantine_ids)))
