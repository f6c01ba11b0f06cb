"""What a winmail.dat (TNEF) holds: its attachments and, when it has one, its text body.

tnefparse does the decoding, but it trusts every count in the stream: a 32-bit property or
value count makes it loop billions of times, and it copies the rest of the buffer for every
object it reads. So the stream is walked here first, reading lengths and counts only, and
tnefparse is given the prefix that is safe to hand over.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import tnefparse

from gateway.pipeline.containers import u16, u32
from gateway.pipeline.html_text import html_to_text
from gateway.pipeline.textclean import one_line
from gateway.types import Language, UrlPolicy

MAX_ITEMS = 200
MAX_OBJECTS = 5000
COPY_BUDGET = 1 << 30  # bytes tnefparse may copy while slicing; ~0.1 s of memcpy
MAX_DEPTH = 4  # messages attached inside messages
MAX_HTML = 1024 * 1024
MAX_HTML_NODES = 50_000

_SIGNATURE = b"\x78\x9f\x3e\x22"
_MAPI_OBJECTS = {0x9003, 0x9005}  # message and attachment property lists
_RECIPIENTS = 0x9004
_ATTACH_DATA_OBJ = 0x3701
_IMESSAGE = b"\x07\x03\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"
_FIXED = {0x2: 2, 0xB: 2, 0x3: 4, 0x4: 4, 0xA: 4, 0x5: 8, 0x6: 8, 0x7: 8, 0x14: 8, 0x40: 8}
_FIXED[0x48] = 16  # a GUID
_VARIABLE = {0x0, 0x1E, 0x1F, 0xD, 0x102}


@dataclass(slots=True)
class TnefContents:
    items: list[tuple[str, bytes]] = field(default_factory=list)
    body_text: str = ""
    warnings: list[str] = field(default_factory=list)


class _Hostile(Exception):
    """A count or nesting in the stream that would make tnefparse run unbounded."""


def _check_count(count: int, data: bytes, offset: int, unit: int) -> None:
    if count > (len(data) - offset) // unit + 1:
        raise _Hostile(f"count {count} larger than the data")


def _walk_values(
    data: bytes, offset: int, kind: int, name: int, many: int | None, depth: int
) -> int:
    if kind in _FIXED:
        step = _FIXED[kind] * (many or 1)
        return offset + step + (2 if kind in (0x2, 0xB) and (many or 1) % 2 else 0)
    if kind not in _VARIABLE:
        return len(data)  # tnefparse stops at an unknown type
    for _ in range(many or 1):
        count = 1
        if many is None:
            count = u32(data, offset)
            offset += 4
            _check_count(count, data, offset, 4)
        for _ in range(count):
            length = u32(data, offset)
            value = data[offset + 4 : offset + 4 + length]
            if name == _ATTACH_DATA_OBJ and value.startswith(_IMESSAGE):
                _walk_stream(value[len(_IMESSAGE) :], depth + 1)
            offset += 4 + length + (-length % 4)
    return offset


def _walk_mapi(data: bytes, offset: int, depth: int) -> int:
    """Check one property list the way tnefparse will read it; return where it ends."""
    count = u32(data, offset)
    offset += 4
    _check_count(count, data, offset, 4)
    for _ in range(count):
        if offset >= len(data):
            break
        kind, name = u16(data, offset), u16(data, offset + 2)
        offset += 4
        if name >= 0x8000:  # named property: a GUID, then a number or a padded name
            offset += 20
            if u32(data, offset - 4) == 0:
                offset += 4
            else:
                length = u32(data, offset)
                offset += 4 + length + (-length % 4)
        many = None
        if kind & 0x1000:
            kind ^= 0x1000
            many = u32(data, offset)
            offset += 4
            _check_count(many, data, offset, 2)
        offset = _walk_values(data, offset, kind, name, many, depth)
    return offset


def _walk_stream(data: bytes, depth: int) -> int:
    """Length of the prefix of a TNEF stream that tnefparse can read in bounded time."""
    if depth > MAX_DEPTH:
        raise _Hostile("messages nested too deep")
    offset, copied, objects = 6, 0, 0
    while offset + 12 < len(data):  # tnefparse's own loop condition
        length = min(len(data) - offset, u32(data, offset + 5) + 11)
        copied += len(data) - offset
        objects += 1
        if copied > COPY_BUDGET or objects > MAX_OBJECTS:
            return offset
        name, body = u16(data, offset + 1), data[offset + 9 : offset + length - 2]
        if name in _MAPI_OBJECTS and len(body) >= 4:
            _walk_mapi(body, 0, depth)
        elif name == _RECIPIENTS and len(body) >= 4:
            rows, at = u32(body, 0), 4
            _check_count(rows, body, at, 4)
            for _ in range(rows):
                if at + 4 > len(body):
                    break
                at = _walk_mapi(body, at, depth)
        offset += length
    return len(data)


def _text(value: object, codepage: str) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode(codepage, "replace").rstrip("\x00")
        except LookupError:  # a code page number Python has no codec for
            return value.decode("cp1252", "replace").rstrip("\x00")
    return value.rstrip("\x00") if isinstance(value, str) else ""


def _name(attachment: tnefparse.TNEFAttachment, codepage: str) -> str:
    try:
        name = attachment.long_filename()
    except UnicodeDecodeError:  # the short name is raw bytes in the sender's code page
        name = getattr(attachment, "_name", b"")
    return one_line(_text(name, codepage))


def _read(data: bytes, out: TnefContents, language: Language) -> None:
    usable = _walk_stream(data, 0)
    if usable < len(data):
        out.warnings.append(f"read only the first {usable} of {len(data)} bytes")
    parsed = tnefparse.TNEF(data[:usable], do_checksum=False)
    codepage = parsed.codepage or "cp1252"
    for attachment in parsed.attachments[:MAX_ITEMS]:
        out.items.append((_name(attachment, codepage), bytes(attachment.data)))
    if len(parsed.attachments) > MAX_ITEMS:
        out.warnings.append(f"{len(parsed.attachments) - MAX_ITEMS} more attachments not listed")
    if parsed.body:
        out.body_text = _text(parsed.body, codepage).replace("\r\n", "\n")
    elif parsed.htmlbody:
        # Links are kept here: the caller neutralises URLs in every text piece.
        rendered = html_to_text(
            _text(parsed.htmlbody, codepage),
            url_policy=UrlPolicy.KEEP,
            language=language,
            max_nodes=MAX_HTML_NODES,
            max_bytes=MAX_HTML,
        )
        out.body_text = rendered.text
        out.warnings.extend(rendered.warnings)
    elif parsed.has_body():
        out.warnings.append("the body is in compressed RTF and was not converted")


def tnef_contents(data: bytes, language: Language = Language.JA) -> TnefContents:
    """Attachments and body of a winmail.dat; damage becomes a warning, never an exception.

    `language` is only used to render an HTML body (image and link markers).
    """
    out = TnefContents()
    if not data.startswith(_SIGNATURE):
        out.warnings.append("not a TNEF stream (wrong signature)")
        return out
    try:
        _read(data, out, language)
    except _Hostile as exc:
        out.warnings.append(f"refused: {exc}")
    # tnefparse raises whatever its slicing and struct calls hit on damaged data (struct,
    # Unicode, Value, Index, Assertion, Recursion errors...): one part of one mail must
    # not fail the message, so everything is caught here and only here.
    except Exception as exc:
        out.warnings.append(f"damaged: {type(exc).__name__}: {str(exc)[:200]}")
    return out
