"""Carrier emoji from feature phones become Unicode emoji (or 〓), never U+FFFD."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import SanitizeSettings
from gateway.pipeline import sanitize
from gateway.pipeline.carrier_emoji import carrier_of
from gateway.pipeline.charset import decode_bytes
from tests.shape import body_text, parse_output, shape_problems

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
HEAD = "From: {sender}\r\nTo: b@city.lg.jp\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"


@pytest.mark.parametrize(
    ("address", "carrier"),
    [
        ("taro@docomo.ne.jp", "docomo"),
        ('"x@docomo.ne.jp" <taro@ezweb.ne.jp>', "au"),  # the address, not the display name
        ("taro@au.com", "au"),
        ("taro@i.softbank.jp", "softbank"),
        ("taro@t.vodafone.ne.jp", "softbank"),
        ("taro@example.jp", None),
        ("taro@notdocomo.ne.jp", None),
        ("", None),
    ],
)
def test_carrier_of(address: str, carrier: str | None) -> None:
    assert carrier_of(address) == carrier


@pytest.mark.parametrize(
    ("data", "charset", "carrier", "text"),
    [
        (b"\xf8\xd7", "shift_jis", None, "🎤"),  # docomo: no sender needed
        (b"\xf6\xfb", "shift_jis", None, "1⃣"),  # au Shift_JIS (au code E522)
        (b"\x1b$Bv}\x1b(B", "iso-2022-jp", None, "1⃣"),  # au mail JIS, a row JIS leaves empty
        (b"\xf9\x7c", "shift_jis", "softbank", "🎤"),  # SoftBank: only with its sender
        (b"\xf7\xbc", "shift_jis", "softbank", "1⃣"),
        ("\ue03c".encode(), "utf-8", "softbank", "🎤"),  # SoftBank private-use UTF-8
        ("\ue676".encode(), "utf-8", "docomo", "🎤"),
        ("\ue503".encode(), "utf-8", "au", "🎤"),
        ("\ue676".encode(), "utf-8", None, "\ue676"),  # unknown sender: private use stays
    ],
)
def test_carrier_codes_become_unicode_emoji(
    data: bytes, charset: str, carrier: str | None, text: str
) -> None:
    assert decode_bytes(data, charset, carrier).text == text


def test_au_sender_reads_its_emoji_in_the_ibm_kanji_rows() -> None:
    # JIS 0x7B4C is an au emoji and, for CP50221, the NEC-selected IBM kanji 箞.
    data = b"\x1b$B{L\x1b(B"
    assert decode_bytes(data, "iso-2022-jp").text == "箞"
    assert decode_bytes(data, "iso-2022-jp", "au").text == "😩"


def test_unused_jis_rows_are_user_defined_characters_not_replacement() -> None:
    assert decode_bytes(b"\x1b$B~~\x1b(B", "iso-2022-jp").text == "\ue3ab"  # as CP50221


@pytest.mark.parametrize("name", ["docomo-emoji", "au-emoji", "softbank-emoji", "au-emoji2"])
def test_jpmobile_fixtures(name: str) -> None:
    path = CORPUS / "jpmobile" / f"spec__unit__email-fixtures__{name}.eml"
    if not path.is_file():
        pytest.skip(f"corpus not found at {CORPUS}")
    result = sanitize(path.read_bytes(), SanitizeSettings(), quarantine_id="QE")
    assert shape_problems(result.message) == []
    subject, body = parse_output(result.message)["Subject"], body_text(result.message)
    assert "\ufffd" not in subject + body
    assert not any("\ue000" <= c <= "\uf8ff" for c in subject + body)
    if name != "au-emoji2":
        assert subject == "題名🎤" and body.startswith("本文1⃣\n")


def test_sjis_softbank_mail_end_to_end() -> None:
    raw = HEAD.format(sender="taro@softbank.ne.jp", subject="=?shift_jis?B?keiWvPl8?=").encode()
    raw += b"Content-Type: text/plain; charset=shift_jis\r\n\r\n\x96{\x95\xb6\xf7\xbc\r\n"
    result = sanitize(raw, SanitizeSettings())
    assert parse_output(result.message)["Subject"] == "題名🎤"
    assert body_text(result.message).startswith("本文1⃣")
