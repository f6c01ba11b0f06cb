"""What a removed part is: its type from the bytes, and the flags an administrator must see.

The flags come from the name, the declared and detected types, and the container headers
that gateway.pipeline.containers reads.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass

import magic

from gateway.pipeline.containers import (
    OLE_MAGIC,
    ZIP,
    nested_names,
    ole_flags,
    pdf_encrypted,
    rar_encrypted,
    sevenzip_encrypted,
    u32,
    zip_listing,
    zip_type,
)
from gateway.pipeline.labels import label
from gateway.pipeline.names import collapse_padding, was_padded
from gateway.pipeline.pdfcheck import inspect_pdf
from gateway.pipeline.textclean import one_line
from gateway.types import Language, PartFlag, RemovedPart

# libmagic reads the OLE2 directory to tell .doc from .xls, which is often past 2 KB; zips
# are named from their members below instead. Measured per call (bench in the report):
# 2 KB / 8 KB / 195 KB = 25 / 27 / 50 us for a PDF, 0.54 / 1.0 / 1.3 ms for Japanese text.
SNIFF_BYTES = 8192
MAX_DETAIL = 300

_magic: tuple[int, magic.Magic] | None = None  # (pid, handle): never reuse across a fork


def _libmagic(head: bytes) -> str:
    global _magic
    if _magic is None or _magic[0] != os.getpid():
        _magic = (os.getpid(), magic.Magic(mime=True))
    try:
        return str(_magic[1].from_buffer(head))
    except (magic.MagicException, OSError, ValueError):
        return "application/octet-stream"


OLE = "application/x-ole-storage"
PE = "application/vnd.microsoft.portable-executable"
ELF = "application/x-executable"

_EXECUTABLE_TYPES = {
    PE, ELF, "application/x-dosexec", "application/x-msdownload", "application/x-sharedlib",
    "application/x-pie-executable", "application/x-mach-binary", "application/x-elf",
    "application/java-archive", "application/vnd.android.package-archive",
    "application/x-msi", "text/x-shellscript", "text/x-msdos-batch",
    "application/x-ms-shortcut", "application/vnd.ms-htmlhelp", "application/x-msdos-program",
}  # fmt: skip
_ARCHIVE_TYPES = {
    ZIP, "application/x-zip-compressed", "application/x-rar", "application/vnd.rar",
    "application/x-7z-compressed", "application/gzip", "application/x-gzip", "application/x-tar",
    "application/vnd.ms-cab-compressed", "application/x-lzh-compressed", "application/x-lha",
    "application/x-iso9660-image", "application/x-bzip2", "application/x-xz", "application/zstd",
    "application/x-rar-compressed", "application/x-arj", "application/x-virtualbox-vhd",
}  # fmt: skip
_SCRIPT_EXTS = {
    "js", "jse", "vbs", "vbe", "wsf", "wsh", "ps1", "psm1", "bat", "cmd", "hta", "sh", "py",
    "pl", "rb", "jar", "scf", "vb", "application", "msh", "command",
}  # fmt: skip
# HTML and SVG open in a browser with script and phishing forms; disk images mount as drives.
_DANGEROUS_EXTS = _SCRIPT_EXTS | {
    "exe", "scr", "com", "pif", "lnk", "url", "iso", "img", "vhd", "vhdx", "msi", "msp", "msc",
    "cpl", "reg", "chm", "dll", "sys", "ocx", "inf", "gadget", "appx", "appref-ms", "library-ms",
    "settingcontent-ms", "apk", "dmg", "app", "one", "xll", "udl", "iqy", "slk", "svg", "html",
    "htm", "xht", "xhtml", "mht", "mhtml",
}  # fmt: skip
_MACRO_EXTS = {"docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppam", "ppsm", "sldm"}

# Families for TYPE_MISMATCH: a difference matters only when the bytes would be opened by a
# different kind of program than the name or header promises. Zip-based Office files are
# zips, text/csv/plain are all text, and octet-stream promises nothing, so none of those
# is a mismatch; an executable or HTML behind a document name is.
_EXT_FAMILY = {
    "pdf": "pdf", "doc": "ole", "xls": "ole", "ppt": "ole", "msg": "ole", "jtd": "ole",
    "docx": "zip", "xlsx": "zip", "pptx": "zip", "zip": "zip", "odt": "zip", "ods": "zip",
    "odp": "zip", "epub": "zip", "jar": "zip", "apk": "zip", **dict.fromkeys(_MACRO_EXTS, "zip"),
    "jpg": "image", "jpeg": "image", "png": "image", "gif": "image", "bmp": "image",
    "tif": "image", "tiff": "image", "webp": "image", "heic": "image",
    "txt": "text", "csv": "text", "log": "text", "html": "html", "htm": "html",
    "exe": "exec", "dll": "exec", "scr": "exec", "com": "exec", "pif": "exec", "cpl": "exec",
    "rar": "archive", "7z": "archive", "gz": "archive", "tgz": "archive", "lzh": "archive",
    "lha": "archive", "cab": "archive", "tar": "archive", "bz2": "archive", "xz": "archive",
}  # fmt: skip
_ZIP_BASED = {ZIP, "application/x-zip-compressed", "application/epub+zip",
              "application/java-archive", "application/vnd.android.package-archive"}  # fmt: skip
# "application/encrypted" is libmagic's name for a password-protected Office file.
_OLE_BASED = {OLE, "application/msword", "application/vnd.ms-excel", "application/cdfv2",
              "application/vnd.ms-powerpoint", "application/vnd.ms-outlook",
              "application/encrypted"}  # fmt: skip
_TYPE_FAMILY = {
    **dict.fromkeys(_EXECUTABLE_TYPES, "exec"),
    **dict.fromkeys(_ARCHIVE_TYPES, "archive"),
    **dict.fromkeys(_ZIP_BASED, "zip"),
    **dict.fromkeys(_OLE_BASED, "ole"),
    "text/x-shellscript": "", "text/x-msdos-batch": "",  # text: EXECUTABLE says enough
    "application/pdf": "pdf", "text/html": "html", "application/xhtml+xml": "html",
}  # fmt: skip


def _family(mime: str) -> str:
    """Empty when the type says nothing reliable (octet-stream, plain text, not a MIME type)."""
    mime = mime.lower().split(";")[0].strip()
    if "openxmlformats" in mime or "opendocument" in mime:
        return "zip"
    return _TYPE_FAMILY.get(mime, "image" if mime.startswith("image/") else "")


_MACHO_MAGICS = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")


def _signature_type(data: bytes) -> str:
    """Types libmagic misses on stubs or past its window; "" when none applies."""
    if data.startswith(b"\x7fELF"):
        return ELF
    pe_at = u32(data, 0x3C)
    if data.startswith(b"MZ") and data[pe_at : pe_at + 4] == b"PE\x00\x00":
        return PE
    if data[:4] in _MACHO_MAGICS:
        return "application/x-mach-binary"
    if data.startswith(b"MSCF\x00\x00\x00\x00"):
        return "application/vnd.ms-cab-compressed"
    if data[0x8001:0x8006] == b"CD001":
        return "application/x-iso9660-image"
    if data.startswith(b"conectix") or data.startswith(b"vhdxfile"):
        return "application/x-virtualbox-vhd"
    return ""


def detect_type(payload: bytes) -> str:
    """MIME type from the bytes; "" for an empty payload. Never raises."""
    if not payload:
        return ""
    mime = _libmagic(payload[:SNIFF_BYTES])
    if payload.startswith(b"PK\x03\x04") and mime in (ZIP, "application/octet-stream"):
        # libmagic names OOXML only when [Content_Types].xml comes first: read the members.
        listing = zip_listing(payload)
        return zip_type(listing.names) if listing is not None else ZIP
    if mime in ("application/octet-stream", "text/plain"):
        return _signature_type(payload) or mime
    return mime


def _suffixes(filename: str) -> list[str]:
    """Lower-case suffixes after the first dot of the name as Windows would save it."""
    name = one_line(filename.split("\x00", 1)[0])
    name = name.split("::$", 1)[0].rstrip(". ")  # NTFS drops trailing dots and spaces
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return [s.strip().lower() for s in base.split(".")[1:]]


def _dangerous_name(filename: str) -> bool:
    suffixes = _suffixes(filename)
    return bool(suffixes) and suffixes[-1] in _DANGEROUS_EXTS


def _container_flags(payload: bytes) -> tuple[list[str], list[str], int, list[str]]:
    """(flags, zip member names, declared member count, PDF action names) from the
    container's headers; members of zips inside a plain zip are listed as `inner.zip/name`."""
    if payload.startswith(b"PK"):
        listing = zip_listing(payload)
        if listing is None:
            return [], [], 0, []
        names = listing.names
        if zip_type(names) == ZIP:
            names = names + nested_names(payload)
        flags: list[str] = []
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            flags.append(PartFlag.MACROS)
        if listing.encrypted:
            flags.append(PartFlag.ENCRYPTED_ARCHIVE)
        if any(_dangerous_name(n) for n in names):
            flags.append(PartFlag.DANGEROUS_EXTENSION)  # inside: the detail names them
        if any(was_padded(collapse_padding(n)) for n in names):
            flags.append(PartFlag.PADDED_NAME)
        return (
            flags,
            names,
            max(listing.total, len(listing.names)) + len(names) - len(listing.names),
            [],
        )
    if payload.startswith(OLE_MAGIC):
        return ole_flags(payload), [], 0, []
    if payload[:1024].find(b"%PDF") >= 0:
        flags = [str(PartFlag.PASSWORD_PROTECTED)] if pdf_encrypted(payload) else []
        pdf = inspect_pdf(payload)
        return [*flags, *pdf.flags], [], 0, pdf.names
    if rar_encrypted(payload) or sevenzip_encrypted(payload):
        return [str(PartFlag.ENCRYPTED_ARCHIVE)], [], 0, []
    return [], [], 0, []


def _mismatch(family: str, promised: set[str], flags: list[str]) -> bool:
    if not family or not promised - {family}:
        return False
    if family == "archive" and promised <= {"archive", "zip"}:
        return False  # one archive format named as another: no different program opens it
    # An encrypted .docx/.xlsx is an OLE file by design, not a disguise.
    encrypted_ooxml = family == "ole" and PartFlag.PASSWORD_PROTECTED in flags
    return not (encrypted_ooxml and promised - {family} == {"zip"})


@dataclass(slots=True)
class _Findings:
    detected: str
    flags: list[str]
    members: list[str]
    member_total: int
    pdf_actions: list[str]


def _examine(payload: bytes, filename: str, declared_type: str) -> _Findings:
    detected = detect_type(payload)
    family = _family(detected)
    suffixes = _suffixes(filename)
    ext = suffixes[-1] if suffixes else ""
    found, members, total, pdf_actions = _container_flags(payload)
    flags: list[str] = []
    if _mismatch(family, {_EXT_FAMILY.get(ext, ""), _family(declared_type)} - {""}, found):
        flags.append(PartFlag.TYPE_MISMATCH)
    if family == "exec" or detected in _EXECUTABLE_TYPES or ext in _SCRIPT_EXTS:
        flags.append(PartFlag.EXECUTABLE)
    if ext in _DANGEROUS_EXTS:
        flags.append(PartFlag.DANGEROUS_EXTENSION)
    if ext in _MACRO_EXTS:
        flags.append(PartFlag.MACROS)
    if was_padded(collapse_padding(filename)):
        flags.append(PartFlag.PADDED_NAME)
    flags.extend(found)
    if family == "archive" or detected == ZIP:
        flags.append(PartFlag.ARCHIVE)
    elif members:  # an Office or Java container: its parts are noise, unless dangerous
        members = [name for name in members if _dangerous_name(name)]
        total = len(members)
    flags = list(dict.fromkeys(str(f) for f in flags))
    return _Findings(detected, flags, members, total, pdf_actions)


def inspect_payload(payload: bytes, *, filename: str, declared_type: str) -> tuple[str, list[str]]:
    """(detected type, PartFlag values) from the bytes, the name and the declared type."""
    found = _examine(payload, filename, declared_type)
    return found.detected, found.flags


def _member_detail(members: list[str], total: int, language: Language) -> str:
    if not members:
        return ""
    files = [one_line(collapse_padding(m)) for m in members if m and not m.endswith("/")]
    if not files:
        return ""
    files.sort(key=lambda n: not _dangerous_name(n))  # the names that matter first
    shown: list[str] = []
    for name in files:
        if len(", ".join([*shown, name])) > MAX_DETAIL - 40:
            break
        shown.append(name)
    more = max(total, len(files)) - len(shown) - (len(members) - len(files))
    names = ", ".join(shown) + (label(language, "more", n=str(more)) if more > 0 else "")
    return label(language, "contains", names=names)


def describe_removed(
    payload: bytes,
    *,
    filename: str,
    declared_type: str,
    reason: str,
    extra_flags: Iterable[str] = (),
    detail: str = "",
    language: Language = Language.JA,
) -> RemovedPart:
    """Everything the notice and the quarantine record say about one removed part, the
    details in the notice's `language`."""
    found = _examine(payload, filename, declared_type)
    details = [detail, _member_detail(found.members, found.member_total, language)]
    if found.pdf_actions:
        details.append(label(language, "pdf_active", names=", ".join(found.pdf_actions)))
    details = [d for d in details if d]
    return RemovedPart(
        filename=one_line(collapse_padding(filename)),
        declared_type=one_line(declared_type),
        detected_type=found.detected,
        size=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(),
        flags=list(dict.fromkeys([*(str(f) for f in extra_flags), *found.flags])),
        reason=reason,
        detail=one_line("; ".join(details))[:MAX_DETAIL],
    )
