"""Notification mails: who gets which, when, in which language and charset, through the spool
(null sender, relay route), and never with anything of the quarantined mail in them."""

from __future__ import annotations

import email
import email.policy
import logging
from collections.abc import Callable
from email.message import EmailMessage

import pytest

from gateway.errors import SpoolError
from gateway.services.notify import NOTICE_HEADER, shown_name
from gateway.services.staff_rules import staff_principal
from gateway.spool import Queue, Route
from tests.plane import APPROVER, LOCAL, OPERATOR, STAFF, World, mail

DESK = f"joho@{LOCAL}"
ME = staff_principal(STAFF)
CONSOLE = {"public_url": "https://mutaika.city.example.lg.jp", "approver_addresses": [DESK]}


def _notices(world: World, seen: dict[str, tuple[list[str], EmailMessage]] | None = None
             ) -> list[tuple[list[str], EmailMessage]]:  # fmt: skip
    """(envelope recipients, parsed mail) of each notice in outgoing/, oldest first; with
    `seen`, also those seen by earlier calls (world.deliver() sends what is before a release)."""
    seen = {} if seen is None else seen
    for entry in world.spool.entries(Queue.OUTGOING, limit=100):
        raw = world.spool.read_message(entry)
        if NOTICE_HEADER.encode() not in raw or entry.queue_id in seen:
            continue
        assert entry.record.envelope.mail_from == "" and entry.record.route == Route.RELAY
        assert not entry.record.release_id and not entry.record.verdict  # no link rewriting
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        seen[entry.queue_id] = (entry.record.envelope.rcpt_tos, parsed)
    return [seen[k] for k in sorted(seen)]


def _kinds(notices: list[tuple[list[str], EmailMessage]]) -> list[tuple[str, list[str]]]:
    return [(str(m[NOTICE_HEADER]).split()[0], to) for to, m in notices]


@pytest.fixture
def linked(build_world: Callable[..., World]) -> World:
    return build_world(console=CONSOLE)


def test_approvers_hear_of_a_waiting_request_with_a_console_link(linked: World) -> None:
    secret = (("機密.pdf", b"%PDF-1.4", "application/pdf"),)
    record = linked.quarantine(mail("N1", attachments=secret))
    release, _ = linked.services.staff.request(ME, record.id, what="items", items=[0],
                                               comment="至急\n確認したい")  # fmt: skip
    ((to, notice),) = _notices(linked)
    assert to == [DESK] and notice["To"] == DESK and notice["From"] == "mutaika@mutaika.localdomain"
    assert notice["Auto-Submitted"] == "auto-generated"
    body = notice.get_content()
    assert f"https://mutaika.city.example.lg.jp/console/releases/{release.id}" in body
    assert STAFF in body and "至急 確認したい" in body and "1 件" in body
    assert "機密" not in body and "N1" not in body and "billing@" not in body
    assert "機密" not in str(notice["Subject"]) and release.id in str(notice["Subject"])
    assert linked.rings  # the delivery process is woken


def test_the_staff_member_hears_of_each_decision_and_the_delivery(linked: World) -> None:
    first = linked.quarantine(mail("N2"))
    approved, _ = linked.services.staff.request(ME, first.id, what="original", items=[],
                                                comment="必要")  # fmt: skip
    linked.services.releases.approve(APPROVER, approved.id, "確認しました")
    seen: dict[str, tuple[list[str], EmailMessage]] = {}
    _notices(linked, seen)
    linked.deliver({STAFF: "250 2.0.0 ok"}, approved.id)
    second = linked.quarantine(mail("N3"))
    rejected, _ = linked.services.staff.request(ME, second.id, what="original", items=[],
                                                comment="念のため")  # fmt: skip
    linked.services.releases.reject(APPROVER, rejected.id, "不審なため")
    notices = _notices(linked, seen)
    assert _kinds(notices) == [("requested", [DESK]), ("approved", [STAFF]),
                               ("delivered", [STAFF]), ("requested", [DESK]),
                               ("rejected", [STAFF])]
    by_kind = {str(m[NOTICE_HEADER]).split()[0]: m for _, m in notices}
    body = by_kind["rejected"].get_content()
    assert "却下" in body and "不審なため" in body and "approver" in body
    assert "https://mutaika.city.example.lg.jp/r/" in body  # back to their own request page
    assert "console/releases" not in body  # the console is for approvers
    assert "配送しました" in by_kind["delivered"].get_content()


def test_expiry_and_failure_are_told_too(linked: World) -> None:
    record = linked.quarantine(mail("N4"))
    waiting, _ = linked.services.staff.request(ME, record.id, what="original", items=[],
                                               comment="x")  # fmt: skip
    assert linked.services.releases.expire_due(waiting.expires_at + 1) == 1  # type: ignore[operator]
    other = linked.quarantine(mail("N5"))
    failing, _ = linked.services.staff.request(ME, other.id, what="original", items=[],
                                               comment="y")  # fmt: skip
    linked.services.releases.approve(APPROVER, failing.id)
    seen: dict[str, tuple[list[str], EmailMessage]] = {}
    _notices(linked, seen)
    linked.deliver({STAFF: "550 5.2.2 mailbox full"}, failing.id)
    notices = _notices(linked, seen)
    kinds = [k for k, _ in _kinds(notices)]
    assert kinds == ["requested", "expired", "requested", "approved", "failed"]
    failed = next(m for _, m in notices if "failed" in str(m[NOTICE_HEADER]))
    assert "550 5.2.2 mailbox full" in failed.get_content()


def test_nobody_is_mailed_without_a_reason(build_world: Callable[..., World]) -> None:
    world = build_world(console={"approver_addresses": []},
                        release={"policy": {"original": "self"}})  # fmt: skip
    record = world.quarantine(mail("N6", attachments=()))
    world.services.staff.request(ME, record.id, what="original", items=[], comment="")
    release, _ = world.services.releases.create(OPERATOR, quarantine_id=world.quarantine(
        mail("N7")).id)  # a token's request: nobody to mail, and no approver address set
    world.services.releases.approve(APPROVER, release.id)
    seen: dict[str, tuple[list[str], EmailMessage]] = {}
    _notices(world, seen)
    world.deliver({STAFF: "250 ok"}, release.id)  # the self-release before it goes too
    # no approver address, no "approved" for one's own self-release, nothing for a token's
    # request: only the staff member's delivery
    assert _kinds(_notices(world, seen)) == [("delivered", [STAFF])]


def test_english_and_iso_2022_jp(build_world: Callable[..., World]) -> None:
    english = build_world(console=CONSOLE, sanitize={"language": "en"})
    record = english.quarantine(mail("N8"))
    english.services.staff.request(ME, record.id, what="original", items=[], comment="please")
    ((_, notice),) = _notices(english)
    assert "waiting for approval" in str(notice["Subject"])
    assert "asks for a quarantined mail" in notice.get_content()

    legacy = build_world(console=CONSOLE, sanitize={"output_charset": "iso-2022-jp"})
    record = legacy.quarantine(mail("N9"))
    legacy.services.staff.request(ME, record.id, what="original", items=[], comment="①髙橋")
    _, notice = _notices(legacy)[-1]  # (both worlds share tmp_path's spool)
    assert notice.get_content_charset() == "iso-2022-jp"
    raw = notice.as_bytes()
    assert raw.isascii() and b"=?ISO-2022-JP?B?" in raw
    assert "承認を待っています" in str(notice["Subject"])


def test_a_spool_that_cannot_take_the_notice_does_not_stop_the_decision(
    linked: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    record = linked.quarantine(mail("N10"))
    release, _ = linked.services.staff.request(ME, record.id, what="original", items=[],
                                               comment="z")  # fmt: skip
    real = linked.spool.enqueue

    def refuse_notices(message: bytes, *args: object, **kwargs: object) -> str:
        if NOTICE_HEADER.encode() in message:
            raise SpoolError("disk full")
        return real(message, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(linked.spool, "enqueue", refuse_notices)
    with caplog.at_level(logging.WARNING):
        done = linked.services.releases.approve(APPROVER, release.id)
    assert done.state == "queued" and "not sent: disk full" in caplog.text


def test_names_as_people_read_them() -> None:
    assert shown_name("token:ab12:承認者 佐藤") == "承認者 佐藤"
    assert shown_name("staff:a@b.jp") == "a@b.jp" and shown_name("cli:root") == "root"
    assert shown_name("system:delivery") == "system:delivery"
