"""Active content written inside OOXML parts rather than in parts of its own.

Word fields run code or fetch files when a document opens or updates (DDEAUTO starts a
program, INCLUDEPICTURE fetches a URL); Excel formulas can start a DDE conversation
(`=cmd|'/c …'!A0`), call a web service or read another workbook; PowerPoint actions can start
a program or a macro. Each is cut where it is written; what the reader saw stays: a field's
shown result, a cell's last value, the shape that carried an action.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from lxml import etree

from gateway.safecopy.ooxml_package import drop, local, unwrap
from gateway.safecopy.results import Reason, Refusal

_W = ("http://schemas.openxmlformats.org/wordprocessingml/2006/main",
      "http://purl.oclc.org/ooxml/wordprocessingml/main")  # fmt: skip
_S = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "http://purl.oclc.org/ooxml/spreadsheetml/main")  # fmt: skip
_A = ("http://schemas.openxmlformats.org/drawingml/2006/main",
      "http://purl.oclc.org/ooxml/drawingml/main")  # fmt: skip

FIELDS = "DDE and external fields"
FORMULAS = "formulas calling DDE, web services or other files"
NAMES = "auto-run and macro-sheet names"
ACTIONS = "actions starting programs or macros"

_FIELD_CODE = re.compile(r"\s*([A-Za-z]+)")
_ACTIVE_FIELDS = {"DDE", "DDEAUTO", "INCLUDETEXT", "INCLUDEPICTURE", "INCLUDE", "IMPORT",
                  "LINK", "MACROBUTTON", "DATABASE"}  # fmt: skip
_ACTIVE_FORMULA = re.compile(
    r"\||\[\d+\]|\b(?:WEBSERVICE|FILTERXML|RTD|CALL|REGISTER(?:\.ID)?|EXEC|DDE(?:AUTO)?"
    r"|HYPERLINK|IMAGE)\s*\(",
    re.IGNORECASE,
)
_AUTO_NAMES = ("auto_open", "auto_close", "auto_activate", "auto_deactivate")
_ACTIONS = ("ppaction://program", "ppaction://macro", "ppaction://ole")


@dataclass(frozen=True, slots=True)
class Removed:
    element: etree._Element
    place: int  # index in its parent before anything was removed


def _tags(namespaces: tuple[str, ...], *names: str) -> list[str]:
    return [f"{{{ns}}}{name}" for ns in namespaces for name in names]


def _active_field(code: str) -> bool:
    match = _FIELD_CODE.match(code)
    if match is None:
        return False
    name = match.group(1).upper()
    if name == "HYPERLINK":  # a jump inside the document (\l) stays
        return not code[match.end() :].lstrip().startswith("\\l")
    return name in _ACTIVE_FIELDS


@dataclass(slots=True)
class _Field:
    markers: list[etree._Element]
    code: list[str]
    in_code: bool = True
    nested_first: bool = False  # its code starts with another field's result: obfuscation


def _word_fields(root: etree._Element) -> int:
    count = 0
    for simple in list(root.iter(*_tags(_W, "fldSimple"))):
        code = next((v for k, v in simple.attrib.items() if local_name(k) == "instr"), "")
        if _active_field(code):
            unwrap(simple)  # the shown result runs stay
            count += 1
    doomed: list[etree._Element] = []
    stack: list[_Field] = []
    for element in root.iter(*_tags(_W, "fldChar", "instrText", "delInstrText")):
        if local(element) != "fldChar":
            if stack and stack[-1].in_code:
                stack[-1].markers.append(element)
                stack[-1].code.append(element.text or "")
            continue
        kind = next((v for k, v in element.attrib.items() if local_name(k) == "fldCharType"), "")
        if kind == "begin":
            if stack and stack[-1].in_code and not "".join(stack[-1].code).strip():
                stack[-1].nested_first = True
            stack.append(_Field([element], []))
        elif stack and kind == "separate":
            stack[-1].markers.append(element)
            stack[-1].in_code = False
        elif stack and kind == "end":
            field = stack.pop()
            field.markers.append(element)
            if field.nested_first or _active_field("".join(field.code)):
                doomed.extend(field.markers)
                count += 1
    for field in stack:  # never closed: judged on what it has
        if field.nested_first or _active_field("".join(field.code)):
            doomed.extend(field.markers)
            count += 1
    for element in doomed:
        drop(element)
    return count


def local_name(key: str) -> str:
    return key.rsplit("}", 1)[-1]


def _formulas(root: etree._Element) -> int:
    shared: set[str] = set()
    count = 0
    tags = _tags(_S, "f")
    for formula in list(root.iter(*tags)):
        if _ACTIVE_FORMULA.search(formula.text or ""):
            if formula.get("t") == "shared" and formula.get("si") is not None:
                shared.add(formula.get("si", ""))
            drop(formula)  # the cell keeps its cached value <v>
            count += 1
    if shared:  # cells sharing a removed master formula would point at nothing
        for formula in list(root.iter(*tags)):
            if formula.get("t") == "shared" and formula.get("si") in shared:
                drop(formula)
                count += 1
    return count


def _names_sheet(text: str, sheet: str) -> bool:
    quoted = "'" + sheet.replace("'", "''") + "'!"
    return bool(sheet) and (sheet + "!" in text or quoted in text)


def _workbook(root: etree._Element, removed: list[Removed]) -> int:
    sheets = [r for r in removed if local(r.element) == "sheet"]
    if not sheets:
        return 0
    names = {r.element.get("name", "") for r in sheets}
    places = sorted(r.place for r in sheets)
    count = 0
    for name in list(root.iter(*_tags(_S, "definedName"))):
        label = name.get("name", "").lower().removeprefix("_xlnm.")
        text = name.text or ""
        scope = name.get("localSheetId", "")
        index = int(scope) if scope.isdigit() else None
        if (
            label.startswith(_AUTO_NAMES)
            or _ACTIVE_FORMULA.search(text)
            or any(_names_sheet(text, sheet) for sheet in names)
            or index in places
        ):
            parent = name.getparent()
            drop(name)
            if parent is not None and not len(parent):
                drop(parent)
            count += 1
        elif index is not None:  # sheet-scoped names count sheets by position
            name.set("localSheetId", str(index - sum(1 for p in places if p < index)))
    left = list(root.iter(*_tags(_S, "sheet")))
    if not left:
        raise Refusal(Reason.EMPTY, "the workbook holds only macro sheets")
    for view in root.iter(*_tags(_S, "workbookView")):
        for key in ("activeTab", "firstSheet"):
            value = view.get(key, "0")
            if not value.isdigit() or int(value) >= len(left):
                view.set(key, "0")
    if all(sheet.get("state") in ("hidden", "veryHidden") for sheet in left):
        del left[0].attrib["state"]
    return count


def _actions(root: etree._Element) -> int:
    count = 0
    for link in list(root.iter(*_tags(_A, "hlinkClick", "hlinkHover", "hlinkMouseOver"))):
        if (link.get("action") or "").lower().startswith(_ACTIONS):
            drop(link)
            count += 1
    return count


def neutralize_part(root: etree._Element, removed: list[Removed]) -> Counter[str]:
    """Cut active content from one parsed XML part; what was cut, by category."""
    found: Counter[str] = Counter()
    namespace = etree.QName(root).namespace or ""
    if namespace in _W:
        found[FIELDS] += _word_fields(root)
    elif namespace in _S and local(root) == "worksheet":
        found[FORMULAS] += _formulas(root)
    elif namespace in _S and local(root) == "workbook":
        found[NAMES] += _workbook(root, removed)
    found[ACTIONS] += _actions(root)
    return +found
