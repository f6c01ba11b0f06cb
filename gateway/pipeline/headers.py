"""Header values as mail really writes them (RFC 2047/2231, raw 8-bit) and the output allowlist.

Written by hand because the stdlib's decoders fail on real Japanese mail: email.header
decodes each ISO-2022-JP word with the strict iso2022_jp codec (no ① or 髙), rejects bad
base64 padding, and ignores encoded-words inside quoted strings as Outlook writes them.
Everything returned is one line (textclean.one_line): no value can start a second header.
"""

from __future__ import annotations

import binascii
import os
import re
from email.header import Header
from email.message import Message
from email.utils import getaddresses

from gateway.pipeline.charset import codec_for, decode_bytes
from gateway.pipeline.embedded import lenient_b64decode
from gateway.pipeline.headerfmt import ADDRESS_FIELDS, MAX_VALUE_CHARS, format_header, mailbox
from gateway.pipeline.names import collapse_padding
from gateway.pipeline.textclean import one_line

__all__ = [
    "decode_header_value",
    "format_header",
    "output_headers",
    "part_filename",
    "safe_filename",
]

MAX_FILENAME_CHARS = 200
MAX_REFERENCES = 50
_ORDER = ("From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To",
          "References")  # fmt: skip
_MERGED = frozenset({"to", "cc"})
_ID_FIELDS = frozenset({"message-id", "in-reply-to", "references"})

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,75})\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_SURROGATE = re.compile("[\udc80-\udcff]")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")
_MSG_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]{1,250}>")


def _raw_text(raw: str | Header | None) -> str:
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    # compat32 hands 8-bit fields over as Header(unknown-8bit); str() of it loses the bytes,
    # while its chunks keep them surrogate-escaped.
    chunks = getattr(raw, "_chunks", None)
    if isinstance(chunks, list) and all(isinstance(c, tuple) and c for c in chunks):
        return "".join(str(c[0]) for c in chunks)
    return str(raw)


def _unfolded(raw: str | Header | None) -> tuple[str, bool]:
    text = _raw_text(raw)
    cut = len(text) > MAX_VALUE_CHARS
    return _FOLD.sub("", text[:MAX_VALUE_CHARS]), cut


def _plain(text: str, hint: str | None, carrier: str | None = None) -> str:
    """Text outside encoded-words; raw 8-bit bytes (surrogate-escaped) are decoded here."""
    if not _SURROGATE.search(text):
        return text
    return decode_bytes(text.encode("utf-8", "surrogateescape"), hint, carrier).text


def _word_group(charset: str, words: list[tuple[str, str]], carrier: str | None) -> str:
    """Adjacent encoded-words in one charset: bytes joined first, so split characters survive."""
    data = b"".join(
        lenient_b64decode(text)
        if enc in "bB"
        else binascii.a2b_qp(text.encode("utf-8", "surrogateescape"), header=True)
        for enc, text in words
    )
    decoded = decode_bytes(data, charset, carrier)
    unpadded = [t for e, t in words if e in "bB" and "=" not in t and len(t.strip()) % 4]
    if decoded.exact or not unpadded or any(e not in "bB" for e, _ in words):
        return decoded.text
    # Some mailers cut the base64 text itself, not the bytes, between words.
    joined = decode_bytes(lenient_b64decode("".join(t for _, t in words)), charset, carrier)
    return joined.text if joined.exact else decoded.text


def _decode_words(text: str, hint: str | None, carrier: str | None) -> str:
    out: list[str] = []
    group: list[tuple[str, str]] = []
    group_charset = ""
    pos = 0
    for match in _ENCODED_WORD.finditer(text):
        gap = text[pos : match.start()]
        blank = not gap.strip(" \t")
        charset = match.group(1).split("*", 1)[0].lower()  # RFC 2231 adds *language
        if group and not (blank and charset == group_charset):
            out.append(_word_group(group_charset, group, carrier))
            group = []
        if not (blank and pos):  # whitespace between two encoded-words is dropped
            out.append(_plain(gap, hint, carrier))
        group_charset = charset
        group.append((match.group(2), match.group(3)))
        pos = match.end()
    if group:
        out.append(_word_group(group_charset, group, carrier))
    out.append(_plain(text[pos:], hint, carrier))
    return "".join(out)


def decode_header_value(
    raw: str | Header | None, hint: str | None = None, carrier: str | None = None,
    *, fold: bool = True,
) -> str:
    """One header value as text safe to show: RFC 2047 and raw 8-bit decoded, one line.

    `hint` is the body's charset, the best guess for raw 8-bit header bytes; `carrier` the
    mobile carrier of the sender, for its emoji. fold=False keeps runs of blanks for the
    caller (a file name's padding is looked for before blanks are folded: safe_filename).
    """
    text, cut = _unfolded(raw)
    if "=?" in text or not text.isascii():
        text = _decode_words(text, hint, carrier)
    decoded = one_line(text) if fold else text
    return decoded + "…" if cut else decoded


# --- filenames ----------------------------------------------------------------------------------


def _raw_field(part: Message, name: str) -> str | None:
    for key, value in part.raw_items():
        if key.strip().lower() == name:
            return _raw_text(value)
    return None


def _param(part: Message, field: str, param: str, hint: str | None) -> str:
    raw = _raw_field(part, field)
    if raw is None or param not in raw.lower():
        return ""
    text, _ = _unfolded(raw)
    if "*0" in text and (joined := _continued(text, param, hint or _charset_param(part))):
        return joined
    if _SURROGATE.search(text):
        # Decoded before parsing: a Shift_JIS trail byte 0x5C would read as a quoting backslash.
        text = _plain(text, hint or _charset_param(part))
    probe = Message()
    probe[field] = text
    try:
        value = probe.get_param(param, header=field)
    except (ValueError, LookupError, TypeError, IndexError):
        return ""
    if isinstance(value, tuple):  # RFC 2231: (charset, language, bytes as latin-1 characters)
        charset, _lang, chars = value
        data = str(chars).encode("latin-1", "replace")
        return decode_bytes(data, charset or hint or _charset_param(part)).text
    return decode_header_value(value, fold=False) if isinstance(value, str) else ""


_MAX_CONTINUATIONS = 100
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")


def _continued(text: str, param: str, hint: str | None) -> str:
    """An RFC 2231 continued value (name*0, name*1*, ...), its pieces joined as BYTES before
    one decode: a piece may end inside a multibyte character, percent-encoded or raw 8-bit.

    Quoted strings are taken from quote to quote: no Shift_JIS or UTF-8 byte is a quote, while
    a Shift_JIS trail byte may be the backslash a quoted-pair parser would eat.
    """
    pattern = re.compile(
        r"(?:^|;)[ \t]*" + re.escape(param) + r'\*(\d{1,3})(\*?)[ \t]*=[ \t]*("[^"]*"|[^;\s]*)',
        re.IGNORECASE,
    )
    pieces: dict[int, bytes] = {}
    charset = None
    for match in pattern.finditer(text):
        number, extended, value = int(match.group(1)), match.group(2), match.group(3).strip('"')
        if number in pieces or len(pieces) >= _MAX_CONTINUATIONS:
            continue
        if extended and number == 0 and value.count("'") >= 2:
            charset, _lang, value = value.split("'", 2)
        data = value.encode("utf-8", "surrogateescape")
        if extended:
            data = (
                _PERCENT.sub(lambda m: chr(int(m.group(1), 16)), value).encode(
                    "latin-1", "surrogateescape"
                )
                if value.isascii()
                else data
            )
        pieces[number] = data
    if 0 not in pieces:
        return ""
    joined = b"".join(pieces[n] for n in sorted(pieces))
    return decode_header_value(decode_bytes(joined, charset or hint).text, fold=False)


def safe_filename(name: str) -> str:
    """A name to show, never a path: directories dropped, ≤ 200 characters, extension kept."""
    # blanks at the ends are not padding; runs inside are, before one_line folds them
    name = one_line(collapse_padding(name.strip())).replace("\\", "/").rsplit("/", 1)[-1]
    name = name.strip().rstrip(". ")
    if name in ("", ".", ".."):
        return ""
    if len(name) <= MAX_FILENAME_CHARS:
        return name
    stem, dot, ext = name.rpartition(".")
    if dot and 0 < len(ext) <= 16:
        return stem[: MAX_FILENAME_CHARS - len(ext) - 2] + "…." + ext
    return name[: MAX_FILENAME_CHARS - 1] + "…"


def part_filename(part: Message, *, hint: str | None = None) -> str:
    """Content-Disposition filename, else Content-Type name; "" when the part has none."""
    name = _param(part, "content-disposition", "filename", hint)
    return safe_filename(name or _param(part, "content-type", "name", hint))


def _charset_param(part: Message) -> str | None:
    try:
        value = part.get_param("charset")
    except (ValueError, LookupError, TypeError, IndexError):
        return None
    return value if isinstance(value, str) and codec_for(value) else None


# --- the header block of the output mail --------------------------------------------------------


_ENCODED_WORD_TOKEN = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


_PLACEHOLDER = re.compile(r"mutaikaew([0-9a-f]{12})n(\d+)x")


def _addresses(values: list[str], hint: str | None, carrier: str | None) -> str:
    """Parsed before decoding: an encoded display name may hold a comma or angle brackets.

    Encoded-words become plain atoms while the address parser runs, because a ':' or '@'
    inside one (=?UTF-8?Q?a:b?=) would otherwise be read as a group or an address.
    """
    words: list[str] = []
    nonce = os.urandom(6).hex()  # random: a sender cannot type a placeholder of this call

    def protect(match: re.Match[str]) -> str:
        words.append(match.group(0))
        return f"mutaikaew{nonce}n{len(words) - 1}x"

    def put_back(match: re.Match[str]) -> str:
        return words[int(match.group(2))] if match.group(1) == nonce else match.group(0)

    def restore(text: str) -> str:
        return _PLACEHOLDER.sub(put_back, text) if words else text

    texts = [
        _ENCODED_WORD_TOKEN.sub(protect, _plain(_unfolded(v)[0], hint, carrier)) for v in values
    ]
    boxes = []
    for name, addr in getaddresses(texts):
        name, addr = decode_header_value(restore(name), hint, carrier), one_line(restore(addr))
        if name or addr:
            boxes.append(mailbox(name, addr))
    if boxes:
        return ", ".join(boxes)
    return decode_header_value(restore(", ".join(texts)), hint, carrier)


def _ids(value: str, single: bool) -> str:
    tokens = _MSG_ID.findall(_unfolded(value)[0])
    if single:
        tokens = tokens[:1]
    elif len(tokens) > MAX_REFERENCES:
        tokens = tokens[:1] + tokens[-(MAX_REFERENCES - 1) :]  # the thread root and the latest
    return " ".join(tokens)


def output_headers(
    msg: Message, *, hint: str | None = None, carrier: str | None = None
) -> list[tuple[str, str]]:
    """The allowlisted fields, decoded and cleaned, in a fixed order; everything else dropped."""
    found: dict[str, list[str]] = {}
    wanted = {name.lower() for name in _ORDER}
    for key, value in msg.raw_items():
        key = key.strip().lower()
        if key in wanted and (key in _MERGED or key not in found):
            found.setdefault(key, []).append(_raw_text(value))
    fields: list[tuple[str, str]] = []
    for name in _ORDER:
        values = found.get(name.lower())
        if not values:
            continue
        if name.lower() in ADDRESS_FIELDS:
            text = _addresses(values, hint, carrier)
        elif name.lower() in _ID_FIELDS:
            text = _ids(values[0], single=name == "Message-ID")
        else:
            text = decode_header_value(values[0], hint, carrier)
        if text or name == "Subject":
            fields.append((name, text))
    return fields
