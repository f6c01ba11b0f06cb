"""message/external-body and message/partial (RFC 2046 §5.2.2-3): parts that point elsewhere.

Neither is a mail to read. An external body names data kept somewhere else (a URL, an FTP
site, a file, a mail server to ask); a partial is one fragment of a mail split for transport.
Both are described for the notice (the place or the fragment they stand for, never fetched,
never reassembled) and removed whole, so the reader can still ask for the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from gateway.pipeline.headers import decode_header_value, safe_filename
from gateway.pipeline.parse import children
from gateway.pipeline.textclean import one_line

EXTERNAL_BODY = "message/external-body"
PARTIAL = "message/partial"
TYPES = frozenset({EXTERNAL_BODY, PARTIAL})
MAX_PAYLOAD = 64 * 1024  # the phantom headers or fragment kept for the administrator

_FTP_ACCESS = {"ftp": "ftp", "anon-ftp": "ftp", "tftp": "tftp"}
_URL_SPACE = re.compile(r"\s+")  # RFC 2017: a long URL is folded with white space, not part of it


@dataclass(slots=True)
class Pointer:
    filename: str
    detail: str  # the place or fragment pointed at, to be neutralised by the notice
    payload: bytes


def _param(part: Message, name: str) -> str:
    try:
        value = part.get_param(name)
    except (ValueError, LookupError, TypeError, IndexError):
        return ""
    if isinstance(value, tuple):  # RFC 2231: (charset, language, text)
        value = value[2]
    return one_line(str(value))[:500] if value else ""


def _raw(part: Message) -> bytes:
    inner = children(part)
    source: object = inner[0] if inner else part.get_payload()
    try:
        data = source.as_bytes() if isinstance(source, Message) else str(source).encode()
    except Exception:  # a hostile header the generator cannot write: keep what str() gives
        data = str(source).encode("utf-8", "surrogateescape")
    return data[:MAX_PAYLOAD]


def _external(part: Message) -> Pointer:
    access = _param(part, "access-type").lower()
    name = _param(part, "name")
    site, directory = _param(part, "site"), _param(part, "directory").strip("/")
    inner = children(part)
    inner_type = one_line(str(inner[0].get("Content-Type", ""))) if inner else ""
    if access == "url":
        where = _URL_SPACE.sub("", _param(part, "url"))
        name = name or where.rstrip("/").rsplit("/", 1)[-1]
    elif access in _FTP_ACCESS and site:
        path = "/".join(p for p in (directory, name) if p)
        where = f"{_FTP_ACCESS[access]}://{site}/{path}"
    elif access == "mail-server":
        subject = decode_header_value(_param(part, "subject"))
        where = f"mail-server {_param(part, 'server')}" + (f" ({subject})" if subject else "")
    else:  # local-file, afs, content-id and unknown access types: what identifies the data
        where = " ".join(v for v in (site, directory, name) if v)
    fields = [f"access-type={access or '?'}", where]
    if inner_type:
        fields.append(f"type={inner_type.split(';')[0]}")
    detail = "message/external-body: " + ", ".join(f for f in fields if f)
    return Pointer(safe_filename(name), detail, _raw(part))


def _partial(part: Message) -> Pointer:
    number, total, ident = _param(part, "number"), _param(part, "total"), _param(part, "id")
    detail = f"message/partial: {number or '?'}/{total or '?'}"
    if ident:
        detail += f", id={ident}"
    return Pointer("", detail, _raw(part))


def describe_pointer(part: Message, ctype: str) -> Pointer:
    return _external(part) if ctype == EXTERNAL_BODY else _partial(part)
