"""Header fields written for the output mail: RFC 2047 words in UTF-8 or ISO-2022-JP, folded.

Each ISO-2022-JP word starts and ends in ASCII mode, no word splits a character, lines stay
≤ 78 where possible and never pass 998 octets, and the value is one line first: no value can
start a second field.
"""

from __future__ import annotations

import binascii
import re
from email.utils import getaddresses

from gateway.pipeline.jiscodec import encode_iso2022jp, jis_normalize
from gateway.pipeline.textclean import one_line

MAX_VALUE_CHARS = 16 * 1024
ADDRESS_FIELDS = frozenset({"from", "to", "cc", "reply-to"})
_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]|=\?')  # a display name with one must be quoted
_ADDR_SPEC = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]{1,64}@[A-Za-z0-9.\-\[\]:]{1,255}")
_FIELD_NAME_JUNK = re.compile(r"[^\x21-\x39\x3b-\x7e]")
_MAX_PATH = 254  # RFC 5321: a longer address cannot be relayed anyway
_UNROUTABLE = "invalid@invalid.invalid"  # RFC 2606: a reply to it fails visibly, never misroutes


def mailbox(name: str, addr: str) -> str:
    """`name <addr>` with the name quoted when it holds a special character."""
    if not name:
        return addr
    if _SPECIALS.search(name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{addr}>" if addr else name


_WORD_PREFIX = {"utf-8": "=?UTF-8?B?", "iso-2022-jp": "=?ISO-2022-JP?B?"}
_MAX_WORD = 75
_MAX_ATOM = 900  # with a name of ≤ 76 characters a line can never pass 998 octets


def _jis_cost(text: str, budget: int) -> list[str]:
    """Cut text so each piece, encoded CP50220 and ending in ASCII mode, fits `budget` bytes."""
    pieces: list[str] = []
    start, size, jis = 0, 0, False
    for i, char in enumerate(text):
        wide = not char.isascii()
        step = (2 if wide else 1) + (3 if wide != jis else 0)
        if i > start and size + step + (3 if wide else 0) > budget:
            pieces.append(text[start:i])
            start, size, jis = i, 0, False
            step = (2 + 3) if wide else 1
        size += step
        jis = wide
    pieces.append(text[start:])
    return pieces


def _utf8_cost(text: str, budget: int) -> list[str]:
    pieces: list[str] = []
    start, size = 0, 0
    for i, char in enumerate(text):
        step = len(char.encode("utf-8"))
        if i > start and size + step > budget:
            pieces.append(text[start:i])
            start, size = i, 0
        size += step
    pieces.append(text[start:])
    return pieces


def encoded_words(text: str, charset: str, max_len: int = _MAX_WORD) -> list[str]:
    """RFC 2047 B-words of ≤ max_len characters; no character or ISO-2022-JP state spans two."""
    jis = charset == "iso-2022-jp"
    prefix = _WORD_PREFIX["iso-2022-jp" if jis else "utf-8"]
    budget = (max(max_len, 40) - len(prefix) - 2) // 4 * 3
    if jis:
        pieces = [encode_iso2022jp(p) for p in _jis_cost(jis_normalize(text), budget)]
    else:
        pieces = [p.encode("utf-8") for p in _utf8_cost(text, budget)]
    return [prefix + binascii.b2a_base64(p, newline=False).decode("ascii") + "?=" for p in pieces]


def _text_atoms(value: str, charset: str, max_len: int) -> list[str]:
    atoms: list[str] = []
    run: list[str] = []
    for word in value.split(" "):
        if not word.isascii() or "=?" in word or len(word) > _MAX_ATOM:
            run.append(word)
            continue
        if run:
            atoms += encoded_words(" ".join(run), charset, max_len)
            run = []
        atoms.append(word)
    if run:
        atoms += encoded_words(" ".join(run), charset, max_len)
    return [a for a in atoms if a]


def _ascii_addr(addr: str) -> tuple[str, str]:
    """(addr-spec to write, note for the display name when the original cannot be written)."""
    if len(addr) > _MAX_PATH:
        return _UNROUTABLE, addr
    if _ADDR_SPEC.fullmatch(addr):
        return addr, ""
    local, at, domain = addr.rpartition("@")
    if at and local.isascii() and _ADDR_SPEC.fullmatch(local + "@x"):
        try:
            return f"{local}@{domain.encode('idna').decode('ascii')}", ""
        except UnicodeError:
            pass
    return _UNROUTABLE, addr


def _address_atoms(value: str, charset: str, max_len: int) -> list[str]:
    pairs = [(n, a) for n, a in getaddresses([value]) if n or a]
    if not pairs:
        return _text_atoms(value, charset, max_len)
    atoms: list[str] = []
    for name, addr in pairs:
        spec, note = _ascii_addr(addr.strip()) if addr else ("", "")
        if note:
            name = f"{name} ({note})" if name else note
        words = name.split(" ")
        if name.isascii() and "=?" not in name and max(map(len, words)) <= _MAX_ATOM:
            atoms += mailbox(name, "").split(" ") if name else []
        elif name:
            atoms += encoded_words(name, charset, max_len)
        atoms.append(f"<{spec}>," if name and spec else spec + ",")
    atoms[-1] = atoms[-1][:-1]
    return [a for a in atoms if a]


def format_header(name: str, value: str, charset: str) -> bytes:
    """One field, CRLF-terminated, folded at ≤ 78 where possible and never past 998 octets.

    A non-ASCII addr-spec cannot be written in a 7-bit header: it moves into the display
    name and the address becomes invalid@invalid.invalid, so a reply fails instead of straying.
    """
    name = _FIELD_NAME_JUNK.sub("", name)[:76] or "X-Invalid-Name"
    if len(value) > MAX_VALUE_CHARS:
        value = value[:MAX_VALUE_CHARS] + "…"
    value = one_line(value.encode("utf-8", "replace").decode("utf-8"))
    # Words short enough to share the first line with the field name: lines stay ≤ 78.
    max_len = min(_MAX_WORD, 78 - len(name) - 2)
    if name.lower() in ADDRESS_FIELDS:
        atoms = _address_atoms(value, charset, max_len)
    else:
        atoms = _text_atoms(value, charset, max_len)
    lines: list[str] = []
    line = name + ":"
    for atom in atoms:
        if len(line) + 1 + len(atom) > 78 and line != name + ":":
            lines.append(line)
            line = ""
        line += " " + atom
    lines.append(line)
    return "\r\n".join(lines).encode("ascii", "replace") + b"\r\n"
