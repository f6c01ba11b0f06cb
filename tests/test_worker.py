"""The worker on a real spool, a real SQLite store and a real SMTP peer over loopback.

Every step of one mail's job is made to fail in turn: the worker never dies, a fault of ours
puts the mail back uncounted, a fault of the mail's is postponed and counted, and the next mail
is delivered either way.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import multiprocessing
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.config import Settings
from gateway.delivery.runner import build_runner
from gateway.delivery.settle import Settler
from gateway.delivery.transport import make_transport
from gateway.errors import SpoolError
from gateway.pipeline.build import output_text
from gateway.quarantine import QuarantineStore, StoreUnavailable
from gateway.runtime import open_spool, open_store
from gateway.serve.children import make_settler, per_recipient, settle_dead_job
from gateway.services.links import request_links
from gateway.spool import Queue, Spool, Stage
from gateway.types import Envelope
from gateway.worker import JobSlot, Worker, quarantine_stuck
from tests.e2e.mails import html_with_attachment, plain
from tests.fakes.lgwan_mta import FakeMta

ENVELOPE = Envelope("alice@example.org", ["bob@lg.example.jp"], received_at=1.0)


class Rig:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.spool: Spool = open_spool(settings)
        self.spool.prepare()
        self.store: QuarantineStore = open_store(settings)
        self.store.prepare()
        self.settler: Settler = make_settler(settings, self.spool)
        self.slot = JobSlot(multiprocessing.get_context("forkserver"))
        transport = make_transport(settings.delivery.relay_url, settings.delivery,
                                   local_hostname="gw.test", connections=1)  # fmt: skip
        self.worker = Worker(settings, self.spool, self.store, transport, self.settler, self.slot)

    def count(self, queue: Queue) -> int:
        return self.spool.stats()[queue].messages

    def drain(self) -> None:
        while self.worker.step():
            pass


@pytest.fixture
def rig(make_settings: Any, fake_mta: FakeMta) -> Iterator[Rig]:
    settings: Settings = make_settings(
        spool={"fsync": False, "max_attempts": 3},
        delivery={"relay_url": fake_mta.url, "retry_schedule_seconds": [60], "timeout_seconds": 5},
    )
    r = Rig(settings)
    yield r
    r.worker.close()
    r.store.close()


def test_a_mail_is_sanitized_quarantined_and_delivered_by_the_worker(
    rig: Rig, fake_mta: FakeMta
) -> None:
    raw = html_with_attachment("TOKEN1", rcpt="bob@lg.example.jp")
    qid = rig.spool.accept(raw, ENVELOPE)
    assert rig.worker.step() is True
    [got] = fake_mta.messages
    clean = email.message_from_bytes(got.data, policy=email.policy.default)
    assert clean.get_content_type() == "text/plain" and "TOKEN1" in clean.get_content()
    assert got.rcpt_tos == ["bob@lg.example.jp"] and got.mail_from == "alice@example.org"
    assert all(rig.count(q) == 0 for q in Queue)  # delivered: nothing left in the spool
    assert rig.store.original(qid) == raw
    record = rig.store.get(qid)
    assert record is not None and record.items and rig.store.item(qid, 0) is not None
    assert rig.slot.current() is None
    assert rig.worker.step() is False  # nothing more to do


def test_a_4xx_defers_the_sanitized_mail_to_the_delivery_process(
    rig: Rig, fake_mta: FakeMta
) -> None:
    fake_mta.faults.rcpt_replies["later@lg.example.jp"] = "451 4.3.0 try later"
    env = Envelope("alice@example.org", ["now@lg.example.jp", "later@lg.example.jp"])
    qid = rig.spool.accept(plain("PARTIAL"), env)
    rig.worker.step()
    assert [m.rcpt_tos for m in fake_mta.messages] == [["now@lg.example.jp"]]
    [deferred] = rig.spool.entries(Queue.DEFERRED)
    assert deferred.queue_id == qid and deferred.record.stage == Stage.DELIVER
    assert deferred.record.recipients["now@lg.example.jp"]["status"] == "delivered"
    assert deferred.record.recipients["later@lg.example.jp"]["status"] == "deferred"
    assert deferred.record.verdict and deferred.record.quarantine_id == qid
    resent = email.message_from_bytes(rig.spool.read_message(deferred))
    assert resent.get_content_type() == "text/plain"  # the sanitized mail, not the original


def test_a_5xx_fails_the_mail_visibly(rig: Rig, fake_mta: FakeMta) -> None:
    fake_mta.faults.rcpt_reply = "550 5.1.1 no such user"
    qid = rig.spool.accept(plain("NOUSER"), ENVELOPE)
    rig.worker.step()
    [failed] = rig.spool.entries(Queue.FAILED)
    assert failed.queue_id == qid and "550 5.1.1" in failed.record.last_error


def test_the_maildir_default_is_delivered_by_the_worker(make_settings: Any) -> None:
    settings: Settings = make_settings(spool={"fsync": False})
    rig = Rig(settings)
    rig.spool.accept(plain("MAILDIR"), ENVELOPE)
    rig.worker.step()
    [path] = (settings.delivery.maildir / "new").iterdir()
    assert b"MAILDIR" in path.read_bytes()
    assert rig.count(Queue.ACTIVE) == 0 and rig.count(Queue.DEFERRED) == 0
    rig.worker.close()


def test_a_stuck_job_is_quarantined_whole_and_its_notice_queued(rig: Rig) -> None:
    qid = rig.spool.accept(html_with_attachment("STUCK"), ENVELOPE)
    entry = rig.spool.claim(Queue.INCOMING)
    assert entry is not None
    quarantine_stuck(rig.spool, rig.store, rig.settings, entry, 61.0)
    [notice] = rig.spool.entries(Queue.OUTGOING)
    assert notice.queue_id == qid and notice.record.verdict == "quarantined-whole"
    record = rig.store.get(qid)
    assert record is not None and record.reason == "time-limit"


def test_the_job_of_a_dead_worker_goes_back_counted_then_to_shunt(rig: Rig) -> None:
    qid = rig.spool.accept(plain("CRASH"), ENVELOPE)
    for crashes in (1, 2):
        assert rig.spool.claim(Queue.INCOMING) is not None
        settle_dead_job(rig.settings, qid, None)
        entry = rig.spool.get(Queue.INCOMING, qid)
        assert entry is not None and entry.record.crashes == crashes
    assert rig.spool.claim(Queue.INCOMING) is not None
    settle_dead_job(rig.settings, qid, None)
    assert rig.count(Queue.SHUNT) == 1
    settle_dead_job(rig.settings, "0" * 18, 1.0)  # already gone: nothing to do


def test_a_job_killed_at_the_time_limit_becomes_a_notice(rig: Rig) -> None:
    qid = rig.spool.accept(html_with_attachment("KILLED"), ENVELOPE)
    assert rig.spool.claim(Queue.INCOMING) is not None
    settle_dead_job(rig.settings, qid, 99.0)
    assert rig.count(Queue.OUTGOING) == 1 and rig.count(Queue.ACTIVE) == 0


def _raise(error: BaseException) -> Any:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise error

    return fail


# (what fails, the error, where the mail must be afterwards, counted against the mail?)
STEPS = [
    ("read", "gateway.spool.store.Spool.read_message", SpoolError("I/O error"), Queue.INCOMING,
     False),
    ("sanitize", "gateway.worker.sanitize", RuntimeError("bug"), Queue.DEFERRED, True),
    ("store-down", "gateway.quarantine.store.QuarantineStore.put",
     StoreUnavailable("database is locked"), Queue.INCOMING, False),
    ("store-bug", "gateway.quarantine.store.QuarantineStore.put",
     UnicodeEncodeError("utf-8", "\udcff", 0, 1, "surrogates not allowed"), Queue.DEFERRED, True),
    ("send", "gateway.delivery.transport.SmtpTransport.send", RuntimeError("bug"),
     Queue.DEFERRED, True),
    ("settle-disk", "gateway.spool.store.Spool.finish", SpoolError("EIO"), Queue.INCOMING,
     False),
    ("settle-bug", "gateway.delivery.settle.Settler.settle", KeyError("x"), Queue.DEFERRED,
     True),
]  # fmt: skip


@pytest.mark.parametrize(("step", "target", "error", "queue", "counted"), STEPS,
                         ids=[s[0] for s in STEPS])  # fmt: skip
def test_a_failure_at_each_step_settles_that_mail_and_the_worker_goes_on(
    rig: Rig, fake_mta: FakeMta, monkeypatch: pytest.MonkeyPatch, step: str, target: str,
    error: BaseException, queue: Queue, counted: bool,
) -> None:
    qid = rig.spool.accept(plain("FAILS"), ENVELOPE)
    with monkeypatch.context() as patch:
        patch.setattr(target, _raise(error))
        assert rig.worker.step() is True  # returns: the worker lives
    entry = rig.spool.find(qid)
    assert entry is not None and entry.queue == queue
    assert entry.record.failures == (1 if counted else 0) and entry.record.crashes == 0
    assert rig.slot.current() is None
    if counted:
        assert type(error).__name__ in entry.record.last_error
    # the next mail goes through at once, and so does this one once it is due again
    rig.worker._pause = 0.0
    other = rig.spool.accept(plain("NEXT"), ENVELOPE)
    rig.spool.wake_due(entry.record.next_attempt_at + 1)
    rig.drain()
    delivered = [m.data for m in fake_mta.messages]
    assert any(b"NEXT" in d for d in delivered) and any(b"FAILS" in d for d in delivered)
    assert rig.spool.find(other) is None and rig.spool.find(qid) is None


def test_a_mail_that_keeps_failing_is_shunted_with_its_reason(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    qid = rig.spool.accept(plain("POISON"), ENVELOPE)
    monkeypatch.setattr("gateway.worker.sanitize", _raise(RecursionError("deep")))
    for _ in range(3):  # spool.max_attempts
        rig.spool.wake_due(10**12)
        assert rig.worker.step() is True
    shunted = rig.spool.get(Queue.SHUNT, qid)
    assert shunted is not None and "RecursionError" in shunted.record.last_error


def test_an_envelope_the_store_cannot_hold_never_kills_the_worker(
    rig: Rig, fake_mta: FakeMta
) -> None:
    """The hostile envelope of issue 6 item 1, should one reach the spool by any path."""
    bad = b"\xff\xfe@lg.example.jp".decode("utf-8", "surrogateescape")
    rig.spool.accept(plain("HOSTILE"), Envelope(bad, ["bob@lg.example.jp"]))
    good = rig.spool.accept(plain("GOOD"), ENVELOPE)
    for _ in range(3):
        rig.drain()
        rig.spool.wake_due(10**12)
    assert any(b"GOOD" in m.data for m in fake_mta.messages)
    assert rig.spool.find(good) is None


def test_with_request_links_each_recipient_gets_their_own_link(
    make_settings: Any, fake_mta: FakeMta
) -> None:
    settings: Settings = make_settings(
        spool={"fsync": False},
        delivery={"relay_url": fake_mta.url, "retry_schedule_seconds": [60]},
        console={"public_url": "https://mutaika.city.example.lg.jp"},
    )
    rig = Rig(settings)
    rig.worker = Worker(settings, rig.spool, rig.store, rig.worker._transport, rig.settler,
                        rig.slot, per_recipient(settings))  # fmt: skip
    links = request_links(settings)
    assert links is not None
    fake_mta.faults.rcpt_replies["b@lg.example.jp"] = "451 4.3.0 later"
    env = Envelope("alice@example.org", ["a@lg.example.jp", "b@lg.example.jp"])
    qid = rig.spool.accept(html_with_attachment("LINKS"), env)
    rig.worker.step()
    [first] = fake_mta.messages
    assert first.rcpt_tos == ["a@lg.example.jp"]
    token = output_text(first.data).split("/r/", 1)[1].split()[0]
    assert links.verify(token) == (qid, "a@lg.example.jp")
    # the retry from deferred/ personalises again, for the recipient still to come
    fake_mta.faults.clear()
    runner = build_runner(settings, rig.spool, rig.settler, per_recipient=per_recipient(settings))
    rig.spool.wake_due(10**12)
    entry = rig.spool.claim(Queue.OUTGOING)
    assert entry is not None
    asyncio.run(runner.deliver(entry))
    second = fake_mta.messages[1]
    assert second.rcpt_tos == ["b@lg.example.jp"]
    token = output_text(second.data).split("/r/", 1)[1].split()[0]
    assert links.verify(token) == (qid, "b@lg.example.jp")
    rig.worker.close()
