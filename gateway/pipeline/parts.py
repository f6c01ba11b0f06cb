"""What a removed part is: its type from the bytes, and the flags an administrator must see.

Only headers and directories are read, never a decompressed stream: the part is already
leaving the mail, and this runs on hostile input. Container probes are in-house because
no maintained library reads *only* the few bytes needed (zipfile loads every central
directory record, olefile parses whole compound files).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import magic

from gateway.pipeline.textclean import one_line
from gateway.types import PartFlag, RemovedPart

# libmagic reads the OLE2 directory to tell .doc from .xls, which is often past 2 KB; zips
# are named from their members below instead. Measured per call (bench in the report):
# 2 KB / 8 KB / 195 KB = 25 / 27 / 50 us for a PDF, 0.54 / 1.0 / 1.3 ms for Japanese text.
SNIFF_BYTES = 8192
MAX_MEMBERS = 1000
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


ZIP = "application/zip"
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


def _u16(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 2], "little")


def _u32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "little")


@dataclass(slots=True)
class _ZipListing:
    names: list[str] = field(default_factory=list)
    encrypted: bool = False
    total: int = 0  # entries declared by the end record


def _zip_name(raw: bytes, utf8: bool) -> str:
    if utf8:
        return raw.decode("utf-8", "replace")
    # Japanese Windows zips name members in CP932 without setting the UTF-8 flag.
    for codec in ("utf-8", "cp932"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            pass
    return raw.decode("cp437")


def _zip_listing(data: bytes) -> _ZipListing | None:
    """Central directory only, at most MAX_MEMBERS records; None when there is none."""
    listing = _ZipListing()
    eocd = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if eocd < 0 or eocd + 22 > len(data):
        if data.startswith(b"PK\x03\x04"):  # cut short: only the first local header is left
            flags = _u16(data, 6)
            listing.encrypted = bool(flags & 1)
            listing.names.append(_zip_name(data[30 : 30 + _u16(data, 26)], bool(flags & 0x800)))
            return listing
        return None
    listing.total, cd_size = _u16(data, eocd + 10), _u32(data, eocd + 12)
    start = eocd - cd_size  # not the stored offset: data may be prepended (self-extractors)
    z64 = eocd - 76  # a Zip64 end record (56 bytes) and its locator (20) precede the end
    if z64 >= 0 and data[z64 : z64 + 4] == b"PK\x06\x06":
        cd_size = int.from_bytes(data[z64 + 40 : z64 + 48], "little")
        listing.total = int.from_bytes(data[z64 + 32 : z64 + 40], "little")
        start = z64 - cd_size
    pos = start
    while pos >= 0 and data[pos : pos + 4] == b"PK\x01\x02" and len(listing.names) < MAX_MEMBERS:
        flags, name_len = _u16(data, pos + 8), _u16(data, pos + 28)
        listing.encrypted |= bool(flags & 1)
        listing.names.append(_zip_name(data[pos + 46 : pos + 46 + name_len], bool(flags & 0x800)))
        pos += 46 + name_len + _u16(data, pos + 30) + _u16(data, pos + 32)
    return listing


def _zip_type(names: list[str]) -> str:
    lowered = {n.lower() for n in names}
    tops = {n.split("/", 1)[0] for n in lowered}
    if "word" in tops:
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if "xl" in tops:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    if "ppt" in tops:
        return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    if "androidmanifest.xml" in lowered and "classes.dex" in lowered:
        return "application/vnd.android.package-archive"
    if "meta-inf/manifest.mf" in lowered or any(n.endswith(".class") for n in lowered):
        return "application/java-archive"
    if "mimetype" in lowered and "meta-inf" in tops:
        return "application/vnd.oasis.opendocument"  # the member holds the exact subtype
    return ZIP


_MACHO_MAGICS = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")


def _signature_type(data: bytes) -> str:
    """Types libmagic misses on stubs or past its window; "" when none applies."""
    if data.startswith(b"\x7fELF"):
        return ELF
    pe_at = _u32(data, 0x3C)
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
        listing = _zip_listing(payload)
        return _zip_type(listing.names) if listing is not None else ZIP
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


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _ole_stream_head(data: bytes, name: str, size: int) -> bytes:
    """First bytes of a large stream, found by its directory entry; b"" when unsure."""
    at = data.find(_utf16(name) + b"\x00\x00", 512)
    if at < 0 or _u32(data, at + 120) < 4096:  # small streams live in the mini-stream
        return b""
    sector = 1 << _u16(data, 30) if 7 <= _u16(data, 30) <= 12 else 512
    start = (_u32(data, at + 116) + 1) * sector
    return data[start : start + size]


def _ole_flags(data: bytes) -> list[str]:
    flags: list[str] = []
    if _utf16("EncryptedPackage") in data or _utf16("EncryptedSummary") in data:
        flags.append(PartFlag.PASSWORD_PROTECTED)  # OOXML agile/standard, PowerPoint CryptoAPI
    else:
        fib = _ole_stream_head(data, "WordDocument", 12)
        if len(fib) == 12 and _u16(fib, 0) == 0xA5EC and _u16(fib, 10) & 0x0100:
            flags.append(PartFlag.PASSWORD_PROTECTED)  # Word 97-2003 fEncrypted
        book = _ole_stream_head(data, "Workbook", 256)
        pos = 0
        for _ in range(4):  # FILEPASS follows BOF in the first records of the globals
            if _u16(book, pos) == 0x002F and pos + 4 <= len(book):
                flags.append(PartFlag.PASSWORD_PROTECTED)
                break
            pos += 4 + _u16(book, pos + 2)
    if _utf16("_VBA_PROJECT") in data or _utf16("VBA") + b"\x00\x00" in data:
        flags.append(PartFlag.MACROS)
    return flags


def _pdf_encrypted(data: bytes) -> bool:
    # The trailer (or xref-stream dictionary) is at the end, or after page one when
    # linearized; an /Encrypt key elsewhere would be inside a compressed stream.
    return b"/Encrypt" in data[-65536:] or b"/Encrypt" in data[:16384]


def _vint(data: bytes, pos: int) -> tuple[int, int]:
    """RAR 5 variable-length integer at pos: (value, position after it)."""
    value = shift = 0
    for byte in data[pos : pos + 10]:
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if not byte & 0x80:
            break
    return value, pos


def _rar5_encrypted(data: bytes) -> bool:
    """An archive encryption header, or an encryption record on one of the first files."""
    pos = 8
    for _ in range(16):  # headers only; the data areas between them are skipped by size
        size, start = _vint(data, pos + 4)  # after the header CRC
        end = start + size
        kind, at = _vint(data, start)
        flags, at = _vint(data, at)
        extra, at = _vint(data, at) if flags & 0x01 else (0, at)
        data_size, at = _vint(data, at) if flags & 0x02 else (0, at)
        if kind == 4:
            return True
        record = end - extra if kind == 2 else end  # the extra area closes the header
        while record < end:
            record_size, record_at = _vint(data, record)
            if _vint(data, record_at)[0] == 0x01:  # file encryption record
                return True
            record = record_at + max(record_size, 1)
        if kind == 5 or size == 0 or end > len(data):
            return False
        pos = end + data_size
    return False


def _rar_encrypted(data: bytes) -> bool:
    if data.startswith(b"Rar!\x1a\x07\x00"):  # RAR 4: main header flag, then first file header
        main_flags, main_size = _u16(data, 10), _u16(data, 12)
        first = 7 + main_size
        file_encrypted = data[first + 2 : first + 3] == b"\x74" and _u16(data, first + 3) & 0x04
        return bool(main_flags & 0x0080 or file_encrypted)
    return data.startswith(b"Rar!\x1a\x07\x01\x00") and _rar5_encrypted(data)


def _7z_encrypted(data: bytes) -> bool:
    # The AES coder id is visible when headers are encrypted (-mhe) or stored plain;
    # behind an LZMA-packed header it is not, and then only the file data is encrypted.
    if not data.startswith(b"7z\xbc\xaf\x27\x1c") or len(data) < 32:
        return False
    start = 32 + int.from_bytes(data[12:20], "little")
    size = min(int.from_bytes(data[20:28], "little"), 65536)
    return b"\x06\xf1\x07\x01" in data[start : start + size]


def _container_flags(payload: bytes) -> tuple[list[str], list[str], int]:
    """(flags, zip member names, declared member count) from container headers."""
    if payload.startswith(b"PK"):
        listing = _zip_listing(payload)
        if listing is None:
            return [], [], 0
        flags: list[str] = []
        if any(n.lower().endswith("vbaproject.bin") for n in listing.names):
            flags.append(PartFlag.MACROS)
        if listing.encrypted:
            flags.append(PartFlag.ENCRYPTED_ARCHIVE)
        if any(_dangerous_name(n) for n in listing.names):
            flags.append(PartFlag.DANGEROUS_EXTENSION)  # inside: the detail names them
        return flags, listing.names, max(listing.total, len(listing.names))
    if payload.startswith(_OLE_MAGIC):
        return _ole_flags(payload), [], 0
    if payload.startswith(b"%PDF") and _pdf_encrypted(payload):
        return [str(PartFlag.PASSWORD_PROTECTED)], [], 0
    if _rar_encrypted(payload) or _7z_encrypted(payload):
        return [str(PartFlag.ENCRYPTED_ARCHIVE)], [], 0
    return [], [], 0


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


def _examine(payload: bytes, filename: str, declared_type: str) -> _Findings:
    detected = detect_type(payload)
    family = _family(detected)
    suffixes = _suffixes(filename)
    ext = suffixes[-1] if suffixes else ""
    found, members, total = _container_flags(payload)
    flags: list[str] = []
    if _mismatch(family, {_EXT_FAMILY.get(ext, ""), _family(declared_type)} - {""}, found):
        flags.append(PartFlag.TYPE_MISMATCH)
    if family == "exec" or detected in _EXECUTABLE_TYPES or ext in _SCRIPT_EXTS:
        flags.append(PartFlag.EXECUTABLE)
    if ext in _DANGEROUS_EXTS:
        flags.append(PartFlag.DANGEROUS_EXTENSION)
    if ext in _MACRO_EXTS:
        flags.append(PartFlag.MACROS)
    flags.extend(found)
    if family == "archive" or detected == ZIP:
        flags.append(PartFlag.ARCHIVE)
    elif members:  # an Office or Java container: its parts are noise, unless dangerous
        members = [name for name in members if _dangerous_name(name)]
        total = len(members)
    return _Findings(detected, list(dict.fromkeys(str(f) for f in flags)), members, total)


def inspect_payload(payload: bytes, *, filename: str, declared_type: str) -> tuple[str, list[str]]:
    """(detected type, PartFlag values) from the bytes, the name and the declared type."""
    found = _examine(payload, filename, declared_type)
    return found.detected, found.flags


def _member_detail(members: list[str], total: int) -> str:
    if not members:
        return ""
    files = [one_line(m) for m in members if not m.endswith("/")]
    files.sort(key=lambda n: not _dangerous_name(n))  # the names that matter first
    shown: list[str] = []
    for name in files:
        if len(", ".join([*shown, name])) > MAX_DETAIL - 40:
            break
        shown.append(name)
    more = max(total, len(files)) - len(shown) - (len(members) - len(files))
    return "contains: " + ", ".join(shown) + (f" (+{more} more)" if more > 0 else "")


def describe_removed(
    payload: bytes,
    *,
    filename: str,
    declared_type: str,
    reason: str,
    extra_flags: Iterable[str] = (),
    detail: str = "",
) -> RemovedPart:
    """Everything the notice and the quarantine record say about one removed part."""
    found = _examine(payload, filename, declared_type)
    details = [d for d in (detail, _member_detail(found.members, found.member_total)) if d]
    return RemovedPart(
        filename=one_line(filename),
        declared_type=one_line(declared_type),
        detected_type=found.detected,
        size=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(),
        flags=list(dict.fromkeys([*(str(f) for f in extra_flags), *found.flags])),
        reason=reason,
        detail=one_line("; ".join(details))[:MAX_DETAIL],
    )
