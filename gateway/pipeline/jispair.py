"""A JIS X 0208 pair as Shift_JIS, by the standard arithmetic, and what cp932 (which carries
the NEC and IBM rows) makes of it: shared by the ISO-2022-JP decoder (jiscodec.py) and the au
emoji tables (carrier_emoji.py)."""

from __future__ import annotations


def jis_to_sjis(j1: int, j2: int) -> bytes:
    s1 = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5E else 0xB0)
    s2 = (j2 + (0x1F if j2 <= 0x5F else 0x20)) if j1 & 1 else j2 + 0x7E
    return bytes((s1, s2))


def jis_char(j1: int, j2: int) -> str:
    """What cp932 makes of a JIS X 0208 pair; U+FFFD where it has no character."""
    try:
        return jis_to_sjis(j1, j2).decode("cp932")
    except UnicodeDecodeError:
        return "\ufffd"
