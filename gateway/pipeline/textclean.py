"""Characters that must never reach a reader: controls, bidi overrides, zero-width marks.

Bidi overrides let `exe.pdf` be shown for `fdp.exe`; zero-width characters hide words from
filters and split look-alike URLs. One translate table serves headers, bodies and filenames,
so every path removes the same set.
"""

from __future__ import annotations

_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_ZERO_WIDTH = [0x200B, 0x200C, 0x200D, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF, 0x180E]
_C0 = [c for c in range(0x00, 0x20) if c not in (0x09, 0x0A)]
_C1 = [*range(0x7F, 0xA0)]

_INVISIBLE = dict.fromkeys([*_BIDI, *_ZERO_WIDTH, *_C0, *_C1])
# Headers and filenames are one line: a newline or tab there becomes a space, never a break.
_INVISIBLE_ONE_LINE = {**_INVISIBLE, 0x09: " ", 0x0A: " ", 0x0D: " "}
# ZWJ/ZWNJ shape emoji and some scripts; in a body they are harmless once bidi is gone,
# but they are dropped anyway: a body is plain text for officials, not typography.


def strip_invisible(text: str) -> str:
    """Drop controls (except tab and newline), bidi controls and zero-width characters."""
    return text.translate(_INVISIBLE)


def one_line(text: str) -> str:
    """For headers and filenames: invisible characters dropped, breaks and tabs made spaces."""
    return " ".join(text.translate(_INVISIBLE_ONE_LINE).split())
