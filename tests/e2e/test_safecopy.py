"""Safe copies end to end through `mutaika serve` into the fake LGWAN MTA: a PDF with
/OpenAction JavaScript arrives as text with its excerpt, an operator asks for its safe copy
through the API and an image-only PDF arrives (parsed with pypdf); policy "attach" sends the
safe copy after the text mail; PPAP opened through the API (wrong password, the limit, the
right one) and by a real password notice mail sent after the ZIP mail."""

from __future__ import annotations

import email
import email.policy
import io
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from tests.e2e.harness import Gateway, wait_until
from tests.e2e.mails import with_files
from tests.e2e.test_release import Console
from tests.fakes.lgwan_mta import FakeMta
from tests.plane import LOCAL
from tests.safecopy import samples
from tests.safecopy.pdfcheck import ACTIVE_KEYS, all_keys, page_xobjects

pytestmark = [pytest.mark.e2e]
STAFF = f"kaikei@{LOCAL}"
SENDER = "sales@example.co.jp"
PASSWORD = "Pw-7731-xQ"


def _mail(token: str, body: str, *attachments: tuple[str, bytes, str],
          sender: str = SENDER) -> bytes:  # fmt: skip
    return with_files(token, body, *attachments, sender=sender, rcpt=STAFF, subject="ご連絡")


def _arrived(mta: FakeMta, token: str) -> list[EmailMessage]:
    found = []
    for received in mta.messages:
        message = email.message_from_bytes(received.data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if token in str(message["Subject"]):
            found.append(message)
    return found


def _text(message: EmailMessage) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


def test_safe_copies_through_serve(start_gateway: Any, fake_mta: FakeMta, tmp_path: Path
                                   ) -> None:  # fmt: skip
    gateway: Gateway = start_gateway(fake_mta.url, **{
        "release.policy": {"safecopy": "self"},  # the site lets operators have safe copies
        "safecopy.policy": {"image": "attach"},
    })
    hostile = samples.hostile_pdf()
    gateway.send(_mail("PDF1", "請求書をお送りします。",
                       ("請求書.pdf", hostile, "application/pdf")), sender=SENDER, rcpts=[STAFF])
    assert wait_until(lambda: len(_arrived(fake_mta, "PDF1")) == 1, 30)
    (text_mail,) = _arrived(fake_mta, "PDF1")
    assert text_mail.get_content_type() == "text/plain"  # the text mail: text only
    assert "| 請求書 第1号" in _text(text_mail) and "自動実行・スクリプトを含む" in _text(text_mail)

    console = Console(gateway, tmp_path)
    qid = console.quarantine_id("PDF1")
    with console.as_("operator") as operator:
        offer = operator.get(f"/api/v1/quarantine/{qid}/items/0/offer").json()
        assert offer["available"] and offer["approval"] == "self"
        asked = operator.post(f"/api/v1/quarantine/{qid}/items/0/safecopy")
        assert asked.status_code == 201 and asked.json()["state"] == "queued", asked.text
        release_id = asked.json()["id"]
    assert wait_until(lambda: console.state(release_id)["state"] == "delivered", 30)
    (copy_mail,) = [m for m in _arrived(fake_mta, "PDF1") if m["X-Mutaika-Release"]]
    assert copy_mail["X-Mutaika-Release"] == release_id
    (attached,) = list(copy_mail.iter_attachments())
    data = attached.get_content()
    assert attached.get_filename() == "請求書.pdf" and data != hostile
    reader = PdfReader(io.BytesIO(data))
    assert not ACTIVE_KEYS & all_keys(data) and reader.attachments == {}
    assert "/OpenAction" not in reader.trailer["/Root"] and b"JavaScript" not in data
    assert page_xobjects(data) == [["/Image"]]
    assert "安全なコピー（ページを画像にしたPDF）を添付しました" in _text(copy_mail)

    # policy "attach" (images here): the text mail first, then the safe copy unasked
    photo = samples.png(64, 48, exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00")
    gateway.send(_mail("IMG1", "現場の写真です。", ("現場.png", photo, "image/png")),
                 sender=SENDER, rcpts=[STAFF])
    assert wait_until(lambda: len(_arrived(fake_mta, "IMG1")) == 2, 30)
    first, second = _arrived(fake_mta, "IMG1")
    assert first.get_content_type() == "text/plain" and not first["X-Mutaika-Release"]
    assert second["X-Mutaika-Release"]
    (image,) = list(second.iter_attachments())
    assert image.get_content_type() == "image/png" and image.get_content() != photo
    assert b"Exif" not in image.get_content()
    assert gateway.stop() == 0


def test_ppap_through_serve(start_gateway: Any, fake_mta: FakeMta, tmp_path: Path) -> None:
    gateway: Gateway = start_gateway(fake_mta.url, safecopy={"unlock_failures_per_mail": 2})
    invoice = samples.pdf([["見積書 No.42"]])
    archive = samples.zip_bytes({"見積書.pdf": invoice}, password=PASSWORD.encode())
    other = "someone@example.net"  # ZIP1 comes from another sender: no notice of SENDER's fits
    for token, sender in (("ZIP1", other), ("ZIP2", SENDER)):
        gateway.send(_mail(token, "見積書をお送りします。パスワードは別メールでお送りします。",
                           ("見積書.zip", archive, "application/zip"), sender=sender),
                     sender=sender, rcpts=[STAFF])
    assert wait_until(lambda: len(_arrived(fake_mta, "ZIP2")) == 1, 30)
    console = Console(gateway, tmp_path)
    by_hand, by_notice = console.quarantine_id("ZIP1"), console.quarantine_id("ZIP2")

    # by hand, through the API: wrong, wrong, refused at the limit; the limit is per mail
    def unlock(client: httpx.Client, qid: str, password: str) -> httpx.Response:
        return client.post(f"/api/v1/quarantine/{qid}/items/0/unlock", json={"password": password})

    with console.as_("operator") as operator:
        for guess in ("guess-1", "guess-2"):
            wrong = unlock(operator, by_hand, guess)
            assert wrong.status_code == 200 and wrong.json()["reason"] == "wrong-password"
        limited = unlock(operator, by_hand, PASSWORD)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 3000

    # the password notice, a real second mail from the same sender: ZIP2 is opened for it
    notice = ("お世話になっております。\n先ほどお送りした見積書.zipの解凍パスワードを"
              f"お知らせします。\n\n【パスワード】{PASSWORD}\n\n株式会社サンプル 営業部\n")
    gateway.send(_mail("PWD1", notice), sender=SENDER, rcpts=[STAFF])
    assert wait_until(lambda: len(_arrived(fake_mta, "PWD1")) == 1, 30)
    (told,) = _arrived(fake_mta, "PWD1")
    said = _text(told)
    assert f"・隔離ID {by_notice} の「見積書.zip」を、このメールに書かれたパスワードで" \
        "開きました。中のファイル 1 件の安全なコピーを依頼できます。" in said
    with console.as_("operator") as operator:
        offers = operator.get(f"/api/v1/quarantine/{by_notice}/offers").json()
        assert offers[0]["opened"] and offers[1]["item"]["filename"] == "見積書.pdf"
        assert offers[1]["item"]["parent"] == 0 and offers[1]["available"]
        untouched = operator.get(f"/api/v1/quarantine/{by_hand}/offers").json()
        assert len(untouched) == 1 and not untouched[0]["opened"]  # another sender's
    with console.as_("approver") as approver:
        audit = approver.get("/api/v1/audit", params={"action": "safecopy.unlock"}).json()
    results = [(e["actor"], e["result"]) for e in audit["items"]]
    assert results.count(("system:safecopy", "ok")) == 1
    assert sum(1 for _, r in results if r == "wrong-password") == 2
    assert PASSWORD not in (tmp_path / "serve.log").read_text()
    assert PASSWORD not in str(audit)
    assert gateway.stop() == 0
