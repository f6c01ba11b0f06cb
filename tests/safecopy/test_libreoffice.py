"""Legacy Office and OpenDocument through LibreOffice; said clearly where it is missing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from gateway.config import SafeCopySettings
from gateway.pipeline.parts import detect_type
from gateway.safecopy import Excerpt, NoSafeCopy, Reason, SafeCopy, SafeCopyRunner
from tests.safecopy import samples
from tests.safecopy.pdfcheck import ACTIVE_KEYS, all_keys

needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice is not installed (not part of setup.sh)"
)


def legacy(tmp_path: Path, source: bytes, name: str, target: str) -> bytes:
    """A legacy file written by LibreOffice itself from a python-docx/openpyxl file."""
    (tmp_path / name).write_bytes(source)
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation={profile}",
         "--convert-to", target, "--outdir", str(tmp_path), name],
        cwd=tmp_path, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return (tmp_path / name).with_suffix("." + target).read_bytes()


@needs_libreoffice
def test_doc_becomes_a_rebuilt_pdf(runner: SafeCopyRunner, tmp_path: Path) -> None:
    doc = legacy(tmp_path, samples.docx_bytes(["旧形式の文書です。", "二行目"]), "a.docx", "doc")
    result = runner.convert(doc, "古い.doc", detect_type(doc))
    assert isinstance(result, SafeCopy), result
    assert result.filename == "古い.pdf" and "LibreOffice" in result.notes[0]
    assert all_keys(result.data) & ACTIVE_KEYS == set()
    assert (
        "旧形式の文書です。" in pdfium.PdfDocument(result.data)[0].get_textpage().get_text_range()
    )
    excerpt = runner.excerpt(doc, "古い.doc", detect_type(doc))
    assert isinstance(excerpt, Excerpt) and excerpt.text == "旧形式の文書です。\n二行目"


@needs_libreoffice
def test_xls_excerpt_and_copy(runner: SafeCopyRunner, tmp_path: Path) -> None:
    xls = legacy(tmp_path, samples.xlsx_bytes([["日付", "金額"], ["4月", 1200]]), "b.xlsx", "xls")
    excerpt = runner.excerpt(xls, "b.xls", detect_type(xls))
    assert isinstance(excerpt, Excerpt) and excerpt.text == "[Sheet1]\n日付 | 金額\n4月 | 1200"
    assert isinstance(runner.convert(xls, "b.xls", detect_type(xls)), SafeCopy)


def test_without_libreoffice_the_reason_says_so() -> None:
    runner = SafeCopyRunner(SafeCopySettings(libreoffice="off"))
    result = runner.convert(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "a.doc",
                            "application/msword")  # fmt: skip
    assert isinstance(result, NoSafeCopy) and result.reason is Reason.NO_CONVERTER
    assert "LibreOffice" in result.detail and "not installed" in result.detail


@needs_libreoffice
def test_opendocument_becomes_a_rebuilt_pdf(runner: SafeCopyRunner, tmp_path: Path) -> None:
    odt = legacy(tmp_path, samples.docx_bytes(["オープン文書"]), "c.docx", "odt")
    assert detect_type(odt) == "application/vnd.oasis.opendocument.text"
    result = runner.convert(odt, "c.odt", detect_type(odt))
    assert isinstance(result, SafeCopy) and result.filename == "c.pdf"
    excerpt = runner.excerpt(odt, "c.odt", detect_type(odt))
    assert isinstance(excerpt, Excerpt) and excerpt.text == "オープン文書"
