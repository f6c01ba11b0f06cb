"""Items opened from a protected item (PPAP) and the mails a password notice may open, on both
backends; migration 0005 marks the mails stored before it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from gateway.quarantine import QuarantineStore, migrate
from gateway.quarantine.db import Database
from gateway.types import Envelope, RemovedPart, SanitizeReport, SanitizeResult

SENDER = "sales@example.co.jp"


def _part(index: int, payload: bytes, flags: list[str], name: str = "a.zip") -> RemovedPart:
    return RemovedPart(name, "application/zip", "application/zip", len(payload),
                       hashlib.sha256(payload).hexdigest(), flags, "attachment", index=index)


def _put(store: QuarantineStore, qid: str, at: float, parts: list[tuple[bytes, list[str]]],
         sender: str = SENDER) -> None:  # fmt: skip
    removed = [_part(i, data, flags) for i, (data, flags) in enumerate(parts)]
    report = SanitizeReport(quarantine_id=qid, removed=removed)
    envelope = Envelope(sender, ["kaikei@city.example.lg.jp"], received_at=at)
    store.put(qid, envelope, b"orig " + qid.encode(),
              SanitizeResult(b"clean", report, [data for data, _ in parts]))


@pytest.fixture
def store(store_url: str) -> Iterator[QuarantineStore]:
    s = QuarantineStore(store_url)
    s.prepare()
    yield s
    s.close()


def test_opened_items_take_the_next_indexes_and_survive_a_put_again(store: QuarantineStore
                                                                    ) -> None:  # fmt: skip
    parts = [(b"ZIP", ["encrypted-archive"]), (b"PDF", [])]
    _put(store, "Q1", 1000.0, parts)
    inner = [(_part(0, b"inner-1", [], "in/a.pdf"), b"inner-1"),
             (_part(0, b"PDF", [], "in/same-as-item-1.pdf"), b"PDF")]  # content-addressed
    with store.transaction() as tx:
        added = tx.quarantine.add_opened("Q1", 0, inner)
    assert [(i.index, i.parent, i.filename) for i in added] == [
        (2, 0, "in/a.pdf"), (3, 0, "in/same-as-item-1.pdf")]
    assert store.item("Q1", 2) == b"inner-1" and store.item("Q1", 3) == b"PDF"
    _put(store, "Q1", 1000.0, parts)  # a worker's retry puts the same mail again
    record = store.get("Q1")
    assert record is not None
    assert [(i.index, i.parent) for i in record.items] == [(0, None), (1, None), (2, 0), (3, 0)]


def test_locked_mails_from_a_sender_in_a_window(store: QuarantineStore) -> None:
    _put(store, "OLD", 100.0, [(b"Z1", ["encrypted-archive"])])
    _put(store, "NEW", 900.0, [(b"Z2", ["password-protected"])])
    _put(store, "PLAIN", 950.0, [(b"P", [])])
    _put(store, "OTHER", 950.0, [(b"Z3", ["encrypted-archive"])], sender="x@example.net")
    with store.snapshot() as tx:
        found = tx.quarantine.locked_from(SENDER, since=500.0, until=1000.0)
        everything = tx.quarantine.locked_from(SENDER, since=0.0, until=1000.0)
    assert [m.id for m in found] == ["NEW"] and [m.id for m in everything] == ["NEW", "OLD"]


def test_migration_0005_marks_mails_stored_before_it(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/old.sqlite3"
    db = Database(url)
    migrate.upgrade(db, "0002")
    with db.engine.begin() as conn:
        for qid, flags in (("LOCKED", ["encrypted-archive", "archive"]), ("OPEN", ["archive"])):
            conn.execute(text("INSERT INTO blobs VALUES (:s, 1, :d, 0)"), {"s": qid, "d": b"x"})
            conn.execute(text(
                "INSERT INTO messages (id, received_at, stored_at, sender, recipients, subject, "
                "message_id, verdict, reason, size, report, state, original_sha256) VALUES "
                "(:q, 500, 500, :s, '[]', '', '', 'sanitized', '', 1, '{}', 'held', :q)"),
                {"q": qid, "s": SENDER})
            conn.execute(text(
                "INSERT INTO items (message, idx, filename, declared_type, detected_type, size, "
                "sha256, flags, reason, detail) VALUES (:q, 0, 'a.zip', '', '', 1, :q, :f, "
                "'attachment', '')"), {"q": qid, "f": json.dumps(flags)})
    db.close()
    store = QuarantineStore(url)
    store.prepare()
    with store.snapshot() as tx:
        assert [m.id for m in tx.quarantine.locked_from(SENDER, since=0, until=1000)] == ["LOCKED"]
    store.close()
