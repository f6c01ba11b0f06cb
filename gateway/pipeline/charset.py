"""Japanese-correct decoding of mail bytes (label first, detection when it fails) and output.

Labels are mapped to what senders really use (Shift_JIS → cp932, ISO-2022-JP → CP50221,
EUC-JP → CP51932, ISO-8859-1 → cp1252); detection prefers Japanese before charset-normalizer.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Literal

import charset_normalizer

from gateway.pipeline.carrier_emoji import carrier_emoji
from gateway.pipeline.jiscodec import (
    CP50221,
    CP51932,
    decode_cp51932,
    decode_iso2022jp,
    encode_iso2022jp,
)

SAMPLE_BYTES = 64 * 1024  # bound on what detection reads; the decode itself stays linear
_NORMALIZER_SAMPLE = 16 * 1024  # charset-normalizer costs ~1 ms per KB on mixed input


@dataclass(frozen=True, slots=True)
class DecodedText:
    text: str
    charset: str  # the codec really used
    exact: bool  # False when the charset was guessed or replacement characters were needed
    warnings: tuple[str, ...]


# --- labels and detection ---------------------------------------------------------------------

_ALIASES = {
    **dict.fromkeys(["shift-jis", "sjis", "x-sjis", "ms-kanji", "windows-31j", "cp932", "ms932",
                     "x-ms-cp932", "csshiftjis", "csWindows31J", "sjis-open", "sjis-win",
                     "shift-jis-2004", "shift-jisx0213"], "cp932"),
    **dict.fromkeys(["iso-2022-jp", "csiso2022jp", "iso-2022-jp-1", "iso-2022-jp-2",
                     "csiso2022jp2", "iso-2022-jp-ms", "cp50220", "cp50221", "cp50222", "jis",
                     "iso-2022-jp-3", "iso-2022-jp-2004", "iso-2022-jp-ext", "iso2022-jp-3",
                     "iso2022-jp-2004", "iso2022-jp-2", "iso2022-jp-ext", "mutaika-cp50221"],
                    CP50221),
    **dict.fromkeys(["euc-jp", "x-euc-jp", "eucjp", "euc-jp-ms", "eucjp-ms", "cp51932", "ujis",
                     "cseucpkdfmtjapanese", "mutaika-cp51932"], CP51932),
    **dict.fromkeys(["iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "windows-1252",
                     "cp1252", "cp819", "ibm819", "iso-ir-100", "csisolatin1"], "cp1252"),
    **dict.fromkeys(["ks-c-5601-1987", "ks-c-5601-1989", "ksc5601", "euc-kr", "cp949"], "cp949"),
    **dict.fromkeys(["gb2312", "gbk", "cp936", "x-gbk", "gb18030", "csgb2312", "euc-cn"],
                    "gb18030"),
    **dict.fromkeys(["us-ascii", "ascii", "ansi-x3.4-1968", "iso646-us", "csascii"], "ascii"),
    **dict.fromkeys(["utf-7", "unicode-1-1-utf-7", "csunicode11utf7"], "utf_7"),
    **dict.fromkeys(["utf-8", "utf8"], "utf-8"),
    **dict.fromkeys(["utf-16", "utf16", "ucs-2", "unicode", "csunicode", "iso-10646-ucs-2"],
                    "utf-16"),
    **dict.fromkeys(["utf-16le", "utf-16-le", "unicodelittleunmarked"], "utf-16-le"),
    **dict.fromkeys(["utf-16be", "utf-16-be", "unicodebigunmarked"], "utf-16-be"),
    **dict.fromkeys(["utf-32", "utf32", "ucs-4", "iso-10646-ucs-4"], "utf-32"),
    **dict.fromkeys(["utf-32le", "utf-32-le"], "utf-32-le"),
    **dict.fromkeys(["utf-32be", "utf-32-be"], "utf-32-be"),
}  # fmt: skip
_ALIASES = {k.lower(): v for k, v in _ALIASES.items()}
_LABEL = re.compile(r"[a-z0-9][a-z0-9._:+-]{0,39}")
# Text codecs that exist in Python but are no mail charset: never let a label select them.
_NOT_MAIL = {"undefined", "unicode_escape", "raw_unicode_escape", "idna", "punycode", "mbcs",
             "oem", "charmap", "unicode_internal"}  # fmt: skip


def codec_for(label: str | None) -> str | None:
    """The codec to use for a charset label, or None when the label says nothing usable."""
    if not label:
        return None
    key = label.strip().strip("\"'").lower().replace("_", "-")
    if key in _ALIASES:
        return _ALIASES[key]
    if not _LABEL.fullmatch(key):
        return None
    try:
        info = codecs.lookup(key)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name.replace("-", "_") in _NOT_MAIL:
        return None
    return _ALIASES.get(info.name.replace("_", "-"), info.name)


def _strict(data: bytes, codec: str) -> str | None:
    if codec == "ascii":
        return data.decode("ascii") if data.isascii() else None
    if codec == CP50221:
        text, bad, _ = decode_iso2022jp(data)
    elif codec == CP51932:
        text, bad = decode_cp51932(data)
    else:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            return None
    return None if bad else text


def _loose(data: bytes, codec: str) -> str:
    if codec == CP50221:
        return decode_iso2022jp(data)[0]
    if codec == CP51932:
        return decode_cp51932(data)[0]
    return data.decode(codec, "replace")


_JIS_ESCAPE = re.compile(rb"\x1b(?:\$[@AB]|\$\([@ABCDOPQ]|\([JI]|\.[AF])")
_KANA_OR_CJK_PUNCT = re.compile("[\u3000-\u30ff]")
_HAN = re.compile("[\u4e00-\u9fff]")
_HALF_KANA = re.compile("[\uff61-\uff9f]")
_LATIN_SANDWICH = re.compile("[A-Za-z][\u4e00-\u9fff]{1,2}[A-Za-z]")


def _valid_utf8_sample(sample: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _japanese_guess(sample: bytes, highs: int) -> str | None:
    """cp932 or CP51932 when one of them decodes the sample and the result reads as Japanese.

    Latin-1 text often decodes as cp932 kanji by accident ("M\xe4nner"), but never as kana
    and rarely as kanji between Latin letters: text without kana is accepted only when it is
    short (a name, a subject) and has no such sandwich.
    """
    best, best_score = None, 0
    for codec in ("cp932", CP51932):
        text = _strict(sample, codec)
        if text is None:
            continue
        kana, han = len(_KANA_OR_CJK_PUNCT.findall(text)), len(_HAN.findall(text))
        score = 2 * kana + han - 3 * len(_HALF_KANA.findall(text))
        plausible = kana or (highs <= 64 and not _LATIN_SANDWICH.search(text))
        if score > best_score and plausible:
            best, best_score = codec, score
    return best


_HIGHS = bytes(range(0x80, 0x100))

# --- UTF-16 and UTF-32 ------------------------------------------------------------------------
# .NET and PowerShell send text parts as UTF-16, little-endian, labelled "utf-16" with or
# without a BOM (RFC 2781 would read an unmarked "utf-16" as big-endian); some label nothing.

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)  # fmt: skip
_WIDE = ("utf-16", "utf-32")
_COMMON = re.compile(
    "[\t\n\r\x20-\x7e\u00a0-\u024f\u0370-\u04ff\u2010-\u206f\u2190-\u21ff"
    "\u2460-\u25ff\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]"
)  # what text mostly is: the byte order that reads more of it wins


def _bom(data: bytes) -> str | None:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec
    return None


def _byte_order(data: bytes, width: int) -> str | None:
    """The order whose decoding reads most like text; None when neither decodes."""
    best, best_score = None, -1
    for order in ("le", "be"):
        codec = f"utf-{8 * width}-{order}"
        try:
            text = data[: SAMPLE_BYTES - SAMPLE_BYTES % 4].decode(codec)
        except UnicodeDecodeError:
            continue
        score = len(_COMMON.findall(text))
        if score > best_score:
            best, best_score = codec, score
    return best


def wide_codec(data: bytes, declared: str | None) -> str | None:
    """The exact UTF-16/32 codec for `data`, or None when it is not wide Unicode text.

    A BOM decides; else a declared UTF-16/32 label, with the byte order the bytes read best
    in; else, unlabelled, ASCII text in UTF-16 shows as a zero in every other byte.
    """
    codec = codec_for(declared) or ""
    found = _bom(data)
    if found is not None and (not codec.startswith(_WIDE) or codec[:6] == found[:6]):
        return found
    if codec.startswith(_WIDE):
        width = 2 if codec.startswith("utf-16") else 4
        if codec.endswith(("-le", "-be")):
            return codec
        return _byte_order(data[: len(data) - len(data) % width], width)
    sample = data[:4096]
    half = len(sample) // 2
    if half >= 4:
        evens, odds = sample[0::2].count(0), sample[1::2].count(0)
        if max(evens, odds) * 5 >= half * 2 and min(evens, odds) * 20 <= half:
            codec = "utf-16-le" if odds > evens else "utf-16-be"
            try:  # 16-bit binary data has zeros too, but does not read as text
                text = sample[: half * 2].decode(codec)
            except UnicodeDecodeError:
                return None
            return codec if len(_COMMON.findall(text)) * 2 >= len(text) else None
    return None


def _decode_wide(data: bytes, codec: str, warnings: list[str]) -> DecodedText:
    width = 4 if codec.startswith("utf-32") else 2
    if _bom(data) == codec:
        data = data[width:]  # a BOM is one character wide
    whole = len(data) - len(data) % width
    if whole < len(data):
        warnings.append(f"{codec} text cut inside a character")
    try:
        text, exact = data[:whole].decode(codec), whole == len(data)
    except UnicodeDecodeError:
        warnings.append(f"damaged {codec} text")
        text, exact = data[:whole].decode(codec, "replace"), False
    return DecodedText(text, codec, exact, tuple(warnings))


def _detect(data: bytes, fallback: str | None, warnings: list[str]) -> DecodedText:
    sample = data[:SAMPLE_BYTES]
    if len(data) > SAMPLE_BYTES:
        sample = sample.rstrip(_HIGHS)  # the cut may split a character
    highs = len(sample) - len(sample.translate(None, _HIGHS))
    codec: str | None = None
    if _JIS_ESCAPE.search(sample) and highs * 100 <= len(sample):
        codec = CP50221
    elif _valid_utf8_sample(sample):
        codec = "utf-8"
    else:
        codec = _japanese_guess(sample, highs)
        if codec is None:
            match = charset_normalizer.from_bytes(data[:_NORMALIZER_SAMPLE]).best()
            codec = codec_for(match.encoding) if match is not None else None
    if codec is None:
        codec = fallback or "utf-8"
        warnings.append(f"charset unknown; decoded as {codec} with replacement characters")
    else:
        warnings.append(f"charset detected as {codec}")
    return DecodedText(_loose(data, codec), codec, False, tuple(warnings))


_NOT_ASCII_BASED = ("utf_7", "utf_16", "utf_32", "utf-16", "utf-32")


def decode_bytes(data: bytes, declared: str | None, carrier: str | None = None) -> DecodedText:
    """Decode a body or header's bytes: the declared label first, detection when it fails.

    `carrier` is the mobile carrier whose address sent the mail (carrier_emoji.carrier_of).
    """
    decoded = _decode(data, declared)
    text = carrier_emoji(decoded.text, decoded.charset, carrier)
    if text is decoded.text:
        return decoded
    return DecodedText(text, decoded.charset, decoded.exact, decoded.warnings)


def _might_be_wide(data: bytes, codec: str | None) -> bool:
    return (
        (codec or "").startswith(_WIDE)
        or data[:2] in (b"\xff\xfe", b"\xfe\xff")
        or (b"\x00" in data[:4096])
    )


def _decode(data: bytes, declared: str | None) -> DecodedText:
    warnings: list[str] = []
    codec = codec_for(declared)
    if declared and codec is None:
        warnings.append(f"unknown charset label {one_label(declared)!r}")
    if _might_be_wide(data, codec) and (wide := wide_codec(data, declared)) is not None:
        if not (codec or "").startswith(_WIDE):
            warnings.append(f"charset detected as {wide}")
        return _decode_wide(data, wide, warnings)
    if data.isascii() and b"\x1b" not in data and not (codec or "").startswith(_NOT_ASCII_BASED):
        return DecodedText(data.decode("ascii"), codec or "ascii", True, tuple(warnings))
    if codec is not None:
        # Valid UTF-8 with 8-bit bytes is almost never legacy text: the label is wrong.
        if (
            codec not in ("utf-8", "utf_7", CP50221, "ascii")
            and not data.isascii()
            and _valid_utf8_sample(data[:SAMPLE_BYTES])
            and (as_utf8 := _strict(data, "utf-8")) is not None
        ):
            warnings.append(f"labelled {one_label(declared)}, but the bytes are UTF-8")
            return DecodedText(as_utf8, "utf-8", False, tuple(warnings))
        if codec == CP50221:
            text, bad, soft = decode_iso2022jp(data)
            if not bad:
                return DecodedText(text, codec, True, (*warnings, *soft))
        else:
            text_or_none = _strict(data, codec)
            if text_or_none is not None:
                return DecodedText(text_or_none, codec, True, tuple(warnings))
        warnings.append(f"the bytes do not fit the declared charset {one_label(declared)}")
    return _detect(data, codec if codec != "ascii" else None, warnings)


def one_label(label: str | None) -> str:
    """A charset label cut short and made printable, for warnings."""
    return "".join(c if c.isprintable() else "?" for c in (label or "")[:40])


def encode_body(text: str, charset: Literal["utf-8", "iso-2022-jp"]) -> bytes:
    if charset == "iso-2022-jp":
        return encode_iso2022jp(text)
    return text.encode("utf-8", "replace")  # "replace" turns stray surrogates into "?"
