"""Junk before the headers and unusable boundaries, recovered only where one reading exists."""

from __future__ import annotations

import pytest

from gateway.config import SanitizeSettings
from gateway.pipeline import sanitize
from gateway.pipeline.parse import parse_message
from gateway.pipeline.recover import (
    cut_mime_source,
    repair_boundaries,
    strip_leading_junk,
    the_boundary,
)
from tests.shape import body_text, shape_problems

HEADERS = b"From: a@example.jp\r\nTo: b@city.lg.jp\r\nSubject: s\r\n\r\nbody\r\n"


@pytest.mark.parametrize(
    "junk", [b"garbage\r\n", b"\r\n", b">From someone Tue Jan 1\r\n", b"x\r\n\r\n", b"1 2\n"]
)
def test_junk_before_a_header_block_is_dropped(junk: bytes) -> None:
    raw, dropped = strip_leading_junk(junk + HEADERS, 65536)
    assert raw == HEADERS and dropped >= 1


@pytest.mark.parametrize(
    "raw",
    [
        HEADERS,  # nothing to do
        b"From sender@example.jp Tue Jan  1 00:00:00 2026\r\n" + HEADERS,  # mbox line: stdlib's
        b"just a text\r\nwith lines\r\nand more\r\n",  # no header block anywhere
        b"junk\r\nSubject: only one field\r\n\r\nbody",  # one field: not plainly headers
        b"a\r\nb\r\nc\r\n" + HEADERS,  # more junk than a client would skip
    ],
)
def test_no_recovery_without_a_plain_header_block(raw: bytes) -> None:
    assert strip_leading_junk(raw, 65536) == (raw, 0)


def test_the_one_used_boundary_not_a_nested_declared_one() -> None:
    text = (
        "--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n"
        "--inner\r\nContent-Type: text/plain\r\n\r\nx\r\n--inner--\r\n--outer--\r\n"
    )
    assert the_boundary(text) == "outer"
    assert the_boundary("--a\r\nContent-Type: x/y\r\n\r\n--b\r\nContent-Type: x/y\r\n") is None
    assert the_boundary("no delimiters at all") is None
    assert the_boundary("-- \r\nsignature\r\n") is None


def test_repair_rereads_the_part_with_the_used_boundary() -> None:
    message = parse_message(
        b'Content-Type: multipart/mixed; boundary="WRONG"\r\n\r\n'
        b"--right\r\nContent-Type: text/plain\r\n\r\none\r\n"
        b"--right\r\nContent-Type: text/plain\r\n\r\ntwo\r\n--right--\r\n"
    )
    assert not message.is_multipart()
    assert repair_boundaries(message) == 1
    assert [p.get_payload() for p in message.get_payload()] == ["one", "two"]  # type: ignore[union-attr]
    assert message.get_param("boundary") == "right"


def test_cut_mime_source_lists_parts_and_keeps_outside_text() -> None:
    text = (
        "Preamble.\r\n--a\r\nContent-Type: text/plain\r\n\r\nA\r\n"
        "--b\r\nContent-Type: image/png; name=x.png\r\n\r\nPNG\r\n--a--\r\nEpilogue.\r\n"
    )
    rest, parts = cut_mime_source(text)
    assert [p.get_content_type() for p in parts] == ["text/plain", "image/png"]
    assert "Preamble." in rest and "Epilogue." in rest and "Content-Type" not in rest
    assert cut_mime_source("plain words\r\n-- \r\nsig\r\n") == ("plain words\r\n-- \r\nsig\r\n", [])


def test_ambiguous_mime_source_is_never_shown_as_text() -> None:
    raw = (
        b"From: a@example.jp\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="nope"\r\n\r\n'
        b"--x1\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>\r\n"
        b"--x2\r\nContent-Type: application/octet-stream; name=a.exe\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n"
    )
    result = sanitize(raw, SanitizeSettings(), quarantine_id="QR")
    assert shape_problems(result.message) == []
    text = body_text(result.message)
    assert "Content-Type" not in text and "TVqQ" not in text
    assert [p.filename for p in result.report.removed] == ["", "a.exe"]
    assert all("broken-structure" in p.flags for p in result.report.removed)
