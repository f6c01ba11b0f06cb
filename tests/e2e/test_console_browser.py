"""The console in a real headless Chromium against a real `mutaika serve`:

1. a mail with a PDF attachment goes through serve into the fake LGWAN MTA;
2. the staff member opens the link from the delivered notice and asks for the PDF;
3. an approver, mailed about it, logs in through the link in that mail and approves; the
   released mail arrives at the fake MTA once, and the staff member is told;
4. the audit page shows the three steps.

And PPAP: a password-protected ZIP arrives; on the request page the staff member types the
password, sees the PDF inside with its type, and asks for its safe copy, which arrives.

A screenshot of every page is kept in test-artifacts/console-e2e/ (git ignores it).
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e import screenshots
from tests.e2e.browser import VIEWPORT, NoBrowser, chromium
from tests.e2e.harness import REPO, Gateway, make_token, wait_until
from tests.e2e.mails import PPAP_PASSWORD, invoice_mail, ppap_mail
from tests.fakes.lgwan_mta import FakeMta, free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.e2e]
LOCAL = "city.example.lg.jp"
STAFF = f"kaikei@{LOCAL}"
DESK = f"joho@{LOCAL}"
ARTIFACTS = REPO / "test-artifacts" / "console-e2e"


@pytest.fixture
def browser() -> Iterator[Browser]:
    try:
        with chromium() as found:
            yield found
    except NoBrowser as error:
        pytest.skip(str(error))


def _mails_to(mta: FakeMta, rcpt: str) -> list[EmailMessage]:
    found = []
    for received in mta.messages:
        if rcpt in received.rcpt_tos:
            message = email.message_from_bytes(received.data, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            found.append(message)
    return found


def _notice_kinds(mta: FakeMta, rcpt: str) -> list[str]:
    return [str(m["X-Mutaika-Notice"]).split()[0] for m in _mails_to(mta, rcpt)
            if m["X-Mutaika-Notice"]]  # fmt: skip


def _released(mta: FakeMta, release_id: str) -> list[bytes]:
    return [m.data for m in mta.messages if f"X-Mutaika-Release: {release_id}".encode() in m.data]


class Shots:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.taken: list[Path] = []

    def __call__(self, page: Page, name: str) -> None:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)


def _watch(page: Page, problems: list[str]) -> Page:
    """Console errors (a CSP violation shows up here) and failed loads of our own files."""
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400
            else None)  # fmt: skip
    return page


def test_staff_request_approval_and_delivery_in_a_browser(
    start_gateway: Any, fake_mta: FakeMta, tmp_path: Path, browser: Browser
) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    gateway: Gateway = start_gateway(
        fake_mta.url, smtp={"local_domains": [LOCAL]}, api={"port": port},
        console={"public_url": public, "approver_addresses": [DESK]},
    )  # fmt: skip
    raw = invoice_mail(STAFF)
    gateway.send(raw, sender="keiri@seisou-kanri.example.co.jp", rcpts=[STAFF])
    assert wait_until(lambda: _mails_to(fake_mta, STAFF), 20)
    (notice,) = _mails_to(fake_mta, STAFF)
    link = re.search(rf"{re.escape(public)}/r/[A-Za-z0-9._-]+", notice.get_content())
    assert link, notice.get_content()
    shots, problems = Shots(ARTIFACTS), []

    # (2) the staff member asks for the PDF, from the link in their notice
    staff = browser.new_context(viewport=VIEWPORT, locale="ja-JP", timezone_id="Asia/Tokyo")
    page = _watch(staff.new_page(), problems)
    page.goto(link[0])
    assert "請求書_202611.pdf" in page.inner_text("table.items")
    assert page.evaluate("getComputedStyle(document.querySelector('header.top'))"
                         ".backgroundColor") == "rgb(18, 50, 79)"  # our stylesheet applies
    shots(page, "staff-request-page")
    page.check("input[name=items]")
    assert page.is_checked("input[name=what][value=items]")  # our script follows the choice
    page.fill("#reason", "11月分の委託料の支払処理に必要です")
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    assert "依頼を受け付けました" in page.inner_text("p.ok")
    assert "承認待ち" in page.inner_text("tr.highlight")  # their request, as it stands
    shots(page, "staff-request-filed")

    # (3) the approver's mail links to the request in the console: log in, approve
    assert wait_until(lambda: _mails_to(fake_mta, DESK), 15)
    (asked,) = _mails_to(fake_mta, DESK)
    found = re.search(rf"{re.escape(public)}/console/releases/(R[0-9A-F]+)", asked.get_content())
    assert found and "請求書_202611" not in asked.get_content()
    release_link, release_id = found[0], found[1]
    approver = browser.new_context(viewport=VIEWPORT, locale="ja-JP", timezone_id="Asia/Tokyo")
    page = _watch(approver.new_page(), problems)
    page.goto(release_link)
    assert page.url.startswith(f"{public}/console/login")
    shots(page, "console-login")
    page.fill("#token", make_token(tmp_path, gateway.config, "approver"))
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    assert page.url == release_link and page.is_visible("button[data-verb=approve]")
    shots(page, "release-waiting")
    page.fill("#comment", "請求書を確認しました")
    with page.expect_navigation():
        page.click("button[data-verb=approve]")
    shots(page, "release-approved")
    assert wait_until(lambda: len(_released(fake_mta, release_id)) == 1, 20)

    def delivered() -> bool:
        page.reload()
        return "配送済み" in page.inner_text("h1")

    assert wait_until(delivered, 20, 0.5)
    (released,) = _released(fake_mta, release_id)  # once
    attached = email.message_from_bytes(released, policy=email.policy.default)
    assert isinstance(attached, EmailMessage)
    sent = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(sent, EmailMessage)
    pdf = [(p.get_filename(), p.get_content()) for p in sent.iter_attachments()]
    assert [(p.get_filename(), p.get_content()) for p in attached.iter_attachments()] == pdf
    assert wait_until(lambda: _notice_kinds(fake_mta, STAFF) == ["approved", "delivered"], 15)
    shots(page, "release-delivered")

    # (4) the audit page: asked by the staff member, approved, delivered
    page.goto(f"{public}/console/audit?action=release.")
    rows = [r.inner_text() for r in page.query_selector_all("table.audit tbody tr")]
    steps = [(r.split("\t")[2], r.split("\t")[4], r.split("\t")[6]) for r in rows]
    assert (f"staff:{STAFF}", "release.create", "ok") in steps
    assert any(a.startswith("token:") and b == "release.approve" for a, b, _ in steps)
    assert ("system:delivery", "release.delivery", "delivered") in steps
    shots(page, "audit")
    for path in ("/console/", "/console/quarantine", "/console/releases?state=",
                 "/console/queue"):  # fmt: skip
        page.goto(public + path)
        shots(page, path.strip("/").replace("/", "-").split("?")[0])
    assert not problems, problems
    assert len(shots.taken) == 11 and all(p.stat().st_size > 10_000 for p in shots.taken)
    assert gateway.stop() == 0


def test_staff_open_a_protected_zip_and_get_its_safe_copy_in_a_browser(
    start_gateway: Any, fake_mta: FakeMta, browser: Browser
) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    gateway: Gateway = start_gateway(
        fake_mta.url, smtp={"local_domains": [LOCAL]}, api={"port": port},
        console={"public_url": public}, **{"release.policy": {"safecopy": "self"}},
    )  # fmt: skip
    gateway.send(ppap_mail(STAFF), sender="keiri@seisou-kanri.example.co.jp", rcpts=[STAFF])
    assert wait_until(lambda: _mails_to(fake_mta, STAFF), 20)
    link = screenshots.request_link(fake_mta, STAFF, public, "パスワード付きZIP")
    shots, problems = Shots(ARTIFACTS / "ppap"), []
    context = browser.new_context(viewport=VIEWPORT, locale="ja-JP", timezone_id="Asia/Tokyo")
    page = _watch(context.new_page(), problems)
    page.goto(link)
    assert "パスワードで保護されています" in page.inner_text("table.items")
    field = page.locator("#unlock input[type=password]")
    assert field.get_attribute("autocomplete") == "off"
    field.fill(PPAP_PASSWORD)
    shots(page, "staff-ppap-password")
    with page.expect_navigation():
        page.click("#unlock button.unlock")
    assert "開きました" in page.inner_text("p.ok") and PPAP_PASSWORD not in page.content()
    assert page.url.endswith("?opened=0") and not page.is_visible("#unlock")
    row = page.locator("table.items tbody tr.inside")
    assert "請求書_202611.pdf" in row.inner_text() and "application/pdf" in row.inner_text()
    assert "ページを画像にしたPDF" in row.inner_text()
    shots(page, "staff-ppap-opened")
    with page.expect_navigation():
        row.locator("button.copy").click()
    assert "まもなくメールが届きます" in page.inner_text("p.ok")
    assert "安全なコピー" in page.inner_text("tr.highlight")
    shots(page, "staff-ppap-filed")
    assert wait_until(lambda: [m for m in _mails_to(fake_mta, STAFF) if m["X-Mutaika-Release"]],
                      30)  # fmt: skip
    (copy_mail,) = [m for m in _mails_to(fake_mta, STAFF) if m["X-Mutaika-Release"]]
    (copy,) = list(copy_mail.iter_attachments())
    assert copy.get_filename() == "請求書_202611.pdf" and copy.get_content().startswith(b"%PDF")
    assert not problems, problems
    assert gateway.stop() == 0
    assert PPAP_PASSWORD not in gateway.log.read_text()


def test_the_readme_screenshots_can_be_made(tmp_path: Path, browser: Browser) -> None:
    """The script that made docs/screenshots/ still works (its pictures go to tmp_path)."""
    made = screenshots.make(tmp_path / "gw", tmp_path / "shots", browser)
    assert [p.name for p in made] == ["dashboard.png", "quarantine-detail.png", "request-ppap.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") and p.stat().st_size > 30_000 for p in made)
