"""Downloads that a browser saves and never renders: a safe name, a neutral type."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from urllib.parse import quote

from fastapi import Response
from fastapi.responses import StreamingResponse

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str, fallback: str) -> str:
    """A file name without paths, control characters or leading dots, at most 150 characters."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '"<>|:*?').strip(" .")
    return name[:150] or fallback


def attachment(data: bytes, name: str, fallback: str, media_type: str) -> Response:
    name = safe_name(name, fallback)
    ascii_name = _UNSAFE.sub("_", name).strip("_.") or fallback
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "no-store",
    })


def jsonl_download(lines: Iterator[str], name: str) -> StreamingResponse:
    """Lines streamed as a JSON Lines attachment. The first is read before the 200 is sent,
    so a refusal or a store error still gets its own answer."""
    first = next(lines, "")

    def chain() -> Iterator[str]:
        if first:
            yield first
        yield from lines

    return StreamingResponse(chain(), media_type="application/jsonl",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})
