"""Bounds on size, headers, parts, depth and time end in a notice-only, quarantined-whole mail."""

from __future__ import annotations

from gateway.config import LimitsSettings, SanitizeSettings
from gateway.pipeline import sanitize
from gateway.pipeline.limits import count_fields, header_block
from tests.shape import body_text, parse_output, shape_problems

HEAD = b"From: a@example.jp\r\nTo: b@city.lg.jp\r\nSubject: limits\r\nMIME-Version: 1.0\r\n"


def with_limits(**limits: object) -> SanitizeSettings:
    return SanitizeSettings(limits=LimitsSettings(**limits))  # type: ignore[arg-type]


def assert_whole(raw: bytes, settings: SanitizeSettings, reason: str) -> str:
    result = sanitize(raw, settings, quarantine_id="QLIMIT")
    assert result.report.verdict == "quarantined-whole"
    assert result.report.reason == reason
    assert result.report.removed == [] and result.removed_payloads == []
    assert shape_problems(result.message) == []
    message = parse_output(result.message)
    assert message["X-Mutaika-Verdict"] == "quarantined-whole"
    assert message["X-Mutaika-Quarantine-ID"] == "QLIMIT"
    text = body_text(result.message)
    assert "QLIMIT" in text and "全体を隔離" in text
    return text


def test_header_block_and_field_count() -> None:
    raw = b"A: 1\r\nB: 2\r\n folded\r\n\r\nbody"
    block = header_block(raw, 1000)
    assert block == b"A: 1\r\nB: 2\r\n folded"
    assert count_fields(block) == 2
    assert header_block(b"A: 1\r\n" * 100 + b"\r\nbody", 50) is None


def test_too_large() -> None:
    raw = HEAD + b"\r\n" + b"x" * 5000
    assert_whole(raw, with_limits(max_message_bytes=1000), "too-large")


def test_too_many_headers() -> None:
    raw = HEAD + b"".join(b"X-H%d: v\r\n" % i for i in range(50)) + b"\r\nbody\r\n"
    text = assert_whole(raw, with_limits(max_headers=20), "too-many-headers")
    assert "ヘッダーの数" in text


def test_header_block_too_large_keeps_subject() -> None:
    raw = HEAD + b"X-Big: " + b"y" * 4000 + b"\r\n\r\nbody\r\n"
    assert_whole(raw, with_limits(max_header_bytes=1000), "header-too-large")
    result = sanitize(raw, with_limits(max_header_bytes=1000))
    assert parse_output(result.message)["Subject"] == "limits"


def nested_multipart(depth: int) -> bytes:
    body = b"Content-Type: text/plain\r\n\r\ndeep\r\n"
    for level in range(depth):
        boundary = b"b%d" % level
        body = (
            b"Content-Type: multipart/mixed; boundary="
            + boundary
            + b"\r\n\r\n--"
            + boundary
            + b"\r\n"
            + body
            + b"\r\n--"
            + boundary
            + b"--\r\n"
        )
    return HEAD + body


def test_too_deep() -> None:
    assert_whole(nested_multipart(30), with_limits(max_mime_depth=10), "too-deep")
    assert (
        sanitize(nested_multipart(5), with_limits(max_mime_depth=10)).report.verdict == "sanitized"
    )


def test_too_many_parts() -> None:
    parts = b"".join(
        b"--b\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n" for _ in range(60)
    )
    raw = HEAD + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + b"--b--\r\n"
    assert_whole(raw, with_limits(max_parts=50), "too-many-parts")
    assert len(sanitize(raw, SanitizeSettings()).report.removed) == 60


def test_time_limit() -> None:
    raw = HEAD + b"Content-Type: text/plain\r\n\r\nbody\r\n"
    assert_whole(raw, with_limits(max_seconds=1e-9), "time-limit")


def test_html_bomb_stays_bounded() -> None:
    html = b"<div>" * 200_000 + b"text" + b"<a href='http://x.example/'>" * 50_000
    raw = HEAD + b"Content-Type: text/html; charset=us-ascii\r\n\r\n" + html
    result = sanitize(raw, SanitizeSettings(), quarantine_id="QBOMB")
    assert shape_problems(result.message) == []
    assert result.report.verdict == "sanitized"
    assert any("more than 200000 elements" in w for w in result.report.warnings)
