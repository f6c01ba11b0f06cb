"""PDF → pixel-rebuilt PDF: nothing active survives, the text layer reads back, limits hold."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
from pypdf import PdfReader

from gateway.safecopy import NoSafeCopy, Reason, SafeCopy, SafeCopyRunner
from tests.safecopy import samples
from tests.safecopy.conftest import make_settings
from tests.safecopy.pdfcheck import ACTIVE_KEYS, all_keys, page_xobjects

PDF = "application/pdf"


def test_hostile_pdf_comes_out_image_only(runner: SafeCopyRunner) -> None:
    original = samples.hostile_pdf()
    assert {"/OpenAction", "/JS", "/EmbeddedFiles", "/Annots"} <= all_keys(original)
    assert b"/Launch" in original
    result = runner.convert(original, "請求書.pdf", PDF)
    assert isinstance(result, SafeCopy), result
    assert result.filename == "請求書.pdf" and result.media_type == PDF
    assert all_keys(result.data) & ACTIVE_KEYS == set()
    assert page_xobjects(result.data) == [["/Image"]]
    assert b"pwned" not in result.data and b"evil.exe" not in result.data
    assert b"cmd.exe" not in result.data and b"/Launch" not in result.data


def test_text_layer_carries_the_japanese_text(runner: SafeCopyRunner) -> None:
    original = samples.pdf([["請求書 令和6年度", "合計 10,000円 ①㈱髙"], ["二ページ目"]])
    result = runner.convert(original, "a.pdf", PDF)
    assert isinstance(result, SafeCopy)
    document = pdfium.PdfDocument(result.data)
    assert len(document) == 2
    first = document[0].get_textpage().get_text_range()
    assert "請求書 令和6年度" in first and "①㈱髙" in first
    assert "二ページ目" in document[1].get_textpage().get_text_range()


def test_without_text_layer_there_is_no_text_at_all() -> None:
    settings = make_settings().model_copy(update={"pdf_text_layer": False})
    result = SafeCopyRunner(settings).convert(samples.pdf([["秘密"]]), "a.pdf", PDF)
    assert isinstance(result, SafeCopy)
    assert b"HeiseiKakuGo" not in result.data  # the text layer's font
    assert pdfium.PdfDocument(result.data)[0].get_textpage().get_text_range().strip() == ""


def test_page_size_kept_and_pixels_bounded() -> None:
    settings = make_settings(max_page_pixels=200_000)
    original = samples.pdf([["big"]], page_size=(2000, 3000))
    result = SafeCopyRunner(settings).convert(original, "a.pdf", PDF)
    assert isinstance(result, SafeCopy)
    page = PdfReader(io.BytesIO(result.data)).pages[0]
    assert round(float(page.mediabox.width)) == 2000 and round(float(page.mediabox.height)) == 3000
    image = next(iter(page["/Resources"]["/XObject"].values())).get_object()
    assert image["/Width"] * image["/Height"] <= 200_000


def test_two_thousand_pages_are_refused_with_a_note(runner: SafeCopyRunner) -> None:
    result = runner.convert(samples.many_pages(2000), "big.pdf", PDF)
    assert isinstance(result, NoSafeCopy)
    assert result.reason is Reason.TOO_MANY_PAGES
    assert result.detail == "2000 pages; the limit is 300"


def test_encrypted_pdf_needs_its_password(runner: SafeCopyRunner) -> None:
    result = runner.convert(samples.encrypted_pdf("pw-1234"), "a.pdf", PDF)
    assert isinstance(result, NoSafeCopy) and result.reason is Reason.PASSWORD_PROTECTED


def test_slow_pdf_stops_at_the_time_limit() -> None:
    settings = make_settings(max_seconds=0.5)
    result = SafeCopyRunner(settings).convert(samples.many_pages(250), "a.pdf", PDF)
    assert isinstance(result, NoSafeCopy) and result.reason is Reason.TIMEOUT
