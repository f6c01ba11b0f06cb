"""An OOXML package (Open Packaging Conventions) as parts, content types and relationships.

The ZIP is read with the bounds of gateway.safecopy.ziplimits and every XML part with lxml,
entities unresolved, no network, no DTD accepted (no OOXML part has one). This module knows
the package's rules (where a part's relationships live, how a target resolves, how a content
type is found); what is dangerous is decided in ooxml_clean.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass
from urllib.parse import unquote

from lxml import etree

from gateway.config import SafeCopyLimitsSettings
from gateway.safecopy.results import Reason, Refusal
from gateway.safecopy.ziplimits import ZipBudget, members, open_zip, read_member

CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "[Content_Types].xml"
OFFICE_DOCUMENT = "officedocument"  # last segment of the main part's relationship type
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the same input always gives the same bytes


def parse_xml(data: bytes) -> etree._Element:
    try:
        root = etree.fromstring(data, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        raise Refusal(Reason.FAILED, "a part of the file is not well-formed XML") from None
    if root.getroottree().docinfo.doctype:
        raise Refusal(Reason.FAILED, "a part of the file declares a DTD")
    return root


def to_xml(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def local(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def drop(element: etree._Element) -> None:
    """Remove an element, keeping the text that followed it."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def unwrap(element: etree._Element) -> None:
    """Replace an element by its children (a hyperlink by its runs)."""
    parent = element.getparent()
    if parent is None:
        return
    at = parent.index(element)
    for child in reversed(list(element)):
        parent.insert(at, child)
    drop(element)


def rel_kind(rel_type: str) -> str:
    """Transitional and Strict spell the same relationship with different prefixes."""
    return rel_type.rstrip("/").rsplit("/", 1)[-1].lower()


@dataclass(slots=True)
class Rel:
    element: etree._Element
    id: str
    kind: str  # rel_kind() of the type
    target: str  # part name for internal targets, the raw target for external ones
    external: bool


class Package:
    def __init__(self, parts: dict[str, bytes]) -> None:
        self.parts = parts
        if CONTENT_TYPES not in parts:
            raise Refusal(Reason.FAILED, "not an Office Open XML package (no content types)")
        self.types = parse_xml(parts[CONTENT_TYPES])
        self._index: tuple[dict[str, str], dict[str, str]] | None = None

    @classmethod
    def read(cls, data: bytes, limits: SafeCopyLimitsSettings) -> Package:
        archive = open_zip(data)
        parts: dict[str, bytes] = {}
        with archive:
            for member in members(archive, ZipBudget(limits)):
                if member.encrypted:
                    raise Refusal(Reason.FAILED, "an Office package with encrypted entries")
                parts[member.info.filename.lstrip("/")] = read_member(archive, member)
        return cls(parts)

    def write(self) -> bytes:
        self.parts[CONTENT_TYPES] = to_xml(self.types)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            order = [CONTENT_TYPES, *(n for n in self.parts if n != CONTENT_TYPES)]
            for name in order:
                info = zipfile.ZipInfo(name, _FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, self.parts[name])
        return out.getvalue()

    # --- content types ------------------------------------------------------------------------

    def _type_index(self) -> tuple[dict[str, str], dict[str, str]]:
        """(overrides by lower-case part name, defaults by extension), built once per change."""
        if self._index is None:
            overrides: dict[str, str] = {}
            defaults: dict[str, str] = {}
            for entry in self.types:
                content_type = str(entry.get("ContentType", ""))
                if local(entry) == "Override":
                    part = str(entry.get("PartName", "")).lstrip("/").lower()
                    overrides.setdefault(part, content_type)
                elif local(entry) == "Default":
                    defaults.setdefault(str(entry.get("Extension", "")).lower(), content_type)
            self._index = (overrides, defaults)
        return self._index

    def content_type(self, name: str) -> str:
        overrides, defaults = self._type_index()
        if name.lower() in overrides:
            return overrides[name.lower()]
        base = posixpath.basename(name)  # "_rels/.rels" has the extension "rels"
        return defaults.get(base.rpartition(".")[2].lower() if "." in base else "", "")

    def set_override(self, name: str, content_type: str) -> None:
        self._index = None
        for entry in self.types.iterfind(f"{{{CT_NS}}}Override"):
            if entry.get("PartName", "").lstrip("/").lower() == name.lower():
                entry.set("ContentType", content_type)
                return
        etree.SubElement(
            self.types, f"{{{CT_NS}}}Override", PartName="/" + name, ContentType=content_type
        )

    def drop_types(self, parts: set[str], content_types: set[str]) -> None:
        """Overrides of removed parts, and Defaults that name a removed type."""
        self._index = None
        lowered = {p.lower() for p in parts}
        for entry in list(self.types):
            name = entry.get("PartName", "").lstrip("/").lower()
            if name in lowered or entry.get("ContentType", "").lower() in content_types:
                self.types.remove(entry)

    # --- relationships ------------------------------------------------------------------------

    @staticmethod
    def rels_name(source: str) -> str:
        folder, base = posixpath.split(source)
        return posixpath.join(folder, "_rels", base + ".rels")

    @staticmethod
    def source_of(rels_name: str) -> str:
        folder, base = posixpath.split(rels_name)
        return posixpath.join(posixpath.dirname(folder), base.removesuffix(".rels"))

    def rels_parts(self) -> list[str]:
        return [n for n in self.parts if n.lower().endswith(".rels") and "_rels/" in n.lower()]

    def relationships(self, rels_name: str) -> tuple[etree._Element, list[Rel]]:
        root = parse_xml(self.parts[rels_name])
        source = self.source_of(rels_name)
        rels = []
        for element in root.iterfind(f"{{{REL_NS}}}Relationship"):
            target = element.get("Target", "")
            external = element.get("TargetMode", "").lower() == "external"
            if not external:
                target = resolve(source, target)
            rels.append(Rel(element, element.get("Id", ""), rel_kind(element.get("Type", "")),
                            target, external))  # fmt: skip
        return root, rels

    def main_part(self) -> str:
        _, rels = self.relationships("_rels/.rels") if "_rels/.rels" in self.parts else (None, [])
        for rel in rels:
            if rel.kind == OFFICE_DOCUMENT and not rel.external and rel.target in self.parts:
                return rel.target
        raise Refusal(Reason.FAILED, "the package names no main document")


def resolve(source: str, target: str) -> str:
    """A relationship's target as a part name (relative to the source part's folder)."""
    target = unquote(target.split("#", 1)[0])
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target)).lstrip("/")
