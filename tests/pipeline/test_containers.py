"""Zips inside a zip are listed one level deeper, within bounds."""

from __future__ import annotations

import io
import zipfile

import pytest

from gateway.pipeline import containers
from gateway.pipeline.containers import nested_names
from gateway.pipeline.parts import describe_removed


def make_zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_an_executable_in_a_nested_zip_is_named_and_flagged() -> None:
    inner = make_zip({"invoice.pdf.exe": b"MZ" * 50})
    outer = make_zip({"a/inner.zip": inner, "readme.txt": b"x"})
    assert nested_names(outer) == ["a/inner.zip/invoice.pdf.exe"]
    part = describe_removed(outer, filename="docs.zip", declared_type="application/zip", reason="a")
    assert "dangerous-extension" in part.flags
    assert part.detail.startswith("含まれるファイル: a/inner.zip/invoice.pdf.exe")


def test_a_zip_under_another_name_is_found_by_its_bytes() -> None:
    outer = make_zip({"photo.jpg": make_zip({"run.js": b"x"})}, zipfile.ZIP_STORED)
    assert nested_names(outer) == ["photo.jpg/run.js"]


def test_only_one_level_and_not_inside_office_files() -> None:
    deep = make_zip({"l2.zip": make_zip({"l3.zip": make_zip({"deep.exe": b"MZ"})})})
    assert nested_names(deep) == ["l2.zip/l3.zip"]
    docx = make_zip({"[Content_Types].xml": b"x", "word/document.xml": b"x",
                     "word/embeddings/x.zip": make_zip({"e.exe": b"MZ"})})  # fmt: skip
    part = describe_removed(docx, filename="a.docx", declared_type="", reason="a")
    assert "e.exe" not in part.detail


def test_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(containers, "MAX_NESTED_BYTES", 1000)
    big = make_zip({"big.zip": make_zip({"x.exe": b"A" * 5000}, zipfile.ZIP_STORED)})
    assert nested_names(big) == []  # inflated past the bound: named only as itself
    monkeypatch.setattr(containers, "MAX_NESTED", 2)
    many = make_zip({f"z{i}.zip": make_zip({f"m{i}.txt": b"x"}) for i in range(5)})
    assert len(nested_names(many)) == 2


def test_encrypted_or_damaged_members_are_skipped() -> None:
    inner = bytearray(make_zip({"x.exe": b"MZ" * 100}))
    outer = bytearray(make_zip({"bad.zip": bytes(inner)}, zipfile.ZIP_STORED))
    outer[60:80] = b"\xff" * 20  # damage inside the stored inner zip
    nested_names(bytes(outer))  # never raises
    assert nested_names(b"PK\x03\x04 not a zip") == []
