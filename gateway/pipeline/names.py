"""File names padded with blanks so that a second extension falls out of view.

`請求書.pdf　　　　　　.exe` shows as a PDF in a narrow column. Runs of blanks (ASCII,
ideographic, no-break, the Unicode spaces, and the blank-looking Hangul fillers and braille
blank) are collapsed for display to one marked gap, and a name that had one is flagged.
"""

from __future__ import annotations

import re

PADDING_MARK = " … "
_BLANK = (
    "[ \\t\\u00a0\\u1680\\u2000-\\u200a\\u202f\\u205f\\u3000\\u2800\\u3164\\uffa0\\u115f\\u1160]"
)
# Three blanks anywhere, or two right before the last extension, are padding, not a typo.
_PADDING = re.compile(f"{_BLANK}{{3,}}|{_BLANK}{{2,}}(?=\\.[^.\\s]{{1,16}}$)")


def collapse_padding(name: str) -> str:
    """The name with each padding run shown as one marked gap (PADDING_MARK)."""
    return _PADDING.sub(PADDING_MARK, name)


def was_padded(shown: str) -> bool:
    return PADDING_MARK in shown
