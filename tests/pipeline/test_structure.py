"""Which parts become body text and which are removed, in reading order."""

from __future__ import annotations

import base64
from email.message import Message
from pathlib import Path

import pytest

from gateway.config import SanitizeSettings
from gateway.pipeline import sanitize
from gateway.pipeline.parse import parse_message
from gateway.pipeline.structure import choose_alternative
from tests.shape import body_text, shape_problems

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
HEAD = b"From: a@example.jp\r\nTo: b@city.lg.jp\r\nSubject: s\r\nMIME-Version: 1.0\r\n"


def part(ctype: str, body: str) -> Message:
    return parse_message(f"Content-Type: {ctype}\r\n\r\n{body}".encode())


def run(body: bytes, **settings: object) -> tuple[str, list[str]]:
    result = sanitize(HEAD + body, SanitizeSettings(**settings), quarantine_id="QS")  # type: ignore[arg-type]
    assert shape_problems(result.message) == []
    return body_text(result.message), [p.reason for p in result.report.removed]


def test_alternative_prefers_plain_then_html() -> None:
    plain, html = part("text/plain", "plain"), part("text/html", "<p>html</p>")
    assert choose_alternative([plain, html], prefer_plain=True) is plain
    assert choose_alternative([plain, html], prefer_plain=False) is html
    empty = part("text/plain", "  \r\n")
    assert choose_alternative([empty, html], prefer_plain=True) is html
    assert choose_alternative([part("image/png", "x")], prefer_plain=True) is None


def test_alternative_html_only_when_configured() -> None:
    body = (
        b"Content-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: text/plain"
        b"\r\n\r\nPLAIN\r\n--a\r\nContent-Type: text/html\r\n\r\n<p>HTML</p>\r\n--a--\r\n"
    )
    text, removed = run(body)
    assert "PLAIN" in text and "HTML" not in text and removed == []
    text, _ = run(body, prefer_plain=False)
    assert "HTML" in text and "PLAIN" not in text


def test_related_root_by_start_parameter() -> None:
    body = (
        b'Content-Type: multipart/related; boundary=r; start="<root@x>"\r\n\r\n'
        b"--r\r\nContent-Type: image/gif\r\nContent-ID: <img@x>\r\n\r\nGIF89a\r\n"
        b"--r\r\nContent-Type: text/html\r\nContent-ID: <root@x>\r\n\r\n<p>ROOT</p>\r\n--r--\r\n"
    )
    text, removed = run(body)
    assert "ROOT" in text and removed == ["inline-image"]


def test_unknown_transfer_encoding_is_not_shown_as_text() -> None:
    body = b"Content-Type: text/plain\r\nContent-Transfer-Encoding: x-gzip64\r\n\r\nH4sIAAAA\r\n"
    text, removed = run(body)
    assert "H4sI" not in text and removed == ["attachment"]


def test_multipart_without_boundary_is_read_as_text() -> None:
    text, _ = run(b"Content-Type: multipart/mixed\r\n\r\nvisible words\r\n")
    assert "visible words" in text


def test_attachment_disposition_wins_over_text_type() -> None:
    body = (
        b"Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\n"
        b"BODY\r\n--m\r\nContent-Type: text/html\r\nContent-Disposition: attachment; "
        b"filename=page.html\r\n\r\n<p>ATTACHED</p>\r\n--m--\r\n"
    )
    text, removed = run(body)
    assert "BODY" in text and "ATTACHED" not in text and removed == ["attachment"]


def test_delivery_status_is_shown_as_text() -> None:
    body = (
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=d\r\n\r\n"
        b"--d\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n--d\r\n"
        b"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
        b"Final-Recipient: rfc822; x@example.jp\r\nStatus: 5.1.1\r\n--d--\r\n"
    )
    text, removed = run(body)
    assert "Delivery failed." in text and "Status: 5.1.1" in text and removed == []


def corpus_with_tag(tag: str) -> list[Path]:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    rows = (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [CORPUS / r.split("\t")[0] for r in rows if tag in r.split("\t")[-1].split(",")]


def test_tnef_items_are_listed() -> None:
    found = 0
    for path in corpus_with_tag("tnef"):
        report = sanitize(path.read_bytes(), SanitizeSettings()).report
        tnef = [p for p in report.removed if p.reason == "tnef"]
        assert tnef, path
        found += sum(1 for p in report.removed if p.reason == "tnef-item")
    assert found > 0, "no attachment inside any winmail.dat was listed"


def test_calendar_is_summarised() -> None:
    summarised = 0
    for path in corpus_with_tag("calendar"):
        result = sanitize(path.read_bytes(), SanitizeSettings())
        if any(p.reason == "calendar" for p in result.report.removed):
            summarised += "[予定表（招待）の内容]" in body_text(result.message)
    assert summarised >= 3


def test_base64_encoded_forward_is_decoded_and_quoted() -> None:
    inner = b"From: alice@example.org\r\nSubject: Inner\r\n\r\nforwarded words\r\n"
    body = (
        b"Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\n"
        b"see below\r\n--m\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64"
        b"\r\n\r\n" + base64.encodebytes(inner).replace(b"\n", b"\r\n") + b"--m--\r\n"
    )
    text, _ = run(body)
    assert "> 件名: Inner" in text and "> forwarded words" in text
    assert base64.encodebytes(inner).decode()[:20] not in text


# --- issue 10: text that must not be lost, parts listed for what they are -------------------


def test_utf16_text_is_text_not_binary() -> None:
    body = b"Content-Type: text/plain; charset=utf-16\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    body += base64.encodebytes("PowerShell の通知\r\n".encode("utf-16-le")).replace(b"\n", b"\r\n")
    text, removed = run(body)
    assert "PowerShell の通知" in text and removed == []


def test_enriched_alternative_is_chosen_over_nothing_and_unknown_text_is_shown() -> None:
    body = (
        b"Content-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\n"
        b"Content-Type: text/enriched\r\n\r\n<bold>Hi</bold> there\r\n--a\r\n"
        b"Content-Type: application/rtf\r\n\r\n{\\rtf1 x}\r\n--a--\r\n"
    )
    text, removed = run(body)
    assert "Hi there" in text and "<bold>" not in text and removed == ["attachment"]
    text, removed = run(b"Content-Type: text/x-log; charset=utf-8\r\n\r\nline 1\r\n")
    assert "line 1" in text and removed == []


def test_a_calendar_inline_and_attached_is_summarised_once() -> None:
    ics = (
        b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Review\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    body = (
        b"Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n"
        b"Content-Type: text/calendar; method=REQUEST\r\n\r\n" + ics + b"--m\r\n"
        b"Content-Type: application/ics; name=invite.ics\r\n\r\n" + ics + b"--m--\r\n"
    )
    text, removed = run(body)
    assert text.count("Review") == 1 and removed == ["calendar", "calendar"]


def test_an_empty_part_is_not_an_inline_image() -> None:
    body = (
        b"Content-Type: multipart/related; boundary=r\r\n\r\n"
        b"--r\r\nContent-Type: text/plain\r\n\r\nsee image\r\n"
        b"--r\r\nContent-Type: image/png\r\nContent-ID: <i>\r\n\r\n\r\n--r--\r\n"
    )
    result = sanitize(HEAD + body, SanitizeSettings())
    assert result.report.removed == []
    assert any("empty image/png" in w for w in result.report.warnings)


@pytest.mark.parametrize(
    ("language", "prefix"), [("ja", "含まれるファイル: "), ("en", "contains: ")]
)
def test_winmail_dat_items_are_listed_in_the_notice_language(language: str, prefix: str) -> None:
    raw = (Path(__file__).resolve().parents[1] / "data" / "golden" / "tnef-items.eml").read_bytes()
    result = sanitize(raw, SanitizeSettings(language=language))  # type: ignore[arg-type]
    tnef = [p for p in result.report.removed if p.reason == "tnef"]
    assert tnef[0].detail == f"{prefix}見積書.xlsx, run.exe"
    assert f"{prefix}見積書.xlsx, run.exe" in body_text(result.message)
