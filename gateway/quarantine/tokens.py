"""API tokens in SQL: only the SHA-256 of each secret is stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from gateway.quarantine.records import TokenRecord
from gateway.quarantine.schema import tokens


def _record(row: Row[Any]) -> TokenRecord:
    return TokenRecord(
        id=row.id, name=row.name, role=row.role, secret_sha256=row.secret_sha256,
        created_at=row.created_at, created_by=row.created_by, revoked_at=row.revoked_at,
    )  # fmt: skip


def insert(conn: Connection, record: TokenRecord) -> None:
    conn.execute(tokens.insert().values(
        id=record.id, name=record.name, role=record.role, secret_sha256=record.secret_sha256,
        created_at=record.created_at, created_by=record.created_by, revoked_at=None,
    ))  # fmt: skip


def get(conn: Connection, token_id: str) -> TokenRecord | None:
    row = conn.execute(select(tokens).where(tokens.c.id == token_id)).first()
    return _record(row) if row is not None else None


def listing(conn: Connection, *, include_revoked: bool = True) -> list[TokenRecord]:
    stmt = select(tokens).order_by(tokens.c.created_at, tokens.c.id)
    if not include_revoked:
        stmt = stmt.where(tokens.c.revoked_at.is_(None))
    return [_record(row) for row in conn.execute(stmt)]


def revoke(conn: Connection, token_id: str, at: float) -> bool:
    """False when there is no such token or it was revoked already."""
    result = conn.execute(
        tokens.update().where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )  # fmt: skip
    return result.rowcount > 0
