"""Container headers read for what the notice must say about a removed attachment.

Each check answers one question from headers and directories only, never a decompressed
stream (the part is already leaving the mail, and this runs on hostile input):
- zip: which members does the central directory name, is any of them encrypted, and what
  do the names make it (OOXML, APK, JAR, OpenDocument or a plain zip)?
- OLE2 (Office 97-2003, and encrypted OOXML): is it password-protected, does it hold macros?
- PDF: does the trailer name an /Encrypt dictionary?
- RAR 4/5 and 7z: are the archive's headers or its first files encrypted?
The probes are in-house because no maintained library reads *only* the few bytes needed
(zipfile loads every central directory record, olefile parses whole compound files).
The one exception is a zip inside a zip: its members are named one level deeper, which needs
the inner zip inflated; the stdlib's zipfile does that, bounded in count and size.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from gateway.types import PartFlag

MAX_MEMBERS = 1000
ZIP = "application/zip"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def u16(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 2], "little")


def u32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "little")


@dataclass(slots=True)
class ZipListing:
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


def zip_listing(data: bytes) -> ZipListing | None:
    """Central directory only, at most MAX_MEMBERS records; None when there is none."""
    listing = ZipListing()
    eocd = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if eocd < 0 or eocd + 22 > len(data):
        if data.startswith(b"PK\x03\x04"):  # cut short: only the first local header is left
            flags = u16(data, 6)
            listing.encrypted = bool(flags & 1)
            listing.names.append(_zip_name(data[30 : 30 + u16(data, 26)], bool(flags & 0x800)))
            return listing
        return None
    listing.total, cd_size = u16(data, eocd + 10), u32(data, eocd + 12)
    start = eocd - cd_size  # not the stored offset: data may be prepended (self-extractors)
    z64 = eocd - 76  # a Zip64 end record (56 bytes) and its locator (20) precede the end
    if z64 >= 0 and data[z64 : z64 + 4] == b"PK\x06\x06":
        cd_size = int.from_bytes(data[z64 + 40 : z64 + 48], "little")
        listing.total = int.from_bytes(data[z64 + 32 : z64 + 40], "little")
        start = z64 - cd_size
    pos = start
    while pos >= 0 and data[pos : pos + 4] == b"PK\x01\x02" and len(listing.names) < MAX_MEMBERS:
        flags, name_len = u16(data, pos + 8), u16(data, pos + 28)
        listing.encrypted |= bool(flags & 1)
        listing.names.append(_zip_name(data[pos + 46 : pos + 46 + name_len], bool(flags & 0x800)))
        pos += 46 + name_len + u16(data, pos + 30) + u16(data, pos + 32)
    return listing


def zip_type(names: list[str]) -> str:
    """The type the member names make a zip: OOXML, APK, JAR, OpenDocument or plain."""
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


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _ole_stream_head(data: bytes, name: str, size: int) -> bytes:
    """First bytes of a large stream, found by its directory entry; b"" when unsure."""
    at = data.find(_utf16(name) + b"\x00\x00", 512)
    if at < 0 or u32(data, at + 120) < 4096:  # small streams live in the mini-stream
        return b""
    sector = 1 << u16(data, 30) if 7 <= u16(data, 30) <= 12 else 512
    start = (u32(data, at + 116) + 1) * sector
    return data[start : start + size]


def ole_flags(data: bytes) -> list[str]:
    """PASSWORD_PROTECTED and MACROS as an OLE2 compound file's directory shows them."""
    flags: list[str] = []
    if _utf16("EncryptedPackage") in data or _utf16("EncryptedSummary") in data:
        flags.append(PartFlag.PASSWORD_PROTECTED)  # OOXML agile/standard, PowerPoint CryptoAPI
    else:
        fib = _ole_stream_head(data, "WordDocument", 12)
        if len(fib) == 12 and u16(fib, 0) == 0xA5EC and u16(fib, 10) & 0x0100:
            flags.append(PartFlag.PASSWORD_PROTECTED)  # Word 97-2003 fEncrypted
        book = _ole_stream_head(data, "Workbook", 256)
        pos = 0
        for _ in range(4):  # FILEPASS follows BOF in the first records of the globals
            if u16(book, pos) == 0x002F and pos + 4 <= len(book):
                flags.append(PartFlag.PASSWORD_PROTECTED)
                break
            pos += 4 + u16(book, pos + 2)
    if _utf16("_VBA_PROJECT") in data or _utf16("VBA") + b"\x00\x00" in data:
        flags.append(PartFlag.MACROS)
    return flags


def pdf_encrypted(data: bytes) -> bool:
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


def rar_encrypted(data: bytes) -> bool:
    if data.startswith(b"Rar!\x1a\x07\x00"):  # RAR 4: main header flag, then first file header
        main_flags, main_size = u16(data, 10), u16(data, 12)
        first = 7 + main_size
        file_encrypted = data[first + 2 : first + 3] == b"\x74" and u16(data, first + 3) & 0x04
        return bool(main_flags & 0x0080 or file_encrypted)
    return data.startswith(b"Rar!\x1a\x07\x01\x00") and _rar5_encrypted(data)


def sevenzip_encrypted(data: bytes) -> bool:
    # The AES coder id is visible when headers are encrypted (-mhe) or stored plain;
    # behind an LZMA-packed header it is not, and then only the file data is encrypted.
    if not data.startswith(b"7z\xbc\xaf\x27\x1c") or len(data) < 32:
        return False
    start = 32 + int.from_bytes(data[12:20], "little")
    size = min(int.from_bytes(data[20:28], "little"), 65536)
    return b"\x06\xf1\x07\x01" in data[start : start + size]


MAX_NESTED = 16  # inner zips opened per archive
MAX_NESTED_BYTES = 8 * 1024 * 1024  # inflated size of one inner zip
MAX_NESTED_TOTAL = 32 * 1024 * 1024
_SNIFFED_MEMBERS = 64  # members whose first bytes are read to find a zip under another name


def _inner_zip(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """The member's bytes when it is a zip within the bounds; b"" otherwise."""
    if info.flag_bits & 1 or info.file_size > min(MAX_NESTED_BYTES, budget):
        return b""
    with archive.open(info) as member:
        if member.read(4) != b"PK\x03\x04":
            return b""
        return b"PK\x03\x04" + member.read(min(MAX_NESTED_BYTES, budget))


def nested_names(data: bytes) -> list[str]:
    """Members of the zips stored in a zip, as `inner.zip/member`; [] when there are none."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()[:MAX_MEMBERS]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        return []
    names: list[str] = []
    budget, opened = MAX_NESTED_TOTAL, 0
    for position, info in enumerate(infos):
        named_zip = info.filename.lower().endswith(".zip")
        if opened >= MAX_NESTED or not (named_zip or position < _SNIFFED_MEMBERS):
            continue
        try:
            inner = _inner_zip(archive, info, budget)
        # Damage, an unsupported method (deflate64, PPMd), a wrong CRC or a password: the
        # member cannot be listed, and the outer listing already names it.
        except Exception:  # zipfile and zlib raise many kinds on hostile input
            continue
        listing = zip_listing(inner) if inner else None
        if listing is None:
            continue
        opened += 1
        budget -= len(inner)
        names += [f"{info.filename}/{name}" for name in listing.names[:MAX_MEMBERS]]
    return names
