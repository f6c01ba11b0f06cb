"""Which converter a file goes to: decided by the type its bytes show, the name only
separating types the bytes share (an OLE2 file is a .doc, .xls or .ppt; text is CSV or not).
"""

from __future__ import annotations

import enum
import posixpath

from gateway.config import SafeCopyPolicy, SafeCopySettings
from gateway.pipeline.textclean import one_line


class Kind(enum.StrEnum):
    PDF = "pdf"
    WORD = "word"  # OOXML, macro-enabled or not
    EXCEL = "excel"
    POWERPOINT = "powerpoint"
    LEGACY_WORD = "legacy-word"  # OLE2 (Office 97-2003)
    LEGACY_EXCEL = "legacy-excel"
    LEGACY_POWERPOINT = "legacy-powerpoint"
    OPENDOCUMENT = "opendocument"
    ENCRYPTED_OFFICE = "encrypted-office"  # OLE2 wrapper of a password-protected file
    IMAGE = "image"
    CSV = "csv"
    TEXT = "text"
    HTML = "html"
    ZIP = "zip"
    OTHER = "other"


OOXML = frozenset({Kind.WORD, Kind.EXCEL, Kind.POWERPOINT})
LEGACY = frozenset({Kind.LEGACY_WORD, Kind.LEGACY_EXCEL, Kind.LEGACY_POWERPOINT})

_EXACT = {
    "application/pdf": Kind.PDF,
    "application/msword": Kind.LEGACY_WORD,
    "application/vnd.ms-excel": Kind.LEGACY_EXCEL,
    "application/vnd.ms-powerpoint": Kind.LEGACY_POWERPOINT,
    "application/encrypted": Kind.ENCRYPTED_OFFICE,
    "text/csv": Kind.CSV,
    "application/csv": Kind.CSV,
    "text/html": Kind.HTML,
    "application/xhtml+xml": Kind.HTML,
    "application/zip": Kind.ZIP,
    "application/x-zip-compressed": Kind.ZIP,
}
# Pillow reads and writes these; SVG (script), icons and camera formats get no copy.
_IMAGES = frozenset({"image/jpeg", "image/png", "image/gif", "image/bmp", "image/x-ms-bmp",
                     "image/tiff", "image/webp"})  # fmt: skip
_OLE = frozenset({"application/x-ole-storage", "application/cdfv2"})
_OLE_BY_EXT = {
    **dict.fromkeys(("doc", "dot"), Kind.LEGACY_WORD),
    **dict.fromkeys(("xls", "xlt", "xla"), Kind.LEGACY_EXCEL),
    **dict.fromkeys(("ppt", "pps", "pot"), Kind.LEGACY_POWERPOINT),
}
_OOXML_MARKS = (
    ("wordprocessingml", Kind.WORD), ("application/vnd.ms-word.", Kind.WORD),
    ("spreadsheetml", Kind.EXCEL), ("application/vnd.ms-excel.", Kind.EXCEL),
    ("presentationml", Kind.POWERPOINT), ("application/vnd.ms-powerpoint.", Kind.POWERPOINT),
)  # fmt: skip
_CSV_EXTS = frozenset({"csv", "tsv"})
_TEXT_TYPES = frozenset({"text/plain", "text/tab-separated-values"})


def extension(filename: str) -> str:
    base = one_line(filename).replace("\\", "/").rsplit("/", 1)[-1]
    return posixpath.splitext(base)[1].lstrip(".").lower().rstrip(". ")


def classify(detected_type: str, filename: str) -> Kind:
    mime = detected_type.lower().split(";")[0].strip()
    ext = extension(filename)
    if mime in _EXACT:
        return _EXACT[mime]
    for mark, kind in _OOXML_MARKS:
        if mark in mime:
            return kind
    if mime.startswith("application/vnd.oasis.opendocument"):
        return Kind.OPENDOCUMENT
    if mime in _IMAGES:
        return Kind.IMAGE
    if mime in _OLE:
        return _OLE_BY_EXT.get(ext, Kind.OTHER)
    if mime in _TEXT_TYPES:
        return Kind.CSV if ext in _CSV_EXTS else Kind.TEXT
    return Kind.OTHER


def policy_for(settings: SafeCopySettings, kind: Kind) -> SafeCopyPolicy:
    """The site's policy for safe copies of this kind; "none" for kinds that get none."""
    policy = settings.policy
    if kind is Kind.PDF:
        return policy.pdf
    if kind in OOXML:
        return policy.office
    if kind in LEGACY:
        return policy.legacy_office
    if kind is Kind.OPENDOCUMENT:
        return policy.opendocument
    return policy.image if kind is Kind.IMAGE else "none"


def renamed(filename: str, new_ext: str) -> str:
    """The original's shown name with the safe copy's extension (a name is always given)."""
    base = one_line(filename).replace("\\", "/").rsplit("/", 1)[-1].strip(". ") or "attachment"
    stem, ext = posixpath.splitext(base)
    stem = stem if ext else base
    return f"{stem or 'attachment'}.{new_ext}"
