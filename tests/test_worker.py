import email
import email.policy
import logging
import multiprocessing
import shutil
import threading
from typing import Any

import pytest

from gateway import worker
from gateway.config import Settings
from gateway.quarantine.sqlite import SqliteQuarantineStore
from gateway.runtime import StopFlag, open_quarantine, open_spool
from gateway.spool.store import Spool
from gateway.types import Envelope
from gateway.wiring import settle_dead_job
from gateway.worker import JobSlot, process_entry, quarantine_stuck, run_worker
from tests.e2e.mails import html_with_attachment

ENVELOPE = Envelope("alice@example.org", ["bob@lg.jp"], received_at=1.0)


def _setup(make_settings: Any) -> tuple[Settings, Spool, SqliteQuarantineStore]:
    settings: Settings = make_settings(spool={"fsync": False})
    spool = open_spool(settings)
    spool.prepare()
    return settings, spool, open_quarantine(settings)


def test_entry_is_sanitized_quarantined_and_moved(make_settings: Any) -> None:
    settings, spool, store = _setup(make_settings)
    raw = html_with_attachment("TOKEN1")
    qid = spool.accept(raw, ENVELOPE)
    entry = spool.claim("incoming")
    assert entry is not None
    moved = process_entry(spool, store, settings, entry)
    assert moved.queue == "outgoing"
    assert moved.record.verdict == "sanitized"
    assert moved.record.quarantine_id == qid
    assert moved.record.message_id == "<TOKEN1@example.org>"
    clean = email.message_from_bytes(spool.read_message(moved), policy=email.policy.default)
    assert clean.get_content_type() == "text/plain"
    assert "TOKEN1" in clean.get_content()
    assert store.original(qid) == raw
    record = store.get(qid)
    assert record is not None and record.removed
    assert store.part(qid, record.removed[0]["index"]) is not None


def test_stuck_job_is_quarantined_whole(make_settings: Any) -> None:
    settings, spool, store = _setup(make_settings)
    qid = spool.accept(html_with_attachment("TOKEN2"), ENVELOPE)
    entry = spool.claim("incoming")
    assert entry is not None
    moved = quarantine_stuck(spool, store, settings, entry, 61.0)
    assert moved.queue == "outgoing" and moved.record.verdict == "quarantined-whole"
    record = store.get(qid)
    assert record is not None and record.verdict == "quarantined-whole"


def test_dead_worker_job_goes_back_with_its_attempts(make_settings: Any) -> None:
    settings, spool, _ = _setup(make_settings)
    qid = spool.accept(html_with_attachment("TOKEN3"), ENVELOPE)
    assert spool.claim("incoming") is not None
    settle_dead_job(settings, qid, None)
    entry = spool.claim("incoming")
    assert entry is not None and entry.record.attempts == 2  # the crash-loop counter survives
    settle_dead_job(settings, qid, 99.0)
    counts = spool.counts()
    assert counts["outgoing"] == 1 and counts["active"] == 0
    settle_dead_job(settings, "0" * 18, 1.0)  # already gone: nothing to do
    settle_dead_job(settings, qid, None)
    assert spool.counts() == counts


def test_worker_loop_drains_incoming_and_publishes_its_job(make_settings: Any) -> None:
    settings, spool, store = _setup(make_settings)
    for n in range(5):
        spool.accept(html_with_attachment(f"LOOP{n}"), ENVELOPE)
    slot = JobSlot(multiprocessing.get_context("forkserver"))
    stop = StopFlag()
    thread = threading.Thread(target=run_worker, args=(settings, slot, stop))
    thread.start()
    try:
        for _ in range(500):
            if spool.counts()["outgoing"] == 5:
                break
            stop.wait(0.02)
    finally:
        stop.set()
        thread.join(10)
    assert spool.counts()["outgoing"] == 5
    assert len(store.list()) == 5
    assert slot.current() is None


def _begin_job(slot: JobSlot, queue_id: str) -> None:
    slot.begin(queue_id)


def test_job_slot_shows_a_job_begun_in_another_process() -> None:
    ctx = multiprocessing.get_context("forkserver")
    slot = JobSlot(ctx)
    assert slot.current() is None
    process = ctx.Process(target=_begin_job, args=(slot, "0195F3A2B4C5D6E7F8"))
    process.start()
    process.join(30)
    job = slot.current()  # what the supervisor sees of a worker that died holding a job
    assert job is not None and job[0] == "0195F3A2B4C5D6E7F8"
    again = slot.current()
    assert again is not None and again[1] >= job[1]  # an age that runs on, not reset by reads
    slot.end()
    assert slot.current() is None


def test_infrastructure_error_gives_the_mail_back_uncounted(
    make_settings: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(worker, "INFRASTRUCTURE_PAUSE_SECONDS", 0.01)
    settings, spool, store = _setup(make_settings)
    qid = spool.accept(html_with_attachment("DISK"), ENVELOPE)
    quarantine = settings.quarantine.directory
    shutil.rmtree(quarantine, ignore_errors=True)
    quarantine.write_bytes(b"")  # a file where the quarantine directory should be: puts fail
    slot = JobSlot(multiprocessing.get_context("forkserver"))
    stop = StopFlag()
    thread = threading.Thread(target=run_worker, args=(settings, slot, stop))
    failures = 0
    with caplog.at_level(logging.ERROR, logger="gateway.worker"):
        thread.start()
        try:
            for _ in range(500):  # fail more often than spool.max_attempts allows claims
                failures = sum("giving it back" in r.getMessage() for r in caplog.records)
                if failures > settings.spool.max_attempts + 1:
                    break
                stop.wait(0.02)
            quarantine.unlink()
            quarantine.mkdir()
            for _ in range(500):
                if spool.counts()["outgoing"] == 1:
                    break
                stop.wait(0.02)
        finally:
            stop.set()
            thread.join(10)
    assert failures > settings.spool.max_attempts + 1
    counts = spool.counts()
    assert counts["outgoing"] == 1 and counts["shunt"] == 0  # good mail survives our outage
    assert store.original(qid) is not None
    assert thread.is_alive() is False and slot.current() is None
