"""The sanitizer: raw mail bytes in, one clean text/plain mail out. Pure: no I/O, no globals."""

from __future__ import annotations

import time
from collections.abc import Sequence

from gateway.config import SanitizeSettings
from gateway.pipeline.base import run_pipeline
from gateway.pipeline.context import Context
from gateway.pipeline.excerpter import Excerpter
from gateway.pipeline.stages import STAGES, WHOLE_STAGES
from gateway.types import Envelope, SanitizeReport, SanitizeResult

__all__ = ["quarantine_whole", "sanitize"]


def _context(
    raw: bytes, settings: SanitizeSettings, envelope: Envelope | None, quarantine_id: str,
    request_link: bool, excerpter: Excerpter | None = None, notes: Sequence[str] = (),
) -> Context:
    report = SanitizeReport(quarantine_id=quarantine_id, size=len(raw))
    deadline = time.monotonic() + settings.limits.max_seconds
    return Context(raw=raw, settings=settings, envelope=envelope, report=report, deadline=deadline,
                   request_link=request_link, excerpter=excerpter,
                   extra_notes=tuple(notes))  # fmt: skip


def _result(ctx: Context, started: float) -> SanitizeResult:
    ctx.report.timings_ms["total"] = (time.perf_counter() - started) * 1e3
    return SanitizeResult(ctx.output, ctx.report, ctx.removed_payloads, ctx.reader_text)


def sanitize(
    raw: bytes,
    settings: SanitizeSettings,
    *,
    envelope: Envelope | None = None,
    quarantine_id: str = "",
    request_link: bool = False,
    excerpter: Excerpter | None = None,
    notes: Sequence[str] = (),
) -> SanitizeResult:
    """Sanitize one message. Never raises on bad mail: the worst outcome is quarantined-whole.

    request_link: the notice carries the place of a per-recipient release-request link
    (gateway.pipeline.links.REQUEST_LINK_MARK), filled in for each recipient at delivery.
    excerpter: reads the text of removed documents for the notice (gateway.pipeline.excerpts);
    None: no excerpts. notes: sentences of the caller's, listed in the notice after ours."""
    started = time.perf_counter()
    ctx = _context(raw, settings, envelope, quarantine_id, request_link, excerpter, notes)
    run_pipeline(ctx, STAGES, WHOLE_STAGES)
    return _result(ctx, started)


def quarantine_whole(
    raw: bytes,
    settings: SanitizeSettings,
    *,
    reason: str,
    detail: str = "",
    envelope: Envelope | None = None,
    quarantine_id: str = "",
    request_link: bool = False,
) -> SanitizeResult:
    """The notice-only mail for a message that must not be read (e.g. killed at the time limit)."""
    started = time.perf_counter()
    ctx = _context(raw, settings, envelope, quarantine_id, request_link)
    ctx.report.mark_whole(reason, detail)
    run_pipeline(ctx, WHOLE_STAGES, WHOLE_STAGES)
    return _result(ctx, started)
