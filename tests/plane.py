"""The release plane's test world: settings with a real local domain, a prepared store and
spool, the services over them, and quarantined mails made by the real sanitizer."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

from gateway.config import Settings
from gateway.delivery.reply import Reply
from gateway.delivery.settle import Settler
from gateway.pipeline import sanitize
from gateway.quarantine import QuarantineRecord, QuarantineStore
from gateway.runtime import open_spool, open_store
from gateway.services.container import Services
from gateway.services.notify import Notifier
from gateway.services.principal import Principal, Role
from gateway.services.release_outcome import ReleaseOutcomes
from gateway.spool import Queue, Spool, SpoolEntry
from gateway.spool.ids import new_queue_id
from gateway.types import Envelope

LOCAL = "city.example.lg.jp"
STAFF = f"kaikei@{LOCAL}"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
EXE = b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00" + b"\x00" * 200

ADMIN = Principal("token:a:admin", Role.ADMIN)
APPROVER = Principal("token:b:approver", Role.APPROVER)
APPROVER2 = Principal("token:c:approver2", Role.APPROVER)
OPERATOR = Principal("token:d:operator", Role.OPERATOR)
VIEWER = Principal("token:e:viewer", Role.VIEWER)


def plane_sections(**overrides: dict[str, Any]) -> dict[str, Any]:
    sections: dict[str, Any] = {"smtp": {"local_domains": [LOCAL]}}
    for name, values in overrides.items():
        sections[name] = {**sections.get(name, {}), **values}
    return sections


def mail(token: str = "T1", *, attachments: tuple[tuple[str, bytes, str], ...] = (
        ("invoice.pdf", PDF, "application/pdf"),), rcpt: str = STAFF) -> bytes:
    msg = EmailMessage()
    msg["Received"] = "from mx.example.org (mx.example.org [192.0.2.1]) by mutaika; " \
        "Tue, 1 Dec 2026 09:00:00 +0900"
    msg["From"] = "billing@example.org"
    msg["To"] = rcpt
    msg["Subject"] = f"請求書 {token}"
    msg["Message-ID"] = f"<{token}@example.org>"
    msg.set_content(f"body {token}\n")
    for name, payload, mime in attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes(policy=SMTP)


@dataclass
class World:
    settings: Settings
    store: QuarantineStore
    spool: Spool
    services: Services
    rings: list[float] = field(default_factory=list)

    def quarantine(self, raw: bytes | None = None, *, received_at: float | None = None,
                   rcpts: tuple[str, ...] = (STAFF,)) -> QuarantineRecord:
        qid = new_queue_id()
        raw = raw or mail(qid)
        envelope = Envelope("billing@example.org", list(rcpts),
                            received_at=received_at or time.time())
        result = sanitize(raw, self.settings.sanitize, envelope=envelope, quarantine_id=qid)
        self.store.put(qid, envelope, raw, result)
        found = self.store.get(qid)
        assert found is not None
        return found

    def settler(self) -> Settler:
        """As serve's delivery process makes it (gateway.serve.children.make_settler)."""
        notify = Notifier(self.settings, self.spool, lambda: self.rings.append(time.time()))
        return Settler(self.spool, self.settings.delivery, "mutaika.test",
                       on_release=ReleaseOutcomes(self.store, notify))

    def deliver(self, replies: dict[str, str], release_id: str = "") -> SpoolEntry:
        """One attempt of the delivery process on the next outgoing entry (or the one of this
        release: any before it are delivered with 250), with these replies; the real Settler
        and hook, only the SMTP peer is left out."""
        while True:
            entry = self.spool.claim(Queue.OUTGOING)
            assert entry is not None, "nothing (more) in outgoing/"
            message = self.spool.read_message(entry)
            if release_id and entry.record.release_id != release_id:
                ok = {rcpt: Reply(250, "ok") for rcpt in entry.record.envelope.rcpt_tos}
                self.settler().settle(entry, entry.record, ok, message, target="test")
                continue
            parsed = {rcpt: Reply(int(text[:3]), text[4:]) for rcpt, text in replies.items()}
            self.settler().settle(entry, entry.record, parsed, message, target="test")
            return entry


def make_world(settings: Settings) -> World:
    spool = open_spool(settings)
    spool.prepare()
    store = open_store(settings)
    store.prepare()
    rings: list[float] = []
    services = Services.build(settings, store, spool, ring=lambda: rings.append(time.time()))
    return World(settings, store, spool, services, rings)
