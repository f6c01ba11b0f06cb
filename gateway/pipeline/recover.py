"""Broken structure read the way mainstream clients read it, where that reading is the only one.

- A junk line (or blank line) before the header block makes the stdlib parser take the whole
  mail as a body, headers and MIME source included. When what follows the junk is plainly a
  header block, the junk is dropped, as Thunderbird and mutt skip a stray first line.
- A multipart whose declared boundary never occurs (a wrong case, lost quotes, a changed
  boundary) is re-read with the one delimiter its body does use, when exactly one is used
  and not declared by a part inside.
- Otherwise the body of such a multipart is MIME source: never shown as text, but cut into
  its parts, each listed (cut_mime_source).
"""

from __future__ import annotations

import re
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32

from gateway.pipeline import mimeinfo as mi

_PARSER = BytesParser(policy=compat32)  # parse.py imports this module: its parser is ours too

MAX_JUNK_LINES = 2
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)")
_FIELD = re.compile(rb"[\x21-\x39\x3b-\x7e]{1,76}[ \t]*:")
_KNOWN_FIELD = re.compile(
    rb"(?i)(?:from|to|cc|subject|date|message-id|mime-version|content-type|received|"
    rb"return-path|reply-to|delivered-to|x-mailer)[ \t]*:"
)
_BLANK = re.compile(rb"[ \t]*(?:\r\n|\r|\n)")


def _header_block_at(raw: bytes, pos: int, limit: int) -> bool:
    """Lines from pos up to a blank line are fields or continuations, two known fields at least."""
    known = 0
    first = True
    while pos < min(len(raw), limit):
        line = _LINE.match(raw, pos)
        if line is None:
            return False
        text = line.group(0)
        if _BLANK.fullmatch(text):
            return known >= 2
        if _FIELD.match(text):
            known += bool(_KNOWN_FIELD.match(text))
        elif first or text[:1] not in (b" ", b"\t"):
            return False
        first = False
        pos = line.end()
    return False


def strip_leading_junk(raw: bytes, limit: int) -> tuple[bytes, int]:
    """(raw without the junk lines before its header block, how many were dropped)."""
    if _FIELD.match(raw) or raw.startswith(b"From "):
        return raw, 0
    pos = 0
    for dropped in range(1, MAX_JUNK_LINES + 1):
        line = _LINE.match(raw, pos)
        if line is None:
            break
        pos = line.end()
        if _header_block_at(raw, pos, limit):
            return raw[pos:], dropped
    return raw, 0


# A delimiter line: "--", a boundary (RFC 2046: up to 70 characters, no trailing space), maybe
# "--" to close; used for the repair only when a MIME header follows it.
_DELIMITER = re.compile(r"(?m)^--([^\s\"\\][^\r\n\"\\]{0,68}?[^\s\"\\]?)[ \t]*\r?$")
_PART_HEAD = re.compile(r"(?i)\r?\n(?:content-[a-z-]+|mime-version)[ \t]*:")
_DECLARED = re.compile(r"(?i)boundary[ \t]*=[ \t]*\"?([^\"\r\n;]+)")


def _opening_delimiters(text: str) -> dict[str, int]:
    """Boundary → how many of its delimiter lines are followed by a MIME header."""
    found: dict[str, int] = {}
    for match in _DELIMITER.finditer(text):
        boundary = match.group(1)
        if _PART_HEAD.match(text, match.end()):
            found[boundary] = found.get(boundary, 0) + 1
    return found


def the_boundary(text: str) -> str | None:
    """The one boundary the body uses and no inner part declares; None when not exactly one."""
    declared = {b.strip() for b in _DECLARED.findall(text)}
    used = [b for b in _opening_delimiters(text) if b not in declared]
    return used[0] if len(used) == 1 else None


def repair_boundaries(message: Message) -> int:
    """Re-read each multipart left as text with the boundary its body uses; how many."""
    repaired = 0
    for part in list(message.walk()):
        payload = part.get_payload()
        ctype = mi.content_type(part)
        if not ctype.startswith("multipart/") or not isinstance(payload, str):
            continue
        boundary = the_boundary(payload)
        if boundary is None:
            continue
        head = f'Content-Type: {ctype}; boundary="{boundary}"\r\n\r\n'
        reread = _PARSER.parsebytes(head.encode() + payload.encode("ascii", "surrogateescape"))
        kids = reread.get_payload()
        if not isinstance(kids, list) or not kids:
            continue
        part.set_param("boundary", boundary)
        part.set_payload(kids)
        part.preamble, part.epilogue = reread.preamble, reread.epilogue
        repaired += 1
    return repaired


def cut_mime_source(text: str) -> tuple[str, list[Message]]:
    """(the text outside any part, the parts) of a body that holds MIME parts as source.

    A part starts at a delimiter-like line followed by a MIME header and ends at the next
    delimiter-like line; ([], text) when there is none.
    """
    starts = [m for m in _DELIMITER.finditer(text) if _PART_HEAD.match(text, m.end())]
    if not starts:
        return text, []
    boundaries = {m.start() for m in _DELIMITER.finditer(text)}
    edges = sorted(boundaries | {len(text)})
    outside: list[str] = [text[: starts[0].start()]]
    pieces: list[Message] = []
    for match in starts:
        end = next(e for e in edges if e > match.start())
        source = text[match.end() : end].lstrip("\r\n")
        pieces.append(_PARSER.parsebytes(source.encode("ascii", "surrogateescape")))
    last_end = next(e for e in edges if e > starts[-1].start())
    tail = _DELIMITER.sub("", text[last_end:])
    outside.append(tail)
    return "\n".join(t.strip("\r\n") for t in outside if t.strip()), pieces
