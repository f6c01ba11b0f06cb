"""The run loop: stages in order, one place where a message is stopped.

Like Mailman 3's handler pipeline: each stage is a small object with `name` and `process(ctx)`;
a stage that finds the message must not cross raises QuarantineWhole, caught here and nowhere
else, and the message becomes a notice-only mail with the original kept whole.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Protocol

from gateway.errors import QuarantineWhole
from gateway.pipeline.context import Context
from gateway.types import Verdict

log = logging.getLogger(__name__)


class Stage(Protocol):
    name: str

    def process(self, ctx: Context) -> None: ...


def run_pipeline(ctx: Context, stages: Sequence[Stage], whole: Sequence[Stage]) -> None:
    """Run `stages`; on QuarantineWhole (or a bug of ours) restart with the `whole` stages."""
    try:
        _run(ctx, stages)
        return
    except QuarantineWhole as stop:
        reason, detail = stop.reason, stop.detail
    except Exception as exc:  # a bug must cost one message its body, never the loop or the mail
        log.exception("sanitizer failed; quarantining the message whole")
        reason, detail = "internal-error", f"{type(exc).__name__}: {exc}"[:300]
    ctx.report.mark_whole(reason, detail)
    _discard_partial_work(ctx)
    try:
        _run(ctx, whole)
    except Exception:  # even the notice failed: the fixed fallback still says what happened
        log.exception("notice-only build failed; using the fixed fallback")
        ctx.output = fallback_message(ctx.report.quarantine_id, ctx.report.reason)


def fallback_message(quarantine_id: str, reason: str) -> bytes:
    """A notice mail built from constants only: the one output that cannot fail."""
    safe_id = "".join(c for c in quarantine_id if c.isalnum() or c in "-_")[:64]
    lines = [
        "Subject: [mutaika] quarantined message",
        f"X-Mutaika-Verdict: {Verdict.QUARANTINED_WHOLE.value}",
        f"X-Mutaika-Quarantine-ID: {safe_id}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "Content-Transfer-Encoding: 7bit",
        "",
        "This message was quarantined whole by the mail gateway and could not be shown.",
        f"Reason: {''.join(c for c in reason if c.isalnum() or c in '-_')[:64]}",
        f"Quarantine ID: {safe_id}",
        "",
    ]
    return "\r\n".join(lines).encode("ascii")


def _run(ctx: Context, stages: Sequence[Stage]) -> None:
    timings = ctx.report.timings_ms
    for stage in stages:
        started = time.perf_counter()
        stage.process(ctx)
        timings[stage.name] = timings.get(stage.name, 0.0) + (time.perf_counter() - started) * 1e3


def _discard_partial_work(ctx: Context) -> None:
    # What a failed run decided about parts cannot be trusted; the original is kept whole.
    ctx.pieces.clear()
    ctx.notes.clear()
    ctx.body_text = ""
    ctx.report.removed.clear()
    ctx.report.excerpts.clear()
    ctx.removed_payloads.clear()
