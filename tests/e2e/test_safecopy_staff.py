"""A staff member's safe copies end to end through `mutaika serve`, over plain HTTP as a browser
would send it (GET the page, take its CSRF field, POST), into the Maildir the gateway delivers to:

1. a mail with a hostile PDF arrives as text; the staff member opens the request link from the
   delivered notice, asks for the PDF's safe copy, and an image-only PDF arrives (parsed with
   pypdf: no /JavaScript, /OpenAction or /EmbeddedFiles);
2. PPAP: an AES ZIP arrives; the staff member opens it on the page with its password, asks for
   the safe copy of the PDF inside, and it arrives; the password is in no log line.
"""

from __future__ import annotations

import email
import email.policy
import io
import re
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

import httpx
import lxml.html
import pytest
from pypdf import PdfReader

from tests.e2e.harness import Gateway, wait_until
from tests.fakes.lgwan_mta import free_port
from tests.plane import LOCAL
from tests.safecopy import samples
from tests.safecopy.pdfcheck import ACTIVE_KEYS, all_keys, page_xobjects

pytestmark = [pytest.mark.e2e]
STAFF = f"keiyaku@{LOCAL}"
SENDER = "eigyo@torihiki.example.co.jp"
PASSWORD = "Lp-9042-sV"


def _mail(token: str, name: str, data: bytes, mime: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = SENDER, STAFF, f"{token} 書類送付"
    msg["Message-ID"] = f"<{token}@torihiki.example.co.jp>"
    msg.set_content("お世話になっております。書類をお送りします。\n")
    maintype, subtype = mime.split("/")
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes(policy=SMTP)


def _maildir(tmp_path: Path) -> list[EmailMessage]:
    new = tmp_path / "var" / "maildir" / "new"
    found = []
    for path in sorted(new.iterdir()) if new.is_dir() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def _arrived(tmp_path: Path, token: str, *, release: bool) -> list[EmailMessage]:
    return [m for m in _maildir(tmp_path)
            if token in str(m["Subject"]) and bool(m["X-Mutaika-Release"]) == release]


def _text(message: EmailMessage) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


class StaffPage:
    """The request page of one notice, driven over HTTP with a cookie jar."""

    def __init__(self, link: str) -> None:
        self.link = link
        self.path = httpx.URL(link).path
        self.http = httpx.Client(timeout=60)
        self.page = self.get(link)

    def get(self, url: str) -> lxml.html.HtmlElement:
        answer = self.http.get(url)
        assert answer.status_code == 200, answer.text[:500]
        self.text = answer.text
        return lxml.html.fromstring(answer.text)

    def post(self, action: str, **fields: str) -> httpx.Response:
        """The form whose action (or a button's formaction) is `action`: its CSRF field and
        `fields`; then the page a 303 leads to."""
        (form,) = [f for f in self.page.xpath("//form") if f.get("action") == action
                   or f.xpath(".//button[@formaction=$a]", a=action)]  # fmt: skip
        (csrf,) = form.xpath(".//input[@name='csrf']/@value")
        answer = self.http.post(httpx.URL(self.link).join(action),
                                data={"csrf": csrf, **fields})  # fmt: skip
        assert answer.status_code == 303, (answer.status_code, answer.text[:500])
        self.page = self.get(httpx.URL(self.link).join(answer.headers["location"]))
        return answer

    def copy_button(self, filename: str) -> str:
        """The item number on the "get the safe copy" button in the row of `filename`."""
        rows = [r for r in self.page.xpath("//table[@class='items']/tbody/tr")
                if r.xpath("string(td[3])").replace("↳", "").strip() == filename]  # fmt: skip
        (value,) = rows[0].xpath(".//button[@formaction=$a]/@value", a=f"{self.path}/safecopy")
        return str(value)


def _request_link(tmp_path: Path, token: str, public: str) -> str:
    (notice,) = _arrived(tmp_path, token, release=False)
    found = re.search(rf"{re.escape(public)}/r/[A-Za-z0-9._-]+", _text(notice))
    assert found, _text(notice)
    return found[0]


def _only_copy(tmp_path: Path, token: str, release_id: str) -> bytes:
    (mail,) = _arrived(tmp_path, token, release=True)
    assert mail["X-Mutaika-Release"] == release_id and STAFF in str(mail["To"])
    (attached,) = list(mail.iter_attachments())
    data = attached.get_content()
    assert isinstance(data, bytes) and attached.get_content_type() == "application/pdf"
    return data


def _assert_image_only(data: bytes) -> None:
    reader = PdfReader(io.BytesIO(data))
    assert not ACTIVE_KEYS & all_keys(data)
    for key in (b"/JavaScript", b"/OpenAction", b"/EmbeddedFiles", b"/Launch"):
        assert key not in data, key
    assert "/OpenAction" not in reader.trailer["/Root"] and reader.attachments == {}
    assert page_xobjects(data) == [["/Image"]] * len(reader.pages)


def test_staff_get_safe_copies_and_open_ppap_through_serve(start_gateway: Any, tmp_path: Path
                                                           ) -> None:  # fmt: skip
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    gateway: Gateway = start_gateway(
        "", delivery={"relay_url": ""}, api={"port": port}, console={"public_url": public},
        **{"release.policy": {"safecopy": "self"}},  # this site lets staff have safe copies
    )  # fmt: skip
    hostile = samples.hostile_pdf()
    inner = samples.pdf([["見積書 No.88", "合計 55,000円"]])
    archive = samples.zip_bytes({"見積書.pdf": inner}, password=PASSWORD.encode())
    gateway.send(_mail("SCPDF", "請求書.pdf", hostile, "application/pdf"), sender=SENDER,
                 rcpts=[STAFF])  # fmt: skip
    gateway.send(_mail("SCZIP", "見積書.zip", archive, "application/zip"), sender=SENDER,
                 rcpts=[STAFF])  # fmt: skip
    assert wait_until(lambda: all(_arrived(tmp_path, t, release=False)
                                  for t in ("SCPDF", "SCZIP")), 30)  # fmt: skip

    # (1) the PDF: the link from the notice, the button in the file's row, the copy arrives
    page = StaffPage(_request_link(tmp_path, "SCPDF", public))
    assert "ページを画像にしたPDF" in page.text and "すぐに受け取れます" in page.text
    filed = page.post(f"{page.path}/safecopy", item=page.copy_button("請求書.pdf"))
    release_id = filed.headers["location"].rsplit("filed=", 1)[1]
    assert "まもなくメールが届きます" in page.text and release_id in page.text
    assert wait_until(lambda: _arrived(tmp_path, "SCPDF", release=True), 30)
    data = _only_copy(tmp_path, "SCPDF", release_id)
    assert data != hostile and b"app.alert" not in data
    _assert_image_only(data)

    # (2) PPAP: the password typed on the page, the PDF inside listed, its safe copy asked for
    page = StaffPage(_request_link(tmp_path, "SCZIP", public))
    assert "パスワードで保護されています" in page.text and "見積書.pdf" not in page.text
    opened = page.post(f"{page.path}/unlock", item="0", password=PASSWORD)
    assert opened.headers["location"].endswith("?opened=0")
    assert "「見積書.zip」を開きました。中のファイル 1 件" in page.text
    filed = page.post(f"{page.path}/safecopy", item=page.copy_button("見積書.pdf"))
    release_id = filed.headers["location"].rsplit("filed=", 1)[1]
    assert wait_until(lambda: _arrived(tmp_path, "SCZIP", release=True), 30)
    data = _only_copy(tmp_path, "SCZIP", release_id)
    assert data != inner
    _assert_image_only(data)
    assert gateway.stop() == 0
    assert PASSWORD not in (tmp_path / "serve.log").read_text()
    assert PASSWORD.encode() not in b"".join(p.read_bytes() for p in
                                             (tmp_path / "var" / "maildir" / "new").iterdir())
