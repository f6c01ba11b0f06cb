"""Files pasted into a text body: uuencode, BinHex 4.0, yEnc and bare base64 runs.

Each block is cut out and replaced by one placeholder line, `\\x00EMBEDDED:{n}\\x00`, that
the caller turns into a sentence in the reader's language. Block starts are found by one
regex search led by a newline (C speed, no backtracking across lines); only the lines of
a found block are walked in Python.

Bodies arrive decoded to str. yEnc carries 8-bit bytes, which survive only when the caller
decoded with latin-1, cp1252 or surrogateescape (`_raw_bytes` gets the bytes back); after
a decode with "replace" the block is still cut out, but its payload is damaged.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

from gateway.pipeline.textclean import one_line

MAX_DECODED = 32 * 1024 * 1024  # per block; more is cut (the block is still removed whole)


@dataclass(slots=True)
class EmbeddedFile:
    filename: str
    payload: bytes
    kind: str  # "uuencode" | "binhex" | "yenc" | "base64"


_UU_BEGIN = r"begin[ \t]+[0-7]{3,4}[ \t]+(?P<uu>[^\r\n]*?)[ \t]*\r?\n"
_B64_BEGIN = r"begin-base64[ \t]+[0-7]{3,4}[ \t]+(?P<b64>[^\r\n]+?)[ \t]*\r?\n"
_YENC_BEGIN = r"=ybegin[ \t](?P<ybegin>[^\r\n]*)\r?\n"
_BINHEX_BEGIN = r"\(This file must be converted with BinHex[^\r\n]*\r?\n"
# A bare run: four or more long base64 lines (indented too: DKIM signatures in bounced headers,
# a pasted attachment), then the short last line if any. Each line must hold a letter, so a
# ruler of digits stays text. Four lines of 40+ characters from this alphabet, without a
# space or a dot, do not occur in prose.
_B64_LINE = r"[ \t]*(?=[0-9+/]*[A-Za-z])[A-Za-z0-9+/]{40,10000}={0,2}[ \t]*(?:\r?\n|\Z)"
# Or one line of a kilobyte or more, without a break: digits and both cases, no space or dot
# in a thousand characters, is data, whatever wrapped (or did not wrap) it.
_B64_LONG_LINE = (
    r"[ \t]*(?=[A-Za-z+/]*[0-9])(?=[0-9+/a-z]*[A-Z])(?=[0-9+/A-Z]*[a-z])"
    r"[A-Za-z0-9+/]{1024,}={0,2}[ \t]*(?:\r?\n|\Z)"
)
_B64_RUN = (
    rf"(?P<run>(?:{_B64_LINE}){{4,}}"
    r"(?:[ \t]*[A-Za-z0-9+/]{1,10000}={0,2}[ \t]*(?:\r?\n|\Z))?"
    rf"|{_B64_LONG_LINE})"
)
_BLOCK = "|".join((_UU_BEGIN, _B64_BEGIN, _YENC_BEGIN, _BINHEX_BEGIN, _B64_RUN))
# Starting with a literal newline lets the regex engine skip ahead to line starts: on 50 KB
# of prose this one search is ~25 us, against ~270 us for a ^ under re.M and ~60 us for
# the three `in` tests it replaces as the fast path.
_START = re.compile(rf"\n(?:{_BLOCK})")
_HEAD = re.compile(_BLOCK)  # a block on the very first line
_UU_LINE = re.compile(r"([!-`])([ -`]{1,90})\r?\n")
_UU_CLOSE = re.compile(r"(?:[` ]\r?\n)?end\b")
_UU_DATA = re.compile(r"(?:[ -`]{1,90}\r?\n)*")  # a line of the 64 uuencode characters
_UU_END = re.compile(r"end[ \t]*(?:\r?\n|\Z)")
_B64_END = re.compile(r"\n====[ \t]*(?:\r?\n|\Z)")
_NOT_B64 = re.compile(r"[^A-Za-z0-9+/]+")
_YEND = re.compile(r"\n=yend\b[^\n]*(?:\n|\Z)")
_YPART = re.compile(r"=ypart[ \t][^\n]*\n")
_YNAME = re.compile(r"\bname=(.*)$")


def _raw_bytes(text: str) -> bytes:
    for codec in ("latin-1", "cp1252"):  # the two single-byte guesses a detector makes
        try:
            return text.encode(codec, "surrogateescape")
        except UnicodeEncodeError:
            pass
    return text.encode("utf-8", "surrogateescape")


def lenient_b64decode(text: str) -> bytes:
    """Lenient base64: stray characters and broken padding cost the last bytes, never raise."""
    clean = _NOT_B64.sub("", text[: MAX_DECODED * 4 // 3])
    clean = clean[: len(clean) - len(clean) % 4 if len(clean) % 4 == 1 else len(clean)]
    return binascii.a2b_base64(clean + "=" * (-len(clean) % 4))


def _uu_line(line: str) -> bytes | None:
    """One uuencoded line; None for a damaged one."""
    try:
        return binascii.a2b_uu(line)
    except binascii.Error:
        # Some encoders pad past the length byte; decode only what it announces.
        count = (ord(line[0]) - 32) & 63
        try:
            return binascii.a2b_uu(line[: 1 + (count + 2) // 3 * 4])
        except binascii.Error:
            return None


def _uuencode(text: str, pos: int) -> tuple[int, bytes]:
    """Lines made of uuencode characters, then "end" if present; damaged lines are skipped."""
    block = _UU_DATA.match(text, pos)
    end = block.end() if block else pos
    chunks: list[bytes] = []
    size = 0
    for line in text[pos:end].split("\n"):
        line = line.rstrip("\r")
        if line and size < MAX_DECODED and (data := _uu_line(line)) is not None:
            chunks.append(data)
            size += len(data)
    closing = _UU_END.match(text, end)
    return (closing.end() if closing else end), b"".join(chunks)[:MAX_DECODED]


def _begin_base64(text: str, pos: int) -> tuple[int, bytes]:
    """`begin-base64 mode name` ... `====` (the sharutils variant of uuencode)."""
    closing = _B64_END.search(text, pos - 1)
    end = closing.start() if closing else len(text)
    return (closing.end() if closing else end), lenient_b64decode(text[pos:end])


_YENC_PLAIN = bytes((c - 42) & 255 for c in range(256))


def _yenc_decode(data: bytes) -> bytes:
    """yEnc: each byte is +42; after "=" it is +42+64. Line breaks are not data."""
    data = data.replace(b"\r", b"").replace(b"\n", b"")
    first, *escaped = data.split(b"=")
    pieces = [first] + [bytes(((p[0] - 64) & 255,)) + p[1:] for p in escaped if p]
    return b"".join(pieces).translate(_YENC_PLAIN)


def _yenc(text: str, pos: int, header: str) -> tuple[int, str, bytes]:
    name = _YNAME.search(header)
    filename = name.group(1).strip() if name else ""
    part = _YPART.match(text, pos)
    if part:
        pos = part.end()
    end = _YEND.search(text, pos - 1)
    if end is None:
        next_begin = text.find("\n=ybegin ", pos)
        stop = len(text) if next_begin < 0 else next_begin + 1
        return stop, filename, _yenc_decode(_raw_bytes(text[pos : min(stop, pos + MAX_DECODED)]))
    body = text[pos : min(end.start(), pos + MAX_DECODED)]
    return end.end(), filename, _yenc_decode(_raw_bytes(body))


_BINHEX_ALPHABET = "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr"
_BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BINHEX_TO_B64 = str.maketrans(_BINHEX_ALPHABET, _BASE64_ALPHABET)
_NOT_BINHEX = re.compile(f"[^{re.escape(_BINHEX_ALPHABET)}]")


def _binhex_rle(data: bytes) -> bytes:
    """Undo BinHex run-length coding (0x90 n: repeat the previous byte n-1 more times)."""
    out = bytearray()
    pieces = data.split(b"\x90")
    out += pieces[0]
    for piece in pieces[1:]:
        if len(out) >= MAX_DECODED:
            break
        if not piece:  # the count itself sat in the next piece: 0x90 0x90 is not valid
            continue
        count, rest = piece[0], piece[1:]
        if count == 0:
            out.append(0x90)
        elif out:
            out += out[-1:] * (count - 1)
        out += rest
    return bytes(out[:MAX_DECODED])


def _binhex(text: str, pos: int) -> tuple[int, str, bytes]:
    """(end, name, data fork); the whole raw block as payload when it does not decode."""
    start = text.find(":", pos, pos + 4096)
    end = text.find(":", start + 1) if start >= 0 else -1
    if start < 0 or end < 0:
        return len(text), "", _raw_bytes(text[pos : pos + MAX_DECODED])
    stop = text.find("\n", end)
    stop = len(text) if stop < 0 else stop + 1
    coded = "".join(text[start + 1 : end].split())
    if _NOT_BINHEX.search(coded) or len(coded) % 4 == 1:
        return stop, "", _raw_bytes(text[pos:stop])
    coded = coded.translate(_BINHEX_TO_B64)
    decoded = _binhex_rle(binascii.a2b_base64(coded + "=" * (-len(coded) % 4)))
    name_len = decoded[0] if decoded else 0
    header_end = 1 + name_len + 1 + 4 + 4 + 2 + 4 + 4 + 2  # name, version, type, creator ...
    if len(decoded) < header_end:
        return stop, "", _raw_bytes(text[pos:stop])
    name = decoded[1 : 1 + name_len].decode("mac_roman")
    data_len = int.from_bytes(decoded[header_end - 10 : header_end - 6], "big")
    return stop, name, decoded[header_end : header_end + data_len]


def _uu_first(text: str, pos: int) -> bool:
    """A first line whose length byte agrees with its length (encoders pick any line length,
    and pad or not), then another such line or the end: data, not prose after "begin"."""
    line = _UU_LINE.match(text, pos)
    if line is None:
        return False
    chars = len(line.group(2).rstrip(" "))
    needed = (((ord(line.group(1)) - 32) & 63) + 2) // 3 * 4
    if not needed - 4 < chars <= needed + 2:
        return False
    after = line.end()
    return bool(_UU_LINE.match(text, after) or _UU_CLOSE.match(text, after))


def _cut(text: str, match: re.Match[str], body_at: int) -> tuple[EmbeddedFile | None, int]:
    """The file a block start leads to, and where its block ends."""
    if match.group("uu") is not None:
        if not _uu_first(text, body_at):
            return None, body_at
        end, payload = _uuencode(text, body_at)
        item = EmbeddedFile(match.group("uu"), payload, "uuencode")
    elif match.group("b64") is not None:
        end, payload = _begin_base64(text, body_at)
        item = EmbeddedFile(match.group("b64"), payload, "base64")
    elif match.group("ybegin") is not None:
        end, name, payload = _yenc(text, body_at, match.group("ybegin"))
        item = EmbeddedFile(name, payload, "yenc")
    elif match.group("run") is not None:
        end, item = match.end(), EmbeddedFile("", lenient_b64decode(match.group("run")), "base64")
    else:
        end, name, payload = _binhex(text, body_at)
        item = EmbeddedFile(name, payload, "binhex")
    item.filename = one_line(item.filename)
    return item, end


def extract_embedded(text: str) -> tuple[str, list[EmbeddedFile]]:
    """Cut every embedded file out of a text body; each becomes one placeholder line."""
    found: list[EmbeddedFile] = []
    out: list[str] = []
    pos = 0
    match = _HEAD.match(text)
    while match is not None or (match := _START.search(text, max(pos - 1, 0))) is not None:
        start = match.start() + (match.re is _START)  # after the newline that led to it
        body_at = match.end()
        item, end = _cut(text, match, body_at)
        if item is None:  # "begin 644 x" in prose, no data under it
            out.append(text[pos:body_at])
        else:
            out.append(text[pos:start])
            out.append(f"\x00EMBEDDED:{len(found)}\x00\n")
            found.append(item)
        pos = end
        match = None
    if not found:
        return text, []
    out.append(text[pos:])
    return "".join(out), found
