import sqlite3
from pathlib import Path

import pytest

from gateway.quarantine.models import HoldState, QuarantineDetail, QuarantineSummary
from gateway.quarantine.sqlite import SqliteQuarantineStore
from gateway.types import Envelope, RemovedPart, SanitizeReport, SanitizeResult, Verdict

QID = "0195F3A2B4C5D6E7F8"


def _result(parts: list[bytes], verdict: Verdict = Verdict.SANITIZED) -> SanitizeResult:
    removed = [
        RemovedPart(f"f{i}.pdf", "application/pdf", "application/pdf", len(p), "00", index=i)
        for i, p in enumerate(parts)
    ]
    report = SanitizeReport(
        verdict=verdict, quarantine_id=QID, removed=removed, subject="件名", message_id="<m@x>"
    )
    return SanitizeResult(b"clean", report, parts)


@pytest.fixture
def store(tmp_path: Path) -> SqliteQuarantineStore:
    return SqliteQuarantineStore(tmp_path / "q.sqlite3", tmp_path / "q")


ENVELOPE = Envelope("a@example.org", ["x@lg.jp"], received_at=1000.0)


def test_put_then_read_everything_back(store: SqliteQuarantineStore, tmp_path: Path) -> None:
    store.put(QID, ENVELOPE, b"original bytes", _result([b"PDF1", b"PDF2"]))
    record = store.get(QID)
    assert record is not None
    assert (record.sender, record.recipients, record.subject) == (
        "a@example.org",
        ["x@lg.jp"],
        "件名",
    )
    assert record.verdict == "sanitized" and record.state is HoldState.HELD
    assert record.size == len(b"original bytes")
    assert [p["filename"] for p in record.removed] == ["f0.pdf", "f1.pdf"]
    assert store.original(QID) == b"original bytes"
    assert store.part(QID, 1) == b"PDF2"
    assert store.part(QID, 2) is None
    assert (tmp_path / "q" / QID[:2] / QID / "original.eml").is_file()
    detail = QuarantineDetail.of(record)
    assert detail.removed[0].filename == "f0.pdf"
    assert QuarantineSummary.of(record).removed_count == 2


def test_put_is_idempotent_and_keeps_the_admin_state(store: SqliteQuarantineStore) -> None:
    store.put(QID, ENVELOPE, b"orig", _result([b"A", b"B"]))
    assert store.set_state(QID, HoldState.RELEASED)
    store.put(QID, ENVELOPE, b"orig", _result([], Verdict.QUARANTINED_WHOLE))
    record = store.get(QID)
    assert record is not None
    assert record.verdict == "quarantined-whole"
    assert record.state is HoldState.RELEASED
    assert store.part(QID, 0) is None  # stale parts of the first put are gone
    assert len(store.list()) == 1


def test_durable_settings_and_a_second_process_view(
    store: SqliteQuarantineStore, tmp_path: Path
) -> None:
    store.put(QID, ENVELOPE, b"orig", _result([]))
    conn = sqlite3.connect(tmp_path / "q.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT id FROM quarantine").fetchall() == [(QID,)]
    conn.close()
    other = SqliteQuarantineStore(tmp_path / "q.sqlite3", tmp_path / "q")
    assert other.get(QID) is not None


def test_list_filters_and_orders_newest_first(store: SqliteQuarantineStore) -> None:
    for n in range(3):
        qid = f"0195F3A2B4C5D6E7F{n}"
        store.put(qid, Envelope("a@x", ["b@y"], received_at=1000.0 + n), b"o", _result([]))
    store.set_state("0195F3A2B4C5D6E7F1", HoldState.DELETED)
    assert [r.id[-1] for r in store.list()] == ["2", "1", "0"]
    assert [r.id[-1] for r in store.list(state=HoldState.HELD)] == ["2", "0"]
    assert [r.id[-1] for r in store.list(limit=1, offset=1)] == ["1"]


def test_unsafe_ids_are_refused(store: SqliteQuarantineStore) -> None:
    with pytest.raises(ValueError):
        store.put("../etc", ENVELOPE, b"o", _result([]))
    with pytest.raises(ValueError):
        store.original("a/b")
    assert store.get("missing") is None


def test_prepare_creates_an_empty_store(store: SqliteQuarantineStore, tmp_path: Path) -> None:
    store.prepare()
    assert (tmp_path / "q").is_dir()
    assert store.list() == []
