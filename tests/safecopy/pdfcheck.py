"""What a rebuilt PDF holds, read object by object with pypdf (not the library that wrote it)."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject

ACTIVE_KEYS = {"/JS", "/JavaScript", "/OpenAction", "/AA", "/Launch", "/EmbeddedFiles",
               "/EmbeddedFile", "/URI", "/SubmitForm", "/GoToR", "/Annots", "/AcroForm",
               "/XFA", "/RichMedia", "/Names"}  # fmt: skip


def all_keys(data: bytes) -> set[str]:
    """Every dictionary key reachable from the trailer."""
    reader = PdfReader(io.BytesIO(data))
    seen: set[int] = set()
    keys: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, IndirectObject):
            if value.idnum in seen:
                return
            seen.add(value.idnum)
            value = value.get_object()
        if isinstance(value, DictionaryObject):
            for key, inner in value.items():
                keys.add(str(key))
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(reader.trailer)
    return keys


def page_xobjects(data: bytes) -> list[list[str]]:
    """The subtypes of each page's XObjects."""
    reader = PdfReader(io.BytesIO(data))
    found = []
    for page in reader.pages:
        resources = page.get("/Resources", {})
        xobjects = resources.get_object().get("/XObject", {}) if resources else {}
        found.append([str(x.get_object()["/Subtype"]) for x in xobjects.values()])
    return found
