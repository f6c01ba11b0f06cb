"""The release-request link in a notice: one per recipient, filled into the finished mail.

The sanitizer runs once per mail and the spool keeps one copy for all its recipients, but the
link is signed for each recipient. So the notice holds REQUEST_LINK_MARK where the link goes,
and with_link() puts the real one in at each delivery: it decodes the body of our own output
(one text/plain part whose shape gateway.pipeline.build decided), replaces the last mark, and
encodes the body again with the same rules. The link is ours and points inside LGWAN: it is
never defanged.
"""

from __future__ import annotations

import base64
import binascii
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Literal

from gateway.pipeline.build import choose_transfer_encoding, encode_transfer
from gateway.pipeline.charset import encode_body
from gateway.pipeline.jiscodec import CP50221

REQUEST_LINK_MARK = "[[mutaika-request-link]]"
_MARK = REQUEST_LINK_MARK.encode("ascii")


def with_link(message: bytes, url: str) -> bytes:
    """`message` (a sanitized mail) with its request link; unchanged when it has no mark."""
    split = message.find(b"\r\n\r\n")
    if split < 0:
        return message
    head, body = message[: split + 2], message[split + 4 :]
    parsed = BytesHeaderParser(policy=compat32).parsebytes(head + b"\r\n")
    encoding = str(parsed.get("Content-Transfer-Encoding", "7bit")).strip().lower()
    charset: Literal["utf-8", "iso-2022-jp"] = (
        "iso-2022-jp" if parsed.get_content_charset() == "iso-2022-jp" else "utf-8"
    )
    if encoding == "base64":
        raw = base64.b64decode(body)
    elif encoding == "quoted-printable":
        raw = binascii.a2b_qp(body)
    else:
        raw = body
    text = raw.decode(CP50221 if charset == "iso-2022-jp" else "utf-8", "replace")
    text = text.replace("\r\n", "\n")
    at = text.rfind(REQUEST_LINK_MARK)
    if at < 0:
        return message
    text = text[:at] + url + text[at + len(REQUEST_LINK_MARK) :]
    new_body = encode_body(text, charset)
    new_encoding = choose_transfer_encoding(new_body)
    if new_encoding != encoding:
        head = _replace_encoding(head, new_encoding)
    return head + b"\r\n" + encode_transfer(new_body, new_encoding)


def _replace_encoding(head: bytes, encoding: str) -> bytes:
    lines = head.split(b"\r\n")
    for n, line in enumerate(lines):
        if line.lower().startswith(b"content-transfer-encoding:"):
            lines[n] = b"Content-Transfer-Encoding: " + encoding.encode("ascii")
    return b"\r\n".join(lines)
