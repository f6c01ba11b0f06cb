from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

from gateway.errors import SpoolError
from gateway.spool.entry import SpoolEntry
from gateway.spool.record import SpoolRecord
from gateway.spool.store import Spool, SpoolFull
from gateway.types import Envelope


def entries(spool: Spool, queue: str) -> list[str]:
    return sorted(p.name for p in (spool.root / queue).iterdir())


def test_accept_writes_a_whole_entry_into_incoming(spool: Spool, envelope: Envelope) -> None:
    qid = spool.accept(b"Subject: x\r\n\r\nbody\r\n", envelope, message_id="<m@x>")
    entry_dir = spool.root / "incoming" / qid
    assert (entry_dir / "message.eml").read_bytes() == b"Subject: x\r\n\r\nbody\r\n"
    record = SpoolRecord.from_json((entry_dir / "record.json").read_bytes())
    assert record.queue_id == qid and record.envelope == envelope
    assert record.size == 20 and record.message_id == "<m@x>" and record.attempts == 0
    assert record.recipients == {"bob@city.example.lg.jp": {"status": "pending", "reply": ""}}
    assert entries(spool, "tmp") == []
    assert spool.counts()["incoming"] == 1


def test_claim_is_oldest_first_and_bumps_attempts_on_disk(
    spool: Spool, envelope: Envelope
) -> None:
    first = spool.accept(b"1", envelope)
    second = spool.accept(b"2", envelope)
    entry = spool.claim("incoming")
    assert entry is not None and entry.queue_id == first and entry.queue == "active"
    on_disk = SpoolRecord.from_json((entry.path / "record.json").read_bytes())
    assert on_disk.attempts == 1
    assert spool.read_message(entry) == b"1"
    nxt = spool.claim("incoming")
    assert nxt is not None and nxt.queue_id == second
    assert spool.claim("incoming") is None


def test_move_replaces_message_resets_attempts_and_bumps_generation(
    spool: Spool, envelope: Envelope
) -> None:
    spool.accept(b"raw", envelope)
    entry = spool.claim("incoming")
    assert entry is not None
    record = entry.record
    record.verdict = "sanitized"
    moved = spool.move(entry, "outgoing", message=b"clean", record=record)
    assert moved.queue == "outgoing" and moved.record.attempts == 0
    assert moved.record.generation == 1
    assert spool.read_message(moved) == b"clean"
    assert SpoolRecord.from_json((moved.path / "record.json").read_bytes()).verdict == "sanitized"
    assert entries(spool, "active") == [] and entries(spool, "tmp") == []


def test_move_without_changes_keeps_the_message_bytes(spool: Spool, envelope: Envelope) -> None:
    spool.accept(b"raw bytes", envelope)
    entry = spool.claim("incoming")
    assert entry is not None
    failed = spool.move(entry, "failed")
    assert spool.read_message(failed) == b"raw bytes"
    assert (failed.path / "message.eml").stat().st_nlink == 1  # the old link is gone
    with pytest.raises(ValueError):
        spool.move(failed, "nowhere")


def test_deferred_entries_come_back_when_due(spool: Spool, envelope: Envelope) -> None:
    spool.accept(b"m", envelope)
    entry = spool.claim("incoming")
    assert entry is not None
    out = spool.move(entry, "outgoing", message=b"clean")
    sending = spool.claim("outgoing")
    assert sending is not None and sending.queue_id == out.queue_id
    record = sending.record
    record.next_attempt_at = 1000.0
    record.delivery_attempts = 1
    spool.move(sending, "deferred", record=record)
    assert spool.due_deferred(999.0) == 0
    assert spool.due_deferred(1000.0) == 1
    back = spool.claim("outgoing")
    assert back is not None and back.record.delivery_attempts == 1
    assert spool.read_message(back) == b"clean"
    spool.remove(back)
    assert sum(spool.counts().values()) == 0


def test_crash_loop_is_shunted_after_max_attempts(spool: Spool, envelope: Envelope) -> None:
    qid = spool.accept(b"poison", envelope)
    for attempt in range(1, 4):  # max_attempts=3 in the fixture
        entry = spool.claim("incoming")
        assert entry is not None and entry.record.attempts == attempt
        spool.prepare()  # the worker died: recovery puts it back
    assert spool.claim("incoming") is None
    assert entries(spool, "shunt") == [qid]
    record = json.loads((spool.root / "shunt" / qid / "record.json").read_bytes())
    assert "3 times" in record["last_error"]
    assert (spool.root / "shunt" / qid / "message.eml").read_bytes() == b"poison"


def test_corrupt_record_is_rebuilt_and_shunted_never_lost(
    spool: Spool, envelope: Envelope
) -> None:
    bad = spool.accept(b"keep me", envelope)
    good = spool.accept(b"fine", envelope)
    (spool.root / "incoming" / bad / "record.json").write_bytes(b'{"queue_id": tru')
    entry = spool.claim("incoming")
    assert entry is not None and entry.queue_id == good  # the next one is served
    shunted = spool.root / "shunt" / bad
    assert (shunted / "message.eml").read_bytes() == b"keep me"
    assert (shunted / "record.json.corrupt").read_bytes() == b'{"queue_id": tru'
    record = SpoolRecord.from_json((shunted / "record.json").read_bytes())
    assert record.queue_id == bad and record.size == 7
    assert record.last_error.startswith("record.json unreadable")


def test_missing_record_is_rebuilt_and_shunted(spool: Spool, envelope: Envelope) -> None:
    qid = spool.accept(b"orphan", envelope)
    (spool.root / "incoming" / qid / "record.json").unlink()
    assert spool.claim("incoming") is None
    record = SpoolRecord.from_json((spool.root / "shunt" / qid / "record.json").read_bytes())
    assert record.last_error == "record.json missing"


def test_prepare_recovers_claimed_entries_and_cleans_tmp(
    spool: Spool, envelope: Envelope
) -> None:
    spool.accept(b"a", envelope)
    spool.accept(b"b", envelope)
    worked = spool.claim("incoming")
    assert worked is not None
    spool.move(worked, "outgoing", message=b"A")
    assert spool.claim("outgoing") is not None
    assert spool.claim("incoming") is not None
    (spool.root / "tmp" / "half-built").mkdir()
    (spool.root / "tmp" / "half-built" / "message.eml").write_bytes(b"par")
    spool.prepare()
    counts = spool.counts()
    assert counts["incoming"] == 1 and counts["outgoing"] == 1
    assert counts["active"] == counts["sending"] == 0
    assert entries(spool, "tmp") == []


def test_prepare_keeps_the_newer_copy_of_a_duplicate(spool: Spool, envelope: Envelope) -> None:
    # A crash between "new copy renamed into outgoing/" and "old copy removed from active/".
    spool.accept(b"raw", envelope)
    entry = spool.claim("incoming")
    assert entry is not None
    moved = spool.move(entry, "outgoing", message=b"clean")
    stale = spool.root / "active" / moved.queue_id
    stale.mkdir()
    (stale / "message.eml").write_bytes(b"raw")
    (stale / "record.json").write_bytes(entry.record.to_json())
    spool.prepare()
    assert entries(spool, "active") == entries(spool, "incoming") == []
    assert (spool.root / "outgoing" / moved.queue_id / "message.eml").read_bytes() == b"clean"


def test_high_water_refuses_with_spool_full(tmp_path: Path, envelope: Envelope) -> None:
    spool = Spool(tmp_path, fsync=False, high_water_bytes=100, min_free_bytes=0)
    spool.prepare()
    spool.accept(b"x" * 60, envelope)
    with pytest.raises(SpoolFull):
        spool.accept(b"y" * 200, envelope)


def test_min_free_bytes_refuses_with_spool_full(tmp_path: Path, envelope: Envelope) -> None:
    spool = Spool(tmp_path, fsync=False, min_free_bytes=2**62)
    spool.prepare()
    with pytest.raises(SpoolFull):
        spool.accept(b"x", envelope)
    assert spool.counts()["incoming"] == 0


def test_write_failure_raises_spool_error_and_leaves_nothing(
    tmp_path: Path, envelope: Envelope
) -> None:
    spool = Spool(tmp_path, fsync=False, min_free_bytes=0)
    spool.prepare()
    (tmp_path / "tmp").rmdir()
    (tmp_path / "tmp").write_bytes(b"not a directory")  # a real OSError, even for root
    with pytest.raises(SpoolError) as info:
        spool.accept(b"x", envelope)
    assert not isinstance(info.value, SpoolFull)
    assert spool.counts()["incoming"] == 0


def test_entry_loads_by_queue_and_id(spool: Spool, envelope: Envelope) -> None:
    qid = spool.accept(b"m", envelope)
    entry = spool.entry("incoming", qid)
    assert entry is not None and entry.record.queue_id == qid
    assert spool.entry("incoming", "0" * 18) is None


def test_a_queue_id_clash_fails_without_touching_the_other_copy(
    spool: Spool, envelope: Envelope
) -> None:
    (spool.root / "tmp" / "1A0000000000000000").mkdir()
    (spool.root / "tmp" / "1A0000000000000000" / "message.eml").write_bytes(b"theirs")
    with pytest.raises(SpoolError):
        spool.accept(b"mine", envelope, queue_id="1A0000000000000000")
    assert (spool.root / "tmp" / "1A0000000000000000" / "message.eml").read_bytes() == b"theirs"


def on_disk(entry_dir: Path) -> SpoolRecord:
    return SpoolRecord.from_json((entry_dir / "record.json").read_bytes())


def defer(spool: Spool, entry: SpoolEntry, at: float) -> None:
    record = entry.record
    record.next_attempt_at = at
    spool.move(entry, "deferred", record=record)


def test_an_entry_deferred_again_waits_for_its_new_time(spool: Spool, envelope: Envelope) -> None:
    spool.accept(b"m", envelope)
    entry = spool.claim("incoming")
    assert entry is not None
    spool.move(entry, "outgoing", message=b"clean")
    sending = spool.claim("outgoing")
    assert sending is not None
    defer(spool, sending, 1000.0)
    assert spool.due_deferred(1000.0) == 1
    again = spool.claim("outgoing")
    assert again is not None
    defer(spool, again, 5000.0)
    assert spool.due_deferred(1001.0) == 0
    assert spool.counts()["deferred"] == 1
    assert spool.due_deferred(5000.0) == 1


def test_claim_fsyncs_the_new_record_but_no_directory(
    tmp_path: Path, envelope: Envelope, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path, fsync=True, min_free_bytes=0)
    spool.prepare()
    spool.accept(b"m", envelope)
    synced: list[Path] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    entry = spool.claim("incoming")
    assert entry is not None
    # One file, written beside record.json and renamed over it: the old or the new record
    # survives a power cut, never an empty file.
    assert len(synced) == 1
    assert synced[0].parent == entry.path and synced[0].name.startswith(".record.json.")
    assert on_disk(entry.path).attempts == 1


@pytest.mark.parametrize(("source", "claimed"), [("incoming", "active"),
                                                 ("outgoing", "sending")])
def test_release_gives_a_claim_back_uncounted(
    spool: Spool, envelope: Envelope, source: str, claimed: str
) -> None:
    qid = spool.accept(b"m", envelope)
    if source == "outgoing":
        entry = spool.claim("incoming")
        assert entry is not None
        spool.move(entry, "outgoing")
    for _ in range(5):  # more than max_attempts=3, and never shunted
        entry = spool.claim(source)
        assert entry is not None and entry.queue == claimed and entry.record.attempts == 1
        spool.release(entry)
    assert entries(spool, source) == [qid] and entries(spool, claimed) == []
    assert on_disk(spool.root / source / qid).attempts == 0
    with pytest.raises(ValueError):
        spool.release(SpoolEntry(qid, source, spool.root / source / qid, entry.record))


def test_move_failure_raises_spool_error_and_keeps_the_entry(
    spool: Spool, envelope: Envelope
) -> None:
    spool.accept(b"m", envelope)
    entry = spool.claim("incoming")
    assert entry is not None
    (spool.root / "tmp").rmdir()
    (spool.root / "tmp").write_bytes(b"not a directory")  # a real OSError, even for root
    with pytest.raises(SpoolError) as info:
        spool.move(entry, "outgoing", message=b"clean")
    assert not isinstance(info.value, SpoolFull)
    assert spool.read_message(entry) == b"m" and entries(spool, "outgoing") == []


def _killed_mid_rmtree(path: Any, *args: Any, **kwargs: Any) -> None:
    """shutil.rmtree as a kill -9 cuts it short: record.json already gone, the rest not."""
    (Path(path) / "record.json").unlink()
    raise KeyboardInterrupt


def test_a_removal_cut_short_leaves_no_half_entry(
    spool: Spool, envelope: Envelope, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool.accept(b"m", envelope)
    entry = spool.claim("incoming")
    assert entry is not None
    monkeypatch.setattr(shutil, "rmtree", _killed_mid_rmtree)
    with pytest.raises(KeyboardInterrupt):
        spool.remove(entry)
    monkeypatch.undo()
    assert entries(spool, "active") == []
    spool.prepare()
    assert sum(spool.counts().values()) == 0 and entries(spool, "tmp") == []


def test_a_move_cut_short_in_the_old_copy_removal_leaves_one_copy(
    spool: Spool, envelope: Envelope, monkeypatch: pytest.MonkeyPatch
) -> None:
    qid = spool.accept(b"raw", envelope)
    entry = spool.claim("incoming")
    assert entry is not None
    monkeypatch.setattr(shutil, "rmtree", _killed_mid_rmtree)
    with pytest.raises(KeyboardInterrupt):
        spool.move(entry, "outgoing", message=b"clean")
    monkeypatch.undo()
    assert entries(spool, "active") == [] and entries(spool, "outgoing") == [qid]
    moved = spool.entry("outgoing", qid)
    assert moved is not None and spool.read_message(moved) == b"clean"


_COUNT_IN_A_CHILD = (
    "import sys; from pathlib import Path; from gateway.spool.store import Spool; "
    "Spool(Path(sys.argv[1]), fsync=False).counts()"
)


def test_the_queue_gauge_shows_the_latest_count_of_all_processes(
    spool: Spool, envelope: Envelope, tmp_path: Path
) -> None:
    accepted = [spool.accept(b"m", envelope) for _ in range(3)]
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    child = [sys.executable, "-c", _COUNT_IN_A_CHILD, str(spool.root)]
    subprocess.run(child, env=env, check=True, timeout=60)
    for qid in accepted[1:]:
        entry = spool.entry("incoming", qid)
        assert entry is not None
        spool.remove(entry)
    subprocess.run(child, env=env, check=True, timeout=60)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(metrics_dir))
    assert registry.get_sample_value("mutaika_spool_messages", {"queue": "incoming"}) == 1
