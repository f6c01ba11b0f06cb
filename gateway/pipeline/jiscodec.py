"""CP50220/CP50221 (ISO-2022-JP) and CP51932 (EUC-JP) as Windows writes them.

Labels say ISO-2022-JP or EUC-JP, but Windows and Outlook write CP50221 and CP51932: ① ㈱ Ⅲ
(NEC row 13) and 髙 﨑 (NEC-selected IBM extensions, JIS rows 89-92) are everyday characters
in official mail, and the stdlib iso2022_jp / euc_jp codecs turn them into errors. No
maintained PyPI library decodes these code pages (the Python ports of nkf and of the WHATWG
codecs are unmaintained), so they are done here: each JIS X 0208 pair is mapped to Shift_JIS
by arithmetic and decoded with cp932, which carries the NEC and IBM rows. Registered as the
Python codecs "mutaika-cp50221" and "mutaika-cp51932".

The same decoder reads the rest of the ISO-2022-JP family, since a label often names the
wrong member: JIS X 0212, GB 2312 and KS C 5601 designations and the single-shifted Latin-1
and Greek G2 sets of ISO-2022-JP-2 (RFC 1554), and the JIS X 0213 planes of ISO-2022-JP-3 and
-2004 (through the stdlib's euc_jis_2004 tables). JIS rows 0x75-0x7E, which JIS X 0208 leaves
empty, are au's mail emoji where au used them (carrier_emoji.py) and otherwise the user-defined
characters U+E000-U+E3AB, as Windows' CP50221 reads them.
"""

from __future__ import annotations

import codecs
import re
import sys
import unicodedata
from itertools import accumulate, compress
from typing import TYPE_CHECKING

from gateway.pipeline.carrier_emoji import au_mail_jis
from gateway.pipeline.jispair import jis_char, jis_to_sjis

if TYPE_CHECKING:
    from typing_extensions import Buffer

CP50221 = "mutaika-cp50221"
CP51932 = "mutaika-cp51932"
GETA = "〓"  # what a JIS mail shows for a character JIS cannot carry


# --- JIS tables: a JIS X 0208 pair, read as one native uint16, indexes its character ----------


def _build_tables() -> tuple[list[str], list[bytes]]:
    decode = ["\ufffd"] * 0x10000
    encode = [b"\x22\x2e"] * 0x10000  # cp932 pair (native uint16) -> JIS pair; default 〓
    emoji = au_mail_jis()
    for j1 in range(0x21, 0x7F):
        for j2 in range(0x21, 0x7F):
            key = int.from_bytes(bytes((j1, j2)), sys.byteorder)
            char = jis_char(j1, j2)
            if char != "\ufffd":
                decode[key] = char
                encode[int.from_bytes(jis_to_sjis(j1, j2), sys.byteorder)] = bytes((j1, j2))
            elif (j1 << 8 | j2) in emoji:
                decode[key] = emoji[j1 << 8 | j2]
            elif j1 >= 0x75:
                decode[key] = chr(0xE000 + (j1 - 0x75) * 94 + j2 - 0x21)
    # IBM extensions (0xFA40-0xFC4B) have no JIS row; CP50220 writes their NEC twins.
    for lead in range(0xFA, 0xFD):
        for trail in range(0x40, 0xFD):
            try:
                twin = bytes((lead, trail)).decode("cp932").encode("cp932")
            except (UnicodeDecodeError, UnicodeEncodeError):
                continue
            if twin[0] < 0xFA:
                key = int.from_bytes(bytes((lead, trail)), sys.byteorder)
                encode[key] = encode[int.from_bytes(twin, sys.byteorder)]
    return decode, encode


_JIS_DECODE, _SJIS_TO_JIS = _build_tables()
_JIS_BYTES = bytes(range(0x21, 0x7F))
_HIGH_BIT_OFF = bytes(range(0x80)) * 2
_KANA = str.maketrans({b: chr(0xFF40 + b) for b in range(0x21, 0x60)})
_LATIN1_REPLACE = str.maketrans({b: "\ufffd" for b in [0x1B, *range(0x80, 0x100)]})


def _pairs(run: bytes, warnings: list[str]) -> tuple[str, int]:
    """A run of 0x21-0x7E bytes as JIS X 0208 pairs; returns (text, replaced count)."""
    odd = len(run) & 1
    text = "".join(map(_JIS_DECODE.__getitem__, memoryview(run[: len(run) - odd]).cast("H")))
    bad = text.count("\ufffd")
    if odd:
        warnings.append("odd byte in a JIS X 0208 run")
        text += "\ufffd"
        bad += 1
    return text, bad


def _jis_segment(seg: bytes, warnings: list[str]) -> tuple[str, int]:
    if not seg.translate(None, _JIS_BYTES):
        return _pairs(seg, warnings)
    # A space, line break or stray byte inside a JIS run: keep it, then go on in JIS mode.
    warnings.append("non-JIS bytes inside a JIS X 0208 run")
    out: list[str] = []
    bad = 0
    for i, piece in enumerate(_NON_JIS.split(seg)):
        if i & 1:
            text = piece.decode("latin-1").translate(_LATIN1_REPLACE)
            out.append(text)
            bad += text.count("\ufffd")
        elif piece:
            text, n = _pairs(piece, warnings)
            out.append(text)
            bad += n
    return "".join(out), bad


_NON_JIS = re.compile(rb"([^\x21-\x7e]+)")
# G0 designations of 94- and 94x94-sets (the 4-byte ESC $ ( F form too), G2 designations of
# ISO-2022-JP-2's 96-sets, and a single shift ESC N with the one byte it shifts.
_ESCAPE = rb"\x1b(?:\$[@AB]|\$\([@ABCDOPQ]|\([BJIH]|\.[AF]|N[\x20-\x7f])"
_ESCAPES_ONLY = re.compile(b"(" + _ESCAPE + b")")  # a literal first byte: sre scans fast
_ESCAPES = re.compile(b"(" + _ESCAPE + rb"|\x0e|\x0f)")
_MODE = {
    b"\x1b(B": "ascii", b"\x1b(J": "ascii", b"\x1b(H": "ascii", b"\x1b(I": "kana",
    b"\x1b$@": "jis", b"\x1b$B": "jis", b"\x1b$(@": "jis", b"\x1b$(B": "jis",
    b"\x1b$(D": "jisx0212", b"\x1b$A": "gb2312", b"\x1b$(A": "gb2312", b"\x1b$(C": "ksc5601",
    b"\x1b$(O": "x0213-1", b"\x1b$(Q": "x0213-1", b"\x1b$(P": "x0213-2",
}  # fmt: skip
_G2 = {b"\x1b.A": "latin-1", b"\x1b.F": "iso8859-7"}
_EUC_OF = {
    "jisx0212": ("euc_jp", b"\x8f"), "gb2312": ("gb2312", b""), "ksc5601": ("euc_kr", b""),
    "x0213-1": ("euc_jis_2004", b""), "x0213-2": ("euc_jis_2004", b"\x8f"),
}  # fmt: skip


def _single_shift(token: bytes, g2: str | None, warnings: list[str]) -> str:
    """ESC N x: one character of the G2 set (RFC 1554), x with its high bit set."""
    if g2 is None:
        warnings.append("single shift without a G2 designation; read as Latin-1")
    return bytes((token[2] | 0x80,)).decode(g2 or "latin-1", "replace")


def _other_94x94(seg: bytes, mode: str) -> tuple[str, int]:
    # Sets other than JIS X 0208 (ISO-2022-JP-1/-2/-3) are rare: a per-pair loop is fine.
    codec, prefix = _EUC_OF[mode]
    high = bytes(b | 0x80 for b in seg)
    data = b"".join(prefix + high[i : i + 2] for i in range(0, len(high), 2))
    text = data.decode(codec, "replace")
    return text, text.count("\ufffd")


# Batch path: every JIS run of a text is joined, turned into Shift_JIS by translate tables (the
# trail byte depends on the lead's parity, OR-ed in through one big integer), put back by slice
# and decoded by one cp932 call. Per-run Python work is a slice; there is no loop over pairs.
_S1 = bytes(
    ((b + 1) >> 1) + (0x70 if b <= 0x5E else 0xB0) if 0x21 <= b <= 0x7E else 0 for b in range(256)
)
_PARITY = bytes(0x80 if b & 1 else 0 for b in range(256))
_S2 = bytes(
    (b & 0x7F) + (0x1F if b & 0x7F <= 0x5F else 0x20) if b & 0x80 else b + 0x7E for b in range(256)
)
_SIMPLE_ESCAPES = {b"\x1b$B": True, b"\x1b$@": True, b"\x1b(B": False, b"\x1b(J": False}


def _sjis_of(jis: bytes) -> bytes:
    leads, trails = jis[0::2], jis[1::2]
    marked = int.from_bytes(leads.translate(_PARITY), "big") | int.from_bytes(trails, "big")
    out = bytearray(len(jis))
    out[0::2] = leads.translate(_S1)
    out[1::2] = marked.to_bytes(len(trails), "big").translate(_S2)
    return bytes(out)


def _converted(runs: list[bytes]) -> list[bytes]:
    sjis = _sjis_of(b"".join(runs))
    ends = list(accumulate(map(len, runs)))
    return list(map(sjis.__getitem__, map(slice, [0, *ends[:-1]], ends)))


def _fast_iso2022jp(parts: list[bytes]) -> str | None:
    """Only JIS X 0208 and ASCII runs, well formed, 7-bit; None for anything else."""
    escapes = parts[1::2]
    if not set(escapes) <= _SIMPLE_ESCAPES.keys():
        return None
    flags = list(map(_SIMPLE_ESCAPES.__getitem__, escapes))
    jis_runs = list(compress(parts[2::2], flags))
    if (flags and flags[-1]) or not jis_runs:
        return None
    if b"".join(jis_runs).translate(None, _JIS_BYTES) or any(len(r) & 1 for r in jis_runs):
        return None
    pieces = parts[0::2]
    if all(flags[0::2]) and not any(flags[1::2]):  # the usual strict JIS / ASCII alternation
        pieces[1::2] = _converted(jis_runs)
    else:
        slots = compress(range(1, len(pieces)), flags)
        for slot, piece in zip(slots, _converted(jis_runs), strict=True):
            pieces[slot] = piece
    try:
        return b"".join(pieces).decode("cp932")
    except UnicodeDecodeError:  # a pair with no character: the careful path marks it
        return None


def decode_iso2022jp(data: bytes) -> tuple[str, int, list[str]]:
    """CP50221: ISO-2022-JP with NEC/IBM extensions, kana by ESC ( I or SO/SI.

    Returns (text, count of replaced characters, warnings); never raises.
    """
    shifts = b"\x0e" in data or b"\x0f" in data
    parts = (_ESCAPES if shifts else _ESCAPES_ONLY).split(data)
    if data.isascii() and data.count(b"\x1b") == len(parts) // 2:
        fast = _fast_iso2022jp(parts)
        if fast is not None:
            return fast, 0, []
    warnings: list[str] = []
    out: list[str] = []
    bad = 0
    mode, shifted, g2 = "ascii", False, None
    for i, seg in enumerate(parts):
        if i & 1:
            if seg == b"\x0e":
                shifted = True
            elif seg == b"\x0f":
                shifted = False
            elif seg in _G2:
                g2 = _G2[seg]
            elif seg[1:2] == b"N":
                out.append(_single_shift(seg, g2, warnings))
            else:
                mode = _MODE[seg]
            continue
        if not seg:
            continue
        current = "kana" if shifted else mode
        if current == "ascii":
            if seg.isascii() and b"\x1b" not in seg:
                out.append(seg.decode("ascii"))
                continue
            text = seg.decode("latin-1").translate(_LATIN1_REPLACE)
            warnings.append("8-bit byte or unknown escape in ISO-2022-JP text")
            n = text.count("\ufffd")
        elif current == "jis":
            text, n = _jis_segment(seg, warnings)
        elif current == "kana":
            text = seg.decode("latin-1").translate(_KANA).translate(_LATIN1_REPLACE)
            n = text.count("\ufffd")
        else:
            text, n = _other_94x94(seg, current)
        out.append(text)
        bad += n
    if mode != "ascii" or shifted:
        warnings.append("ISO-2022-JP text does not end in ASCII mode")
    return "".join(out), bad, warnings


_EUC_RUNS = re.compile(rb"((?:[\xa1-\xfe][\xa1-\xfe])+)")


def decode_cp51932(data: bytes) -> tuple[str, int]:
    """EUC-JP as Windows writes it (NEC row 13 at 0xADA1, NEC-selected IBM rows 0xF9-0xFC)."""
    runs = _EUC_RUNS.split(data)
    if b"".join(runs[0::2]).isascii() and len(runs) > 1:
        runs[1::2] = _converted([r.translate(_HIGH_BIT_OFF) for r in runs[1::2]])
        try:
            return b"".join(runs).decode("cp932"), 0
        except UnicodeDecodeError:
            runs = _EUC_RUNS.split(data)
    out: list[str] = []
    for i, run in enumerate(runs):
        if i & 1:
            pairs = memoryview(run.translate(_HIGH_BIT_OFF)).cast("H")
            out.append("".join(map(_JIS_DECODE.__getitem__, pairs)))
        elif run:
            out.append(run.decode("euc_jp", "replace"))  # ASCII, SS2 kana, SS3 JIS X 0212
    text = "".join(out)
    return text, text.count("\ufffd")


# --- output: CP50220 --------------------------------------------------------------------------

_HALFWIDTH_KANA = re.compile("[\uff61-\uff9f]+")
_NON_ASCII = re.compile("([^\x00-\x7f]+)")
# Characters Unicode text carries where cp932 has a twin (Mac/UTF-8 mail); CP50220 maps them so.
_TO_CP932_TWIN = str.maketrans({"\u2014": "\u2015", "\u00a5": "\uffe5", "\u203e": "\uffe3",
                                "\u3099": "\u309b", "\u309a": "\u309c",
                                "\x1b": None, "\x0e": None, "\x0f": None})  # fmt: skip


def jis_normalize(text: str) -> str:
    """The text CP50220 really carries: half-width kana made full-width, JIS twins chosen.

    Also drops ESC/SO/SI so text can never switch the encoder's state.
    """
    text = _HALFWIDTH_KANA.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return text.translate(_TO_CP932_TWIN)


def _jis_pairs(run: str, strict: bool) -> bytes:
    try:
        sjis = run.encode("cp932")
        if len(sjis) != 2 * len(run):
            raise UnicodeEncodeError("cp932", run, 0, len(run), "single-byte character")
    except UnicodeEncodeError:
        if strict:
            raise
        parts = []
        for char in run:
            try:
                one = char.encode("cp932")
            except UnicodeEncodeError:
                one = b""
            parts.append(one if len(one) == 2 else GETA.encode("cp932"))
        sjis = b"".join(parts)
    return b"".join(map(_SJIS_TO_JIS.__getitem__, memoryview(sjis).cast("H")))


def encode_iso2022jp(text: str, *, strict: bool = False) -> bytes:
    """CP50220: every non-ASCII run is wrapped in ESC $ B ... ESC ( B, so each line ends in ASCII.

    Characters with no JIS mapping become 〓 (or raise UnicodeEncodeError when `strict`).
    """
    out: list[bytes] = []
    for i, run in enumerate(_NON_ASCII.split(jis_normalize(text))):
        if i & 1:
            out += (b"\x1b$B", _jis_pairs(run, strict), b"\x1b(B")
        elif run:
            out.append(run.encode("ascii"))
    return b"".join(out)


# --- codec registration -----------------------------------------------------------------------


def _codec_decode(data: Buffer, errors: str = "strict", /) -> tuple[str, int]:
    raw = memoryview(data).tobytes()
    text, bad, _ = decode_iso2022jp(raw)
    if bad and errors == "strict":
        raise UnicodeDecodeError(CP50221, raw, 0, len(raw), "not valid CP50221")
    return (text.replace("\ufffd", "") if errors == "ignore" else text), len(raw)


def _codec_decode_euc(data: Buffer, errors: str = "strict", /) -> tuple[str, int]:
    raw = memoryview(data).tobytes()
    text, bad = decode_cp51932(raw)
    if bad and errors == "strict":
        raise UnicodeDecodeError(CP51932, raw, 0, len(raw), "not valid CP51932")
    return (text.replace("\ufffd", "") if errors == "ignore" else text), len(raw)


def _codec_encode(text: str, errors: str = "strict", /) -> tuple[bytes, int]:
    return encode_iso2022jp(text, strict=errors == "strict"), len(text)


def _codec_encode_euc(text: str, errors: str = "strict", /) -> tuple[bytes, int]:
    out: list[bytes] = []
    for i, run in enumerate(_NON_ASCII.split(jis_normalize(text))):
        out.append(
            _jis_pairs(run, errors == "strict").translate(_HIGH_BIT_ON)
            if i & 1
            else run.encode("ascii")
        )
    return b"".join(out), len(text)


_HIGH_BIT_ON = bytes(b | 0x80 for b in range(0x100))


def _search(name: str) -> codecs.CodecInfo | None:
    key = name.lower().replace("-", "_")
    if key == "mutaika_cp50221":
        return codecs.CodecInfo(_codec_encode, _codec_decode, name=CP50221)
    if key == "mutaika_cp51932":
        return codecs.CodecInfo(_codec_encode_euc, _codec_decode_euc, name=CP51932)
    return None


codecs.register(_search)
