"""The spool's door, on a real directory: every move, what it leaves on disk, and its errors."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

import pytest

from gateway.errors import SpoolError
from gateway.spool import Queue, Route, Spool, SpoolFull, Stage
from gateway.spool.queuefile import pack, read_header
from gateway.spool.record import SpoolRecord
from gateway.types import Envelope
from tests.spool.conftest import names


def test_accept_writes_one_whole_file_into_incoming(
    spool: Spool, root: Path, envelope: Envelope
) -> None:
    qid = spool.accept(b"Subject: x\r\n\r\nbody\r\n", envelope, message_id="<m@x>")
    assert names(root, "incoming") == [qid]
    header = read_header(root / "incoming" / qid)
    assert header.record.envelope == envelope and header.record.stage == Stage.SANITIZE
    assert header.record.size == 20 and header.record.message_id == "<m@x>"
    assert header.record.recipients == {"bob@city.example.lg.jp": {"status": "pending",
                                                                    "reply": ""}}
    assert names(root, "tmp") == []
    assert os.stat(root / "incoming" / qid).st_mode & 0o777 == 0o600


def test_claim_is_oldest_first_and_reads_the_message(spool: Spool, envelope: Envelope) -> None:
    first = spool.accept(b"1", envelope)
    second = spool.accept(b"2", envelope)
    entry = spool.claim(Queue.INCOMING)
    assert entry is not None and entry.queue_id == first and entry.queue == Queue.ACTIVE
    assert spool.read_message(entry) == b"1"
    assert entry.record.crashes == 0  # a claim is a bare rename: nothing counted on disk
    nxt = spool.claim(Queue.INCOMING)
    assert nxt is not None and nxt.queue_id == second
    assert spool.claim(Queue.INCOMING) is None


def test_a_damaged_file_is_shunted_unchanged_at_claim(
    spool: Spool, root: Path, envelope: Envelope
) -> None:
    qid = spool.accept(b"body", envelope)
    path = root / "incoming" / qid
    damaged = path.read_bytes()[:-2]
    path.write_bytes(damaged)
    assert spool.claim(Queue.INCOMING) is None
    assert (root / "shunt" / qid).read_bytes() == damaged  # kept for an operator, as it was
    shown = spool.get(Queue.SHUNT, qid)
    assert shown is not None and "header says" in shown.damaged


def test_defer_replaces_message_and_record_and_bumps_generation(
    spool: Spool, root: Path, envelope: Envelope
) -> None:
    spool.accept(b"raw", envelope)
    entry = spool.claim(Queue.INCOMING)
    assert entry is not None
    record = dataclasses.replace(entry.record, stage=Stage.DELIVER, verdict="sanitized",
                                 next_attempt_at=time.time() + 60)
    moved = spool.defer(entry, record, message=b"clean")
    assert moved.queue == Queue.DEFERRED and spool.read_message(moved) == b"clean"
    assert moved.record.generation == 1 and moved.record.verdict == "sanitized"
    assert names(root, "active") == [] and names(root, "deferred") == [entry.queue_id]
    on_disk = spool.get(Queue.DEFERRED, entry.queue_id)
    assert on_disk is not None and on_disk.record == moved.record


def test_fail_keeps_the_message_when_none_is_given(spool: Spool, envelope: Envelope) -> None:
    spool.accept(b"kept bytes", envelope)
    entry = spool.claim(Queue.INCOMING)
    assert entry is not None
    failed = spool.fail(entry, dataclasses.replace(entry.record, last_error="550 no"))
    assert spool.read_message(failed) == b"kept bytes" and failed.queue == Queue.FAILED


def test_deferred_entries_wake_into_the_queue_of_their_stage(
    spool: Spool, envelope: Envelope
) -> None:
    spool.accept(b"to sanitize", envelope)
    spool.accept(b"to deliver", envelope)
    spool.accept(b"not yet", envelope)
    now = time.time()
    for stage, due in ((Stage.SANITIZE, now - 1), (Stage.DELIVER, now - 1),
                       (Stage.DELIVER, now + 3600)):
        entry = spool.claim(Queue.INCOMING)
        assert entry is not None
        spool.defer(entry, dataclasses.replace(entry.record, stage=stage, next_attempt_at=due))
    assert spool.wake_due(now) == {Queue.INCOMING: 1, Queue.OUTGOING: 1}
    again = spool.claim(Queue.INCOMING)
    out = spool.claim(Queue.OUTGOING)
    assert again is not None and spool.read_message(again) == b"to sanitize"
    assert out is not None and spool.read_message(out) == b"to deliver"
    assert [e.record.next_attempt_at > now for e in spool.entries(Queue.DEFERRED)] == [True]


def test_postpone_counts_failures_and_shunts_at_the_limit(
    spool: Spool, root: Path, envelope: Envelope
) -> None:
    qid = spool.accept(b"poison", envelope)
    for attempt in (1, 2):
        entry = spool.claim(Queue.INCOMING)
        assert entry is not None and entry.record.failures == attempt - 1
        assert spool.postpone(entry, "ValueError: boom", 0.0) == Queue.DEFERRED
        spool.wake_due(time.time() + 1)
    entry = spool.claim(Queue.INCOMING)
    assert entry is not None
    assert spool.postpone(entry, "ValueError: boom", 0.0) == Queue.SHUNT  # max_attempts = 3
    shunted = spool.get(Queue.SHUNT, qid)
    assert shunted is not None and "failed 3 times" in shunted.record.last_error
    assert spool.read_message(shunted) == b"poison"


def test_put_back_is_uncounted_and_unchanged(spool: Spool, envelope: Envelope) -> None:
    qid = spool.accept(b"m", envelope)
    for _ in range(10):  # far beyond max_attempts: a fault of ours never shunts good mail
        entry = spool.claim(Queue.INCOMING)
        assert entry is not None and entry.queue_id == qid
        spool.put_back(entry)
    entry = spool.claim(Queue.INCOMING)
    assert entry is not None and entry.record.crashes == 0 and entry.record.generation == 0


def test_return_crashed_counts_and_shunts_poison(spool: Spool, envelope: Envelope) -> None:
    qid = spool.accept(b"kills workers", envelope)
    for crashes in (1, 2):
        assert spool.claim(Queue.INCOMING) is not None
        assert spool.return_crashed(Queue.ACTIVE, qid) == Queue.INCOMING
        entry = spool.get(Queue.INCOMING, qid)
        assert entry is not None and entry.record.crashes == crashes
    assert spool.claim(Queue.INCOMING) is not None
    assert spool.return_crashed(Queue.ACTIVE, qid) == Queue.SHUNT
    shunted = spool.get(Queue.SHUNT, qid)
    assert shunted is not None and "died 3 times" in shunted.record.last_error
    assert spool.return_crashed(Queue.ACTIVE, qid) is None  # gone from active/: nothing to do


def test_enqueue_puts_a_ready_message_into_outgoing(spool: Spool, envelope: Envelope) -> None:
    qid = spool.enqueue(b"released", envelope, route=Route.RELAY, release_id="R1",
                        quarantine_id="Q1", verdict="released")
    entry = spool.claim(Queue.OUTGOING)
    assert entry is not None and entry.queue_id == qid and entry.queue == Queue.SENDING
    assert entry.record.stage == Stage.DELIVER and entry.record.release_id == "R1"
    assert spool.read_message(entry) == b"released"


def test_prepare_recovers_claims_by_stage_uncounted_and_cleans_tmp(
    root: Path, envelope: Envelope
) -> None:
    spool = Spool(root, fsync=False, min_free_bytes=0)
    spool.prepare()
    raw = spool.accept(b"raw", envelope)
    sent = spool.enqueue(b"clean", envelope)
    assert spool.claim(Queue.INCOMING) is not None and spool.claim(Queue.OUTGOING) is not None
    (root / "tmp" / "half-written").write_bytes(b"x")
    Spool(root, fsync=False, min_free_bytes=0).prepare()  # as after a kill -9 of everything
    assert names(root, "incoming") == [raw] and names(root, "outgoing") == [sent]
    assert names(root, "tmp") == [] and names(root, "active") == []
    entry = spool.get(Queue.INCOMING, raw)
    assert entry is not None and entry.record.crashes == 0


def test_prepare_keeps_the_newer_copy_of_a_duplicate(root: Path, envelope: Envelope) -> None:
    """A crash between "new version renamed into place" and "old one unlinked"."""
    spool = Spool(root, fsync=False, min_free_bytes=0)
    spool.prepare()
    qid = spool.accept(b"raw", envelope)
    entry = spool.claim(Queue.INCOMING)
    assert entry is not None
    old = (root / "active" / qid).read_bytes()
    spool.defer(entry, dataclasses.replace(entry.record, verdict="sanitized"), message=b"new")
    (root / "active" / qid).write_bytes(old)
    Spool(root, fsync=False, min_free_bytes=0).prepare()
    assert names(root, "deferred") == [qid] and names(root, "incoming") == []
    kept = spool.get(Queue.DEFERRED, qid)
    assert kept is not None and spool.read_message(kept) == b"new"


def test_operator_views_and_actions(spool: Spool, envelope: Envelope) -> None:
    ids = [spool.accept(f"m{n}".encode(), envelope) for n in range(3)]
    assert [e.queue_id for e in spool.entries(Queue.INCOMING, limit=2)] == ids[:2]
    assert [e.queue_id for e in spool.entries(Queue.INCOMING, after=ids[1])] == [ids[2]]
    stats = spool.stats()
    assert stats[Queue.INCOMING].messages == 3 and stats[Queue.FAILED].messages == 0
    oldest = stats[Queue.INCOMING].oldest_at
    assert oldest is not None and abs(oldest - time.time()) < 60
    entry = spool.claim(Queue.INCOMING)
    assert entry is not None
    record = dataclasses.replace(entry.record, stage=Stage.DELIVER, recipients={
        "bob@city.example.lg.jp": {"status": "failed", "reply": "550 5.1.1 unknown"}})
    spool.fail(entry, record, message=b"clean")
    found = spool.find(ids[0])
    assert found is not None and found.queue == Queue.FAILED
    retried = spool.retry_now(Queue.FAILED, ids[0])
    assert retried is not None and retried.queue == Queue.OUTGOING
    assert retried.record.recipients["bob@city.example.lg.jp"]["status"] == "pending"
    assert retried.record.retry_since > 0 and retried.record.age_base == retried.record.retry_since
    assert spool.retry_now(Queue.FAILED, ids[0]) is None  # no longer there
    assert spool.delete(Queue.INCOMING, ids[1]) is True
    assert spool.delete(Queue.INCOMING, ids[1]) is False
    assert spool.get(Queue.INCOMING, "../../etc/passwd") is None
    with pytest.raises(ValueError):
        spool.delete(Queue.ACTIVE, ids[2])


def test_high_water_and_free_space_refuse_with_spool_full(root: Path, envelope: Envelope) -> None:
    full = Spool(root, fsync=False, high_water_bytes=10, min_free_bytes=0)
    full.prepare()
    with pytest.raises(SpoolFull):
        full.accept(b"x" * 11, envelope)
    full.check_space(0)
    no_room = Spool(root, fsync=False, min_free_bytes=2**62)
    with pytest.raises(SpoolFull):
        no_room.check_space(0)
    assert any("min_free_bytes" in p for p in no_room.problems())


def test_a_write_failure_is_a_spool_error_and_leaves_nothing(
    spool: Spool, root: Path, envelope: Envelope
) -> None:
    (root / "tmp").rmdir()
    (root / "tmp").write_bytes(b"not a directory")  # a real OSError, even for root
    with pytest.raises(SpoolError) as info:
        spool.accept(b"x", envelope)
    assert not isinstance(info.value, SpoolFull)
    assert names(root, "incoming") == []
    assert any("tmp" in p for p in spool.problems())


def test_a_rewrite_failure_keeps_the_entry(spool: Spool, root: Path, envelope: Envelope) -> None:
    spool.accept(b"m", envelope)
    entry = spool.claim(Queue.INCOMING)
    assert entry is not None
    (root / "tmp").rmdir()
    (root / "tmp").write_bytes(b"not a directory")
    with pytest.raises(SpoolError):
        spool.defer(entry, entry.record, message=b"clean")
    assert spool.read_message(entry) == b"m" and names(root, "deferred") == []


def test_a_queue_id_clash_never_overwrites(spool: Spool, root: Path, envelope: Envelope) -> None:
    qid = spool.accept(b"first", envelope)
    with pytest.raises(SpoolError):
        spool.accept(b"second", envelope, queue_id=qid)
    entry = spool.get(Queue.INCOMING, qid)
    assert entry is not None and spool.read_message(entry) == b"first"


def test_files_written_by_hand_in_the_old_layout_are_not_messages(
    spool: Spool, root: Path
) -> None:
    (root / "incoming" / "0123456789ABCDEF01").mkdir()  # a directory is not a queue file
    (root / "incoming" / "README").write_bytes(b"x")
    data = pack(SpoolRecord.new("0123456789ABCDEF02", Envelope("", ["a@b"]), size=1), b"m")
    (root / "incoming" / "0123456789ABCDEF02").write_bytes(data)
    entry = spool.claim(Queue.INCOMING)
    assert entry is not None and entry.queue_id == "0123456789ABCDEF02"
    assert spool.claim(Queue.INCOMING) is None  # the directory went to shunt/, whole
    assert (root / "shunt" / "0123456789ABCDEF01").is_dir()


def _old_entry(root: Path, queue: str, qid: str, message: bytes, **fields: object) -> None:
    """An entry as the first release wrote it: a directory with message.eml and record.json."""
    entry = root / queue / qid
    entry.mkdir(parents=True)
    (entry / "message.eml").write_bytes(message)
    record = {"queue_id": qid, "envelope": {"mail_from": "a@example.org",
              "rcpt_tos": ["b@lg.example.jp"]}, "attempts": 2, "size": len(message), **fields}
    (entry / "record.json").write_text(json.dumps(record))


def test_an_old_spool_is_converted_at_start_and_nothing_is_lost(root: Path) -> None:
    root.mkdir(parents=True)
    _old_entry(root, "incoming", "0195F3A2B4C5D6E7F1", b"waiting")
    _old_entry(root, "active", "0195F3A2B4C5D6E7F2", b"claimed")
    _old_entry(root, "outgoing", "0195F3A2B4C5D6E7F3", b"sanitized", verdict="sanitized")
    _old_entry(root, "deferred", "0195F3A2B4C5D6E7F4", b"retry", verdict="clean",
               next_attempt_at=123.0)  # fmt: skip
    (root / "incoming" / "0195F3A2B4C5D6E7F5").mkdir()  # half an entry, converted before
    _old_entry(root, "failed", "0195F3A2B4C5D6E7F5.legacy", b"x")  # a crash mid-conversion
    spool = Spool(root, fsync=False, min_free_bytes=0)
    spool.prepare()
    got = {e.queue_id: (q, spool.read_message(e), e.record.stage)
           for q in Queue for e in spool.entries(q) if not e.damaged}  # fmt: skip
    assert got["0195F3A2B4C5D6E7F1"] == (Queue.INCOMING, b"waiting", Stage.SANITIZE)
    assert got["0195F3A2B4C5D6E7F2"] == (Queue.INCOMING, b"claimed", Stage.SANITIZE)
    assert got["0195F3A2B4C5D6E7F3"] == (Queue.OUTGOING, b"sanitized", Stage.DELIVER)
    assert got["0195F3A2B4C5D6E7F4"][:2] == (Queue.DEFERRED, b"retry")
    assert got["0195F3A2B4C5D6E7F5"][:2] == (Queue.FAILED, b"x")
    leftovers = [p for q in Queue for p in (root / q).iterdir() if p.is_dir()]
    assert leftovers == [root / "incoming" / "0195F3A2B4C5D6E7F5"]  # no message: not ours
