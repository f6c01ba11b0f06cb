"""The staff request page /r/{token}: what it shows, what it files and in whose name, and what
it refuses (forged, altered and expired links, forms without their CSRF value, other people's
mail), each refusal audited."""

from __future__ import annotations

import email
import email.policy
import logging
import re
import time
from collections.abc import Iterator
from email.message import EmailMessage
from types import SimpleNamespace
from typing import Any

import httpx
import itsdangerous.timed
import lxml.html
import pytest

from gateway.quarantine import AuditFilter, ReleaseFilter
from gateway.services.links import RequestLinks
from gateway.spool import Queue
from tests.console.conftest import APPROVERS_BOX, Browser, Site, serve_site
from tests.plane import ADMIN, EXE, LOCAL, PDF, STAFF, mail
from tests.safecopy import samples
from tests.safecopy.pdfcheck import ACTIVE_KEYS, all_keys, page_xobjects


def _outgoing(site: Site) -> list[EmailMessage]:
    """The mails waiting in outgoing/ (nothing delivers them in these tests)."""
    found = []
    for entry in site.world.spool.entries(Queue.OUTGOING, limit=100):
        message = email.message_from_bytes(site.world.spool.read_message(entry),
                                           policy=email.policy.default)  # fmt: skip
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def _notices(site: Site) -> list[EmailMessage]:
    return [m for m in _outgoing(site) if m["X-Mutaika-Notice"]]


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


# -- safe copies and PPAP (issue 11) -------------------------------------------------------------

PASSWORD = "Kq-5520-mZ"
INVOICE = samples.pdf([["請求書 第7号"]])


def _ppap(token: str) -> bytes:
    files = {"請求書.pdf": INVOICE, "議事録.docx": samples.docx_bytes(["議事録"])}
    archive = samples.zip_bytes(files, password=PASSWORD.encode())
    return mail(token, attachments=(("書類.zip", archive, "application/zip"),))


def _rows(page: httpx.Response) -> dict[str, lxml.html.HtmlElement]:
    """The rows of the page's table of removed files, by file name."""
    doc = lxml.html.fromstring(page.text)
    return {row.xpath("string(td[3])").replace("↳", "").strip(): row
            for row in doc.xpath("//table[@class='items']/tbody/tr")}  # fmt: skip


def _released(site: Site, release_id: str) -> EmailMessage:
    (found,) = [m for m in _outgoing(site) if m["X-Mutaika-Release"] == release_id]
    return found


def test_offers_are_shown_and_a_safe_copy_is_filed_in_the_staff_members_name(site: Site) -> None:
    record = site.world.quarantine(mail("COPY", attachments=(
        ("請求書.pdf", INVOICE, "application/pdf"),
        ("setup.exe", EXE, "application/octet-stream"))))  # fmt: skip
    browser = site.browser()
    path = site.link_path(record.id, STAFF)
    page = browser.get(path)
    rows = _rows(page)
    pdf_cell, exe_cell = (rows[name].xpath("string(td[@class='copy'])")
                          for name in ("請求書.pdf", "setup.exe"))  # fmt: skip
    assert "ページを画像にしたPDF" in pdf_cell and "承認が必要です" in pdf_cell
    assert "安全なコピーを受け取る" in pdf_cell
    assert "この種類のファイルには安全なコピーを作れません" in exe_cell and not rows[
        "setup.exe"].xpath(".//button")
    pdf = next(i for i in record.items if i.filename == "請求書.pdf")
    exe = next(i for i in record.items if i.filename == "setup.exe")

    unexplained = browser.submit(page, f"{path}/safecopy", item=str(pdf.index), reason=" ")
    assert unexplained.status_code == 422
    assert "この安全なコピーには承認が必要です" in unexplained.text
    forced = browser.submit(page, f"{path}/safecopy", item=str(exe.index), reason="必要")
    assert forced.status_code == 422 and "unsupported" in forced.text
    assert not site.services.releases.page(ADMIN, ReleaseFilter())[0]

    done = browser.submit(page, f"{path}/safecopy", item=str(pdf.index), reason="支払処理に必要")
    assert done.status_code == 200 and done.history[0].status_code == 303
    assert "依頼を受け付けました" in done.text and "承認者の判断を待っています" in done.text
    (release,), _ = site.services.releases.page(ADMIN, ReleaseFilter(quarantine_id=record.id))
    assert (release.what, release.items, release.recipients) == ("safecopy", [pdf.index], [STAFF])
    assert release.requested_by == f"staff:{STAFF}" and release.state == "requested"
    mine = lxml.html.fromstring(done.text).xpath("string(//tr[@class='highlight'])")
    assert release.id in mine and "安全なコピー (1)" in mine and "承認待ち" in mine
    english = browser.get("/console/lang", params={"to": "en", "next": path}).text
    assert "a PDF rebuilt from page images" in english and "Get the safe copy" in english
    assert "No safe copy can be made of this type of file." in english


@pytest.fixture
def copy_site(make_settings: Any) -> Iterator[Site]:
    """Safe copies without approval; three wrong passwords per mail."""
    yield from serve_site(make_settings, release={"policy": {"safecopy": "self"}},
                          safecopy={"unlock_failures_per_mail": 3})  # fmt: skip


def test_a_protected_zip_is_opened_with_its_password_and_its_pdf_copied(
    copy_site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    site = copy_site
    record = site.world.quarantine(_ppap("PPAP1"))
    browser = site.browser()
    path = site.link_path(record.id, STAFF)
    page = browser.get(path)
    assert "パスワードで保護されています" in page.text
    doc = lxml.html.fromstring(page.text)
    (field,) = doc.xpath("//form[@action=$a]//input[@name='password']", a=f"{path}/unlock")
    assert (field.get("type"), field.get("autocomplete"), field.get("value")) == (
        "password", "off", None)

    wrong = browser.submit(page, f"{path}/unlock", item="0", password="guess-1")
    assert wrong.status_code == 422 and "パスワードが違います。あと 2 回試せます。" in wrong.text
    right = browser.submit(page, f"{path}/unlock", item="0", password=PASSWORD)
    assert right.status_code == 200 and (right.url.path, right.url.query) == (path, b"opened=0")
    assert "「書類.zip」を開きました。中のファイル 2 件" in right.text
    assert 'name="password"' not in right.text  # opened: no more password field
    rows = _rows(right)
    inner = rows["請求書.pdf"]
    assert "application/pdf" in inner.xpath("string(td[4])")
    assert "ページを画像にしたPDF" in inner.xpath("string(td[@class='copy'])")
    assert "Word文書" in rows["議事録.docx"].xpath("string(td[@class='copy'])")
    assert "開きました" in rows["書類.zip"].xpath("string(td[@class='copy'])")
    (button,) = inner.xpath(".//button[@formaction=$a]", a=f"{path}/safecopy")

    done = browser.submit(right, f"{path}/safecopy", item=button.get("value"))  # no approval
    assert done.status_code == 200 and "まもなくメールが届きます" in done.text
    (release,), _ = site.services.releases.page(ADMIN, ReleaseFilter(quarantine_id=record.id))
    assert release.state == "queued" and release.items == [int(button.get("value"))]
    (copy,) = list(_released(site, release.id).iter_attachments())
    data = copy.get_content()
    assert copy.get_filename() == "請求書.pdf" and page_xobjects(data) == [["/Image"]]
    assert not ACTIVE_KEYS & all_keys(data) and data != INVOICE

    audit = "".join(site.services.audit.export(ADMIN, AuditFilter()))
    entries = site.services.audit.entries(ADMIN, AuditFilter(action="safecopy.unlock"))
    assert [(e.actor, e.result) for e in entries] == [(f"staff:{STAFF}", "wrong-password"),
                                                      (f"staff:{STAFF}", "ok")]  # fmt: skip
    for text in (audit, caplog.text, wrong.text, right.text, done.text,
                 *(str(r.url) + str(r.headers) for r in right.history)):  # fmt: skip
        assert PASSWORD not in text and "guess-1" not in text


@pytest.fixture
def strict_site(make_settings: Any) -> Iterator[Site]:
    yield from serve_site(make_settings, safecopy={"unlock_failures_per_mail": 2,
                                                   "unlock_failures_per_principal": 3})


def test_wrong_passwords_are_limited_per_mail_and_per_staff_member(strict_site: Site) -> None:
    site, other = strict_site, f"soumu@{LOCAL}"
    first = site.world.quarantine(_ppap("LIM1"), rcpts=(STAFF, other))
    second, third = site.world.quarantine(_ppap("LIM2")), site.world.quarantine(_ppap("LIM3"))
    me = site.browser()

    def unlock(browser: Browser, quarantine_id: str, recipient: str, password: str
               ) -> httpx.Response:  # fmt: skip
        path = site.link_path(quarantine_id, recipient)
        return browser.submit(browser.get(path), f"{path}/unlock", item="0", password=password)

    assert "あと 1 回試せます" in unlock(me, first.id, STAFF, "a").text
    assert "しばらくの間は試せません" in unlock(me, first.id, STAFF, "b").text
    limited = unlock(me, first.id, STAFF, PASSWORD)
    assert limited.status_code == 429 and 3500 <= int(limited.headers["Retry-After"]) <= 3600
    assert "約 60 分後にもう一度お試しください" in limited.text
    # per mail: the mail's other recipient is stopped on it too, with the right password
    assert unlock(site.browser(), first.id, other, PASSWORD).status_code == 429
    # per staff member: a third wrong password on another mail uses up STAFF's allowance
    assert unlock(me, second.id, STAFF, "c").status_code == 422
    assert unlock(me, third.id, STAFF, PASSWORD).status_code == 429
    assert not [i for m in (first, second, third)
                for i in site.services.quarantine.detail(ADMIN, m.id).record.items if i.parent == 0]
    reasons = _denied(site, "safecopy.unlock")
    assert sum("for this mail" in r for r in reasons) == 2
    assert sum("by you" in r for r in reasons) == 1


def test_unlock_and_safe_copy_posts_without_their_csrf_value_are_refused(site: Site) -> None:
    record = site.world.quarantine(_ppap("CSRF2"))
    browser = site.browser()
    path = site.link_path(record.id, STAFF)
    browser.get(path)
    for action, data in ((f"{path}/unlock", {"item": "0", "password": PASSWORD}),
                         (f"{path}/safecopy", {"item": "0", "reason": "x"})):  # fmt: skip
        posted = browser.http.post(action, data=data)
        assert posted.status_code == 403 and "フォーム" in posted.text
    assert not site.services.audit.entries(ADMIN, AuditFilter(action="safecopy."))
    assert not site.services.releases.page(ADMIN, ReleaseFilter())[0]
    assert len(site.services.quarantine.detail(ADMIN, record.id).record.items) == 1


def test_a_link_for_someone_else_can_neither_open_nor_ask(site: Site) -> None:
    record = site.world.quarantine(_ppap("ELSE"))
    token = site.links.token(record.id, f"someone@{LOCAL}")  # genuine, but not a recipient
    browser = site.browser()
    assert browser.get(f"/r/{token}").status_code == 403
    value = site.csrf(browser, f"r:{token}")  # what a page would carry: the CSRF check passes
    opened = browser.http.post(f"/r/{token}/unlock",
                               data={"csrf": value, "item": "0", "password": PASSWORD})
    assert opened.status_code == 403 and "書類.zip" not in opened.text
    asked = browser.http.post(f"/r/{token}/safecopy", data={"csrf": value, "item": "0",
                                                            "reason": "x"})  # fmt: skip
    assert asked.status_code == 403
    assert len(site.services.quarantine.detail(ADMIN, record.id).record.items) == 1
    assert not site.services.releases.page(ADMIN, ReleaseFilter())[0]
    assert _denied(site, "quarantine.show").count(
        "this mail was not addressed to the staff member who asks") == 3
