"""The quarantine store on a real SQLite file (PostgreSQL runs the same tests in its own suite)."""

from __future__ import annotations

import hashlib
import multiprocessing
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.quarantine import (
    HoldState,
    QuarantineFilter,
    QuarantineStore,
    StoreUnavailable,
    migrate,
)
from gateway.types import Envelope, RemovedPart, SanitizeReport, SanitizeResult, Verdict

QID = "0195F3A2B4C5D6E7F8"
ENVELOPE = Envelope("a@example.org", ["x@lg.example.jp"], received_at=1000.0)


def _part(
    i: int, payload: bytes, *, detected: str = "application/pdf", flags: tuple[str, ...] = (),
    reason: str = "attachment",
) -> RemovedPart:
    sha = hashlib.sha256(payload).hexdigest()
    return RemovedPart(f"f{i}.pdf", "application/pdf", detected, len(payload), sha, list(flags),
                       reason, index=i)  # fmt: skip


def _result(parts: list[bytes], verdict: Verdict = Verdict.SANITIZED, subject: str = "件名",
            **kw: object) -> SanitizeResult:  # fmt: skip
    removed = [_part(i, p, **kw) for i, p in enumerate(parts)]  # type: ignore[arg-type]
    report = SanitizeReport(verdict=verdict, quarantine_id=QID, removed=removed, subject=subject,
                            message_id="<m@x>")  # fmt: skip
    return SanitizeResult(b"clean", report, parts)


def test_put_then_read_everything_back(store: QuarantineStore) -> None:
    store.put(QID, ENVELOPE, b"original bytes", _result([b"PDF1", b"PDF2"]))
    record = store.get(QID)
    assert record is not None
    assert (record.sender, record.recipients, record.subject) == (
        "a@example.org", ["x@lg.example.jp"], "件名")
    assert record.verdict == "sanitized" and record.state is HoldState.HELD
    assert record.size == len(b"original bytes") and record.received_at == 1000.0
    assert [i.filename for i in record.items] == ["f0.pdf", "f1.pdf"]
    assert record.report["subject"] == "件名"
    assert store.original(QID) == b"original bytes"
    assert store.item(QID, 1) == b"PDF2"
    assert store.item(QID, 2) is None and store.item("missing", 0) is None
    assert store.get("missing") is None and store.original("missing") is None


def test_put_is_idempotent_and_keeps_the_admin_state(store: QuarantineStore) -> None:
    store.put(QID, ENVELOPE, b"orig", _result([b"A", b"B"]))
    assert store.set_state(QID, HoldState.RELEASED)
    store.put(QID, ENVELOPE, b"orig", _result([], Verdict.QUARANTINED_WHOLE))
    record = store.get(QID)
    assert record is not None
    assert record.verdict == "quarantined-whole" and record.state is HoldState.RELEASED
    assert record.items == [] and store.item(QID, 0) is None
    assert store.count() == 1


def test_the_same_attachment_is_stored_once(tmp_path: Path) -> None:
    db_path = tmp_path / "dedup.sqlite3"
    store = QuarantineStore(f"sqlite:///{db_path}")
    store.prepare()
    pdf = b"%PDF-1.7 the same invoice" * 100
    for n in range(5):
        store.put(f"0195F3A2B4C5D6E7{n:02X}", ENVELOPE, b"orig %d" % n, _result([pdf]))
    conn = sqlite3.connect(db_path)
    sha = hashlib.sha256(pdf).hexdigest()
    assert conn.execute("SELECT count(*) FROM blobs WHERE sha256 = ?", (sha,)).fetchone() == (1,)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_filters_and_cursor_pagination(store: QuarantineStore) -> None:
    for n in range(6):
        env = Envelope(f"user{n}@example{n % 2}.org", ["staff@lg.example.jp"],
                       received_at=1000.0 + n)  # fmt: skip
        kw = {"detected": "application/x-dosexec", "flags": ("executable",)} if n == 3 else {}
        store.put(f"0195F3A2B4C5D6E7{n:02X}", env, b"o", _result([b"p%d" % n],
                  subject=f"請求書 {n}", **kw))  # type: ignore[arg-type]  # fmt: skip
    newest = store.page(limit=4)
    assert [r.id[-1] for r in newest.records] == ["5", "4", "3", "2"]
    rest = store.page(limit=4, cursor=newest.next_cursor)
    assert [r.id[-1] for r in rest.records] == ["1", "0"] and rest.next_cursor == ""
    assert [r.id[-1] for r in store.page(QuarantineFilter(sender="EXAMPLE1")).records] == [
        "5", "3", "1"]
    assert [r.id[-1] for r in store.page(QuarantineFilter(flag="executable")).records] == ["3"]
    assert [r.id[-1] for r in store.page(
        QuarantineFilter(detected_type="application/x-dos")).records] == ["3"]
    assert store.count(QuarantineFilter(subject="請求書 4")) == 1
    assert store.count(QuarantineFilter(since=1002.0, until=1004.0)) == 2
    assert store.count(QuarantineFilter(subject="%")) == 0  # LIKE wildcards are literal
    assert store.count(QuarantineFilter(reason="attachment")) == 6
    assert store.count(QuarantineFilter(state=HoldState.RELEASED)) == 0
    with pytest.raises(ValueError):
        store.page(cursor="not-a-cursor")


def test_a_new_database_is_created_at_the_head_revision(store: QuarantineStore) -> None:
    assert store.schema_revision() == migrate.head()
    assert store.problems() == []
    store.prepare()  # again: nothing to do


def test_problems_and_unavailable_database(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_bytes(b"x")
    store = QuarantineStore(f"sqlite:///{blocked}/store.sqlite3")
    assert store.problems() and "store" in store.problems()[0]
    with pytest.raises(StoreUnavailable):
        store.put(QID, ENVELOPE, b"o", _result([]))
    empty = QuarantineStore(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert "schema" in empty.problems()[0]  # not migrated yet: not ready


def test_another_mail_under_a_taken_id_is_refused(store: QuarantineStore) -> None:
    store.put(QID, ENVELOPE, b"the first mail", _result([]))
    with pytest.raises(ValueError, match="taken by another mail"):
        store.put(QID, ENVELOPE, b"a different mail", _result([]))
    assert store.original(QID) == b"the first mail"


def test_the_migrations_make_exactly_the_tables_schema_py_describes(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from gateway.quarantine.schema import metadata

    url = f"sqlite:///{tmp_path / 'compare.sqlite3'}"
    QuarantineStore(url).prepare()
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
    engine.dispose()


def test_an_exclusive_lock_is_held_by_one_store_at_a_time(pg_url: str, tmp_path: Path) -> None:
    """Several nodes on one PostgreSQL store: one purges while the others skip their round."""
    first, second = QuarantineStore(pg_url), QuarantineStore(pg_url)
    first.prepare()
    try:
        with first.exclusive("purge") as mine:
            assert mine
            with second.exclusive("purge") as theirs, second.exclusive("other") as other:
                assert not theirs and other
        with second.exclusive("purge") as theirs:
            assert theirs  # released with the block
    finally:
        first.close()
        second.close()
    sqlite = QuarantineStore(f"sqlite:///{tmp_path / 'one-node.sqlite3'}")
    with sqlite.exclusive("purge") as mine:
        assert mine  # one gateway per SQLite file


def _prepare(url: str) -> None:
    store = QuarantineStore(url)
    store.prepare()
    store.close()


def test_nodes_starting_together_migrate_a_new_database_once(pg_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    starters = [ctx.Process(target=_prepare, args=(pg_url,)) for _ in range(3)]
    for p in starters:
        p.start()
    for p in starters:
        p.join(120)
        assert p.exitcode == 0  # none failed on a table another was creating
    store = QuarantineStore(pg_url)
    assert store.schema_revision() == migrate.head() and store.problems() == []
    store.close()


def test_the_sanitized_mail_is_kept_beside_the_original(store: QuarantineStore) -> None:
    result = _result([b"PDF"])
    store.put(QID, ENVELOPE, b"original", result)
    record = store.get(QID)
    assert record is not None and record.sanitized_sha256 == hashlib.sha256(b"clean").hexdigest()
    with store.snapshot() as tx:
        assert tx.quarantine.blob(record.sanitized_sha256) == b"clean"


def test_upgrading_from_the_first_release_plane_keeps_every_row(store_url: str) -> None:
    """Every table holds a row at revision 0002; after the upgrade to head each still does.
    (SQLite alters a table by rebuilding it: with foreign keys on, dropping the old `messages`
    used to cascade into `items` and the release rows.)"""
    from sqlalchemy import BigInteger, Float, Integer, LargeBinary, insert, inspect

    from gateway.quarantine.db import Database
    from gateway.quarantine.schema import metadata

    db = Database(store_url)
    migrate.upgrade(db, "0002")
    old = inspect(db.engine)
    tables = [t for t in metadata.sorted_tables if t.name in set(old.get_table_names())]
    with db.engine.begin() as conn:
        for table in tables:
            present = {c["name"] for c in old.get_columns(table.name)}
            row: dict[str, object] = {}
            for column in table.columns:
                if column.name not in present:
                    continue
                kind = type(column.type)
                # one value per type, so every foreign key finds the row it names
                row[column.name] = (1 if issubclass(kind, (Integer, BigInteger)) else
                                    1.0 if issubclass(kind, Float) else
                                    b"x" if issubclass(kind, LargeBinary) else "A")  # fmt: skip
            if not conn.execute(select(func.count()).select_from(table)).scalar_one():
                conn.execute(insert(table).values(row))  # audit_head comes with its row
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                  for t in tables}  # fmt: skip
    db.close()
    assert counts == {t.name: 1 for t in tables}
