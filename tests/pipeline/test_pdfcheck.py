"""PDF scripts, automatic and launch actions and embedded files are flagged; nothing crashes."""

from __future__ import annotations

import email
import io
from email import policy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter

from gateway.pipeline import pdfcheck
from gateway.pipeline.parts import describe_removed
from gateway.pipeline.pdfcheck import inspect_pdf

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def pdf(objects: list[bytes]) -> bytes:
    """A small PDF with a correct cross-reference table."""
    out = b"%PDF-1.7\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % at for at in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


CATALOG = b"<< /Type /Catalog /Pages 2 0 R %s >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] %s >>"


def writer_pdf(attachment: bool = False) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    if attachment:
        writer.add_attachment("payload.exe", b"MZ")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_plain_pdf_has_no_findings() -> None:
    assert inspect_pdf(writer_pdf()).names == []
    goto = pdf([CATALOG % b"/OpenAction [3 0 R /Fit]", PAGES, PAGE % b""])
    assert inspect_pdf(goto).names == []  # opening at a page is no action


JS_NAMES = b"/Names << /JavaScript << /Names [(a) << /S /JavaScript /JS (app.alert(1)) >>] >> >>"


def test_document_javascript_and_embedded_files_written_by_a_library() -> None:
    assert "/JavaScript" in inspect_pdf(pdf([CATALOG % JS_NAMES, PAGES, PAGE % b""])).names
    assert inspect_pdf(writer_pdf(attachment=True)).flags == ["embedded-files"]


@pytest.mark.parametrize(
    ("catalog", "page", "name"),
    [
        (b"/OpenAction << /S /JavaScript /JS (x) >>", b"", "/OpenAction"),
        (b"/AA << /WC << /S /JavaScript /JS (x) >> >>", b"", "/AA"),
        (b"", b"/Annots [<< /Subtype /Link /A << /S /Launch /F (cmd.exe) >> >>]", "/Launch"),
        (b"", b"/AA << /O << /S /SubmitForm /F (http://x.example/) >> >>", "/SubmitForm"),
        (b"/OpenAction << /S /J#61vaScript /JS (x) >>", b"", "/JavaScript"),  # #-escaped name
    ],
)
def test_actions(catalog: bytes, page: bytes, name: str) -> None:
    found = inspect_pdf(pdf([CATALOG % catalog, PAGES, PAGE % page]))
    assert name in found.names and found.flags == ["active-content"]


def test_damaged_pdf_falls_back_to_the_raw_names() -> None:
    broken = b"%PDF-1.4\n1 0 obj << /OpenAction << /S /Launch /F (x) >> >>\n%% no xref, no end"
    assert {"/OpenAction", "/Launch"} <= set(inspect_pdf(broken).names)


def test_over_the_object_bound_the_raw_names_still_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdfcheck, "MAX_OBJECTS", 1)
    data = pdf([CATALOG % b"", PAGES, PAGE % b"/AA << /O << /S /Launch /F (x) >> >>"])
    assert "/Launch" in inspect_pdf(data).names


def test_flags_reach_the_removed_part_with_a_detail() -> None:
    data = pdf([CATALOG % b"/OpenAction << /S /JavaScript /JS (x) >>", PAGES, PAGE % b""])
    part = describe_removed(data, filename="a.pdf", declared_type="application/pdf", reason="a")
    assert "active-content" in part.flags and "/OpenAction" in part.detail


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=600), st.integers(0, 600))
def test_any_damage_never_raises(noise: bytes, at: int) -> None:
    data = bytearray(writer_pdf(attachment=True) + pdf([CATALOG % JS_NAMES, PAGES, PAGE % b""]))
    data[at : at + len(noise)] = noise
    inspect_pdf(bytes(data))


def test_corpus_pdf_with_javascript() -> None:
    path = CORPUS / "rspamd" / "pdf_js.eml"
    if not path.is_file():
        pytest.skip(f"corpus not found at {CORPUS}")
    message = email.message_from_bytes(path.read_bytes(), policy=policy.compat32)
    pdfs = [
        p.get_payload(decode=True) for p in message.walk() if p.get_content_type().endswith("pdf")
    ]
    assert pdfs and any(
        "active-content" in inspect_pdf(p).flags for p in pdfs if isinstance(p, bytes)
    )
