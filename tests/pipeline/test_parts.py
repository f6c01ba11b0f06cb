"""Removed-part descriptions from real bytes: hand-built PE, zip, OLE2, PDF, RAR, 7z headers."""

from __future__ import annotations

import email
import hashlib
import io
import struct
import zipfile
from email import policy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.pipeline import containers, parts
from gateway.pipeline.parts import describe_removed, detect_type, inspect_payload
from gateway.types import PartFlag

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"


def pe_stub() -> bytes:
    header = bytearray(b"MZ" + b"\x90" * 62)
    header[0x3C:0x40] = struct.pack("<I", 0x40)
    return bytes(header) + b"PE\x00\x00" + struct.pack("<H", 0x14C) + b"\x00" * 300


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _cp932_zip(members: dict[str, bytes]) -> bytes:
    """Stored entries written by hand, names in CP932: zipfile always marks non-ASCII as UTF-8."""
    local, central, offset = b"", b"", 0
    for name, data in members.items():
        raw_name, crc = name.encode("cp932"), zipfile.crc32(data)
        head = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0, crc, len(data),
                           len(data), len(raw_name), 0)  # fmt: skip
        sizes = (crc, len(data), len(data), len(raw_name), 0, 0, 0, 0, 0, offset)
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, *sizes)
        central += raw_name
        local += head + raw_name + data
        offset = len(local)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members),
                      len(central), len(local), 0)  # fmt: skip
    return local + central + end


def set_encrypted_bit(raw: bytes) -> bytes:
    """What ZipCrypto/AES writers do: general-purpose flag bit 0 in local and central headers."""
    data = bytearray(raw)
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = data.find(signature)
        while pos >= 0:
            data[pos + flag_at] |= 1
            pos = data.find(signature, pos + 4)
    return bytes(data)


def ole_file(streams: dict[str, tuple[int, int]], sectors: dict[int, bytes]) -> bytes:
    """An OLE2 compound file: 512-byte sectors, directory in sector 0, streams by start sector."""
    header = bytearray(512)
    header[0:8] = bytes.fromhex("d0cf11e0a1b11ae1")
    header[30:32] = struct.pack("<H", 9)  # 512-byte sectors
    directory = bytearray()
    for name in ["Root Entry", *streams]:
        entry = bytearray(128)
        encoded = name.encode("utf-16-le")
        entry[0 : len(encoded)] = encoded
        entry[64:66] = struct.pack("<H", len(encoded) + 2)
        start, size = streams.get(name, (0, 0))
        entry[116:124] = struct.pack("<II", start, size)
        directory += entry
    body = bytearray(directory.ljust(512, b"\x00"))
    for sector, content in sorted(sectors.items()):
        body = body.ljust(sector * 512, b"\x00") + content.ljust(512, b"\x00")
    return bytes(header + body)


def flags_of(
    payload: bytes, filename: str, declared: str = "application/octet-stream"
) -> list[str]:
    return inspect_payload(payload, filename=filename, declared_type=declared)[1]


def test_pe_named_pdf_is_a_mismatch_and_executable() -> None:
    detected, flags = inspect_payload(
        pe_stub(), filename="report.pdf", declared_type="application/pdf"
    )
    assert detected == parts.PE
    assert PartFlag.TYPE_MISMATCH in flags
    assert PartFlag.EXECUTABLE in flags
    assert PartFlag.DANGEROUS_EXTENSION not in flags  # the name itself looks harmless


def test_shortcut_named_pdf() -> None:
    lnk = bytes.fromhex("4c0000000114020000000000c000000000000046") + b"\x00" * 200
    flags = flags_of(lnk, "請求書.pdf", "application/pdf")
    assert PartFlag.TYPE_MISMATCH in flags
    assert PartFlag.EXECUTABLE in flags


def test_elf_stub_is_found_where_libmagic_gives_up() -> None:
    flags = flags_of(b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "data.bin")
    assert PartFlag.EXECUTABLE in flags


@pytest.mark.parametrize(
    ("payload", "filename", "declared"),
    [
        (b"%PDF-1.4\n%%EOF\n", "scan.pdf", "application/octet-stream"),  # promises nothing
        (b"a,b,c\n1,2,3\n", "list.csv", "text/plain"),
        (b"a,b,c\n1,2,3\n", "list.txt", "text/csv"),
        (
            make_zip({"[Content_Types].xml": b"x", "word/document.xml": b"x"}),
            "letter.docx",
            "application/zip",
        ),
        (make_zip({"a.txt": b"x"}), "a.zip", "application/x-zip-compressed"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "photo.jpg", "image/jpeg"),
    ],
)
def test_equivalent_types_are_not_a_mismatch(payload: bytes, filename: str, declared: str) -> None:
    assert PartFlag.TYPE_MISMATCH not in flags_of(payload, filename, declared)


def test_html_behind_an_image_name_is_a_mismatch() -> None:
    flags = flags_of(b"<html><body><form action=x></form></body></html>", "scan.png", "image/png")
    assert PartFlag.TYPE_MISMATCH in flags


@pytest.mark.parametrize(
    "filename",
    [
        "invoice.pdf.exe",
        "INVOICE.PDF.EXE",
        "evil.exe. . ",
        "photo.jpg.scr",
        "shortcut.lnk",
        "disk.iso",
        "run.js",
        "a.exe\x00.pdf",  # Windows cuts at the NUL
        "file.exe::$DATA",
        "\u202efdp.exe",  # shown as exe.pdf with the override; it is fdp.exe
        "C:\\temp\\setup.msi",
    ],
)
def test_dangerous_names(filename: str) -> None:
    assert PartFlag.DANGEROUS_EXTENSION in flags_of(b"hello\n", filename)


@pytest.mark.parametrize("filename", ["report.pdf", "見積書.xlsx", "a.exe.pdf", "README", ""])
def test_ordinary_names(filename: str) -> None:
    assert PartFlag.DANGEROUS_EXTENSION not in flags_of(b"hello\n", filename)


@pytest.mark.parametrize("filename", ["run.ps1", "a.vbs", "x.hta", "install.sh", "go.bat"])
def test_scripts_are_executable_by_name(filename: str) -> None:
    flags = flags_of(b"echo hi\n", filename)
    assert PartFlag.EXECUTABLE in flags
    assert PartFlag.DANGEROUS_EXTENSION in flags


def test_encrypted_zip_is_flagged_and_still_lists_its_members() -> None:
    raw = set_encrypted_bit(make_zip({"見積書.xlsx": b"x" * 100, "readme.txt": b"y"}))
    part = describe_removed(raw, filename="見積書.zip", declared_type="application/zip", reason="a")
    assert PartFlag.ENCRYPTED_ARCHIVE in part.flags
    assert PartFlag.ARCHIVE in part.flags
    assert part.detail == "含まれるファイル: 見積書.xlsx, readme.txt"


def test_plain_zip_is_not_encrypted() -> None:
    flags = flags_of(make_zip({"a.txt": b"x"}), "a.zip")
    assert PartFlag.ARCHIVE in flags
    assert PartFlag.ENCRYPTED_ARCHIVE not in flags


def test_cp932_member_names_and_dangerous_members_first() -> None:
    raw = _cp932_zip({"資料/予算.xlsx": b"x", "請求書.pdf.exe": b"MZ"})
    part = describe_removed(raw, filename="a.zip", declared_type="application/zip", reason="a")
    assert part.detail == "含まれるファイル: 請求書.pdf.exe, 資料/予算.xlsx"
    assert PartFlag.DANGEROUS_EXTENSION in part.flags


def test_member_listing_is_capped_and_detail_is_short() -> None:
    raw = make_zip({f"dir/file{i:04d}.txt": b"" for i in range(1500)})
    listing = containers.zip_listing(raw)
    assert listing is not None
    assert len(listing.names) == containers.MAX_MEMBERS
    assert listing.total == 1500
    part = describe_removed(raw, filename="big.zip", declared_type="application/zip", reason="a")
    assert len(part.detail) <= parts.MAX_DETAIL
    assert part.detail.startswith("含まれるファイル: dir/file0000.txt")
    assert part.detail.endswith(" 件）")


def test_corrupt_zip_central_directory_falls_back_to_local_headers() -> None:
    raw = make_zip({"a.exe": b"x" * 50})
    broken = raw[: raw.find(b"PK\x01\x02")] + b"PK\x01\x02" + b"\xff" * 10  # cut directory
    part = describe_removed(broken, filename="a.zip", declared_type="application/zip", reason="a")
    assert part.size == len(broken)
    assert part.detail == "含まれるファイル: a.exe"  # still named from the local file header
    assert "dangerous-extension" in part.flags


def test_truncated_zip_still_reports_the_first_entry() -> None:
    raw = set_encrypted_bit(make_zip({"secret.docx": b"x" * 200}))
    flags = flags_of(raw[:60], "part.zip")
    assert PartFlag.ENCRYPTED_ARCHIVE in flags


def test_ooxml_with_vba_project_has_macros() -> None:
    docx = {"_rels/.rels": b"x", "word/document.xml": b"x", "[Content_Types].xml": b"x"}
    plain = make_zip(docx)
    macro = make_zip({**docx, "word/vbaProject.bin": b"\xd0\xcf"})
    detected, flags = inspect_payload(plain, filename="a.docx", declared_type="application/zip")
    assert detected.endswith("wordprocessingml.document")  # [Content_Types].xml not first
    assert PartFlag.MACROS not in flags and PartFlag.ARCHIVE not in flags
    assert PartFlag.MACROS in flags_of(macro, "a.docx")
    assert PartFlag.MACROS in flags_of(plain, "budget.xlsm")


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ({"_rels/.rels": b"", "xl/workbook.xml": b""}, "spreadsheetml.sheet"),
        ({"_rels/.rels": b"", "ppt/presentation.xml": b""}, "presentationml.presentation"),
        ({"a/B.class": b"", "META-INF/MANIFEST.MF": b""}, "application/java-archive"),
        (
            {"mimetype": b"application/vnd.oasis.opendocument.text", "META-INF/x": b""},
            "opendocument",
        ),
    ],
)
def test_zip_containers_are_named_from_their_members(
    members: dict[str, bytes], expected: str
) -> None:
    assert expected in detect_type(make_zip(members))


def test_jar_is_executable() -> None:
    jar = make_zip({"META-INF/MANIFEST.MF": b"", "a/B.class": b""})
    assert PartFlag.EXECUTABLE in flags_of(jar, "tool.zip")
    assert PartFlag.TYPE_MISMATCH not in flags_of(jar, "tool.jar", "application/java-archive")


def test_pdf_encrypt_entry_is_password_protected() -> None:
    body = b"%PDF-1.6\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"%filler\n" * 20_000
    locked = body + b"trailer\n<< /Root 1 0 R /Encrypt 5 0 R >>\n%%EOF\n"
    opened = body + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    assert PartFlag.PASSWORD_PROTECTED in flags_of(locked, "a.pdf", "application/pdf")
    assert PartFlag.PASSWORD_PROTECTED not in flags_of(opened, "a.pdf", "application/pdf")


def test_encrypted_ooxml_in_ole2_is_password_protected_not_a_mismatch() -> None:
    raw = ole_file({"EncryptionInfo": (0, 200), "EncryptedPackage": (0, 9000)}, {})
    flags = flags_of(raw, "予算.xlsx", "application/vnd.ms-excel")
    assert PartFlag.PASSWORD_PROTECTED in flags
    assert PartFlag.TYPE_MISMATCH not in flags


def test_legacy_word_encryption_bit() -> None:
    fib = struct.pack("<HHHHHH", 0xA5EC, 0xC1, 0, 0, 0, 0x0100)
    locked = ole_file({"WordDocument": (1, 8192)}, {1: fib})
    opened = ole_file({"WordDocument": (1, 8192)}, {1: fib[:10] + b"\x00\x00"})
    assert PartFlag.PASSWORD_PROTECTED in flags_of(locked, "a.doc", "application/msword")
    assert PartFlag.PASSWORD_PROTECTED not in flags_of(opened, "a.doc", "application/msword")


def test_legacy_excel_filepass_record() -> None:
    bof = struct.pack("<HH", 0x0809, 16) + b"\x00" * 16
    filepass = struct.pack("<HH", 0x002F, 54) + b"\x01" * 54
    locked = ole_file({"Workbook": (1, 8192)}, {1: bof + filepass})
    opened = ole_file({"Workbook": (1, 8192)}, {1: bof + struct.pack("<HH", 0x00E1, 2) + b"xx"})
    assert PartFlag.PASSWORD_PROTECTED in flags_of(locked, "a.xls")
    assert PartFlag.PASSWORD_PROTECTED not in flags_of(opened, "a.xls")


def test_ole_vba_storage_is_macros() -> None:
    raw = ole_file({"Macros": (0, 0), "VBA": (0, 0), "_VBA_PROJECT": (0, 100)}, {})
    assert PartFlag.MACROS in flags_of(raw, "a.doc", "application/msword")
    assert PartFlag.MACROS not in flags_of(ole_file({"WordDocument": (0, 100)}, {}), "a.doc")


def test_rar_encryption_headers() -> None:
    rar4_locked = b"Rar!\x1a\x07\x00" + struct.pack("<HBHH", 0, 0x73, 0x0080, 13) + b"\x00" * 60
    rar4_open = b"Rar!\x1a\x07\x00" + struct.pack("<HBHH", 0, 0x73, 0, 13) + b"\x00" * 60
    rar5_locked = b"Rar!\x1a\x07\x01\x00" + b"\x00\x00\x00\x00" + b"\x0c\x04" + b"\x00" * 60
    rar5_open = b"Rar!\x1a\x07\x01\x00" + b"\x00\x00\x00\x00" + b"\x0c\x01" + b"\x00" * 60
    for raw in (rar4_locked, rar5_locked):
        assert PartFlag.ENCRYPTED_ARCHIVE in flags_of(raw, "a.rar")
    for raw in (rar4_open, rar5_open):
        flags = flags_of(raw, "a.rar")
        assert PartFlag.ENCRYPTED_ARCHIVE not in flags
        assert PartFlag.ARCHIVE in flags


def rar5_block(kind: int, fields: bytes, extra: bytes = b"", data: bytes = b"") -> bytes:
    """One RAR 5 header (all values below 128, so each vint is one byte), then its data."""
    flags = (0x01 if extra else 0) | (0x02 if data else 0)
    sizes = (bytes((len(extra),)) if extra else b"") + (bytes((len(data),)) if data else b"")
    body = bytes((kind, flags)) + sizes + fields + extra
    return b"\x00\x00\x00\x00" + bytes((len(body),)) + body + data


def test_rar5_file_encryption_record() -> None:
    def archive(record_type: int) -> bytes:
        record = bytes((record_type,)) + b"\x00\x00\x0f" + b"\x11" * 32
        file_fields = b"\x00\x05\x20\x00\x02" + b"\x07" + b"doc.pdf"
        return (
            b"Rar!\x1a\x07\x01\x00"
            + rar5_block(1, b"\x00")
            + rar5_block(2, file_fields, bytes((len(record),)) + record, b"\xaa" * 5)
            + rar5_block(5, b"\x00")
        )

    assert PartFlag.ENCRYPTED_ARCHIVE in flags_of(archive(0x01), "a.rar")
    assert PartFlag.ENCRYPTED_ARCHIVE not in flags_of(archive(0x02), "a.rar")  # a hash record


def test_7z_with_an_aes_coder_in_a_plain_header() -> None:
    header = b"\x01\x04\x06\x00\x01\x09\x00\x0b\x01\x00\x01\x24\x06\xf1\x07\x01" + b"\x00" * 20
    start = b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 4 + struct.pack("<QQ", 16, len(header))
    raw = start + b"\x00" * 4 + b"\x00" * 16 + header
    assert PartFlag.ENCRYPTED_ARCHIVE in flags_of(raw, "a.7z")
    assert PartFlag.ENCRYPTED_ARCHIVE not in flags_of(raw.replace(b"\x06\xf1", b"\x03\x01"), "a.7z")


DATA = Path(__file__).resolve().parents[1] / "data" / "parts"


@pytest.mark.parametrize(
    ("name", "encrypted"),
    [
        ("aes-headers.7z", True),  # 7z -mhe=on
        ("aes-data.7z", True),  # 7z -p, names readable
        ("plain.7z", False),
        ("winzip-aes.zip", True),  # 7z -tzip -mem=AES256
    ],
)
def test_archives_written_by_7zip(name: str, encrypted: bool) -> None:
    flags = flags_of((DATA / name).read_bytes(), name)
    assert PartFlag.ARCHIVE in flags
    assert (PartFlag.ENCRYPTED_ARCHIVE in flags) is encrypted


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"\x20\x00-lh5-" + b"\x00" * 80, "application/x-lzh-compressed"),  # Japanese LHA
        (b"\x00" * 0x8001 + b"CD001" + b"\x00" * 100, "application/x-iso9660-image"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 40, "application/gzip"),
    ],
)
def test_archives(payload: bytes, expected: str) -> None:
    detected, flags = inspect_payload(payload, filename="x", declared_type="")
    assert detected == expected
    assert PartFlag.ARCHIVE in flags


def test_detect_type_edges() -> None:
    assert detect_type(b"") == ""
    assert detect_type(b"hello world\n") == "text/plain"
    assert detect_type(b"PK\x03\x04" + b"\xff" * 30) in (parts.ZIP, "application/octet-stream")


def test_magic_handle_is_remade_after_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    detect_type(b"%PDF-1.4\n")
    assert parts._magic is not None
    monkeypatch.setattr(parts.os, "getpid", lambda: -1)  # as seen from a forked worker
    assert detect_type(b"%PDF-1.4\n") == "application/pdf"
    assert parts._magic[0] == -1


def test_describe_removed_fields() -> None:
    payload = pe_stub()
    part = describe_removed(
        payload,
        filename="請求書\u202e.pdf",
        declared_type="application/pdf",
        reason="attachment",
        extra_flags=[PartFlag.EXECUTABLE, PartFlag.INLINE_IMAGE],
        detail="from winmail.dat",
    )
    assert part.size == len(payload)
    assert part.sha256 == hashlib.sha256(payload).hexdigest()
    assert part.filename == "請求書.pdf"
    assert part.flags == ["executable", "inline-image", "type-mismatch"]
    assert part.detail == "from winmail.dat"
    assert part.reason == "attachment"
    assert part.index == 0


@pytest.mark.corpus
def test_corpus_archives_are_described() -> None:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.skip(f"corpus not found at {CORPUS} (../shared/corpus from the repo root)")
    rows = [line.split("\t") for line in (CORPUS / "MANIFEST.tsv").read_text().splitlines()[1:]]
    paths = [row[0] for row in rows if {"zip", "archive"} & set(row[-1].split(","))]
    assert paths
    seen: dict[str, list[str]] = {}
    for path in paths:
        message = email.message_from_bytes((CORPUS / path).read_bytes(), policy=policy.compat32)
        for part in message.walk():
            filename = part.get_filename()
            if part.is_multipart() or not filename:
                continue
            data = part.get_payload(decode=True)
            payload = data if isinstance(data, bytes) else b""
            removed = describe_removed(
                payload, filename=filename, declared_type=part.get_content_type(), reason="a"
            )
            seen[f"{path}:{filename}"] = [*removed.flags, removed.detail]
    assert seen["rspamd/zip.eml:f.zip"] == [
        "dangerous-extension",
        "archive",
        "含まれるファイル: fake.exe",
    ]
    zip_doublebad = seen["rspamd/zip-doublebad.eml:f.zip"]
    assert zip_doublebad[-1] == "含まれるファイル: fake.pdf.exe"
    assert "archive" in seen["rspamd/rar4.eml:f.rar"]


_MAGICS = [
    b"",
    b"PK\x03\x04",
    b"PK\x05\x06",
    bytes.fromhex("d0cf11e0a1b11ae1"),
    b"%PDF-1.7",
    b"Rar!\x1a\x07\x00",
    b"Rar!\x1a\x07\x01\x00",
    b"7z\xbc\xaf\x27\x1c",
    b"MZ",
    b"\x7fELF",
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_MAGICS), st.binary(max_size=3000), st.text(max_size=40))
def test_describe_removed_is_total(magic_bytes: bytes, tail: bytes, filename: str) -> None:
    payload = magic_bytes + tail
    part = describe_removed(payload, filename=filename, declared_type=filename, reason="r")
    assert part.size == len(payload)
    assert len(part.detail) <= parts.MAX_DETAIL
    assert set(part.flags) <= {str(flag) for flag in PartFlag}


def test_office_containers_list_only_dangerous_members() -> None:
    docx = {"[Content_Types].xml": b"x", "word/document.xml": b"x"}
    plain = describe_removed(make_zip(docx), filename="a.docx", declared_type="", reason="a")
    assert plain.detail == ""
    odd = make_zip({**docx, "word/embeddings/setup.exe": b"MZ"})
    part = describe_removed(odd, filename="a.docx", declared_type="", reason="a")
    assert part.detail == "含まれるファイル: word/embeddings/setup.exe"
    assert PartFlag.DANGEROUS_EXTENSION in part.flags
