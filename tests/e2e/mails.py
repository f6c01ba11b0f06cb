"""Test mails, built with the email package so each carries a findable token."""

from __future__ import annotations

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
