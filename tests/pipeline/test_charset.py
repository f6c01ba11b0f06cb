"""Japanese charsets as Windows and real mailers write them, and the two output encodings."""

from __future__ import annotations

import codecs
import email.policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.pipeline.charset import DecodedText, codec_for, decode_bytes, encode_body
from gateway.pipeline.jiscodec import CP50221, CP51932, decode_iso2022jp

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
NEC_IBM = "①②㈱Ⅲ髙﨑"
# ①②㈱Ⅲ髙﨑 as Outlook writes them in ISO-2022-JP (NEC row 13, NEC-selected IBM rows 89-92)
NEC_IBM_JIS = b'\x1b$B-!-"-j-7|byu\x1b(B'


def golden_text_parts(name: str) -> list[DecodedText]:
    message = BytesParser(policy=email.policy.compat32).parsebytes((GOLDEN / name).read_bytes())
    parts: list[DecodedText] = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            parts.append(decode_bytes(payload, part.get_content_charset()))
    return parts


# --- labels ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("Shift_JIS", "cp932"),
        ("x-sjis", "cp932"),
        ("MS_Kanji", "cp932"),
        ("windows-31j", "cp932"),
        ('"shift_jis"', "cp932"),
        ("ISO-2022-JP", CP50221),
        ("csISO2022JP", CP50221),
        ("iso-2022-jp-2", CP50221),
        ("EUC-JP", CP51932),
        ("x-euc-jp", CP51932),
        ("iso-8859-1", "cp1252"),
        ("latin1", "cp1252"),
        ("ks_c_5601-1987", "cp949"),
        ("gb2312", "gb18030"),
        ("GBK", "gb18030"),
        ("utf-7", "utf_7"),
        ("UTF-8", "utf-8"),
        ("us-ascii", "ascii"),
        ("koi8-r", "koi8-r"),
        ("unknown-8bit", None),
        ("x-unknown", None),
        ("default", None),
        ("rot13", None),
        ("base64", None),
        ("unicode_escape", None),
        ("a" * 200, None),
        ("", None),
        (None, None),
    ],
)
def test_labels_map_to_the_codec_windows_really_uses(label: str | None, codec: str | None) -> None:
    assert codec_for(label) == codec


# --- CP50221 --------------------------------------------------------------------------------


def test_iso2022jp_nec_and_ibm_characters_decode_where_the_stdlib_codec_fails() -> None:
    with pytest.raises(UnicodeDecodeError):
        NEC_IBM_JIS.decode("iso2022_jp")
    assert NEC_IBM_JIS.decode("mutaika-cp50221") == NEC_IBM
    decoded = decode_bytes(NEC_IBM_JIS, "iso-2022-jp")
    assert decoded == DecodedText(NEC_IBM, CP50221, True, ())


def test_iso2022jp_damage_is_marked_and_decoding_goes_on() -> None:
    text, bad, warnings = decode_iso2022jp(b"\x1b$B%F%9\r\n%H")  # line break inside, no ESC ( B
    assert (text, bad) == ("テス\r\nト", 0)
    assert "ISO-2022-JP text does not end in ASCII mode" in warnings
    text, bad, _ = decode_iso2022jp(b"\x1b$B%F%\x1b(B ok \xff \x1b$Q")  # odd byte, 8-bit, bad ESC
    assert text.startswith("テ\ufffd ok \ufffd \ufffd")
    assert bad == 3
    decoded = decode_bytes(b"\x1b$B%F%9%H\x1b(B \xff", "iso-2022-jp")
    assert not decoded.exact
    assert "テスト" in decoded.text


@given(st.binary(max_size=300), st.sampled_from(["iso-2022-jp", "euc-jp", None]))
def test_decoding_any_bytes_never_raises(data: bytes, label: str | None) -> None:
    decoded = decode_bytes(data, label)
    assert isinstance(decoded.text, str)
    assert decoded.charset


def test_a_large_damaged_iso2022jp_body_decodes_in_one_pass() -> None:
    line = "①テスト㈱".encode(CP50221)[:-3] + b" \xff\r\n"  # never back to ASCII, 8-bit junk
    decoded = decode_bytes(line * 20_000, "iso-2022-jp")
    assert decoded.text.count("テスト") == 20_000


# --- other Japanese encodings and detection ---------------------------------------------------


def test_shift_jis_label_decodes_cp932_specials() -> None:
    data = "～①㈱Ⅲ髙﨑".encode("cp932")
    with pytest.raises(UnicodeDecodeError):
        data.decode("shift_jis")
    assert decode_bytes(data, "Shift_JIS") == DecodedText("～①㈱Ⅲ髙﨑", "cp932", True, ())


def test_euc_jp_label_decodes_cp51932_nec_rows() -> None:
    data = b"\xad\xa1\xa4\xa2\xfc\xe2"  # ① あ 髙 (an NEC-selected IBM extension, row 92)
    with pytest.raises(UnicodeDecodeError):
        data.decode("euc_jp")
    assert decode_bytes(data, "EUC-JP") == DecodedText("①あ髙", CP51932, True, ())
    assert decode_bytes(b"\x8e\xb1\x8f\xb0\xa1", "euc-jp").text == "ｱ丂"  # SS2 kana, SS3 0212


@pytest.mark.parametrize(
    ("data", "codec"),
    [
        ("日本語のテキストです。".encode("cp932"), "cp932"),
        ("日本語のテキストです。".encode("euc_jp"), CP51932),
        ("日本語のテキストです。".encode(), "utf-8"),
        ("日本語のテキストです。".encode("iso2022_jp"), CP50221),
        ("山田太郎".encode("cp932"), "cp932"),  # short, kanji only: a raw header name
    ],
)
def test_unlabelled_japanese_is_detected(data: bytes, codec: str) -> None:
    decoded = decode_bytes(data, None)
    assert (decoded.text, decoded.charset, decoded.exact) == (data.decode(codec), codec, False)
    assert decoded.warnings == (f"charset detected as {codec}",)


def test_wrong_or_useless_labels_fall_back_to_detection() -> None:
    utf8 = "お問い合わせ".encode()
    assert decode_bytes(utf8, "iso-8859-1").text == "お問い合わせ"
    assert decode_bytes(utf8, "us-ascii").text == "お問い合わせ"
    assert decode_bytes(utf8, "unknown-8bit").charset == "utf-8"
    assert decode_bytes("お問い合わせ".encode("cp932"), "iso-2022-jp").text == "お問い合わせ"
    latin = "Votre demande a été reçue, merci beaucoup.".encode("cp1252")
    assert decode_bytes(latin, "iso-8859-1") == DecodedText(
        latin.decode("cp1252"), "cp1252", True, ()
    )
    assert decode_bytes(b"caf\xe9", "x-bogus").warnings[0] == "unknown charset label 'x-bogus'"


def test_other_legacy_labels() -> None:
    assert decode_bytes("안녕하세요".encode("cp949"), "ks_c_5601-1987").text == "안녕하세요"
    assert decode_bytes("简体中文".encode("gbk"), "gb2312").text == "简体中文"
    assert decode_bytes(b"+ZeVnLIqe-", "utf-7").text == "日本語"
    assert decode_bytes(b"plain", "us-ascii") == DecodedText("plain", "ascii", True, ())


# --- output ---------------------------------------------------------------------------------


def test_cp50220_output_bytes() -> None:
    assert encode_body(NEC_IBM, "iso-2022-jp") == NEC_IBM_JIS
    assert encode_body("ｶﾞｸｾｲ", "iso-2022-jp") == "ガクセイ".encode("iso2022_jp")
    assert encode_body("〜—¥", "iso-2022-jp") == "～―￥".encode(CP50221)  # Mac/UTF-8 twins
    assert encode_body("a😀b", "iso-2022-jp") == b'a\x1b$B".\x1b(Bb'  # 〓 for no JIS mapping
    assert encode_body("\x1b$Bx", "iso-2022-jp") == b"$Bx"  # text can never switch the state
    assert encode_body("日本\udcff", "utf-8") == "日本?".encode()


def test_jis_x0208_output_is_read_the_same_by_the_stdlib_codec() -> None:
    text = "会議のお知らせ（第３回）です。\r\nよろしくお願いします。"
    assert encode_body(text, "iso-2022-jp").decode("iso2022_jp") == text


# --- the Japanese sample mails ----------------------------------------------------------------


def test_golden_outlook_cp50221_body() -> None:
    (body,) = golden_text_parts("ja-outlook-cp50221.eml")
    assert body.exact and body.charset == CP50221
    assert "髙﨑様\r\n" in body.text
    assert "㈱山田商事の佐藤です。\r\n①見積書\r\n②請求書\r\nⅢ期分をお送りします。" in body.text
    assert "～よろしくお願いいたします～" in body.text


def test_golden_shift_jis_8bit_and_quoted_printable_parts() -> None:
    eight_bit, quoted = golden_text_parts("ja-sjis-cp932-qp.eml")
    assert eight_bit.charset == quoted.charset == "cp932"
    assert "～ 説明会のお知らせ ～\r\n①日時：12月1日\r\n②場所：㈱山田商事 本社" in eight_bit.text
    assert "添付資料の①～③をご確認ください。㈱山田商事" in quoted.text


def test_golden_euc_jp_body() -> None:
    (body,) = golden_text_parts("ja-eucjp.eml")
    assert (body.charset, body.exact) == (CP51932, True)
    assert "①転入届の件で連絡いたしました。\r\n担当：髙橋" in body.text


def test_golden_utf8_alternative_parts() -> None:
    plain, html = golden_text_parts("ja-utf8-alternative.eml")
    assert "12月5日（土）にシステムメンテナンスを行います。" in plain.text
    assert "<b>システムメンテナンス</b>" in html.text


def test_golden_unlabelled_and_mislabelled_bodies() -> None:
    (sjis,) = golden_text_parts("ja-nolabel-sjis.eml")
    assert sjis.charset == "cp932" and not sjis.exact
    assert "総会資料を送付いたします。" in sjis.text
    (utf8,) = golden_text_parts("ja-mislabelled-latin1-utf8.eml")
    assert utf8.charset == "utf-8"
    assert "お問い合わせありがとうございます。\r\n回答は以下のとおりです。" in utf8.text


def test_golden_half_width_kana_and_unterminated_line() -> None:
    (body,) = golden_text_parts("ja-iso2022jp-halfwidth-kana.eml")
    assert body.text == "お知らせ\r\nｶﾀｶﾅ ﾃｽﾄ\r\n終わり\r\n"
    assert "ISO-2022-JP text does not end in ASCII mode" in body.warnings


def test_golden_raw_8bit_body_and_iso2022jp_attachment_text() -> None:
    (raw8,) = golden_text_parts("ja-raw8bit-sjis-headers.eml")
    assert "説明会の開催についてご案内いたします。" in raw8.text
    (text,) = golden_text_parts("ja-attachment-rfc2231.eml")
    assert text.text == "請求書を添付いたします。\r\n"


@pytest.mark.parametrize("text", ["Männer und Frauen", "Tervetuloa ruåsalainen öäöä"])
def test_latin1_is_not_mistaken_for_kanji(text: str) -> None:
    data = text.encode("cp1252")
    assert data.decode("cp932")  # the trap: these bytes are also valid cp932
    for label in (None, "utf-8", "us-ascii"):
        decoded = decode_bytes(data, label)
        assert decoded.charset not in ("cp932", CP51932)
        assert decoded.text.startswith(text.split()[0][:2]) and "ä" in decoded.text
    assert decode_bytes("Männer und Frauen".encode("cp1252"), None).text == "Männer und Frauen"


# --- UTF-16 and UTF-32 (.NET, PowerShell) ---------------------------------------------------

WIDE_TEXT = "請求書をお送りします。\r\nInvoice № 42 – Müller ①\r\n"
ASCII_TEXT = "Hello, world. Plain ASCII text from PowerShell\r\n"


@pytest.mark.parametrize(
    ("label", "data", "codec"),
    [
        ("utf-16", codecs.BOM_UTF16_LE + WIDE_TEXT.encode("utf-16-le"), "utf-16-le"),
        ("utf-16", codecs.BOM_UTF16_BE + WIDE_TEXT.encode("utf-16-be"), "utf-16-be"),
        ("utf-16", WIDE_TEXT.encode("utf-16-le"), "utf-16-le"),  # .NET: no BOM, little-endian
        ("UTF-16", WIDE_TEXT.encode("utf-16-be"), "utf-16-be"),  # RFC 2781's reading
        ("utf-16le", WIDE_TEXT.encode("utf-16-le"), "utf-16-le"),
        ("unicode", WIDE_TEXT.encode("utf-16-le"), "utf-16-le"),  # Windows' own name for it
        ("utf-32", WIDE_TEXT.encode("utf-32"), "utf-32-le"),
        ("utf-32be", WIDE_TEXT.encode("utf-32-be"), "utf-32-be"),
        (None, codecs.BOM_UTF16_LE + WIDE_TEXT.encode("utf-16-le"), "utf-16-le"),
        ("us-ascii", codecs.BOM_UTF16_LE + WIDE_TEXT.encode("utf-16-le"), "utf-16-le"),
        (None, ASCII_TEXT.encode("utf-16-le"), "utf-16-le"),
        (None, ASCII_TEXT.encode("utf-16-be"), "utf-16-be"),
    ],
)
def test_wide_unicode_decodes_by_bom_label_or_zero_pattern(
    label: str | None, data: bytes, codec: str
) -> None:
    decoded = decode_bytes(data, label)
    assert decoded.charset == codec
    assert decoded.text in (WIDE_TEXT, ASCII_TEXT)


def test_wide_unicode_cut_inside_a_character_is_not_exact() -> None:
    decoded = decode_bytes(WIDE_TEXT.encode("utf-16-le")[:-1], "utf-16")
    assert decoded.text == WIDE_TEXT[:-1] and not decoded.exact


@given(st.text(alphabet=st.sampled_from("あいう漢字カナ①髙abcXYZ 0123\n.,-ÄéΩ"), max_size=200))
def test_wide_unicode_round_trip(text: str) -> None:
    line = text + "\r\n"  # unmarked UTF-16: a body has line breaks to tell the order by
    assert decode_bytes(line.encode("utf-16-le"), "utf-16").text == line
    for label, data in (
        ("utf-16", text.encode("utf-16")),
        ("utf-16be", text.encode("utf-16-be")),
        ("utf-32", text.encode("utf-32")),
        ("utf-32le", text.encode("utf-32-le")),
    ):
        assert decode_bytes(data, label).text == text, (label, data)


# --- the ISO-2022-JP family -----------------------------------------------------------------

# Where CP50221 (Windows) and the stdlib's JIS tables name a JIS X 0208 character differently.
_CP932_TWINS = str.maketrans("\u301c\u2016\u2212\u00a2\u00a3\u00ac\u2014", "～∥－￠￡￢―")

ISO2022JP2_ALPHABET = (
    "あア漢字。abc \n"  # JIS X 0208 and ASCII
    "ÀéßñÿΩαβγΆ"  # Latin-1 and Greek: G2 designations and single shifts
    "가나다한국어"  # KS C 5601
    "中文简体们这"  # GB 2312
    "丂丄丅丌"  # JIS X 0212
    "～―∥"  # where the tables differ
)


@given(st.text(alphabet=st.sampled_from(ISO2022JP2_ALPHABET), max_size=80))
def test_iso2022jp2_decodes_as_the_stdlib_does(text: str) -> None:
    data = text.encode("iso2022_jp_2")
    decoded = decode_bytes(data, "ISO-2022-JP-2")
    assert decoded.exact, decoded.warnings
    assert decoded.text.translate(_CP932_TWINS) == data.decode("iso2022_jp_2").translate(
        _CP932_TWINS
    )


@given(st.text(alphabet=st.sampled_from("あ漢字abc 俱剝𠮟𠀋𡈽𪚲丂①髙\n"), max_size=60))
def test_iso2022jp_2004_and_3_decode_as_the_stdlib_does(text: str) -> None:
    for codec in ("iso2022_jp_2004", "iso2022_jp_3"):
        try:
            data = text.encode(codec)
        except UnicodeEncodeError:  # -3 lacks the 2004 additions (俱 剝 𠮟)
            continue
        decoded = decode_bytes(data, codec.replace("_", "-").replace("2022", "-2022"))
        assert decoded.exact, (codec, data)
        assert decoded.text == data.decode(codec), (codec, data)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"\x1b$A=g\x1b(B", "界"),  # GB 2312, 3-byte designation
        (b"\x1b$(A=g\x1b(B", "界"),  # GB 2312, 4-byte form
        (b"\x1b$(C\x30\x21\x1b(B", "가"),  # KS C 5601
        (b"\x1b$(D\x30\x21\x1b(B", "丂"),  # JIS X 0212
        (b"\x1b$(B\x30\x21\x1b(B", "亜"),  # JIS X 0208, 4-byte form
        (b"\x1b.A\x1bNi\x1bN_", "éß"),  # Latin-1 G2, single shift
        (b"\x1b.F\x1bNa\x1bNi", "αι"),  # Greek G2, single shift
        (b"\x1b$(O\x2e\x21\x1b(B", "\u4ff1"),  # JIS X 0213 plane 1 (-3)
        (b"\x1b$(Q\x4f\x54\x1b(B", "\U00020b9f"),  # plane 1, 1-47-52: 𠮟
        (b"\x1b$(P\x21\x21\x1b(B", "\U00020089"),  # plane 2
    ],
)
def test_every_designation_decodes(data: bytes, text: str) -> None:
    decoded = decode_bytes(data, "iso-2022-jp")
    assert decoded.text == text and decoded.exact, decoded


def test_single_shift_without_designation_is_read_as_latin1_with_a_warning() -> None:
    decoded = decode_bytes(b"caf\x1bNi", "iso-2022-jp-2")
    assert decoded.text == "café" and decoded.warnings


def test_unlabelled_iso2022jp2_is_detected() -> None:
    assert decode_bytes("Ωméga 한국".encode("iso2022_jp_2"), None).text == "Ωméga 한국"
