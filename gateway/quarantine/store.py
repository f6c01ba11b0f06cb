"""The quarantine store: the only door to where originals, removed parts and their records live.

Callers see records and bytes; whether SQLite or PostgreSQL holds them is decided by one URL
and known only inside gateway/quarantine/. Operational failures surface as StoreUnavailable (a
fault of ours); anything else raised here is a bug or bad data.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import Connection, text

from gateway.quarantine import messages, migrate
from gateway.quarantine.db import Database, StoreUnavailable
from gateway.quarantine.models import HoldState, Page, QuarantineFilter, QuarantineRecord
from gateway.quarantine.unit import Tx
from gateway.types import Envelope, SanitizeResult

__all__ = ["QuarantineStore", "StoreUnavailable"]


class QuarantineStore:
    def __init__(self, url: str, *, min_free_bytes: int = 0) -> None:
        self._db = Database(url)
        self._min_free = min_free_bytes  # for a database on a local disk: below it, not ready

    @property
    def backend(self) -> str:
        return self._db.dialect

    def prepare(self) -> None:
        """Bring the schema to this version's head (a new database is created whole). Nodes
        starting together on one PostgreSQL store take turns: the first migrates, the others
        find the schema at its head."""
        with self._db.exclusive("mutaika-migrate", wait=True):
            migrate.upgrade(self._db)

    def schema_revision(self) -> str | None:
        return migrate.current(self._db)

    def needs_upgrade(self) -> str:
        """Why the schema is not this version's ("" when it is)."""
        revision = migrate.current(self._db)
        if revision == migrate.head():
            return ""
        return f"the store's schema is at {revision or 'nothing'}, this version needs " \
            f"{migrate.head()}"

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._db.write() as conn:
            yield conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One write transaction for the services: committed on leaving, rolled back on an
        exception; writers line up (SQLite: BEGIN IMMEDIATE)."""
        with self._db.write() as conn:
            yield Tx(conn)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Tx]:
        """One read transaction: every read inside sees the same state."""
        with self._db.read() as conn:
            yield Tx(conn)

    def put(
        self, quarantine_id: str, envelope: Envelope, original: bytes, result: SanitizeResult,
        *, expires_at: float | None = None,
    ) -> None:
        """Keep the original and the removed parts, durably on return; idempotent per ID (a
        retry replaces the content and keeps an admin's hold decision)."""
        with self._write() as conn:
            messages.put(conn, quarantine_id, envelope, original, result, expires_at=expires_at)

    def get(self, quarantine_id: str) -> QuarantineRecord | None:
        with self._db.read() as conn:
            return messages.get(conn, quarantine_id)

    def page(
        self, filters: QuarantineFilter | None = None, *, limit: int = 50, cursor: str = ""
    ) -> Page:
        """Newest first. Raises ValueError for a cursor that is not ours."""
        with self._db.read() as conn:
            return messages.page(conn, filters or QuarantineFilter(), limit=limit, cursor=cursor)

    def count(self, filters: QuarantineFilter | None = None) -> int:
        with self._db.read() as conn:
            return messages.count(conn, filters or QuarantineFilter())

    def original(self, quarantine_id: str) -> bytes | None:
        with self._db.read() as conn:
            record = messages.get(conn, quarantine_id)
            return messages.blob(conn, record.original_sha256) if record else None

    def item(self, quarantine_id: str, index: int) -> bytes | None:
        with self._db.read() as conn:
            record = messages.get(conn, quarantine_id)
            found = [i for i in record.items if i.index == index] if record else []
            return messages.blob(conn, found[0].sha256) if found else None

    def set_state(self, quarantine_id: str, state: HoldState) -> bool:
        with self._write() as conn:
            return messages.set_state(conn, quarantine_id, state)

    def exclusive(self, name: str) -> contextlib.AbstractContextManager[bool]:
        """A lock across every gateway on this store (see Database.exclusive): True if held."""
        return self._db.exclusive(name)

    @property
    def min_free_bytes(self) -> int:
        return self._min_free

    def free_bytes(self) -> int | None:
        """Free space on the database's disk; None when the database is a server."""
        return self._db.free_bytes()

    def problems(self) -> list[str]:
        """Why the store cannot take mail now (for /readyz); empty when it can."""
        try:
            with self._db.read() as conn:
                conn.execute(text("SELECT 1"))
                revision = migrate.current(self._db)
        except StoreUnavailable as exc:
            return [f"store: {exc}"]
        if revision != migrate.head():
            return [f"store: schema at {revision}, this version needs {migrate.head()}"]
        free = self.free_bytes()
        if free is not None and free < self._min_free:
            return [f"store: {free} bytes free on the database's disk"]
        return []

    def close(self) -> None:
        self._db.close()
