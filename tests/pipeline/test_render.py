"""Turning body pieces into one readable, harmless text."""

from __future__ import annotations

from gateway.config import SanitizeSettings
from gateway.pipeline import sanitize
from gateway.pipeline.render import (
    defang_markup,
    looks_like_html_document,
    normalize_newlines,
    quote_lines,
)
from gateway.pipeline.textclean import tidy
from tests.shape import body_text, shape_problems

HEAD = b"From: a@example.jp\r\nTo: b@city.lg.jp\r\nSubject: s\r\nMIME-Version: 1.0\r\n"


def test_quote_lines_prefixes_each_level() -> None:
    assert quote_lines("a\n\nb", 2) == "> > a\n> >\n> > b"
    assert quote_lines("a", 0) == "a"


def test_tidy_collapses_blank_runs_and_trailing_space() -> None:
    assert tidy("\n\na  \n\n\n\nb\t \n\n") == "a\n\nb"


def test_newlines_normalised() -> None:
    assert normalize_newlines("a\r\nb\rc\n") == "a\nb\nc\n"


def test_markup_in_plain_text_is_defanged_not_lost() -> None:
    text = "if a < b then <script>x</script> and <b>bold</b> <br/>"
    out = defang_markup(text)
    assert "<script" not in out and "＜script>x＜/script>" in out
    assert "a < b" in out and "<b>bold" in out  # only tags that carry behaviour or layout
    assert "＜br/>" in out


def test_html_document_sniffing() -> None:
    assert looks_like_html_document("  <!DOCTYPE html><html>")
    assert looks_like_html_document("<!-- x --><HTML><body>")
    assert not looks_like_html_document("Hello <html> is a tag name")


def test_text_plain_holding_html_is_rendered() -> None:
    raw = (
        HEAD
        + b"Content-Type: text/plain\r\n\r\n<html><body><p>Hi</p><script>x()</script></body></html>"
    )
    result = sanitize(raw, SanitizeSettings())
    text = body_text(result.message)
    assert text.startswith("Hi\n") and "x()" not in text
    assert shape_problems(result.message) == []


def test_embedded_file_marker_names_the_file() -> None:
    uu = b"begin 644 a.exe\r\n#0V%T\r\n`\r\nend\r\n"
    raw = HEAD + b"Content-Type: text/plain\r\n\r\nbefore\r\n" + uu + b"after\r\n"
    result = sanitize(raw, SanitizeSettings(language="en"))  # type: ignore[arg-type]
    text = body_text(result.message)
    assert "[A file embedded in the text was removed: a.exe]" in text
    assert "\x00" not in text and "before" in text and "after" in text
    assert [p.filename for p in result.report.removed] == ["a.exe"]


def test_urls_in_plain_text_are_defanged_and_dangerous_ones_removed() -> None:
    raw = (
        HEAD
        + b"Content-Type: text/plain\r\n\r\n"
        + b"see https://evil.example.com/x and javascript:alert(1)\r\n"
    )
    text = body_text(sanitize(raw, SanitizeSettings()).message)
    assert "hxxps://evil[.]example[.]com/x" in text
    assert "javascript:" not in text


def test_bidi_and_zero_width_are_removed_from_body() -> None:
    raw = (
        HEAD + b"Content-Type: text/plain; charset=utf-8\r\n\r\nab\xe2\x80\xaecd\xe2\x80\x8bef\r\n"
    )
    assert body_text(sanitize(raw, SanitizeSettings()).message).startswith("abcdef\n")
