"""The notice: every removed part with its facts, the quarantine ID, how to ask for release."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import SanitizeSettings
from gateway.errors import ConfigError
from gateway.pipeline import sanitize
from gateway.pipeline.notice import human_size, load_template
from gateway.types import Language
from tests.shape import body_text, shape_problems

RAW = (
    b"From: a@example.jp\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/zip\r\n"
    b"Content-Disposition: attachment; filename=data.zip\r\n\r\nPK\x05\x06"
    + bytes(18)
    + b"\r\n--b--\r\n"
)


def test_human_size() -> None:
    assert human_size(0) == "0 B" and human_size(2048) == "2.0 KB"
    assert human_size(5 * 1024**2) == "5.0 MB"


def test_japanese_notice_lists_parts() -> None:
    result = sanitize(RAW, SanitizeSettings(release_contact="総務課"), quarantine_id="Q7")
    text = body_text(result.message)
    part = result.report.removed[0]
    assert "1. data[.]zip" in text and part.sha256 in text  # .zip is a domain: defanged
    assert "隔離ID: Q7" in text and "総務課へ解除を依頼" in text
    assert "圧縮ファイル" in text  # the archive flag in Japanese


def test_english_notice() -> None:
    settings = SanitizeSettings(language=Language.EN, release_contact="the IT desk")
    text = body_text(sanitize(RAW, settings, quarantine_id="Q8").message)
    assert "The following 1 item(s) were removed:" in text
    assert "Quarantine ID: Q8" in text and "ask the IT desk" in text


def test_custom_template(tmp_path: Path) -> None:
    template = tmp_path / "notice.j2"
    template.write_text("REMOVED={{ removed|length }} ID={{ quarantine_id }}\n", encoding="utf-8")
    settings = SanitizeSettings(notice_template=str(template))
    text = body_text(sanitize(RAW, settings, quarantine_id="Q9").message)
    assert text.rstrip().endswith("REMOVED=1 ID=Q9")


def test_missing_template_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="notice_template"):
        load_template(str(tmp_path / "absent.j2"), Language.JA)


def test_hostile_file_names_are_harmless_in_the_notice() -> None:
    raw = (
        b"From: a@example.jp\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="javascript:alert(1).pdf"\r\n\r\nx\r\n'
        b"--b\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="www.evil.example.com <script>.pdf"\r\n\r\n'
        b"y\r\n--b--\r\n"
    )
    result = sanitize(raw, SanitizeSettings())
    assert shape_problems(result.message) == []
    text = body_text(result.message)
    assert "javascript:" not in text and "www.evil.example.com" not in text
    assert "www[.]evil[.]example[.]com" in text and "<script" not in text
