"""Bounds checked on the raw bytes, before any parsing is paid for."""

from __future__ import annotations

import re

from gateway.errors import QuarantineWhole
from gateway.pipeline.context import Context

_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_FIELD_START = re.compile(rb"^[^ \t\r\n]", re.MULTILINE)


def header_block(raw: bytes, limit: int) -> bytes | None:
    """The header block (without the blank line), or None when none ends within `limit` bytes."""
    match = _BLANK_LINE.search(raw, 0, limit + 4)
    if match is None:
        return raw if len(raw) <= limit else None
    return raw[: match.start()]


def count_fields(block: bytes) -> int:
    return len(_FIELD_START.findall(block))


class CheckLimits:
    name = "limits"

    def process(self, ctx: Context) -> None:
        limits = ctx.settings.limits
        ctx.report.size = len(ctx.raw)
        if len(ctx.raw) > limits.max_message_bytes:
            raise QuarantineWhole("too-large", f"{len(ctx.raw)} bytes > {limits.max_message_bytes}")
        block = header_block(ctx.raw, limits.max_header_bytes)
        if block is None:
            raise QuarantineWhole("header-too-large", f"over {limits.max_header_bytes} bytes")
        fields = count_fields(block)
        if fields > limits.max_headers:
            raise QuarantineWhole("too-many-headers", f"{fields} > {limits.max_headers}")
