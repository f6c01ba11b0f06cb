"""The CP50220/CP50221 and CP51932 codecs: NEC/IBM characters, escapes, damage, both paths."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.pipeline.jiscodec import (
    CP50221,
    CP51932,
    decode_cp51932,
    decode_iso2022jp,
    encode_iso2022jp,
    jis_normalize,
)

# Characters CP50220 can carry, and some it rewrites (half-width kana, JIS twins), as an alphabet.
JAPANESE = st.sampled_from(
    "あいうえおアイウエオ漢字日本語東京髙﨑①②⑳㈱㈲Ⅰ Ⅲ～－∥￠￡￢―。、「」ｶﾞｷﾟｱabc 123\n"
)


def test_iso2022jp_kana_roman_and_jisx0212_escapes() -> None:
    kana = b"\x1b(I6@6E\x1b(B"  # ESC ( I: half-width katakana ｶﾀｶﾅ
    shifted = b"\x0e6@\x0f!"  # SO/SI: the same set without an escape
    roman = b"\x1b(Jabc\x1b(B"  # JIS X 0201 Roman: read as ASCII, as Windows does
    jisx0212 = b"\x1b$(D0!\x1b(B"  # ISO-2022-JP-1: 丂
    text, bad, warnings = decode_iso2022jp(kana + shifted + roman + jisx0212)
    assert (text, bad, warnings) == ("ｶﾀｶﾅｶﾀ!abc丂", 0, [])


def test_registered_codecs_follow_the_errors_argument() -> None:
    assert codecs.lookup("mutaika-cp50221").name == CP50221
    assert codecs.lookup("MUTAIKA_CP51932").name == CP51932
    with pytest.raises(UnicodeDecodeError):
        b"\x1b$B%\x1b(B".decode("mutaika-cp50221")
    assert b"a\x1b$B%\x1b(Bb".decode("mutaika-cp50221", "ignore") == "ab"
    with pytest.raises(UnicodeEncodeError):
        "😀".encode("mutaika-cp50221")
    assert "😀".encode("mutaika-cp50221", "replace") == b'\x1b$B".\x1b(B'


@settings(max_examples=200)
@given(st.text(JAPANESE, max_size=80))
def test_cp50220_output_decodes_back_on_both_decoder_paths(text: str) -> None:
    data = encode_iso2022jp(text)
    assert data.isascii()
    expected = jis_normalize(text)
    assert decode_iso2022jp(data) == (expected, 0, [])
    # SO/SI send the same bytes through the careful per-run path
    assert decode_iso2022jp(data + b"\x0e\x0f")[0] == expected
    assert decode_cp51932(data.decode(CP50221).encode(CP51932)) == (expected, 0)


def test_every_iso2022jp_line_ends_in_ascii_mode() -> None:
    body = encode_iso2022jp("一行目①\r\n二行目 ｶﾅ\n三\r\n\r\nlast 行")
    for line in body.split(b"\n"):
        escapes = [line.rfind(b"\x1b$B"), line.rfind(b"\x1b(B")]
        assert escapes[0] < escapes[1] or escapes == [-1, -1]
    assert body.decode(CP50221) == "一行目①\r\n二行目 カナ\n三\r\n\r\nlast 行"


def test_cp51932_nec_rows_and_the_stdlib_gap() -> None:
    data = "①㈱髙﨑".encode(CP51932)
    assert data == b"\xad\xa1\xad\xea\xfc\xe2\xf9\xf5"
    with pytest.raises(UnicodeDecodeError):
        data.decode("euc_jp")
    assert decode_cp51932(data) == ("①㈱髙﨑", 0)
    assert decode_cp51932(b"ok \xad\xa1 \xa1") == ("ok ① \ufffd", 1)  # a lone lead byte
