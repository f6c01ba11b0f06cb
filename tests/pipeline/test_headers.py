"""Header values and filenames decoded as real mailers write them; the output allowlist."""

from __future__ import annotations

import base64
import email.policy
import itertools
from email.header import Header
from email.message import Message
from email.parser import BytesParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.pipeline.headerfmt import MAX_VALUE_CHARS
from gateway.pipeline.headers import (
    decode_header_value,
    output_headers,
    part_filename,
    safe_filename,
)
from gateway.pipeline.jiscodec import encode_iso2022jp

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
COMPAT32 = BytesParser(policy=email.policy.compat32)


def word(charset: str, data: bytes) -> str:
    return f"=?{charset}?B?{base64.b64encode(data).decode()}?="


def golden(name: str) -> Message:
    return COMPAT32.parsebytes((GOLDEN / name).read_bytes())


# --- decode_header_value --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("ja-outlook-cp50221.eml", "【至急】①②の件について ㈱髙﨑製作所 Ⅲ期 見積書"),
        ("ja-sjis-cp932-qp.eml", "①説明会のご案内～㈱山田商事"),
        ("ja-eucjp.eml", "転入届について①"),
        ("ja-utf8-alternative.eml", "【重要】システムメンテナンスのお知らせ"),
        ("ja-iso2022jp-halfwidth-kana.eml", "ｵｼﾗｾ"),
        ("ja-raw8bit-sjis-headers.eml", "【ご案内】説明会の開催について"),
    ],
)
def test_golden_subjects(name: str, subject: str) -> None:
    assert decode_header_value(golden(name)["Subject"]) == subject


def test_golden_senders_with_quoted_encoded_words_and_raw_bytes() -> None:
    outlook = golden("ja-outlook-cp50221.eml")
    assert decode_header_value(outlook["From"]) == '"佐藤 一郎" <sato@yamada-shoji.example.co.jp>'
    raw = golden("ja-raw8bit-sjis-headers.eml")
    assert isinstance(raw["From"], Header)  # compat32 wraps 8-bit fields
    assert decode_header_value(raw["From"]) == '"山田 太郎" <yamada@oldmailer.example.jp>'


def test_adjacent_words_are_joined_as_bytes_before_decoding() -> None:
    jis = "①髙﨑".encode("mutaika-cp50221")  # split inside the JIS run: no escape between
    split_jis = word("ISO-2022-JP", jis[:5]) + "\r\n " + word("iso-2022-jp", jis[5:])
    assert decode_header_value(split_jis) == "①髙﨑"
    utf8 = "日本語".encode()
    split_utf8 = word("UTF-8", utf8[:4]) + "\r\n\t" + word("utf-8", utf8[4:])
    assert decode_header_value(split_utf8 + " end") == "日本語 end"
    assert decode_header_value("a " + word("UTF-8", b"b") + " c") == "a b c"
    assert decode_header_value(word("UTF-8", b"x") + " " + word("ISO-8859-1", b"\xe9")) == "xé"


def test_sloppy_encoded_words_decode() -> None:
    assert decode_header_value("=?utf-8?q?a=E3=81=82_b?=") == "aあ b"
    assert decode_header_value("=?UTF-8?b?5pel5pys?=") == "日本"
    assert decode_header_value("=?UTF-8?B?5pel5pys6Kqe?=") == "日本語"
    assert decode_header_value("=?UTF-8?B?5pel5pys6Kq?=") == "日本\ufffd"  # padding missing
    assert decode_header_value("=?UTF-8*ja?B?5pel5pys?=") == "日本"  # RFC 2231 language
    cut = base64.b64encode("お知らせ".encode()).decode()  # base64 text cut mid-quantum
    assert decode_header_value(f"=?UTF-8?B?{cut[:5]}?= =?UTF-8?B?{cut[5:]}?=") == "お知らせ"
    assert decode_header_value(word("x-unknown", "件名".encode("cp932"))) == "件名"
    assert decode_header_value(None) == ""


def test_raw_8bit_bytes_prefer_the_body_charset_hint() -> None:
    raw = "件名です".encode("euc_jp").decode("ascii", "surrogateescape")
    assert decode_header_value(raw, "euc-jp") == "件名です"
    utf8 = "件名です".encode().decode("ascii", "surrogateescape")
    assert decode_header_value(utf8, "shift_jis") == "件名です"


def test_encoded_crlf_and_folded_values_stay_on_one_line() -> None:
    assert decode_header_value("a\r\nBcc: victim@example.com") == "a Bcc: victim@example.com"
    injected = word("UTF-8", b"hello\r\nBcc: victim@example.com\r\n\r\nbody")
    assert decode_header_value(injected) == "hello Bcc: victim@example.com body"
    assert decode_header_value("x\u202eexe.pdf\u200b") == "xexe.pdf"


def test_a_huge_subject_is_cut() -> None:
    value = " ".join(["word"] * 10_000)
    decoded = decode_header_value(value)
    assert len(decoded) <= MAX_VALUE_CHARS + 1 and decoded.endswith("…")
    many_words = " ".join([word("UTF-8", "件".encode())] * 10_000)
    assert len(decode_header_value(many_words)) <= MAX_VALUE_CHARS


# --- filenames ----------------------------------------------------------------------------------


def attachment(disposition: str, content_type: str = "application/octet-stream") -> Message:
    raw = f"Content-Type: {content_type}\r\nContent-Disposition: {disposition}\r\n\r\nx"
    return COMPAT32.parsebytes(raw.encode("utf-8", "surrogateescape"))


def test_golden_attachment_names() -> None:
    rfc2231 = [part_filename(p) for p in golden("ja-attachment-rfc2231.eml").walk()]
    assert [n for n in rfc2231 if n] == ["請求書.pdf"]
    outlook = [part_filename(p) for p in golden("ja-attachment-outlook-filename.eml").walk()]
    assert [n for n in outlook if n] == ["見積書①_髙﨑製作所.xlsx", "議事録（第３回）.docx"]
    raw = [part_filename(p) for p in golden("ja-raw8bit-sjis-headers.eml").walk()]
    assert [n for n in raw if n] == ["表示ソフト.zip"]  # 表 and ソ end in a 0x5C byte


@pytest.mark.parametrize(
    ("disposition", "content_type", "name"),
    [
        ("attachment; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf", "", "請求書.pdf"),
        ("attachment; filename*0*=UTF-8''%E8%AB%8B; filename*1*=%E6%B1%82.pdf", "", "請求.pdf"),
        ('attachment; filename*0="long "; filename*1="name.txt"', "", "long name.txt"),
        ('attachment; filename="=?UTF-8?B?5pel5pys?= =?UTF-8?B?6Kqe?=.txt"', "", "日本語.txt"),
        (
            "attachment",
            f'application/pdf; name="{word("Shift_JIS", "請求書".encode("cp932"))}.pdf"',
            "請求書.pdf",
        ),
        ("attachment", "application/pdf; name*=utf-8'ja'%E8%AB%8B.pdf", "請.pdf"),
        ('attachment; filename="../../etc/passwd"', "", "passwd"),
        ('attachment; filename="C:\\\\Users\\\\x\\\\evil.exe"', "", "evil.exe"),
        ('attachment; filename="report.pdf\u202etxt.exe"', "", "report.pdftxt.exe"),
        ('attachment; filename="a\r\n b.txt"', "", "a b.txt"),
        ('attachment; filename="invoice.pdf. . "', "", "invoice.pdf"),
        ('attachment; filename=".."', "", ""),
        ("inline", "", ""),
        ("attachment; filename*=x-bogus''%93%FA%96%7B.txt", "", "日本.txt"),
    ],
)
def test_filenames(disposition: str, content_type: str, name: str) -> None:
    part = attachment(disposition, content_type or "application/octet-stream")
    assert part_filename(part) == name


def test_long_filenames_keep_their_extension() -> None:
    name = safe_filename("あ" * 500 + ".docx")
    assert len(name) == 200 and name.endswith("….docx")
    assert safe_filename("x" * 300) == "x" * 199 + "…"
    part = attachment(f'attachment; filename="{"長" * 5000}.pdf"')
    assert part_filename(part).endswith(".pdf") and len(part_filename(part)) == 200


# --- output_headers -------------------------------------------------------------------------


def test_output_headers_allowlist_order_and_cleaning() -> None:
    raw = (
        b"Received: from evil\r\nX-Spam: yes\r\nSubject: first\r\nSubject: second\r\n"
        b"References: <root@x>" + b"".join(b" <r%d@x>" % i for i in range(100)) + b"\r\n"
        b"Cc: " + word("UTF-8", "山田, 太郎".encode()).encode() + b" <y@example.jp>\r\n"
        b"To: a@example.jp\r\nTo: b@example.jp\r\nMessage-ID: junk <id@x> <second@x>\r\n"
        b"In-Reply-To: <" + b"z" * 300 + b"@x>\r\nFrom: Sender <s@example.com>\r\n"
        b"Content-Type: text/html\r\n\r\nbody"
    )
    fields = output_headers(COMPAT32.parsebytes(raw))
    names = [name for name, _ in fields]
    assert names == ["From", "To", "Cc", "Subject", "Message-ID", "References"]
    values = dict(fields)
    assert values["To"] == "a@example.jp, b@example.jp"
    assert values["Cc"] == '"山田, 太郎" <y@example.jp>'  # the comma stays in the name
    assert values["Subject"] == "first"
    assert values["Message-ID"] == "<id@x>"
    references = values["References"].split(" ")
    assert len(references) == 50 and references[:2] == ["<root@x>", "<r51@x>"]


def test_output_headers_decode_raw_8bit_with_the_body_hint() -> None:
    raw = b"Subject: " + "件名です".encode("euc_jp") + b"\r\nFrom: x@example.jp\r\n\r\nbody"
    fields = output_headers(COMPAT32.parsebytes(raw), hint="euc-jp")
    assert fields == [("From", "x@example.jp"), ("Subject", "件名です")]


def test_golden_output_headers() -> None:
    fields = dict(output_headers(golden("ja-outlook-cp50221.eml")))
    assert fields == {
        "From": "佐藤 一郎 <sato@yamada-shoji.example.co.jp>",
        "To": "髙﨑 様 <takasaki@city.example.lg.jp>",
        "Subject": "【至急】①②の件について ㈱髙﨑製作所 Ⅲ期 見積書",
        "Date": "Mon, 16 Nov 2026 09:12:33 +0900",
        "Message-ID": "<000001d9a1b2$c3d4e5f6$a1b2c3d4@yamada-shoji.example.co.jp>",
    }


WORDISH = st.lists(
    st.sampled_from(["=?", "?=", "?B?", "?Q?", "utf-8", "iso-2022-jp", "GyRC", "=E3", "_", " "])
    | st.characters(codec="utf-8", exclude_categories=["Cs"]),
    max_size=30,
).map("".join)


@given(WORDISH, st.binary(max_size=40))
def test_any_value_decodes_to_one_line(text: str, raw: bytes) -> None:
    value = text + raw.decode("ascii", "surrogateescape")
    decoded = decode_header_value(value, "iso-2022-jp")
    assert "\r" not in decoded and "\n" not in decoded
    assert not any("\udc80" <= c <= "\udcff" for c in decoded)


@given(st.binary(max_size=120))
def test_any_disposition_bytes_give_a_safe_name(raw: bytes) -> None:
    head = b"Content-Disposition: attachment; filename=" + raw.replace(b"\n", b" ")
    name = part_filename(COMPAT32.parsebytes(head + b"\r\n\r\nx"))
    assert "/" not in name and "\\" not in name and len(name) <= 200


def test_encoded_word_with_colon_stays_a_display_name() -> None:
    msg = BytesParser(policy=email.policy.compat32).parsebytes(
        b"Reply-To: =?UTF-8?Q?a=0D=0AX-Injected:_1?= <r@example.com>\r\n\r\n"
    )
    fields = dict(output_headers(msg))
    assert fields["Reply-To"] == '"a X-Injected: 1" <r@example.com>'


def test_sender_cannot_forge_the_encoded_word_placeholder() -> None:
    msg = BytesParser(policy=email.policy.compat32).parsebytes(
        b"From: mutaikaew3x mutaikaew0x =?UTF-8?B?5pel5pys?= <a@example.jp>\r\n\r\n"
    )
    assert dict(output_headers(msg))["From"] == "mutaikaew3x mutaikaew0x 日本 <a@example.jp>"


# --- RFC 2231 continuations split inside a character ----------------------------------------


@pytest.mark.parametrize(
    ("disposition", "name"),
    [
        # percent-encoded UTF-8, the first piece ending one byte into 求
        ("attachment; filename*0*=UTF-8''%E8%AB%8B%E6; filename*1*=%B1%82.pdf", "請求.pdf"),
        # an encoded piece, then a plain piece holding the raw rest of the character
        ("attachment; filename*0*=UTF-8''%E8%AB; filename*1=\udc8b.pdf", "請.pdf"),
        # raw 8-bit Shift_JIS split between quoted pieces (ソ ends in 0x5C, a backslash)
        ('attachment; filename*0="\udc95\\"; filename*1="\udc8e\udca6.txt"', "表示.txt"),
        # pieces out of order
        ('attachment; filename*1="b.txt"; filename*0="a"', "ab.txt"),
    ],
)
def test_continuations_are_joined_as_bytes(disposition: str, name: str) -> None:
    assert part_filename(attachment(disposition)) == name


NAME_ALPHABET = st.sampled_from("abcXYZ019 -_請求書見積（）①髙ソ表示カナ😀")


def _encoded(name: str, charset: str) -> bytes:
    if charset == "iso-2022-jp":
        return encode_iso2022jp(name)
    return name.encode("cp932" if charset == "shift_jis" else charset)


@given(
    st.text(alphabet=NAME_ALPHABET, min_size=1, max_size=30),
    st.sampled_from(["utf-8", "shift_jis", "iso-2022-jp"]),
    st.lists(st.integers(0, 200), max_size=4),
)
def test_any_rfc2231_split_decodes_to_the_name(name: str, charset: str, cuts: list[int]) -> None:
    """Whatever bytes the pieces are cut at, the name comes back whole."""
    if charset != "utf-8" and "😀" in name:
        name = name.replace("😀", "")
    data = _encoded(name + ".pdf", charset)
    percent = "".join(f"%{b:02X}" for b in data)
    edges = sorted({min(c, len(data)) * 3 for c in cuts} | {0, len(percent)})
    pieces = [percent[a:b] for a, b in itertools.pairwise(edges) if a < b]
    params = [f"filename*{i}*={p}" for i, p in enumerate(pieces)]
    params[0] = params[0].replace("*=", f"*={charset}''", 1)
    part = attachment("attachment; " + "; ".join(params))
    assert part_filename(part) == safe_filename(name + ".pdf")


@pytest.mark.parametrize("disposition", [
    'attachment; filename="invoice.pdf          .exe"',
    "attachment; filename*=utf-8''invoice.pdf%20%20%20%20%20%20%20%20%20%20.exe",
    "attachment; filename*0*=utf-8''invoice.pdf%20%20%20%20%20; filename*1*=%20%20%20%20%20.exe",
])  # fmt: skip
def test_blank_padding_is_seen_however_the_name_is_written(disposition: str) -> None:
    """Runs of blanks before a second extension are padding, in a quoted name as in an RFC 2231
    one (decoding must not fold them before safe_filename looks)."""
    assert part_filename(attachment(disposition)) == "invoice.pdf … .exe"
