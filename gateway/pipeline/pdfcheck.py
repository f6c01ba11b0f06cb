"""What a PDF does when opened: scripts, automatic or launch actions, files carried inside.

pypdf reads the document (object streams, #-escaped names, compressed dictionaries), and
only the catalog and a bounded number of objects are visited. A PDF pypdf cannot read, or
one too large to read in the time allowed, is scanned for the same names in its raw bytes
(a stand-in, not a parser: it sees only what is not compressed). Never raises.
"""

from __future__ import annotations

import io
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from gateway.types import PartFlag

MAX_BYTES = 16 * 1024 * 1024  # larger PDFs get the raw scan only
MAX_OBJECTS = 5000
MAX_SECONDS = 0.5
MAX_DEPTH = 6  # dictionaries and arrays written inside one object
MAX_ITEMS = 1000  # entries of one dictionary or array looked into

# pypdf logs every repair it makes of a damaged file; mail PDFs are often damaged.
logging.getLogger("pypdf").setLevel(logging.ERROR)

ACTIVE = ("/JavaScript", "/OpenAction", "/AA", "/Launch", "/SubmitForm", "/ImportData",
          "/GoToE", "/RichMedia")  # fmt: skip
EMBEDDED = "/EmbeddedFile"
_ACTION_TYPES = frozenset({"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToE",
                           "/RichMedia"})  # fmt: skip
# Raw names, also as a PDF may write them with #xx escapes for single letters.
_RAW_NAMES = {
    b"/JavaScript": "/JavaScript", b"/JS": "/JavaScript", b"/Launch": "/Launch",
    b"/OpenAction": "/OpenAction", b"/EmbeddedFile": EMBEDDED, b"/SubmitForm": "/SubmitForm",
    b"/ImportData": "/ImportData", b"/RichMedia": "/RichMedia",
}  # fmt: skip


@dataclass(slots=True)
class PdfFindings:
    names: list[str] = field(default_factory=list)  # e.g. ["/JavaScript", "/OpenAction"]

    def add(self, name: str) -> None:
        if name not in self.names:
            self.names.append(name)

    @property
    def flags(self) -> list[str]:
        flags: list[str] = []
        if any(n != EMBEDDED for n in self.names):
            flags.append(PartFlag.ACTIVE_CONTENT)
        if EMBEDDED in self.names:
            flags.append(PartFlag.EMBEDDED_FILES)
        return flags


# One pass over the bytes: a name made of letters and #xx escapes, as PDF writes names.
_RAW_NAME = re.compile(rb"/((?:[A-Za-z]|#[0-9A-Fa-f]{2}){2,20})(?![A-Za-z0-9#._-])")
_RAW_WANTED = {token[1:]: name for token, name in _RAW_NAMES.items()}


def _raw_scan(data: bytes, found: PdfFindings) -> None:
    for match in _RAW_NAME.finditer(data):
        raw = match.group(1)
        if b"#" in raw:
            raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
        name = _RAW_WANTED.get(raw)
        if name is not None:
            found.add(name)


def _visit(obj: Any, found: PdfFindings, depth: int = 0) -> None:
    """One object and the direct dictionaries inside it (an annotation's /A action); objects
    behind references are visited in their own turn."""
    if isinstance(obj, ArrayObject) and depth < MAX_DEPTH:
        for item in obj[:MAX_ITEMS]:
            _visit(item, found, depth + 1)
        return
    if not isinstance(obj, DictionaryObject):
        return
    if depth < MAX_DEPTH:
        for value in list(obj.values())[:MAX_ITEMS]:
            _visit(value, found, depth + 1)
    keys = set(obj.keys())
    if "/JS" in keys or "/JavaScript" in keys:
        found.add("/JavaScript")
    kind = obj.get("/S")
    if isinstance(kind, NameObject) and kind in _ACTION_TYPES:
        found.add(str(kind))
    if "/AA" in keys:
        found.add("/AA")
    if obj.get("/Type") == "/EmbeddedFile" or "/EF" in keys:
        found.add(EMBEDDED)


def _catalog(reader: PdfReader, found: PdfFindings) -> None:
    root = reader.trailer.get("/Root")
    root = root.get_object() if isinstance(root, IndirectObject) else root
    if not isinstance(root, DictionaryObject):
        return
    action = root.get("/OpenAction")
    action = action.get_object() if isinstance(action, IndirectObject) else action
    # An /OpenAction that only opens a page (a destination, or /S /GoTo) does nothing.
    if isinstance(action, DictionaryObject) and action.get("/S") != "/GoTo":
        found.add("/OpenAction")
    if "/AA" in root:
        found.add("/AA")
    names = root.get("/Names")
    names = names.get_object() if isinstance(names, IndirectObject) else names
    if isinstance(names, DictionaryObject):
        if "/JavaScript" in names:
            found.add("/JavaScript")
        if "/EmbeddedFiles" in names:
            found.add(EMBEDDED)


def _objects(reader: PdfReader, found: PdfFindings, deadline: float) -> bool:
    """Visit every object up to the bounds; False when a bound stopped the walk."""
    numbers = [(num, gen) for gen, table in reader.xref.items() for num in table]
    numbers += [(num, 0) for num in reader.xref_objStm]
    for count, (num, gen) in enumerate(numbers):
        if count >= MAX_OBJECTS or time.monotonic() > deadline:
            return False
        _visit(reader.get_object(IndirectObject(num, gen, reader)), found)
    return True


def _readable(data: bytes) -> bool:
    """A PDF ends with %%EOF within its last 1024 bytes (readers allow no more garbage). Without
    it pypdf would hunt for the trailer line by line through the whole file (30 ms for 200 KB
    of noise): such a file gets the raw scan only."""
    return len(data) <= MAX_BYTES and b"%%EOF" in data[-1024:]


def inspect_pdf(data: bytes) -> PdfFindings:
    """Active content and embedded files of a PDF; what could be seen when it is damaged."""
    found = PdfFindings()
    complete = False
    if _readable(data):
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            _catalog(reader, found)
            complete = _objects(reader, found, time.monotonic() + MAX_SECONDS)
        # pypdf raises its own errors and whatever its parsing hits on hostile input
        # (struct, value, index, recursion, zlib errors); the part is removed anyway.
        except Exception:
            complete = False
    if not complete:
        _raw_scan(data, found)
    return found
