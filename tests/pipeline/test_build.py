"""The one text/plain mail: headers, trace headers, charset and transfer encoding."""

from __future__ import annotations

from gateway.config import SanitizeSettings
from gateway.pipeline import sanitize
from gateway.pipeline.build import choose_transfer_encoding, encode_transfer
from gateway.types import Envelope
from tests.shape import body_text, parse_output, shape_problems


def test_transfer_encoding_choice() -> None:
    assert choose_transfer_encoding(b"hello\nworld\n") == "7bit"
    assert choose_transfer_encoding(b"x" * 1200) == "quoted-printable"
    assert choose_transfer_encoding("日本語の本文です。".encode() * 10) == "base64"
    assert choose_transfer_encoding(b"mostly ascii " * 40 + "é".encode()) == "quoted-printable"


def test_encoded_lines_are_short_and_crlf() -> None:
    body = ("長い行" * 1000 + "\n短い\n").encode()
    for encoding in ("base64", "quoted-printable"):
        encoded = encode_transfer(body, encoding)
        lines = encoded.split(b"\r\n")
        assert max(len(line) for line in lines) <= 76
        assert b"\n" not in encoded.replace(b"\r\n", b"")


def test_long_ascii_line_survives_intact() -> None:
    raw = b"From: a@example.jp\r\nSubject: s\r\n\r\n" + b"w" * 3000 + b"\r\n"
    result = sanitize(raw, SanitizeSettings())
    assert shape_problems(result.message) == []
    assert "w" * 3000 in body_text(result.message)


def test_headers_outside_the_allowlist_are_dropped() -> None:
    raw = (
        b"From: a@example.jp\r\nTo: b@city.lg.jp\r\nSubject: s\r\nX-Mailer: evil\r\n"
        b"Disposition-Notification-To: a@example.jp\r\nReceived: from x\r\n"
        b"Content-Type: text/plain\r\n\r\nbody\r\n"
    )
    message = parse_output(sanitize(raw, SanitizeSettings()).message)
    assert message["X-Mailer"] is None and message["Received"] is None
    assert message["Disposition-Notification-To"] is None
    assert message["Subject"] == "s" and message["X-Mutaika-Verdict"] == "clean"


def test_missing_from_and_date_are_supplied() -> None:
    raw = b"Subject: s\r\n\r\nbody\r\n"
    envelope = Envelope(mail_from="sender@example.jp", rcpt_tos=["b@city.lg.jp"])
    message = parse_output(sanitize(raw, SanitizeSettings(), envelope=envelope).message)
    assert message["From"] == "sender@example.jp"
    assert message["Date"] is not None


def test_iso_2022_jp_output_keeps_nec_specials() -> None:
    raw = (
        b"From: a@example.jp\r\nSubject: =?UTF-8?B?4pGg44ix?=\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + "①㈱Ⅲ髙 です".encode() + b"\r\n"
    )
    settings = SanitizeSettings(output_charset="iso-2022-jp")
    result = sanitize(raw, settings)
    assert shape_problems(result.message) == []
    message = parse_output(result.message)
    assert message.get_content_charset() == "iso-2022-jp"
    assert message["Content-Transfer-Encoding"] == "7bit"
    assert result.message.split(b"\r\n\r\n", 1)[1].isascii()
    assert "①㈱Ⅲ髙 です" in body_text(result.message)


def test_trace_headers() -> None:
    raw = (
        b"From: a@example.jp\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/pdf\r\n\r\n"
        b"%PDF-1.4\r\n--b--\r\n"
    )
    message = parse_output(sanitize(raw, SanitizeSettings(), quarantine_id="Q42").message)
    assert message["X-Mutaika-Verdict"] == "sanitized"
    assert message["X-Mutaika-Quarantine-ID"] == "Q42"
    assert message["X-Mutaika-Removed"] == "1"
    assert message["X-Mutaika-Original-Content-Type"].startswith("multipart/mixed")
