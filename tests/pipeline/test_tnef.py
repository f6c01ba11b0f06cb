"""winmail.dat contents from TNEF streams built here byte by byte, and from corpus mails."""

from __future__ import annotations

import email
import os
import struct
from email import policy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.pipeline import tnef
from gateway.pipeline.tnef import tnef_contents

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
MESSAGE, ATTACHMENT = 1, 2
IMESSAGE = bytes.fromhex("0703020000000000c000000000000046")  # an attached message


def tnef_object(level: int, name: int, kind: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", checksum)


def stream(*objects: bytes) -> bytes:
    return struct.pack("<IH", 0x223E9F78, 0x0001) + b"".join(objects)


def header(codepage: int = 932) -> list[bytes]:
    return [
        tnef_object(MESSAGE, 0x9006, 0x0008, struct.pack("<I", 0x00010000)),
        tnef_object(MESSAGE, 0x9007, 0x0006, struct.pack("<II", codepage, 0)),
    ]


def attachment(title: bytes, data: bytes) -> list[bytes]:
    return [
        tnef_object(ATTACHMENT, 0x9002, 0x0002, b"\x00" * 14),
        tnef_object(ATTACHMENT, 0x8010, 0x0001, title + b"\x00"),
        tnef_object(ATTACHMENT, 0x800F, 0x0006, data),
    ]


def mapi_object_property(name: int, value: bytes) -> bytes:
    """One PT_OBJECT property in a MAPI property list, as TNEF pads it."""
    padding = b"\x00" * (-len(value) % 4)
    return struct.pack("<HHII", 0x000D, name, 1, len(value)) + value + padding


def test_attachments_and_body_in_the_senders_code_page() -> None:
    data = stream(
        *header(932),
        tnef_object(MESSAGE, 0x800C, 0x0002, "会議の資料を送ります。\r\n".encode("cp932")),
        *attachment("見積書.xlsx".encode("cp932"), b"PK\x03\x04 spreadsheet"),
        *attachment(b"run.exe", b"MZ\x90\x00"),
    )
    contents = tnef_contents(data)
    assert contents.items == [
        ("見積書.xlsx", b"PK\x03\x04 spreadsheet"),
        ("run.exe", b"MZ\x90\x00"),
    ]
    assert contents.body_text == "会議の資料を送ります。\n"
    assert contents.warnings == []


def test_item_count_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tnef, "MAX_ITEMS", 3)
    parts = [obj for i in range(5) for obj in attachment(f"f{i}.txt".encode(), b"x")]
    contents = tnef_contents(stream(*header(1252), *parts))
    assert [name for name, _ in contents.items] == ["f0.txt", "f1.txt", "f2.txt"]
    assert contents.warnings == ["2 more attachments not listed"]


def test_not_tnef_and_truncated_streams_give_warnings() -> None:
    assert tnef_contents(b"").warnings == ["not a TNEF stream (wrong signature)"]
    assert tnef_contents(b"PK\x03\x04").items == []
    full = stream(*header(1252), *attachment(b"a.txt", b"hello" * 100))
    for cut in (7, 20, 40, len(full) - 300, len(full) - 1):
        contents = tnef_contents(full[:cut])
        assert isinstance(contents.body_text, str)
        assert all(isinstance(name, str) for name, _ in contents.items)
    junk = stream(os.urandom(5000))
    assert isinstance(tnef_contents(junk).warnings, list)


def test_huge_property_count_is_refused_without_looping() -> None:
    props = struct.pack("<I", 0xFFFFFFFF) + struct.pack("<HH", 0x0003, 0x0E08) + b"\x00" * 4
    contents = tnef_contents(stream(*header(1252), tnef_object(MESSAGE, 0x9003, 0x0006, props)))
    assert contents.warnings and contents.warnings[0].startswith("refused: count 4294967295")


def test_huge_multi_value_count_is_refused() -> None:
    props = struct.pack("<I", 1) + struct.pack("<HHI", 0x1002, 0x0E08, 0xFFFFFFF0) + b"\x00" * 8
    contents = tnef_contents(stream(*header(1252), tnef_object(MESSAGE, 0x9003, 0x0006, props)))
    assert contents.warnings[0].startswith("refused: count")


def test_deeply_nested_messages_are_refused() -> None:
    inner = stream(*header(1252), *attachment(b"deep.txt", b"x"))
    for _ in range(tnef.MAX_DEPTH + 2):
        embedded = IMESSAGE + inner
        props = struct.pack("<I", 1) + mapi_object_property(0x3701, embedded)
        inner = stream(
            *header(1252),
            tnef_object(ATTACHMENT, 0x9002, 0x0002, b"\x00" * 14),
            tnef_object(ATTACHMENT, 0x9005, 0x0006, props),
        )
    assert tnef_contents(inner).warnings == ["refused: messages nested too deep"]


def test_many_small_objects_are_cut_to_a_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tnef, "MAX_OBJECTS", 50)
    filler = [tnef_object(MESSAGE, 0x8008, 0x0001, b"IPM.Note\x00") for _ in range(100)]
    data = stream(*header(1252), *attachment(b"kept.txt", b"k"), *filler)
    contents = tnef_contents(data)
    assert contents.items == [("kept.txt", b"k")]
    assert contents.warnings[0].startswith("read only the first ")


def _tnef_parts(path: Path) -> list[bytes]:
    message = email.message_from_bytes(path.read_bytes(), policy=policy.compat32)
    found = []
    for part in message.walk():
        if part.get_content_type() in ("application/ms-tnef", "application/vnd.ms-tnef"):
            payload = part.get_payload(decode=True)
            found.append(payload if isinstance(payload, bytes) else b"")
    return found


ROUNDCUBE = (
    "roundcube/tests__MessageRendering__data__greenmail__test-message-rendering@localhost__INBOX__"
)


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("path", "names"),
    [
        (
            "jstedfast-mimekit/tnef__rich-text.eml",
            [
                "kitten-playing-with-a-christmas-tree.jpg",
                "Untitled Attachment",
                "Untitled Attachment",
            ],
        ),
        (ROUNDCUBE + "tnef1.eml", ["AUTHORS"]),
        (ROUNDCUBE + "tnef3.eml", ["zappa_av1.jpg", "bookmark.htm"]),
    ],
)
def test_corpus_winmail_dat_items(path: str, names: list[str]) -> None:
    source = CORPUS / path
    if not source.is_file():
        pytest.skip(f"corpus not found at {CORPUS} (../shared/corpus from the repo root)")
    (data,) = _tnef_parts(source)
    contents = tnef_contents(data)
    assert [name for name, _ in contents.items] == names
    assert all(payload for _, payload in contents.items)


@pytest.mark.corpus
def test_corpus_winmail_dat_bodies_and_totality() -> None:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        pytest.skip(f"corpus not found at {CORPUS} (../shared/corpus from the repo root)")
    rows = [line.split("\t") for line in manifest.read_text().splitlines()[1:]]
    paths = [row[0] for row in rows if "tnef" in row[-1].split(",")]
    assert len(paths) >= 10
    for path in paths:
        for data in _tnef_parts(CORPUS / path):
            contents = tnef_contents(data)
            assert not any(w.startswith(("damaged", "refused")) for w in contents.warnings), path
    (ukr,) = _tnef_parts(CORPUS / "jstedfast-mimekit/tnef__ukr.eml")
    assert tnef_contents(ukr).body_text.startswith("шостий")
    (html_only,) = _tnef_parts(CORPUS / (ROUNDCUBE + "tnef2.eml"))
    assert "THE BILL OF RIGHTS" in tnef_contents(html_only).body_text
    (rtf,) = _tnef_parts(CORPUS / "jstedfast-mimekit/tnef__rich-text.eml")
    assert tnef_contents(rtf).warnings == ["the body is in compressed RTF and was not converted"]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000))
def test_any_bytes_after_the_signature_are_handled(tail: bytes) -> None:
    contents = tnef_contents(stream(*header(1252)) + tail)
    assert len(contents.items) <= tnef.MAX_ITEMS
    assert all(isinstance(name, str) and isinstance(data, bytes) for name, data in contents.items)
