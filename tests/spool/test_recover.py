from __future__ import annotations

from pathlib import Path

from gateway.spool.record import SpoolRecord
from gateway.spool.recover import (
    clean_tmp,
    make_dirs,
    requeue_claimed,
    resolve_duplicates,
    return_claim,
)
from gateway.types import Envelope


def put(root: Path, queue: str, name: str, message: bytes, generation: int | None) -> None:
    d = root / queue / name
    d.mkdir()
    (d / "message.eml").write_bytes(message)
    if generation is not None:
        record = SpoolRecord.new(name, Envelope("a@b", ["c@lg.jp"]), size=len(message))
        record.generation = generation
        (d / "record.json").write_bytes(record.to_json())


def test_duplicates_keep_the_highest_generation(tmp_path: Path) -> None:
    make_dirs(tmp_path, durable=False)
    put(tmp_path, "sending", "Q1", b"old", 3)
    put(tmp_path, "deferred", "Q1", b"new", 4)
    put(tmp_path, "active", "Q2", b"raw", None)  # unreadable record loses to a readable one
    put(tmp_path, "outgoing", "Q2", b"clean", 0)
    put(tmp_path, "incoming", "Q3", b"same", 1)  # a tie goes to the queue further along
    put(tmp_path, "failed", "Q3", b"same", 1)
    assert resolve_duplicates(tmp_path, durable=False) == 3
    assert (tmp_path / "deferred" / "Q1" / "message.eml").read_bytes() == b"new"
    assert (tmp_path / "outgoing" / "Q2" / "message.eml").read_bytes() == b"clean"
    assert (tmp_path / "failed" / "Q3").is_dir()
    remaining = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.glob("*/*"))
    assert remaining == ["deferred/Q1", "failed/Q3", "outgoing/Q2"]


def test_claimed_entries_go_back_and_tmp_is_emptied(tmp_path: Path) -> None:
    make_dirs(tmp_path, durable=False)
    put(tmp_path, "active", "A1", b"a", 0)
    put(tmp_path, "sending", "S1", b"s", 0)
    (tmp_path / "tmp" / "partial").mkdir()
    (tmp_path / "tmp" / "stray").write_bytes(b"")
    assert requeue_claimed(tmp_path, durable=False) == 2
    assert (tmp_path / "incoming" / "A1").is_dir() and (tmp_path / "outgoing" / "S1").is_dir()
    assert clean_tmp(tmp_path, durable=False) == 2
    assert list((tmp_path / "tmp").iterdir()) == []


def test_return_claim_drops_a_claimed_copy_outranked_elsewhere(tmp_path: Path) -> None:
    # A worker died inside move(): the new copy is in outgoing/, the old one still in active/.
    make_dirs(tmp_path, durable=False)
    put(tmp_path, "active", "Q1", b"raw", 0)
    put(tmp_path, "outgoing", "Q1", b"clean", 1)
    put(tmp_path, "sending", "Q2", b"alone", 2)
    return_claim(tmp_path, "active", "Q1", durable=False)
    return_claim(tmp_path, "sending", "Q2", durable=False)
    remaining = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.glob("*/*"))
    assert remaining == ["outgoing/Q1", "outgoing/Q2"]
    assert (tmp_path / "outgoing" / "Q1" / "message.eml").read_bytes() == b"clean"
