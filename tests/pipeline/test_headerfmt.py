"""Header fields written back: round trips through the stdlib parser, folding, injection."""

from __future__ import annotations

import base64
import email.policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.pipeline.headerfmt import MAX_VALUE_CHARS, encoded_words, format_header
from gateway.pipeline.headers import decode_header_value

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"


def reparse(field: bytes) -> EmailMessage:
    message = BytesParser(policy=email.policy.default).parsebytes(field + b"\r\nbody\r\n")
    assert isinstance(message, EmailMessage)
    return message


def lines(field: bytes) -> list[bytes]:
    assert field.endswith(b"\r\n")
    return field[:-2].split(b"\r\n")


def golden_subject(name: str) -> str:
    raw = (GOLDEN / name).read_bytes()
    message = BytesParser(policy=email.policy.compat32).parsebytes(raw)
    return decode_header_value(message["Subject"])


SUBJECTS = [
    "【重要】会議のお知らせ（第３回）について",
    "Re: 見積書の件 ― 至急ご確認ください 東京都 千代田区 " * 4,
    "ASCII words and 日本語 mixed, with =?fake?= text",
]


@pytest.mark.parametrize("charset", ["utf-8", "iso-2022-jp"])
@pytest.mark.parametrize("subject", SUBJECTS)
def test_subject_round_trip_through_the_stdlib_parser(subject: str, charset: str) -> None:
    field = format_header("Subject", subject, charset)
    assert all(len(line) <= 78 for line in lines(field))
    assert reparse(field)["Subject"] == " ".join(subject.split())


@pytest.mark.parametrize("charset", ["utf-8", "iso-2022-jp"])
def test_golden_subject_round_trip(charset: str) -> None:
    subject = golden_subject("ja-outlook-cp50221.eml")
    field = format_header("Subject", subject, charset)
    assert decode_header_value(field[len("Subject: ") :].decode("ascii")) == subject
    # NEC specials are outside strict JIS X 0208: only the UTF-8 output reads the same everywhere
    if charset == "utf-8":
        assert reparse(field)["Subject"] == subject


def test_iso2022jp_words_start_and_end_in_ascii_mode() -> None:
    for ew in encoded_words("①②㈱Ⅲ髙﨑 abc 日本語" * 10, "iso-2022-jp"):
        assert len(ew) <= 75
        data = base64.b64decode(ew[len("=?ISO-2022-JP?B?") : -2])
        assert data.rfind(b"\x1b$B") < data.rfind(b"\x1b(B") or b"\x1b" not in data
        assert data.decode("mutaika-cp50221")


@pytest.mark.parametrize("charset", ["utf-8", "iso-2022-jp"])
def test_addresses_encode_only_display_names(charset: str) -> None:
    value = '"山田, 太郎" <taro@example.jp>, b@example.jp, "John Q. Public" <j@example.com>'
    field = format_header("To", value, charset)
    assert b"taro@example.jp" in field and field.isascii()
    addresses = reparse(field)["To"].addresses
    assert [(a.display_name, a.addr_spec) for a in addresses] == [
        ("山田, 太郎", "taro@example.jp"),
        ("", "b@example.jp"),
        ("John Q. Public", "j@example.com"),
    ]


def test_non_ascii_addresses() -> None:
    idn = reparse(format_header("From", "担当 <info@例え.jp>", "utf-8"))["From"].addresses[0]
    assert (idn.display_name, idn.addr_spec) == ("担当", "info@xn--r8jz45g.jp")
    eai = reparse(format_header("From", "担当 <山田@例え.jp>", "utf-8"))["From"].addresses[0]
    assert (eai.display_name, eai.addr_spec) == ("担当 (山田@例え.jp)", "invalid@invalid.invalid")


def test_header_injection_cannot_make_a_second_field() -> None:
    for value in ("a\r\nBcc: victim@example.com", "a\nBcc: x", "=?UTF-8?B?YQ0KQmNjOiB4?="):
        field = format_header("Subject", decode_header_value(value), "utf-8")
        message = reparse(field)
        assert message["Bcc"] is None and len(message.keys()) == 1


def test_long_tokens_and_huge_values_stay_within_998_octets() -> None:
    token = "x" * 2000
    field = format_header("Subject", f"see {token} end", "utf-8")
    assert max(len(line) for line in lines(field)) <= 998
    assert reparse(field)["Subject"] == f"see {token} end"
    huge = decode_header_value(" ".join(["単語"] * 10_000))
    field = format_header("Subject", huge, "iso-2022-jp")
    assert max(len(line) for line in lines(field)) <= 78
    assert len(field) < 8 * MAX_VALUE_CHARS  # linear in the capped value
    assert len(format_header("Subject", "x " * 10**6, "utf-8")) < 3 * MAX_VALUE_CHARS


def test_bad_field_names_are_cleaned() -> None:
    assert format_header("X-Bad: Name\r\n", "v", "utf-8") == b"X-BadName: v\r\n"
    assert format_header("Subject", "", "utf-8") == b"Subject:\r\n"


@given(
    st.text(max_size=300),
    st.sampled_from(["Subject", "From", "To", "Date", "References"]),
    st.sampled_from(["utf-8", "iso-2022-jp"]),
)
def test_any_value_makes_exactly_one_short_field(value: str, name: str, charset: str) -> None:
    field = format_header(name, value, charset)
    assert field.isascii()
    assert all(0 < len(line) <= 998 for line in lines(field))
    assert all(line[:1] in b" \t" for line in lines(field)[1:])
    assert list(reparse(field).keys()) == [name]


def test_structured_ascii_fields_are_only_folded() -> None:
    content_type = format_header("Content-Type", "text/plain; charset=ISO-2022-JP", "iso-2022-jp")
    assert content_type == b"Content-Type: text/plain; charset=ISO-2022-JP\r\n"
    ids = " ".join(f"<{i:03d}.{'x' * 40}@example.jp>" for i in range(50))
    field = format_header("References", ids, "utf-8")
    assert b"=?" not in field and all(len(line) <= 78 for line in lines(field))
    assert reparse(field)["References"] == ids


@pytest.mark.parametrize(
    "value",
    ["A" * 2000 + " <a@example.jp>", "x@" + "d" * 2400 + ".jp", '"' + "q" * 1500 + '" <a@b.jp>'],
)
def test_address_fields_never_pass_998_octets(value: str) -> None:
    out = format_header("From", value, "utf-8")
    assert max(len(line) for line in out.split(b"\r\n")) <= 78
