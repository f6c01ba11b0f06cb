"""The run loop: a stage's QuarantineWhole or a bug stops the message, never the caller."""

from __future__ import annotations

import pytest

from gateway.config import SanitizeSettings
from gateway.errors import QuarantineWhole
from gateway.pipeline import quarantine_whole, sanitize
from gateway.pipeline.base import fallback_message, run_pipeline
from gateway.pipeline.context import Context
from gateway.pipeline.stages import STAGES, WHOLE_STAGES
from gateway.types import SanitizeReport
from tests.shape import body_text, parse_output, shape_problems

RAW = b"From: a@example.jp\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\nhello\r\n"


class Boom:
    name = "boom"

    def process(self, ctx: Context) -> None:
        raise RuntimeError("a bug in a stage")


class Stop:
    name = "stop"

    def process(self, ctx: Context) -> None:
        raise QuarantineWhole("too-deep", "test")


def context(raw: bytes = RAW) -> Context:
    return Context(
        raw=raw,
        settings=SanitizeSettings(),
        envelope=None,
        report=SanitizeReport(quarantine_id="QBASE"),
        deadline=float("inf"),
    )


@pytest.mark.parametrize(("stage", "reason"), [(Boom(), "internal-error"), (Stop(), "too-deep")])
def test_stop_becomes_notice_only(stage: object, reason: str) -> None:
    ctx = context()
    run_pipeline(ctx, (*STAGES[:2], stage, *STAGES[2:]), WHOLE_STAGES)  # type: ignore[arg-type]
    assert ctx.report.verdict == "quarantined-whole" and ctx.report.reason == reason
    assert shape_problems(ctx.output) == []
    assert "hello" not in body_text(ctx.output)  # nothing of the content crosses
    assert parse_output(ctx.output)["Subject"] == "x"


def test_failing_notice_uses_fixed_fallback() -> None:
    ctx = context()
    run_pipeline(ctx, (Boom(),), (Boom(),))  # type: ignore[arg-type]
    assert ctx.output == fallback_message("QBASE", "internal-error")
    assert shape_problems(ctx.output) == []
    assert parse_output(ctx.output)["X-Mutaika-Quarantine-ID"] == "QBASE"


def test_fallback_cannot_be_injected() -> None:
    out = fallback_message("Q1\r\nBcc: evil@example.com", "x\r\ny")
    assert shape_problems(out) == []
    message = parse_output(out)
    assert message["Bcc"] is None
    assert message["X-Mutaika-Quarantine-ID"] == "Q1Bccevilexamplecom"


def test_quarantine_whole_entry_point() -> None:
    result = quarantine_whole(RAW, SanitizeSettings(), reason="time-limit", quarantine_id="QT")
    assert result.report.verdict == "quarantined-whole"
    assert "処理時間" in body_text(result.message)
    assert "hello" not in body_text(result.message)


def test_timings_are_reported_per_stage() -> None:
    report = sanitize(RAW, SanitizeSettings()).report
    assert {s.name for s in STAGES} <= set(report.timings_ms)
    assert report.timings_ms["total"] >= max(report.timings_ms[s.name] for s in STAGES)


def test_quarantined_whole_report_keeps_subject_and_sender() -> None:
    report = quarantine_whole(RAW, SanitizeSettings(), reason="time-limit").report
    assert (report.subject, report.from_address) == ("x", "a@example.jp")
    assert report.original_content_type == "text/plain"
