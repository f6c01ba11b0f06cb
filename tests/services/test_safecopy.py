"""Safe copies through the release plane, on a real store and spool with the real converters:
offers, requests and their approval, the mail they send, PPAP with its limits and its audit,
the password notice tried on an earlier mail, and policy "attach"."""

from __future__ import annotations

import email
import email.policy
import io
import json
import logging
import time
from email.message import EmailMessage

import pytest
from pypdf import PdfReader

from gateway.quarantine import AuditFilter, ReleaseState
from gateway.services.errors import Forbidden, Invalid, TooManyAttempts
from gateway.services.principal import SYSTEM_SAFECOPY
from gateway.spool import Queue
from gateway.types import Envelope
from tests.plane import ADMIN, APPROVER, EXE, LOCAL, OPERATOR, STAFF, VIEWER, World, mail
from tests.safecopy import samples
from tests.safecopy.pdfcheck import ACTIVE_KEYS, all_keys, page_xobjects

S = ReleaseState
PASSWORD = "Zx82-kL01"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
INVOICE = samples.pdf([["請求書 第1号"]])
MINUTES = samples.docx_bytes(["議事録"])
SENDER = "billing@example.org"  # tests.plane: the envelope sender of World.quarantine


def _ppap() -> bytes:
    archive = samples.zip_bytes({"請求書.pdf": INVOICE, "議事録.docx": MINUTES},
                                password=PASSWORD.encode())  # fmt: skip
    return mail("PPAP", attachments=(("書類.zip", archive, "application/zip"),))


def _outgoing(world: World) -> list[EmailMessage]:
    found = []
    for entry in world.spool.entries(Queue.OUTGOING):
        message = email.message_from_bytes(world.spool.read_message(entry),
                                           policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def _audit(world: World, **f: str) -> list[tuple[str, str, str]]:
    entries = world.services.audit.entries(ADMIN, AuditFilter(**f), limit=1000)  # type: ignore[arg-type]
    return [(e.actor, e.action, e.result) for e in entries]


def _audit_text(world: World) -> str:
    return "".join(world.services.audit.export(ADMIN, AuditFilter()))


def test_offers_per_item(world: World) -> None:
    raw = mail("OFFERS", attachments=(
        ("請求書.pdf", samples.hostile_pdf(), "application/pdf"),
        ("setup.exe", EXE, "application/octet-stream"),
        ("photo.png", samples.png(8, 8), "image/png"),
        ("書類.zip", samples.zip_bytes({"a.pdf": INVOICE}, password=b"pw12"), "application/zip"),
    ))
    mail_ = world.quarantine(raw)
    offers = {o.item.filename: o for o in world.services.safecopy.offers(VIEWER, mail_.id)}
    pdf = offers["請求書.pdf"]
    assert pdf.available and pdf.kind == "pdf" and pdf.policy == "on-request"
    assert pdf.approval == "approval" and not pdf.unlockable
    assert not offers["setup.exe"].available and offers["setup.exe"].why == "unsupported"
    assert offers["photo.png"].available and offers["photo.png"].kind == "image"
    archive = offers["書類.zip"]
    assert not archive.available and archive.unlockable and archive.why == "password-protected"


def test_a_safe_copy_with_approval_is_an_image_only_pdf(world: World) -> None:
    raw = mail("SAFE", attachments=(("請求書.pdf", samples.hostile_pdf(), "application/pdf"),))
    mail_ = world.quarantine(raw)
    safecopy = world.services.safecopy
    release, new = safecopy.request(OPERATOR, mail_.id, [0], comment="請求書の確認")
    assert new and release.what == "safecopy" and release.state == S.REQUESTED
    assert release.policy == "approval" and _outgoing(world) == []
    approved = world.services.releases.approve(APPROVER, release.id)
    assert approved.state == S.QUEUED
    (sent,) = _outgoing(world)
    assert sent["X-Mutaika-Release"] == release.id
    (copy,) = list(sent.iter_attachments())
    data = copy.get_content()
    assert copy.get_filename() == "請求書.pdf" and copy.get_content_type() == "application/pdf"
    assert data != samples.hostile_pdf() and not ACTIVE_KEYS & all_keys(data)
    assert page_xobjects(data) == [["/Image"]]
    assert b"JavaScript" not in data and b"evil.exe" not in data
    assert len(PdfReader(io.BytesIO(data)).attachments) == 0
    text = next(p for p in sent.walk() if p.get_content_type() == "text/plain").get_content()
    assert "body SAFE" in text and "1. 請求書.pdf の安全なコピー（ページを画像にしたPDF）" in text
    assert ("token:d:operator", "safecopy.request", "ok") not in _audit(world)  # the release's
    assert ("token:d:operator", "release.create", "ok") in _audit(world)


def test_policy_self_and_what_cannot_be_asked(build_world: object) -> None:
    world: World = build_world(release={"policy": {"safecopy": "self"}},  # type: ignore[operator]
                               safecopy={"policy": {"image": "none"}})
    raw = mail("SELF", attachments=(("a.pdf", INVOICE, "application/pdf"),
                                    ("b.png", samples.png(4, 4), "image/png"),
                                    ("c.exe", EXE, "application/octet-stream")))
    mail_ = world.quarantine(raw)
    safecopy = world.services.safecopy
    release, _ = safecopy.request(OPERATOR, mail_.id, [0], to=[f"soumu@{LOCAL}"])
    assert release.state == S.QUEUED and release.policy == "self"
    assert release.recipients == [f"soumu@{LOCAL}"] and len(_outgoing(world)) == 1
    with pytest.raises(Invalid, match=r"item 1 .*\(policy\)"):
        safecopy.request(OPERATOR, mail_.id, [1])
    with pytest.raises(Invalid, match=r"item 2 .*\(unsupported\)"):
        safecopy.request(OPERATOR, mail_.id, [2])
    with pytest.raises(Invalid, match="no removed part 9"):
        safecopy.request(OPERATOR, mail_.id, [9])
    with pytest.raises(Forbidden):
        safecopy.request(VIEWER, mail_.id, [0])
    assert ("token:e:viewer", "safecopy.request", "denied") in _audit(world)


def test_an_item_without_a_safe_copy_is_named_and_not_attached(build_world: object) -> None:
    world: World = build_world(release={"policy": {"safecopy": "self"}},  # type: ignore[operator]
                               safecopy={"limits": {"max_pages": 1}})
    raw = mail("PAGES", attachments=(("長い.pdf", samples.many_pages(3), "application/pdf"),
                                     ("短い.pdf", INVOICE, "application/pdf")))
    mail_ = world.quarantine(raw)
    world.services.safecopy.request(OPERATOR, mail_.id, [0, 1])
    (sent,) = _outgoing(world)
    names = [p.get_filename() for p in sent.iter_attachments()]
    assert names == ["短い.pdf"]
    text = next(p for p in sent.walk() if p.get_content_type() == "text/plain").get_content()
    assert "1. 長い.pdf の安全なコピーは作れませんでした（ページ数が上限を超えるため）" in text


def test_ppap_opened_with_the_right_password_only(world: World,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    mail_ = world.quarantine(_ppap())
    safecopy = world.services.safecopy
    wrong = safecopy.unlock(OPERATOR, mail_.id, 0, "not-it-9")
    assert not wrong.opened and wrong.reason == "wrong-password" and wrong.items == []
    assert world.store.get(mail_.id).items == mail_.items  # type: ignore[union-attr]
    opened = safecopy.unlock(OPERATOR, mail_.id, 0, PASSWORD)
    assert opened.opened and not opened.already
    names = {i.filename: i for i in opened.items}
    assert set(names) == {"請求書.pdf", "議事録.docx"}
    assert {i.parent for i in opened.items} == {0} and {i.index for i in opened.items} == {1, 2}
    assert world.store.item(mail_.id, names["請求書.pdf"].index) == INVOICE
    offers = {o.item.index: o for o in safecopy.offers(VIEWER, mail_.id)}
    assert offers[0].opened and offers[names["請求書.pdf"].index].available
    again = safecopy.unlock(OPERATOR, mail_.id, 0, "anything")
    assert again.opened and again.already and len(again.items) == 2
    assert [r for _, a, r in _audit(world, action="safecopy.unlock")] == ["wrong-password", "ok"]
    # the password is nowhere: not in the audit log, not in any log line
    assert PASSWORD not in _audit_text(world) and "not-it-9" not in _audit_text(world)
    assert PASSWORD not in caplog.text and "not-it-9" not in caplog.text
    # what was inside is asked for like any item
    release, _ = safecopy.request(OPERATOR, mail_.id, [names["議事録.docx"].index])
    world.services.releases.approve(APPROVER, release.id)
    (sent,) = _outgoing(world)
    assert [p.get_filename() for p in sent.iter_attachments()] == ["議事録.docx"]


def test_ppap_refuses_what_is_not_protected_and_the_viewer(world: World) -> None:
    mail_ = world.quarantine(mail("PLAIN", attachments=(("a.pdf", INVOICE, "application/pdf"),)))
    with pytest.raises(Invalid, match="not a password-protected"):
        world.services.safecopy.unlock(OPERATOR, mail_.id, 0, "x")
    with pytest.raises(Forbidden):
        world.services.safecopy.unlock(VIEWER, mail_.id, 0, "x")


def test_wrong_passwords_are_limited_per_mail_and_per_person(build_world: object) -> None:
    world: World = build_world(safecopy={  # type: ignore[operator]
        "unlock_failures_per_mail": 2, "unlock_failures_per_principal": 3})
    first, second = world.quarantine(_ppap()), world.quarantine(_ppap())
    safecopy = world.services.safecopy
    for guess in ("aaaa1", "bbbb2"):
        assert safecopy.unlock(OPERATOR, first.id, 0, guess).reason == "wrong-password"
    with pytest.raises(TooManyAttempts, match="for this mail") as caught:
        safecopy.unlock(ADMIN, first.id, 0, PASSWORD)  # the right one, too late: per mail
    assert 3500 < caught.value.retry_after <= 3600
    assert safecopy.unlock(OPERATOR, second.id, 0, "cccc3").reason == "wrong-password"
    with pytest.raises(TooManyAttempts, match="by you"):
        safecopy.unlock(OPERATOR, second.id, 0, PASSWORD)  # three wrong ones by this person
    assert safecopy.unlock(ADMIN, second.id, 0, PASSWORD).opened  # another person may
    results = [r for _, _, r in _audit(world, action="safecopy.unlock")]
    assert results.count("denied") == 2 and results.count("wrong-password") == 3


def _notice_text(password: str) -> str:
    return ("お世話になっております。\n先ほどお送りした「書類.zip」のパスワードをお知らせ"
            f"します。\n\nパスワード：{password}\n\nよろしくお願いいたします。\n")


def test_a_password_notice_opens_the_earlier_archive(world: World) -> None:
    earlier = world.quarantine(_ppap(), received_at=time.time() - 60)
    safecopy = world.services.safecopy
    envelope = Envelope(SENDER, [STAFF], received_at=time.time())
    notes = safecopy.password_notice("Q-NOTICE", envelope, _notice_text(PASSWORD))
    assert notes == [f"隔離ID {earlier.id} の「書類.zip」を、このメールに書かれたパスワードで"
                     "開きました。中のファイル 2 件の安全なコピーを依頼できます。"]
    items = world.store.get(earlier.id).items  # type: ignore[union-attr]
    assert sorted(i.filename for i in items if i.parent == 0) == ["請求書.pdf", "議事録.docx"]
    assert _audit(world, action="safecopy.unlock") == [
        (SYSTEM_SAFECOPY.name, "safecopy.unlock", "ok")]
    assert PASSWORD not in _audit_text(world)
    again = safecopy.password_notice("Q-NOTICE", envelope, _notice_text(PASSWORD))
    assert "開封済み" in again[0]


def test_a_notice_that_does_not_fit_changes_nothing(world: World) -> None:
    earlier = world.quarantine(_ppap(), received_at=time.time() - 60)
    safecopy = world.services.safecopy
    now = time.time()
    cases = [
        (Envelope(SENDER, [STAFF], received_at=now), _notice_text("Wrong-999")),  # wrong
        (Envelope(SENDER, [f"soumu@{LOCAL}"], received_at=now), _notice_text(PASSWORD)),  # rcpt
        (Envelope("other@example.org", [STAFF], received_at=now), _notice_text(PASSWORD)),
        (Envelope(SENDER, [STAFF], received_at=now + 7200), _notice_text(PASSWORD)),  # too late
        (Envelope(SENDER, [STAFF], received_at=now), "会議の資料をお送りします。"),  # no password
    ]
    for envelope, text in cases:
        assert safecopy.password_notice("Q-NOTICE", envelope, text) == []
    assert world.store.get(earlier.id).items == earlier.items  # type: ignore[union-attr]
    assert _audit(world, action="safecopy.unlock") == []


def test_policy_attach_files_an_approved_release_for_housekeeping(build_world: object) -> None:
    world: World = build_world(safecopy={"policy": {"pdf": "attach"}})  # type: ignore[operator]
    raw = mail("ATTACH", attachments=(("請求書.pdf", INVOICE, "application/pdf"),
                                      ("setup.exe", EXE, "application/octet-stream")))
    mail_ = world.quarantine(raw)
    safecopy = world.services.safecopy
    report_parts = world.store.get(mail_.id).items  # type: ignore[union-attr]
    assert safecopy.attach_wanted(report_parts)  # type: ignore[arg-type]
    release = safecopy.file_attached(mail_.id)
    assert release is not None and release.state == S.APPROVED and release.items == [0]
    assert release.requested_by == SYSTEM_SAFECOPY.name and _outgoing(world) == []
    assert safecopy.queue_attached() == 1
    (sent,) = _outgoing(world)
    assert [p.get_filename() for p in sent.iter_attachments()] == ["請求書.pdf"]
    assert world.services.releases.get(ADMIN, release.id).state == S.QUEUED
    assert safecopy.queue_attached() == 0
    assert safecopy.file_attached(mail_.id).id == release.id  # type: ignore[union-attr]


def test_no_attach_policy_files_nothing(world: World) -> None:
    mail_ = world.quarantine()
    assert not world.services.safecopy.attach_wanted(mail_.items)  # type: ignore[arg-type]
    assert world.services.safecopy.file_attached(mail_.id) is None


def test_the_excerpts_staff_saw_are_in_a_released_text(world: World) -> None:
    from gateway.pipeline import sanitize
    from gateway.safecopy import SafeCopyRunner
    from gateway.safecopy.excerpter import RunnerExcerpter

    raw = mail("EXC", attachments=(("請求書.pdf", INVOICE, "application/pdf"),))
    envelope = Envelope(SENDER, [STAFF], received_at=time.time())
    result = sanitize(raw, world.settings.sanitize, envelope=envelope, quarantine_id="QEXC1",
                      excerpter=RunnerExcerpter(SafeCopyRunner(world.settings.safecopy)))
    world.store.put("QEXC1", envelope, raw, result)
    detail = world.services.quarantine.detail(VIEWER, "QEXC1")
    assert "| 請求書 第1号" in detail.sanitized_text
    assert json.loads(json.dumps(detail.record.report))["excerpts"]["0"]["text"] == "請求書 第1号"
