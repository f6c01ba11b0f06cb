"""Characters that must never reach a reader: controls, bidi overrides, zero-width marks.

Bidi overrides let `exe.pdf` be shown for `fdp.exe`; zero-width characters hide words from
filters and split look-alike URLs. One character class serves headers, bodies and filenames,
so every path removes the same set.
"""

from __future__ import annotations

import re

_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
# U+200D (ZWJ) is not here: it joins emoji sequences, and goes only where it joins
# nothing (_LONE_ZWJ).
_ZERO_WIDTH = [0x200B, 0x200C, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF, 0x180E]
_C0 = [c for c in range(0x00, 0x20) if c not in (0x09, 0x0A)]
_C1 = [*range(0x7F, 0xA0)]
INVISIBLE_CODEPOINTS = frozenset([*_BIDI, *_ZERO_WIDTH, *_C0, *_C1])


def _char_class(codepoints: frozenset[int]) -> re.Pattern[str]:
    # A regex class scans in C: ~20x faster than str.translate on an 18 KB Japanese body.
    return re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(codepoints)) + "]+")


_INVISIBLE = _char_class(INVISIBLE_CODEPOINTS)
_INVISIBLE_EXCEPT_CR = _char_class(INVISIBLE_CODEPOINTS - {0x0D})
# Emoji a ZWJ sequence is built from (pictographs, symbols, VS16, skin tones, tag ends);
# a ZWJ between anything else (inside a word, a URL host) hides nothing worth keeping.
_EMOJI = (
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2190-\u21ff\u2300-\u23ff\u2460-\u24ff"
    "\u25a0-\u27bf\u2934\u2935\u2b00-\u2bff\u3030\u303d\u3297\u3299\ufe0f"
    "\U0001f000-\U0001faff\U000e0020-\U000e007f"
)
_LONE_ZWJ = re.compile(f"(?<![{_EMOJI}])\u200d|\u200d(?![{_EMOJI}])")
# Only ASCII white space folds: the ideographic space U+3000 in 「【重要】　お知らせ」 is text.
_ASCII_SPACE_RUN = re.compile(r"[ \t\r\n]+")


def strip_invisible(text: str) -> str:
    """Drop controls (except tab and newline), bidi controls and zero-width characters
    (a ZWJ only where it joins no emoji)."""
    text = _INVISIBLE.sub("", text)
    return _LONE_ZWJ.sub("", text) if "\u200d" in text else text


def one_line(text: str) -> str:
    """For headers and filenames: invisible characters dropped, breaks and tabs made spaces."""
    text = _INVISIBLE_EXCEPT_CR.sub("", text)
    if "\u200d" in text:
        text = _LONE_ZWJ.sub("", text)
    return _ASCII_SPACE_RUN.sub(" ", text).strip(" ")


def tidy(text: str) -> str:
    """Trailing spaces off every line, no run of more than one blank line, no blank ends."""
    kept: list[str] = []
    for line in text.split("\n"):
        # "-- " keeps its space: it is the signature delimiter (RFC 3676 §4.3) clients look for.
        line = "-- " if line.startswith("-- ") and not line[3:].strip() else line.rstrip()
        if line or (kept and kept[-1]):
            kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept)
