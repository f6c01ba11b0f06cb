"""SQLite quarantine: metadata rows in one WAL database, payloads as files beside it."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path

from gateway.quarantine.files import check_id, item_dir, make_dirs, read_payload, write_payloads
from gateway.quarantine.models import HoldState, QuarantineRecord
from gateway.types import Envelope, SanitizeResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS quarantine (
    id TEXT PRIMARY KEY,
    received_at REAL NOT NULL,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    message_id TEXT NOT NULL,
    verdict TEXT NOT NULL,
    size INTEGER NOT NULL,
    report TEXT NOT NULL,
    removed TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'held',
    stored_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS quarantine_received ON quarantine (received_at);
CREATE INDEX IF NOT EXISTS quarantine_state ON quarantine (state, received_at);
"""

_COLUMNS = (
    "id, received_at, sender, recipients, subject, message_id, verdict, size, report, removed, "
    "state, stored_at"
)

# state is left out of the update on purpose: a re-put must not undo an admin's release/delete
_UPSERT = f"""
INSERT INTO quarantine ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'held', ?)
ON CONFLICT(id) DO UPDATE SET
    received_at = excluded.received_at, sender = excluded.sender,
    recipients = excluded.recipients, subject = excluded.subject,
    message_id = excluded.message_id, verdict = excluded.verdict, size = excluded.size,
    report = excluded.report, removed = excluded.removed, stored_at = excluded.stored_at
"""


def connect(database: Path) -> sqlite3.Connection:
    database.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(database, timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.executescript(_SCHEMA)
    return conn


class SqliteQuarantineStore:
    """One connection per process, opened lazily so a store built before a fork/spawn is safe."""

    def __init__(self, database: Path, directory: Path) -> None:
        self._database = database
        self._directory = directory
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._lock = threading.Lock()  # the API may call from a thread pool

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            self._conn = connect(self._database)
            self._pid = os.getpid()
        return self._conn

    def prepare(self) -> None:
        """Create the directory and the schema up front, so /readyz holds before the first mail."""
        self._directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._connection()

    def put(
        self,
        quarantine_id: str,
        envelope: Envelope,
        original: bytes,
        result: SanitizeResult,
        original_path: Path | None = None,
    ) -> None:
        directory = item_dir(self._directory, quarantine_id)
        make_dirs(self._directory, directory)
        write_payloads(directory, original, result.removed_payloads, original_path)
        report = result.report
        row = (
            quarantine_id,
            envelope.received_at or time.time(),
            envelope.mail_from,
            json.dumps(envelope.rcpt_tos, ensure_ascii=False),
            report.subject,
            report.message_id,
            str(report.verdict),
            len(original),
            json.dumps(report.to_json(), ensure_ascii=False),
            json.dumps([part.to_json() for part in report.removed], ensure_ascii=False),
            time.time(),
        )
        with self._lock:
            self._connection().execute(_UPSERT, row)

    def get(self, quarantine_id: str) -> QuarantineRecord | None:
        with self._lock:
            row = (
                self._connection()
                .execute(f"SELECT {_COLUMNS} FROM quarantine WHERE id = ?", (quarantine_id,))
                .fetchone()
            )
        return QuarantineRecord.from_row(row) if row else None

    def list(
        self, *, state: HoldState | None = None, limit: int = 100, offset: int = 0
    ) -> list[QuarantineRecord]:
        where, args = ("WHERE state = ?", [str(state)]) if state else ("", [])
        sql = (
            f"SELECT {_COLUMNS} FROM quarantine {where} "
            "ORDER BY received_at DESC, id DESC LIMIT ? OFFSET ?"
        )
        with self._lock:
            rows = self._connection().execute(sql, (*args, limit, offset)).fetchall()
        return [QuarantineRecord.from_row(row) for row in rows]

    def original(self, quarantine_id: str) -> bytes | None:
        return read_payload(item_dir(self._directory, quarantine_id) / "original.eml")

    def part(self, quarantine_id: str, index: int) -> bytes | None:
        if index < 0:
            return None
        return read_payload(item_dir(self._directory, quarantine_id) / f"part-{index}.bin")

    def set_state(self, quarantine_id: str, state: HoldState) -> bool:
        check_id(quarantine_id)
        with self._lock:
            cursor = self._connection().execute(
                "UPDATE quarantine SET state = ? WHERE id = ?", (str(state), quarantine_id)
            )
        return cursor.rowcount > 0

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
