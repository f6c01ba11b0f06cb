"""The README's console screenshots, taken from a real `mutaika serve` with realistic Japanese
mail in a real headless Chromium:

    .venv/bin/python -m tests.e2e.screenshots        # rewrites docs/screenshots/*.png

tests/e2e/test_console_browser.py makes the same pictures into a temporary folder, so this
keeps working."""

from __future__ import annotations

import email
import email.policy
import re
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from tests.e2e.browser import VIEWPORT, NoBrowser, chromium
from tests.e2e.conftest import gateway_sections
from tests.e2e.harness import REPO, Gateway, make_token, wait_until, write_config
from tests.e2e.mails import PPAP_PASSWORD, japanese_mails, ppap_mail
from tests.fakes.lgwan_mta import FakeMta, free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

LOCAL = "city.example.lg.jp"
KIKAKU = f"kikaku@{LOCAL}"  # its mailbox is full: a delivery error for the dashboard
DESK = f"joho@{LOCAL}"
OUT = REPO / "docs" / "screenshots"


def request_link(mta: FakeMta, rcpt: str, public: str, subject_word: str) -> str:
    """The request link in the notice `rcpt` got for the mail whose subject has the word."""
    for received in mta.messages:
        message = email.message_from_bytes(received.data, policy=email.policy.default)
        if rcpt in received.rcpt_tos and subject_word in str(message["Subject"]):
            assert isinstance(message, email.message.EmailMessage)
            found = re.search(rf"{re.escape(public)}/r/[A-Za-z0-9._-]+", message.get_content())
            if found:
                return found[0]
    raise AssertionError(f"no notice with a request link for {rcpt} ({subject_word})")


def log_in(page: Page, public: str, token: str, where: str = "/console/") -> None:
    page.goto(f"{public}{where}")
    page.fill("#token", token)
    with page.expect_navigation():
        page.click("button[type=submit].primary")


def make(workdir: Path, out: Path, browser: Browser) -> list[Path]:
    """dashboard.png, quarantine-detail.png and request-ppap.png in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    workdir.mkdir(parents=True, exist_ok=True)
    with FakeMta() as mta:
        mta.faults.rcpt_replies = {KIKAKU: "452 4.2.2 Mailbox full, try again later"}
        api_port, smtp_port = free_port(), free_port()
        public = f"http://127.0.0.1:{api_port}"
        sections = gateway_sections(smtp_port, mta.url, smtp={"local_domains": [LOCAL]},
                                    api={"port": api_port},
                                    console={"public_url": public, "approver_addresses": [DESK]},
                                    delivery={"retry_schedule_seconds": [600]})  # fmt: skip
        gateway = Gateway(workdir, write_config(workdir / "gateway.toml", sections), smtp_port)
        gateway.start()
        try:
            mails = [*japanese_mails(LOCAL), (KIKAKU, japanese_mails(LOCAL)[1][1]),
                     (f"kaikei@{LOCAL}", ppap_mail(f"kaikei@{LOCAL}"))]
            for rcpt, raw in mails:
                gateway.send(raw, sender="sender@mail.example", rcpts=[rcpt])
            assert wait_until(lambda: len(mta.messages) >= len(mails) - 1, 30)
            context = browser.new_context(viewport=VIEWPORT, locale="ja-JP",
                                          timezone_id="Asia/Tokyo")  # fmt: skip
            page = context.new_page()
            # the accounting clerk asks for the invoice through the link in the notice
            opened = page.goto(request_link(mta, f"kaikei@{LOCAL}", public, "請求書送付"))
            assert opened is not None and opened.ok, page.inner_text("body")[:500]
            page.check("input[name=items]")
            page.fill("#reason", "11月分の委託料の支払処理に請求書の原本が必要です。")
            with page.expect_navigation():
                page.click("button[type=submit].primary")
            token = make_token(workdir, gateway.config, "approver")
            log_in(page, public, token)
            api = httpx.Client(base_url=public, headers={"Authorization": f"Bearer {token}"})
            found = api.get("/api/v1/quarantine", params={"subject": "請求書送付"}).json()
            invoice = found["items"][0]["id"]
            page.goto(f"{public}/console/")
            shots = [out / "dashboard.png", out / "quarantine-detail.png",
                     out / "request-ppap.png"]
            page.screenshot(path=str(shots[0]), full_page=True)
            page.goto(f"{public}/console/quarantine/{invoice}")
            page.screenshot(path=str(shots[1]), full_page=True)
            # the clerk opens the password-protected ZIP on the request page: what is inside,
            # with its safe copy on offer
            page.goto(request_link(mta, f"kaikei@{LOCAL}", public, "パスワード付きZIP"))
            page.fill("#unlock input[type=password]", PPAP_PASSWORD)
            with page.expect_navigation():
                page.click("#unlock button.unlock")
            page.screenshot(path=str(shots[2]), full_page=True)
            context.close()
            return shots
        finally:
            gateway.kill()


def main() -> int:
    try:
        with chromium() as browser, tempfile.TemporaryDirectory() as workdir:
            for shot in make(Path(workdir), OUT, browser):
                print(shot.relative_to(REPO))
    except NoBrowser as error:
        print(f"screenshots: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
