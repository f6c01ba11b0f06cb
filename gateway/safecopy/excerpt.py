"""The first characters of Office, OpenDocument and PDF files, read by maintained libraries.

docx: python-docx (paragraphs and tables in order); xlsx: openpyxl in read-only mode (cached
values, one line per row); pptx: python-pptx (text frames, tables, groups); xls: xlrd;
OpenDocument: content.xml through lxml; PDF: PDFium. Legacy .doc and .ppt have no maintained
Python reader: their text comes from LibreOffice's PDF where it is installed. A macro-enabled
OOXML file that its library refuses by content type is cleaned first (ooxml_clean).
Every reader stops as soon as the budget is full.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable
from typing import Any

import docx
import openpyxl
import pptx
import xlrd
from docx.table import Table

from gateway.safecopy.budget import Budget
from gateway.safecopy.job import Job
from gateway.safecopy.kinds import Kind
from gateway.safecopy.libreoffice import to_pdf
from gateway.safecopy.ooxml_clean import clean_package
from gateway.safecopy.ooxml_package import parse_xml
from gateway.safecopy.pdf import pdf_text
from gateway.safecopy.results import Excerpt, Reason, Refusal
from gateway.safecopy.ziplimits import ZipBudget, members, open_zip, read_member

MAX_ROWS = 100_000  # rows looked at per sheet, empty ones included
_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime) and not (value.hour or value.minute or value.second):
        return value.date().isoformat()
    return str(value).strip()


def _row(values: Iterable[Any]) -> str:
    cells = [_cell(v) for v in values]
    while cells and not cells[-1]:
        cells.pop()
    return " | ".join(cells)


def _with_cleaning(job: Job, budget: Budget, read: Callable[[bytes], None]) -> None:
    """Read the file; if its library refuses it, read the cleaned package instead.

    python-docx and python-pptx refuse macro-enabled content types, and openpyxl trips on
    some parts it does not expect (DDE links, macro sheets); the cleaned file has neither.
    """
    try:
        read(job.data)
    except Refusal:
        raise
    except Exception:
        budget.clear()
        read(clean_package(job)[0])


def _docx(job: Job, budget: Budget) -> None:
    def read(data: bytes) -> None:
        for block in docx.Document(io.BytesIO(data)).iter_inner_content():
            if isinstance(block, Table):
                for row in block.rows:
                    cells = [cell.text for cell in row.cells]
                    budget.add(" | ".join(dict.fromkeys(cells)))  # merged cells repeat
            else:
                budget.add(block.text)
            if budget.full:
                return

    _with_cleaning(job, budget, read)


def _xlsx(job: Job, budget: Budget) -> None:
    def read(data: bytes) -> None:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for sheet in book.worksheets:
                budget.add(f"[{sheet.title}]")
                for number, values in enumerate(sheet.iter_rows(values_only=True)):
                    if number >= MAX_ROWS or budget.full:
                        break
                    if number % 1000 == 0:
                        job.check_time()
                    budget.add(_row(values))
                if budget.full:
                    return
        finally:
            book.close()

    _with_cleaning(job, budget, read)


def _shape_lines(shape: Any) -> Iterable[str]:
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        yield shape.text_frame.text
    if getattr(shape, "has_table", False) and shape.has_table:
        for row in shape.table.rows:
            yield " | ".join(cell.text for cell in row.cells)
    for inner in getattr(shape, "shapes", ()):  # a group
        yield from _shape_lines(inner)


def _pptx(job: Job, budget: Budget) -> None:
    def read(data: bytes) -> None:
        for number, slide in enumerate(pptx.Presentation(io.BytesIO(data)).slides, 1):
            budget.add(f"[{number}]")
            for shape in slide.shapes:
                for line in _shape_lines(shape):
                    budget.add(line)
                if budget.full:
                    return

    _with_cleaning(job, budget, read)


def _xls(job: Job, budget: Budget) -> None:
    try:
        book = xlrd.open_workbook(file_contents=job.data, on_demand=True)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise Refusal(Reason.PASSWORD_PROTECTED, "the workbook needs a password") from None
        raise
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            budget.add(f"[{sheet.name}]")
            for row in range(min(sheet.nrows, MAX_ROWS)):
                budget.add(_row(sheet.row_values(row)))
                if budget.full:
                    return
            book.unload_sheet(index)
    finally:
        book.release_resources()


def _odf(job: Job, budget: Budget) -> None:
    archive = open_zip(job.data)
    with archive:
        found = [m for m in members(archive, ZipBudget(job.settings.limits))
                 if m.info.filename == "content.xml"]  # fmt: skip
        if not found:
            raise Refusal(Reason.FAILED, "an OpenDocument file without content")
        root = parse_xml(read_member(archive, found[0]))
    paragraph = {f"{{{_TEXT_NS}}}p", f"{{{_TEXT_NS}}}h"}
    row, cell = f"{{{_TABLE_NS}}}table-row", f"{{{_TABLE_NS}}}table-cell"
    for body in root.iter(f"{{{_OFFICE_NS}}}body"):
        for element in body.iter(row, *paragraph):
            if element.tag == row:
                budget.add(_row("".join(c.itertext()) for c in element.iterchildren(cell)))
            elif not any(a.tag == cell for a in element.iterancestors()):
                budget.add("".join(element.itertext()))
            if budget.full:
                return


def _pdf(job: Job, budget: Budget) -> None:
    pdf_text(job, budget)


def _via_libreoffice(job: Job, budget: Budget) -> None:
    pdf_text(job, budget, to_pdf(job))


READERS: dict[Kind, Callable[[Job, Budget], None]] = {
    Kind.PDF: _pdf,
    Kind.WORD: _docx,
    Kind.EXCEL: _xlsx,
    Kind.POWERPOINT: _pptx,
    Kind.LEGACY_EXCEL: _xls,
    Kind.LEGACY_WORD: _via_libreoffice,
    Kind.LEGACY_POWERPOINT: _via_libreoffice,
    Kind.OPENDOCUMENT: _odf,
}


def excerpt(job: Job) -> Excerpt:
    """Task: the first job.max_chars characters of the file's text."""
    reader = READERS.get(job.kind)
    if reader is None:
        raise Refusal(Reason.UNSUPPORTED, f"no text is taken from {job.kind} files")
    budget = Budget(job.max_chars)
    reader(job, budget)
    return budget.excerpt()
