"""Two Content-Type or Content-Transfer-Encoding fields: the first counts; differing ones stop."""

from __future__ import annotations

import pytest

from gateway.config import SanitizeSettings
from gateway.pipeline import sanitize
from gateway.pipeline.ambiguity import duplicate_fields
from gateway.pipeline.parse import parse_message

HEAD = "From: a@example.jp\r\nSubject: s\r\nMIME-Version: 1.0\r\n"


@pytest.mark.parametrize(
    ("fields", "differ"),
    [
        ("Content-Type: text/plain\r\nContent-Type: TEXT/PLAIN; charset=us-ascii\r\n", False),
        ("Content-Type: text/plain; charset=sjis\r\nContent-Type: text/plain; charset=cp932\r\n",
         False),  # two labels for one codec
        ("Content-Transfer-Encoding: 7bit\r\nContent-Transfer-Encoding: 8bit\r\n", False),
        ("Content-Type: text/plain\r\nContent-Type: application/x-msdownload\r\n", True),
        ("Content-Type: text/plain; charset=utf-8\r\nContent-Type: text/plain; charset=koi8-r\r\n",
         True),
        ('Content-Type: multipart/mixed; boundary=a\r\nContent-Type: multipart/mixed; boundary=b'
         "\r\n", True),
        ("Content-Type: application/pdf; name=a.pdf\r\nContent-Type: application/pdf; name=a.exe"
         "\r\n", True),
        ("Content-Transfer-Encoding: base64\r\nContent-Transfer-Encoding: 7bit\r\n", True),
        ("Content-Type: text/plain\r\n", False),
    ],
)  # fmt: skip
def test_readings(fields: str, differ: bool) -> None:
    message = parse_message((HEAD + fields + "\r\nbody\r\n").encode())
    alike, different = duplicate_fields(message)
    assert bool(different) == differ
    assert bool(alike) == (not differ and fields.count("Content-") == 2)


def test_a_differing_duplicate_in_an_inner_part_quarantines_the_mail() -> None:
    raw = (
        HEAD + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\naGk=\r\n--b--\r\n"
    ).encode()
    result = sanitize(raw, SanitizeSettings(), quarantine_id="QA")
    assert result.report.verdict == "quarantined-whole"
    assert result.report.reason == "ambiguous-headers"
    assert b"aGk" not in result.message


def test_alike_duplicates_are_reported_not_stopped() -> None:
    raw = (HEAD + "Content-Type: text/plain\r\nContent-Type: text/plain\r\n\r\nhello\r\n").encode()
    report = sanitize(raw, SanitizeSettings()).report
    assert report.verdict == "clean"
    assert any("duplicate content-type" in w for w in report.warnings)
