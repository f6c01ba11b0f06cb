"""The staff request page /r/{token}: what it shows, what it files and in whose name, and what
it refuses (forged, altered and expired links, forms without their CSRF value, other people's
mail), each refusal audited."""

from __future__ import annotations

import email
import email.policy
import re
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import itsdangerous.timed
import pytest

from gateway.console.links import RequestLinks
from gateway.quarantine import AuditFilter, ReleaseFilter
from gateway.spool import Queue
from tests.console.conftest import APPROVERS_BOX, Site, serve_site
from tests.plane import ADMIN, EXE, LOCAL, PDF, STAFF, mail


def _notices(site: Site) -> list[email.message.EmailMessage]:
    """The notification mails waiting in outgoing/ (nothing delivers them in these tests)."""
    found = []
    for entry in site.world.spool.entries(Queue.OUTGOING, limit=100):
        raw = site.world.spool.read_message(entry)
        if b"X-Mutaika-Notice" in raw:
            message = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(message, email.message.EmailMessage)
            found.append(message)
    return found


def _denied(site: Site, action: str) -> list[str]:
    entries = site.services.audit.entries(ADMIN, AuditFilter(action=action, result="denied"))
    return [e.reason for e in entries]


def test_the_page_shows_the_mail_in_japanese_and_files_a_request_for_approval(site: Site) -> None:
    pdf = (("請求書.pdf", PDF, "application/pdf"),)
    record = site.world.quarantine(mail("P1", attachments=pdf))
    browser = site.browser()
    page = browser.get(site.link_path(record.id, STAFF))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "隔離されたメールの取り出し依頼" in text and "請求書 P1" in text
    assert "請求書.pdf" in text and "添付ファイル" in text and "承認が必要です" in text
    received = time.strftime("%Y-%m-%d %H:%M", time.gmtime(record.received_at + 9 * 3600))
    assert received in text  # the date in JST, whatever the server's zone

    done = browser.submit(page, page.url.path, what="items", items="0", reason="取引先の請求書です")
    assert done.status_code == 200 and "依頼を受け付けました" in done.text
    assert "承認者の判断を待っています" in done.text
    (release,), _ = site.services.releases.page(ADMIN, ReleaseFilter(quarantine_id=record.id))
    assert release.requested_by == f"staff:{STAFF}" and release.recipients == [STAFF]
    assert (release.state, release.what, release.items) == ("requested", "items", [0])
    (created,) = site.services.audit.entries(ADMIN, AuditFilter(action="release.create"))
    assert (created.actor, created.role, created.reason) == (f"staff:{STAFF}", "staff",
                                                             "取引先の請求書です")

    (notice,) = _notices(site)  # the approvers hear of it, with a link into the console
    assert notice["To"] == APPROVERS_BOX and notice["Auto-Submitted"] == "auto-generated"
    body = notice.get_content()
    assert f"{site.url}/console/releases/{release.id}" in body and "承認を待っています" in str(
        notice["Subject"])
    assert "請求書.pdf" not in body and "P1" not in body  # nothing of the quarantined mail


@pytest.fixture
def lenient_site(make_settings: Any) -> Iterator[Site]:
    """A site whose policy lets staff have attachments at once."""
    yield from serve_site(make_settings, release={"policy": {"attachment": "self",
                                                             "original": "self"}})


def test_self_release_is_queued_at_once_and_nobody_is_asked(lenient_site: Site) -> None:
    site = lenient_site
    record = site.world.quarantine(mail("SELF"))
    browser = site.browser()
    path = site.link_path(record.id, STAFF)
    page = browser.get(path)
    assert "すぐに受け取れます" in page.text
    done = browser.submit(page, path, what="items", items="0", reason="請求書の確認")
    assert "まもなくメールが届きます" in done.text
    (release,), _ = site.services.releases.page(ADMIN, ReleaseFilter(quarantine_id=record.id))
    assert release.state == "queued" and release.decided_by == f"staff:{STAFF}"
    assert not _notices(site)  # no approver is asked; no "approved" mail for one's own
    assert [e.action for e in site.services.audit.entries(ADMIN, AuditFilter(
        actor=f"staff:{STAFF}"))] == ["release.create", "release.approve", "release.queue"]


def test_the_request_goes_to_the_staff_member_only(site: Site) -> None:
    other = f"soumu@{LOCAL}"
    record = site.world.quarantine(mail("TWO"), rcpts=(STAFF, other))
    browser = site.browser()
    path = site.link_path(record.id, other)
    page = browser.get(path)
    browser.submit(page, path, what="original", reason="原本が必要")
    (release,), _ = site.services.releases.page(ADMIN, ReleaseFilter(quarantine_id=record.id))
    assert release.recipients == [other] and release.requested_by == f"staff:{other}"
    # and STAFF's own page does not list soumu's request as theirs
    assert release.id not in browser.get(site.link_path(record.id, STAFF)).text


def test_forged_altered_and_expired_links_are_refused_and_audited(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = site.world.quarantine()
    browser = site.browser()
    good = site.links.token(record.id, STAFF)
    forged = RequestLinks(site.url, "not our key" * 4, 3600).token(record.id, STAFF)
    for bad in (forged, good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"), "x"):
        page = browser.get(f"/r/{bad}")
        assert page.status_code == 403 and "このリンクは正しくありません" in page.text
        assert record.subject not in page.text
    with monkeypatch.context() as past:
        month_ago = SimpleNamespace(time=lambda: time.time() - 31 * 86400)
        past.setattr(itsdangerous.timed, "time", month_ago)
        aged = site.links.token(record.id, STAFF)
    page = browser.get(f"/r/{aged}")
    assert page.status_code == 410 and "有効期限が切れています" in page.text
    posted = browser.http.post(f"/r/{aged}", data={"what": "original", "reason": "x"})
    assert posted.status_code == 403  # no CSRF value: refused before anything else
    reasons = _denied(site, "request.open")
    assert reasons.count("this link is not valid") == 3 and "this link has expired" in reasons
    entries = site.services.audit.entries(ADMIN, AuditFilter(action="request.open"))
    assert all(e.actor.startswith("anonymous@127.0.0.1") and e.role == "" for e in entries)
    assert not site.services.releases.page(ADMIN, ReleaseFilter())[0]


def test_a_post_without_its_csrf_value_is_refused(site: Site) -> None:
    record = site.world.quarantine()
    browser = site.browser()
    path = site.link_path(record.id, STAFF)
    page = browser.get(path)
    replay = browser.http.post(path, data={"what": "original", "reason": "再送"})
    assert replay.status_code == 403 and "フォーム" in replay.text
    # the CSRF value of another link (another scope) does not do either
    other = site.world.quarantine()
    other_page = browser.get(site.link_path(other.id, STAFF))
    value = re.search(r'name="csrf" value="([0-9a-f]+)"', other_page.text)
    assert value is not None
    crossed = browser.http.post(path, data={"csrf": value[1], "what": "original", "reason": "x"})
    assert crossed.status_code == 403
    # nor does the right value from a browser without the cookie it is bound to
    stranger = site.browser()
    own = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert own is not None
    assert stranger.http.post(path, data={"csrf": own[1], "what": "original",
                                          "reason": "x"}).status_code == 403
    assert not site.services.releases.page(ADMIN, ReleaseFilter())[0]
    assert "CSRF token missing or wrong" in _denied(site, "request.open")
    ok = browser.submit(page, path, what="original", reason="本物")
    assert ok.status_code == 200 and "依頼を受け付けました" in ok.text


def test_someone_elses_mail_and_admin_level_files_are_refused(site: Site) -> None:
    record = site.world.quarantine(mail("EXE", attachments=(
        ("setup.exe", EXE, "application/octet-stream"), ("a.pdf", PDF, "application/pdf"))))
    browser = site.browser()
    stranger = site.link_path(record.id, f"someone@{LOCAL}")  # a genuine link, wrong person
    page = browser.get(stranger)
    assert page.status_code == 403 and record.subject not in page.text
    assert "this mail was not addressed to the staff member who asks" in _denied(
        site, "quarantine.show")

    path = site.link_path(record.id, STAFF)
    page = browser.get(path)
    assert page.status_code == 200
    boxes = re.findall(r'name="items" value="(\d+)"', page.text)
    exe = next(i for i in record.items if i.filename == "setup.exe")
    assert str(exe.index) not in boxes and "情報システム担当" in page.text  # ask the desk
    forced = browser.submit(page, path, what="items", items=str(exe.index), reason="必要")
    assert forced.status_code == 403
    assert "the release policy leaves this to admins" in _denied(site, "release.create")


def test_missing_choices_are_asked_again_and_english_is_one_click_away(site: Site) -> None:
    record = site.world.quarantine()
    browser = site.browser()
    path = site.link_path(record.id, STAFF)
    page = browser.get(path)
    again = browser.submit(page, path, what="items", reason="x")
    assert again.status_code == 422 and "1つ以上選んでください" in again.text
    again = browser.submit(page, path, what="original", reason=" ")
    assert again.status_code == 422 and "必要な理由を書いてください" in again.text
    english = browser.get("/console/lang", params={"to": "en", "next": path})
    assert english.url.path == path and "Ask for a quarantined mail" in english.text
    assert browser.get("/console/lang", params={"to": "en", "next": "https://evil.example/"}
                       ).url.path == "/console/login"  # never an open redirect
