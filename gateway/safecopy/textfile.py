"""Text files (CSV, TXT, HTML) decoded the way the sanitizer decodes mail text.

These run in the gateway's own process: decoding a bounded prefix with codecs, and rendering
HTML with the sanitizer's renderer, is the same work the sanitizer already does on every
mail body. Charsets: a BOM (UTF-8, UTF-16, UTF-32) first, then UTF-16 without a BOM when the
zero bytes show it, then gateway.pipeline.charset (UTF-8, CP932, EUC-JP, ISO-2022-JP, …).
"""

from __future__ import annotations

import codecs
import re

from gateway.pipeline.charset import decode_bytes
from gateway.pipeline.html_text import html_to_text
from gateway.safecopy.budget import Budget
from gateway.safecopy.job import Job
from gateway.safecopy.kinds import Kind
from gateway.safecopy.results import Excerpt, Reason, Refusal
from gateway.types import UrlPolicy

SAMPLE_BYTES = 64 * 1024
HTML_MAX_NODES = 20_000
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)  # fmt: skip
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE
)
_HIGHS = bytes(range(0x80, 0x100))


def _sample(data: bytes, max_chars: int) -> bytes:
    """A prefix cut at a line end, so no multi-byte character is split."""
    size = max(SAMPLE_BYTES, max_chars * 4 + 16)
    if len(data) <= size:
        return data
    sample = data[:size]
    line_end = sample.rfind(b"\n")
    return sample[: line_end + 1] if line_end > size // 2 else sample.rstrip(_HIGHS)


def _utf16_without_bom(sample: bytes) -> str | None:
    head = sample[:2048]
    pairs = len(head) // 2
    if pairs < 8:
        return None
    even_zero = head[0 : pairs * 2 : 2].count(0)
    odd_zero = head[1 : pairs * 2 : 2].count(0)
    if odd_zero > pairs * 0.4 and even_zero < pairs * 0.05:
        return "utf-16-le"
    if even_zero > pairs * 0.4 and odd_zero < pairs * 0.05:
        return "utf-16-be"
    return None


def decode_text(data: bytes, max_chars: int, declared: str | None = None) -> str:
    sample = _sample(data, max_chars)
    for bom, codec in _BOMS:
        if sample.startswith(bom):
            return sample[len(bom) :].decode(codec, "replace").rstrip("\ufffd")
    wide = _utf16_without_bom(sample)
    if wide is not None:
        return sample[: len(sample) // 2 * 2].decode(wide, "replace").rstrip("\ufffd")
    return decode_bytes(sample, declared).text


def _html(job: Job, budget: Budget) -> None:
    head = job.data[:2048]
    match = _META_CHARSET.search(head)
    declared = match.group(1).decode("ascii") if match else None
    html = decode_text(job.data, job.max_chars * 8, declared)
    rendered = html_to_text(
        html, url_policy=UrlPolicy.KEEP, language=job.language, max_nodes=HTML_MAX_NODES
    )
    budget.add(rendered.text)


def excerpt_in_process(job: Job) -> Excerpt:
    budget = Budget(job.max_chars)
    if job.kind is Kind.HTML:
        _html(job, budget)
    elif job.kind in (Kind.CSV, Kind.TEXT):
        budget.add(decode_text(job.data, job.max_chars))
    else:
        raise Refusal(Reason.UNSUPPORTED, f"{job.kind} is not a text file")
    return budget.excerpt()


IN_PROCESS = frozenset({Kind.CSV, Kind.TEXT, Kind.HTML})
