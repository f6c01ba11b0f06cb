"""Macro-enabled and linked OOXML → macro-free documents that their libraries still open."""

from __future__ import annotations

import io
import zipfile

import docx
import openpyxl
import pptx
import pytest

from gateway.pipeline.parts import detect_type, inspect_payload
from gateway.safecopy import NoSafeCopy, Reason, SafeCopy, SafeCopyRunner
from gateway.types import PartFlag
from tests.safecopy import samples

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _convert(runner: SafeCopyRunner, data: bytes, name: str) -> SafeCopy:
    result = runner.convert(data, name, detect_type(data))
    assert isinstance(result, SafeCopy), result
    return result


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_docm_becomes_a_docx_without_macros_links_or_fields(runner: SafeCopyRunner) -> None:
    original = samples.hostile_docm()
    assert PartFlag.MACROS in inspect_payload(original, filename="見積.docm", declared_type="")[1]
    result = _convert(runner, original, "見積.docm")
    assert result.filename == "見積.docx" and result.media_type == DOCX
    parts = _parts(result.data)
    assert not [n for n in parts if "vba" in n.lower() or "activex" in n.lower()]
    assert not [n for n in parts if "embeddings" in n]
    types = parts["[Content_Types].xml"].decode()
    assert "macroEnabled" not in types and "vbaProject" not in types and "oleObject" not in types
    assert "wordprocessingml.document.main+xml" in types
    everything = b"".join(parts.values())
    gone_words = (
        b"cmd.exe",
        b"instrText",
        b"fldChar",
        b"INCLUDEPICTURE",
        b"evil.example",
        b"attachedTemplate",
        b"OLEObject",
        b"w:control",
        b'TargetMode="External"',
    )
    for gone in gone_words:
        assert gone not in everything, gone
    flags = inspect_payload(result.data, filename=result.filename, declared_type=DOCX)[1]
    assert PartFlag.MACROS not in flags
    text = [p.text for p in docx.Document(io.BytesIO(result.data)).paragraphs]
    assert "計算結果" in text and "リンクの文字" in text and "見積書をお送りします。" in text
    assert set(result.notes) >= {
        "removed macros (VBA project): 1", "removed ActiveX controls: 1",
        "removed OLE objects: 1", "removed DDE and external fields: 2",
    }  # fmt: skip


def test_xlsm_loses_dde_formulas_macro_sheets_and_external_links(runner: SafeCopyRunner) -> None:
    result = _convert(runner, samples.hostile_xlsm(), "売上.xlsm")
    assert result.filename == "売上.xlsx"
    parts = _parts(result.data)
    assert not [n for n in parts if "vba" in n or "macrosheet" in n or "externalLink" in n]
    book = openpyxl.load_workbook(io.BytesIO(result.data))
    assert book.sheetnames == ["Sheet1"]
    sheet = book["Sheet1"]
    assert sheet["A1"].value == "売上"
    assert sheet["B1"].value is None and sheet["C1"].value is None  # DDE, WEBSERVICE
    assert sheet["D1"].value == "=1+2"  # an ordinary formula stays
    assert "Auto_Open" not in parts["xl/workbook.xml"].decode()


def test_pptm_loses_macros_and_program_actions(runner: SafeCopyRunner) -> None:
    original = samples.hostile_pptm()
    assert b"ppaction://program" in b"".join(_parts(original).values())
    result = _convert(runner, original, "議事録.pptm")
    assert result.filename == "議事録.pptx"
    parts = _parts(result.data)
    assert not [n for n in parts if "vba" in n]
    assert b"ppaction://program" not in b"".join(parts.values())
    deck = pptx.Presentation(io.BytesIO(result.data))
    assert deck.slides[0].shapes.title.text == "議事録"  # type: ignore[union-attr]


def test_clean_docx_passes_with_a_note(runner: SafeCopyRunner) -> None:
    result = _convert(runner, samples.docx_bytes(["普通の文書"]), "a.docx")
    assert result.notes == ("nothing needed removing",)
    assert docx.Document(io.BytesIO(result.data)).paragraphs[0].text == "普通の文書"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (samples.zip_bytes({"word/document.xml": b"<w:document/>"}), Reason.FAILED),
        (samples.zip_bytes({"[Content_Types].xml": b"<Types><!DOCTYPE x []>"}), Reason.FAILED),
    ],
)
def test_broken_packages_are_refused(runner: SafeCopyRunner, data: bytes, reason: Reason) -> None:
    result = runner.convert(data, "a.docx", DOCX)
    assert isinstance(result, NoSafeCopy) and result.reason is reason


def test_entity_bomb_in_a_part_is_refused(runner: SafeCopyRunner) -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;'
            b'&a;&a;&a;&a;&a;&a;&a;">]><Types xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/content-types">&b;</Types>')  # fmt: skip
    data = samples.zip_bytes({"[Content_Types].xml": bomb})
    result = runner.convert(data, "a.docx", DOCX)
    assert isinstance(result, NoSafeCopy) and "DTD" in result.detail
