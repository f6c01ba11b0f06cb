"""Test mails, built with the email package so each carries a findable token."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.policy import SMTP

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def html_with_attachment(token: str, sender: str = "alice@example.org",
                         rcpt: str = "bob@city.example.lg.jp") -> bytes:  # fmt: skip
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = rcpt
    msg["Subject"] = f"report {token}"
    msg["Message-ID"] = f"<{token}@example.org>"
    msg.set_content(f"plain version {token}\n")
    msg.add_alternative(
        f"<html><body><p>Hello <b>{token}</b> see "
        f'<a href="http://evil.example.com/x">this</a></p></body></html>',
        subtype="html",
    )
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="invoice.pdf")
    return msg.as_bytes(policy=SMTP)


def plain(token: str, sender: str = "alice@example.org",
          rcpt: str = "bob@city.example.lg.jp") -> bytes:  # fmt: skip
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = rcpt
    msg["Subject"] = f"plain {token}"
    msg["Message-ID"] = f"<{token}@example.org>"
    msg.set_content(f"body {token}\n")
    return msg.as_bytes(policy=SMTP)


def with_files(token: str, body: str, *files: tuple[str, bytes, str], sender: str, rcpt: str,
               subject: str = "資料送付") -> bytes:  # fmt: skip
    """A text mail with attachments (name, bytes, MIME type); the token in its subject."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, rcpt, f"{token} {subject}"
    msg["Message-ID"] = f"<{token}@example.co.jp>"
    msg.set_content(body)
    for name, data, mime in files:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes(policy=SMTP)


# -- realistic Japanese mail for the console's browser test and the README screenshots --------

def invoice_pdf() -> bytes:
    """A one-page 請求書 made with reportlab's built-in Japanese CID font (no font files)."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.setFont("HeiseiKakuGo-W5", 20)
    page.drawString(72, 760, "御請求書")
    page.setFont("HeiseiKakuGo-W5", 11)
    for n, line in enumerate(["令和8年11月分 庁舎清掃業務委託料", "請求金額 ¥1,234,200（税込）",
                              "お支払期限 令和8年12月25日"]):  # fmt: skip
        page.drawString(72, 720 - 18 * n, line)
    page.save()
    return out.getvalue()


def xlsm() -> bytes:
    """An Excel workbook with a VBA project (the sanitizer flags it as macros)."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/content-types"/>')
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    return out.getvalue()


def _japanese(subject: str, sender: str, rcpt: str, text: str, html: str = "",
              files: tuple[tuple[str, bytes, str], ...] = ()) -> bytes:  # fmt: skip
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, rcpt, subject
    msg["Message-ID"] = f"<{hashlib.sha1((subject + rcpt).encode()).hexdigest()[:20]}@mail.example>"
    msg["Date"] = "Tue, 01 Dec 2026 09:12:00 +0900"
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    for name, payload, mime in files:
        maintype, subtype = mime.split("/")
        msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes(policy=SMTP)


def invoice_mail(rcpt: str) -> bytes:
    return _japanese(
        "【請求書送付】令和8年11月分 庁舎清掃業務委託料のご請求について",
        "経理部 山本 <keiri@seisou-kanri.example.co.jp>", rcpt,
        "会計課 御中\n\nいつもお世話になっております。\n"
        "令和8年11月分の業務委託料のご請求書を添付にてお送りいたします。\n"
        "ご査収のほど、よろしくお願い申し上げます。\n\n株式会社清掃管理サービス 経理部 山本\n",
        "<p>会計課 御中</p><p>いつもお世話になっております。<br>令和8年11月分のご請求書を"
        '添付にてお送りいたします。</p><p>振込先は<a href="https://seisou-kanri.example.co.jp/'
        'bank">こちら</a>をご確認ください。</p>',
        (("請求書_202611.pdf", invoice_pdf(), "application/pdf"),),
    )


PPAP_PASSWORD = "Ks8-2611-pQ"  # sent "in a separate mail", as PPAP senders do


def ppap_mail(rcpt: str) -> bytes:
    """The invoice as a password-protected (AES) ZIP, the password to follow by mail."""
    import io

    import pyzipper

    out = io.BytesIO()
    with pyzipper.AESZipFile(out, "w", compression=pyzipper.ZIP_DEFLATED,
                             encryption=pyzipper.WZ_AES) as archive:  # fmt: skip
        archive.setpassword(PPAP_PASSWORD.encode())
        archive.writestr("請求書_202611.pdf", invoice_pdf())
    return _japanese(
        "令和8年11月分 ご請求書の件（パスワード付きZIP）",
        "経理部 山本 <keiri@seisou-kanri.example.co.jp>", rcpt,
        "会計課 御中\n\n請求書をパスワード付きZIPにてお送りいたします。\n"
        "パスワードは別メールにてお知らせします。\n\n株式会社清掃管理サービス 経理部 山本\n",
        files=(("請求書_202611.zip", out.getvalue(), "application/zip"),),
    )


def japanese_mails(local: str) -> list[tuple[str, bytes]]:
    """(recipient, mail) of a morning at a town hall: an invoice, a newsletter, a macro
    workbook, an executable, a plain notice."""
    kaikei, soumu, jinji = f"kaikei@{local}", f"soumu@{local}", f"jinji@{local}"
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
           b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01"
           b"\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")  # fmt: skip
    return [
        (kaikei, invoice_mail(kaikei)),
        (soumu, _japanese(
            "【ご案内】令和8年度 自治体DX推進セミナー開催のお知らせ",
            "自治体DX研究会 <info@dx-kenkyukai.example.org>", soumu,
            "自治体DX推進セミナーのご案内です。",
            '<h1>自治体DX推進セミナー</h1><p>日時：令和8年12月10日（木）14:00〜</p>'
            '<p><a href="https://dx-kenkyukai.example.org/entry?id=123">お申し込みはこちら</a>'
            '</p><p><img src="cid:banner" alt="セミナーのバナー"></p>',
            (("banner.png", png, "image/png"),))),
        (kaikei, _japanese(
            "Re: 令和8年度 見積書の件", "営業部 佐藤 <sato@oa-system.example.co.jp>", kaikei,
            "お世話になっております。\n見積書を添付いたしますので、マクロを有効にしてご確認ください。\n",
            files=(("見積書_2026.xlsm", xlsm(),
                    "application/vnd.ms-excel.sheet.macroEnabled.12"),))),
        (jinji, _japanese(
            "至急：人事評価シートの更新について", "人事システム <noreply@jinji-cloud.example.net>",
            jinji, "至急、添付のツールを実行して人事評価シートを更新してください。\n",
            files=(("評価シート更新ツール.exe", b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00"
                    + b"\x00" * 400, "application/octet-stream"),))),
        (soumu, _japanese(
            "12月の庁内LAN停止について（再送）", "県 情報政策課 <johoseisaku@pref.example.lg.jp>",
            soumu, "各位\n\n12月5日（土）9時から17時まで、庁内LANを停止します。\n"
            "よろしくお願いします。\n")),
    ]
