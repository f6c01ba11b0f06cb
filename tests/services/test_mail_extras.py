"""The worker with its extras, on a real spool, store and SMTP peer: excerpts in the delivered
notice, a password notice that opens the earlier archive and says so, policy "attach" filed
after the text mail and made by housekeeping, and an extra that fails costing nothing."""

from __future__ import annotations

import email
import email.policy
import multiprocessing
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from gateway.config import Settings
from gateway.delivery.transport import make_transport
from gateway.pipeline.build import output_text
from gateway.quarantine import QuarantineStore, ReleaseFilter
from gateway.runtime import open_spool, open_store
from gateway.serve.children import mail_extras, make_settler
from gateway.services.container import Services
from gateway.services.housekeeping import Housekeeper
from gateway.services.mail_extras import MailExtras
from gateway.services.principal import SYSTEM_SAFECOPY
from gateway.spool import Queue, Spool
from gateway.types import Envelope
from gateway.worker import JobSlot, Worker
from tests.e2e.mails import with_files
from tests.fakes.lgwan_mta import FakeMta
from tests.safecopy import samples

LOCAL = "city.example.lg.jp"
STAFF = f"kaikei@{LOCAL}"
SENDER = "sales@example.co.jp"
PASSWORD = "Ab3x-9QzT"


def _mail(token: str, body: str, *attachments: tuple[str, bytes, str]) -> bytes:
    return with_files(token, body, *attachments, sender=SENDER, rcpt=STAFF, subject="資料送付")


class Rig:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.spool: Spool = open_spool(settings)
        self.spool.prepare()
        self.store: QuarantineStore = open_store(settings)
        self.store.prepare()
        transport = make_transport(settings.delivery.relay_url, settings.delivery,
                                   local_hostname="gw.test", connections=1)  # fmt: skip
        self.extras: MailExtras = mail_extras(settings, self.store, self.spool)
        self.worker = Worker(settings, self.spool, self.store, transport,
                             make_settler(settings, self.spool),
                             JobSlot(multiprocessing.get_context("forkserver")),
                             extras=self.extras)  # fmt: skip

    def send(self, raw: bytes, received_at: float | None = None) -> str:
        qid = self.spool.accept(raw, Envelope(SENDER, [STAFF],
                                              received_at=received_at or time.time()))
        assert self.worker.step()
        return qid


@pytest.fixture
def build_rig(make_settings: Any, fake_mta: FakeMta) -> Iterator[Any]:
    rigs: list[Rig] = []

    def build(**sections: Any) -> Rig:
        settings: Settings = make_settings(
            smtp={"local_domains": [LOCAL]}, spool={"fsync": False},
            delivery={"relay_url": fake_mta.url, "timeout_seconds": 5}, **sections)
        rigs.append(Rig(settings))
        return rigs[-1]

    yield build
    for rig in rigs:
        rig.worker.close()
        rig.store.close()


def _text(data: bytes) -> str:
    return output_text(data)


def test_the_delivered_notice_carries_the_excerpts(build_rig: Any, fake_mta: FakeMta) -> None:
    rig: Rig = build_rig()
    invoice = samples.pdf([["請求書 第7号", "振込先 https://pay.example.com/"]])
    rig.send(_mail("EXC1", "ご確認ください。", ("請求書.pdf", invoice, "application/pdf")))
    (got,) = fake_mta.messages
    text = _text(got.data)
    assert "| 請求書 第7号" in text and "hxxps://pay[.]example[.]com/" in text
    message = email.message_from_bytes(got.data, policy=email.policy.default)
    assert message.get_content_type() == "text/plain"  # still the one text part


def test_a_password_notice_opens_the_earlier_zip_and_says_so(build_rig: Any,
                                                             fake_mta: FakeMta) -> None:
    rig: Rig = build_rig()
    archive = samples.zip_bytes({"見積書.pdf": samples.pdf([["見積書"]])},
                                password=PASSWORD.encode())  # fmt: skip
    first = rig.send(_mail("PPAP1", "見積書をお送りします。パスワードは別途お送りします。",
                           ("見積書.zip", archive, "application/zip")))
    body = f"先ほどのファイルのパスワードです。\n\nパスワード: {PASSWORD}\n"
    second = rig.send(_mail("PPAP2", body))
    notice = _text(fake_mta.messages[1].data)
    assert f"隔離ID {first} の「見積書.zip」を、このメールに書かれたパスワードで開きました。" \
        in notice
    opened = rig.store.get(first)
    assert opened is not None
    assert [i.filename for i in opened.items if i.parent == 0] == ["見積書.pdf"]
    stored = rig.store.get(second)  # the stored report is the one delivered
    assert stored is not None and stored.verdict == "clean"
    assert PASSWORD in _text(fake_mta.messages[1].data)  # the body itself is the sender's text


def test_a_failing_extra_costs_the_note_only(build_rig: Any, fake_mta: FakeMta,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    rig: Rig = build_rig()
    safecopy = rig.extras._services.safecopy

    def broken(*args: object) -> list[str]:
        raise RuntimeError("the store went away in the middle of the trial")

    monkeypatch.setattr(safecopy, "password_notice", broken)
    rig.send(_mail("FAIL1", f"パスワード: {PASSWORD}\n"))
    (got,) = fake_mta.messages
    assert "FAIL1" in _text(got.data) and all(rig.spool.stats()[q].messages == 0 for q in Queue)


def test_policy_attach_follows_the_text_mail(build_rig: Any, fake_mta: FakeMta) -> None:
    rig: Rig = build_rig(safecopy={"policy": {"pdf": "attach"}})
    invoice = samples.pdf([["請求書 第8号"]])
    qid = rig.send(_mail("ATT1", "請求書です。", ("請求書.pdf", invoice, "application/pdf")))
    (text_mail,) = fake_mta.messages  # the text mail went first, alone
    assert "請求書 第8号" in _text(text_mail.data)
    releases, _ = rig.extras._services.releases.page(SYSTEM_SAFECOPY, ReleaseFilter())
    (release,) = releases  # filed, approved, not yet made
    assert release.quarantine_id == qid and release.state == "approved"
    assert rig.spool.entries(Queue.OUTGOING) == []
    keeper = Housekeeper(Services.build(rig.settings, rig.store, rig.spool, ring=lambda: None))
    keeper.tick(rung=True)
    (entry,) = rig.spool.entries(Queue.OUTGOING)
    sent = email.message_from_bytes(rig.spool.read_message(entry), policy=email.policy.default)
    assert isinstance(sent, EmailMessage)
    assert [p.get_filename() for p in sent.iter_attachments()] == ["請求書.pdf"]
    text = next(p for p in sent.walk() if p.get_content_type() == "text/plain")
    assert "請求書 第8号" in text.get_content()  # the text part is the sanitized text again

