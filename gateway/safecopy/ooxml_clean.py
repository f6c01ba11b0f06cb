"""Office Open XML → the same document without its active or outward-reaching parts.

Removed: VBA projects and their data (vbaProject.bin, vbaData.xml, key maps, toolbars),
ActiveX controls, OLE objects and embedded packages, Excel 4.0 macro sheets, ribbon
customisations, data connections and query tables, external workbook links, digital
signatures (void once the file changes), alternative-format chunks, and every relationship
that points outside the file (remote templates, linked images and objects, hyperlinks; their
text stays). Inside the XML, the elements that referred to a removed relationship go (a
hyperlink keeps its text, an OLE object its preview picture); Word's DDE/DDEAUTO, INCLUDE*,
IMPORT, LINK and external HYPERLINK fields lose their code and keep their shown text; Excel
formulas that call DDE, web services or other workbooks keep only their last value;
PowerPoint actions that start programs or macros go. The main part's content type becomes the
macro-free one, so .docm/.dotm → .docx, .xlsm/.xltm/.xlam → .xlsx, .pptm/.ppsm/.potm → .pptx.
The result is opened with python-docx, openpyxl or python-pptx before it is given out.
"""

from __future__ import annotations

import io
from collections import Counter

from lxml import etree

from gateway.safecopy.job import Job
from gateway.safecopy.kinds import renamed
from gateway.safecopy.ooxml_fields import Removed, neutralize_part
from gateway.safecopy.ooxml_package import (
    Package,
    Rel,
    drop,
    local,
    parse_xml,
    to_xml,
    unwrap,
)
from gateway.safecopy.results import Reason, Refusal, SafeCopy

# Relationship types by their last segment (the same in Transitional and Strict), and why.
_DANGEROUS_RELS = {
    "vbaproject": "macros (VBA project)", "wordvbadata": "macros (VBA project)",
    "vbaprojectsignature": "macros (VBA project)", "keymapcustomizations": "macros (VBA project)",
    "attachedtoolbars": "macros (VBA project)", "xlmacrosheet": "Excel 4.0 macro sheets",
    "xlintlmacrosheet": "Excel 4.0 macro sheets", "control": "ActiveX controls",
    "activexcontrolbinary": "ActiveX controls", "oleobject": "OLE objects",
    "package": "embedded files", "afchunk": "embedded files",
    "extensibility": "ribbon customisations", "externallink": "external workbook links",
    "connections": "data connections", "querytable": "data connections",
    "origin": "digital signatures", "signature": "digital signatures",
    "calcchain": "",  # Excel rebuilds the calculation chain; it would name removed formulas
}  # fmt: skip
_DANGEROUS_TYPES = {
    "application/vnd.ms-office.vbaproject": "macros (VBA project)",
    "application/vnd.ms-word.vbadata+xml": "macros (VBA project)",
    "application/vnd.ms-office.vbaprojectsignature": "macros (VBA project)",
    "application/vnd.ms-word.keymapcustomizations+xml": "macros (VBA project)",
    "application/vnd.ms-word.attachedtoolbars": "macros (VBA project)",
    "application/vnd.ms-excel.macrosheet+xml": "Excel 4.0 macro sheets",
    "application/vnd.ms-excel.intlmacrosheet+xml": "Excel 4.0 macro sheets",
    "application/vnd.ms-office.activex+xml": "ActiveX controls",
    "application/vnd.ms-office.activex": "ActiveX controls",
    "application/vnd.openxmlformats-officedocument.oleobject": "OLE objects",
}
_EMBEDDINGS = "/embeddings/"
_WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_EXCEL = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_SLIDES = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
_MAIN_TYPES = {  # every main-part type we accept → (macro-free type, extension)
    **dict.fromkeys([
        _WORD, "application/vnd.ms-word.document.macroenabled.main+xml",
        "application/vnd.ms-word.template.macroenabledtemplate.main+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    ], (_WORD, "docx")),
    **dict.fromkeys([
        _EXCEL, "application/vnd.ms-excel.sheet.macroenabled.main+xml",
        "application/vnd.ms-excel.template.macroenabled.main+xml",
        "application/vnd.ms-excel.addin.macroenabled.main+xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    ], (_EXCEL, "xlsx")),
    **dict.fromkeys([
        _SLIDES, "application/vnd.ms-powerpoint.presentation.macroenabled.main+xml",
        "application/vnd.ms-powerpoint.slideshow.macroenabled.main+xml",
        "application/vnd.ms-powerpoint.template.macroenabled.main+xml",
        "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml",
        "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml",
    ], (_SLIDES, "pptx")),
}  # fmt: skip
_MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_R_NAMESPACES = (
    "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}",
    "{http://purl.oclc.org/ooxml/officeDocument/relationships}",
)
_VML_RELID = "{urn:schemas-microsoft-com:office:office}relid"
# Containers that must not stay empty once what they held is gone.
_PRUNABLE = {"oleObjects", "controls", "AlternateContent", "Choice", "Fallback",
             "externalReferences", "hyperlinks", "definedNames", "object"}  # fmt: skip


def _danger(rel: Rel, package: Package) -> str | None:
    if rel.external:
        return "hyperlinks" if rel.kind == "hyperlink" else "external links"
    if rel.kind in _DANGEROUS_RELS:
        return _DANGEROUS_RELS[rel.kind]
    return _part_danger(rel.target, package)


def _part_danger(name: str, package: Package) -> str | None:
    if _EMBEDDINGS in "/" + name.lower():
        return "embedded files"
    return _DANGEROUS_TYPES.get(package.content_type(name).lower())


def _refers(element: etree._Element, ids: set[str]) -> bool:
    for key, value in element.attrib.items():
        if (key.startswith(_R_NAMESPACES) or key == _VML_RELID) and value in ids:
            return True
    return False


def _owner(element: etree._Element) -> etree._Element:
    """What goes with a reference: an OLE object in a slide takes its whole frame along."""
    if local(element) == "oleObj":
        for ancestor in element.iterancestors():
            if local(ancestor) == "graphicFrame":
                return ancestor
    return element


def _place(element: etree._Element) -> int:
    parent = element.getparent()
    return -1 if parent is None else parent.index(element)


def _remove_references(root: etree._Element, ids: set[str]) -> list[Removed]:
    """Drop what referred to a removed relationship; each with its place before any removal."""
    hits = [el for el in root.iter() if isinstance(el.tag, str) and _refers(el, ids)]
    places = {id(el): _place(el) for el in hits}
    removed: list[Removed] = []
    for element in hits:
        if element.getparent() is None or any(element in r.element.iter() for r in removed):
            continue
        if local(element) == "hyperlink" and len(element):
            for key in [k for k in element.attrib if k.startswith(_R_NAMESPACES)]:
                del element.attrib[key]
            unwrap(element)
            continue
        owner = _owner(element)
        parent = owner.getparent()
        removed.append(Removed(owner, places.get(id(owner), _place(owner))))
        drop(owner)
        while parent is not None and local(parent) in _PRUNABLE and not len(parent):
            grand = parent.getparent()
            drop(parent)
            parent = grand
    return removed


class _Cleaner:
    def __init__(self, package: Package) -> None:
        self.package = package
        self.found: Counter[str] = Counter()
        self.gone: set[str] = set()  # part names removed

    def plan(self) -> None:
        """Parts to remove: targets of dangerous relationships and dangerous parts anywhere."""
        for rels_name in self.package.rels_parts():
            for rel in self.package.relationships(rels_name)[1]:
                if not rel.external and _danger(rel, self.package) is not None:
                    self.gone.add(rel.target)
        for name in self.package.parts:
            category = _part_danger(name, self.package)
            if category is not None:
                self.gone.add(name)
        self.gone |= {self.package.rels_name(name) for name in self.gone}

    def cut(self) -> dict[str, set[str]]:
        """Remove relationships to removed parts or outside; the removed ids by source part."""
        cut: dict[str, set[str]] = {}
        for rels_name in self.package.rels_parts():
            source = self.package.source_of(rels_name)
            if rels_name in self.gone or source in self.gone:
                continue
            root, rels = self.package.relationships(rels_name)
            for rel in rels:
                category = _danger(rel, self.package)
                if category is None and not (not rel.external and rel.target in self.gone):
                    continue
                self.found["embedded files" if category is None else category] += 1
                cut.setdefault(source, set()).add(rel.id)
                root.remove(rel.element)
            if source in cut:
                self.package.parts[rels_name] = to_xml(root)
        for name in self.gone:
            self.package.parts.pop(name, None)
        return cut

    def rewrite(self, cut: dict[str, set[str]]) -> None:
        """Every XML part: references to cut relationships, then fields, formulas, actions."""
        for name in list(self.package.parts):
            kind = self.package.content_type(name).lower()
            # VML is only read when it must change: Office writes it as loose, HTML-like XML.
            xml = kind.endswith("xml") or ("vmldrawing" in kind and name in cut)
            if not xml or "relationships" in kind or name.endswith(".rels"):
                continue
            root = parse_xml(self.package.parts[name])
            removed = _remove_references(root, cut[name]) if name in cut else []
            changes = neutralize_part(root, removed)
            self.found.update(changes)
            if removed or changes:
                self.package.parts[name] = to_xml(root)

    def retype(self) -> str:
        """Macro-free main type; content types of removed parts gone. The new extension."""
        main = self.package.main_part()
        target = _MAIN_TYPES.get(self.package.content_type(main).lower())
        if target is None:
            raise Refusal(Reason.UNSUPPORTED, "not a Word, Excel or PowerPoint XML document")
        self.package.drop_types(self.gone, set(_DANGEROUS_TYPES))
        self.package.set_override(main, target[0])
        for name in [n for n in self.package.parts if n != "[Content_Types].xml"]:
            if not self.package.content_type(name) and not name.endswith("/"):
                del self.package.parts[name]  # a part that only a removed Default typed
        return target[1]


def _verify(data: bytes, ext: str) -> None:
    """The cleaned file must open in the maintained reader of its kind, or nobody gets it."""
    try:
        if ext == "docx":
            import docx

            docx.Document(io.BytesIO(data))
        elif ext == "xlsx":
            import openpyxl

            openpyxl.load_workbook(io.BytesIO(data), read_only=True).close()
        else:
            import pptx

            pptx.Presentation(io.BytesIO(data))
    except Exception:
        raise Refusal(Reason.FAILED, "the cleaned file did not open; no copy is given") from None


def clean_package(job: Job) -> tuple[bytes, str, list[str]]:
    """The cleaned package's bytes, its extension (docx/xlsx/pptx) and what was removed."""
    package = Package.read(job.data, job.settings.limits)
    cleaner = _Cleaner(package)
    cleaner.plan()
    job.check_time()
    cleaner.rewrite(cleaner.cut())
    ext = cleaner.retype()
    notes = [f"removed {what}: {count}" for what, count in sorted(cleaner.found.items()) if what]
    return package.write(), ext, notes


def safe_ooxml(job: Job) -> SafeCopy:
    data, ext, notes = clean_package(job)
    job.check_time()
    _verify(data, ext)
    notes = notes or ["nothing needed removing"]
    return SafeCopy(data, renamed(job.filename, ext), _MEDIA_TYPES[ext], tuple(notes))
