"""Japanese carrier emoji (docomo, au/KDDI, SoftBank) as Unicode emoji, never as U+FFFD.

Feature phones wrote emoji in private code ranges: Shift_JIS user-defined rows (docomo
F89F-F9FC, au F340-F7FC, SoftBank F741-FBDE), au's ISO-2022-JP mail rows 0x75-0x7B, and
carrier-specific private-use Unicode in UTF-8. The tables (carrier_emoji_data.py) come from
jpmobile; where a carrier emoji has no Unicode equivalent, 〓 (geta, the mark Japanese mail
uses for "a character that cannot be shown") stands in.

The codes overlap: docomo's and au's Shift_JIS codes do not collide with each other, but
SoftBank's collide with both and, at FB41-FBDE, with IBM kanji. So docomo and au codes are
read without knowing the sender, and SoftBank's only when the sender's address says SoftBank.
"""

from __future__ import annotations

import functools
import re

from gateway.pipeline import carrier_emoji_data as data
from gateway.pipeline.jispair import jis_char

GETA = "〓"
DOCOMO, AU, SOFTBANK = "docomo", "au", "softbank"
_DOMAINS = {
    DOCOMO: ("docomo.ne.jp",),
    AU: ("ezweb.ne.jp", "au.com", "biz.ezweb.ne.jp"),
    SOFTBANK: ("softbank.ne.jp", "i.softbank.jp", "vodafone.ne.jp", "disney.ne.jp"),
}
_ADDRESS_DOMAIN = re.compile(r"@([A-Za-z0-9.-]+)")


def carrier_of(address: str) -> str | None:
    """The carrier whose mail domain the address (or From value) is in; None for others."""
    domains_seen = _ADDRESS_DOMAIN.findall(address)
    if not domains_seen:
        return None
    # The last @domain: the address itself, not a display name quoting another one.
    domain = domains_seen[-1].lower().rstrip(".")
    for carrier, domains in _DOMAINS.items():
        if any(domain == d or domain.endswith("." + d) for d in domains):
            return carrier
    return None


def _pairs(table: str) -> dict[int, str]:
    out = {}
    for item in table.split():
        left, right = item.split(":")
        out[int(left, 16)] = right
    return out


@functools.cache
def _emoji(carrier: str) -> dict[int, str]:
    """Carrier private-use code point → Unicode emoji."""
    table = {DOCOMO: data.DOCOMO_EMOJI, AU: data.AU_EMOJI, SOFTBANK: data.SOFTBANK_EMOJI}
    return {
        code: "".join(chr(int(c, 16)) for c in value.split("+"))
        for code, value in _pairs(table[carrier]).items()
    }


def _shown(carrier: str, private: int) -> str:
    return _emoji(carrier).get(private, GETA)


@functools.cache
def _sjis_codes(carrier: str) -> dict[int, int]:
    table = {DOCOMO: data.DOCOMO_SJIS, AU: data.AU_SJIS, SOFTBANK: data.SOFTBANK_SJIS}
    return {code: int(value, 16) for code, value in _pairs(table[carrier]).items()}


def au_mail_jis() -> dict[int, str]:
    """au's ISO-2022-JP emoji: JIS pair (as a big-endian number) → emoji."""
    return {code: _shown(AU, int(value, 16)) for code, value in _pairs(data.AU_MAIL_JIS).items()}


@functools.cache
def _cp932_table(carrier: str | None) -> tuple[re.Pattern[str], dict[str, str]]:
    """What cp932 made of each carrier code (a private-use character, or an IBM kanji for
    SoftBank's FBxx codes) → the emoji."""
    table: dict[str, str] = {}
    for each in (carrier,) if carrier else (DOCOMO, AU):
        for sjis, private in _sjis_codes(each).items():
            try:
                char = sjis.to_bytes(2, "big").decode("cp932")
            except UnicodeDecodeError:
                continue
            table[char] = _shown(each, private)
    return _char_class(table), table


@functools.cache
def _unicode_table(carrier: str) -> tuple[re.Pattern[str], dict[str, str]]:
    table = {chr(code): emoji for code, emoji in _emoji(carrier).items()}
    for private in _sjis_codes(carrier).values():
        table.setdefault(chr(private), GETA)
    return _char_class(table), table


def _char_class(table: dict[str, str]) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(c) for c in sorted(table)) + "]")


@functools.cache
def _au_jis_kanji() -> tuple[re.Pattern[str], dict[str, str]]:
    """au mail from a known au address: its emoji in JIS rows 0x79-0x7B, which CP50221 reads
    as NEC-selected IBM kanji (the rows without kanji are read as emoji by jiscodec)."""
    table = {}
    for code, emoji in au_mail_jis().items():
        char = jis_char(code >> 8, code & 0xFF)
        if char != "\ufffd":
            table[char] = emoji
    return _char_class(table), table


def carrier_emoji(text: str, codec: str, carrier: str | None) -> str:
    """Carrier emoji in text decoded with `codec` made standard emoji (or 〓)."""
    if codec == "cp932":
        pattern, table = _cp932_table(carrier)
    elif codec.startswith("utf") and carrier is not None:
        pattern, table = _unicode_table(carrier)
    elif codec == "mutaika-cp50221" and carrier == AU:
        pattern, table = _au_jis_kanji()
    else:
        return text
    if not pattern.search(text):
        return text
    return pattern.sub(lambda m: table[m.group()], text)
