"""PPAP: encrypted ZIP (ZipCrypto and AES), Office and PDF opened with the right password only,
bounded against zip bombs, the password never in any answer."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from gateway.pipeline.parts import detect_type, inspect_payload
from gateway.safecopy import NoSafeCopy, Opened, Reason, SafeCopy, SafeCopyRunner, Unlocked
from gateway.safecopy.kinds import Kind
from gateway.types import PartFlag
from tests.safecopy import samples
from tests.safecopy.conftest import make_settings

ZIP = "application/zip"
PASSWORD = "Zx82-kL01"
INVOICE = samples.pdf([["請求書 第1号"]])
MINUTES = samples.docx_bytes(["議事録"])


def zipcrypto(tmp_path: Path, files: dict[str, bytes], password: str) -> bytes:
    """A ZipCrypto archive written by Info-ZIP's zip, as Windows archivers write them."""
    if shutil.which("zip") is None:
        pytest.skip("Info-ZIP's zip is not installed (Debian package: zip)")
    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    target = tmp_path / "out.zip"
    subprocess.run(["zip", "-q", "-P", password, str(target), *files], cwd=folder, check=True)
    return target.read_bytes()


@pytest.fixture(params=["zipcrypto", "aes"])
def encrypted_zip(request: pytest.FixtureRequest, tmp_path: Path) -> bytes:
    files = {"請求書.pdf": INVOICE, "minutes.docx": MINUTES}
    if request.param == "zipcrypto":
        return zipcrypto(tmp_path, files, PASSWORD)
    return samples.zip_bytes(files, password=PASSWORD.encode())


def test_right_password_lists_and_copies(runner: SafeCopyRunner, encrypted_zip: bytes) -> None:
    assert PartFlag.ENCRYPTED_ARCHIVE in samples_flags(encrypted_zip)
    opened = runner.open_protected(encrypted_zip, "書類.zip", ZIP, PASSWORD)
    assert isinstance(opened, Opened), opened
    by_name = {item.part.filename: item for item in opened.items}
    assert set(by_name) == {"請求書.pdf", "minutes.docx"}
    invoice = by_name["請求書.pdf"]
    assert invoice.part.detected_type == "application/pdf" and invoice.data == INVOICE
    assert isinstance(invoice.copy, SafeCopy) and invoice.copy.filename == "請求書.pdf"
    minutes = by_name["minutes.docx"]
    assert "wordprocessingml" in minutes.part.detected_type
    assert isinstance(minutes.copy, SafeCopy) and minutes.copy.filename == "minutes.docx"


def samples_flags(data: bytes) -> list[str]:
    return inspect_payload(data, filename="a.zip", declared_type=ZIP)[1]


def test_wrong_password_is_refused(runner: SafeCopyRunner, encrypted_zip: bytes) -> None:
    for wrong in ("zx82-kl01", "", "Zx82-kL0", "パスワード"):
        result = runner.unlock(encrypted_zip, "書類.zip", ZIP, wrong)
        assert isinstance(result, NoSafeCopy) and result.reason is Reason.WRONG_PASSWORD
        assert wrong not in result.detail or not wrong


def test_cp932_password_from_a_japanese_archiver(runner: SafeCopyRunner) -> None:
    password = "秘密のパス"
    data = samples.zip_bytes({"a.txt": b"hello"}, password=password.encode("cp932"))
    unlocked = runner.unlock(data, "a.zip", ZIP, password)
    assert isinstance(unlocked, Unlocked) and unlocked.items[0].data == b"hello"


def test_nested_archive_opened_to_the_depth_limit(runner: SafeCopyRunner) -> None:
    inner = samples.zip_bytes({"deep.txt": b"deep"}, password=PASSWORD.encode())
    middle = samples.zip_bytes({"inner.zip": inner, "mid.txt": b"mid"}, password=PASSWORD.encode())
    outer = samples.zip_bytes({"middle.zip": middle}, password=PASSWORD.encode())
    unlocked = runner.unlock(outer, "outer.zip", ZIP, PASSWORD)
    assert isinstance(unlocked, Unlocked)
    names = [item.part.filename for item in unlocked.items]
    assert names == ["middle.zip/inner.zip/deep.txt", "middle.zip/mid.txt"]
    shallow = SafeCopyRunner(make_settings(max_zip_depth=1)).unlock(outer, "o.zip", ZIP, PASSWORD)
    assert isinstance(shallow, Unlocked)
    assert [i.part.filename for i in shallow.items] == [
        "middle.zip/inner.zip",
        "middle.zip/mid.txt",
    ]
    assert any("nested deeper than the limit" in note for note in shallow.notes)


@pytest.mark.parametrize(
    ("limits", "files", "words"),
    [
        ({"max_zip_entries": 10}, {f"{n}.txt": b"x" for n in range(11)}, "more than 10 entries"),
        ({"max_zip_ratio": 100}, {"bomb.txt": b"\0" * (20 * 1024 * 1024)}, "expands"),
        ({"max_zip_total_bytes": 1024 * 1024}, {"a.bin": b"a" * 600_000, "b.bin": b"b" * 600_000},
         "more than 1048576 bytes"),
    ],
)  # fmt: skip
def test_zip_bombs_are_stopped(limits: dict[str, int], files: dict[str, bytes], words: str) -> None:
    data = samples.zip_bytes(files, password=PASSWORD.encode())
    result = SafeCopyRunner(make_settings(**limits)).unlock(data, "bomb.zip", ZIP, PASSWORD)
    assert isinstance(result, NoSafeCopy)
    assert result.reason is Reason.ZIP_BOMB and words in result.detail


def test_nested_bomb_counts_every_level() -> None:
    level = samples.zip_bytes({f"{n}.txt": b"x" * 1000 for n in range(8)})
    for _ in range(2):
        level = samples.zip_bytes({f"{n}.zip": level for n in range(8)})
    result = SafeCopyRunner(make_settings(max_zip_entries=100)).unlock(level, "42.zip", ZIP, "")
    assert isinstance(result, NoSafeCopy) and result.reason is Reason.ZIP_BOMB


def test_encrypted_office_file(runner: SafeCopyRunner) -> None:
    locked = samples.encrypted_office(samples.docx_bytes(["機密文書"]), PASSWORD)
    assert detect_type(locked) in ("application/encrypted", "application/x-ole-storage",
                                   "application/CDFV2")  # fmt: skip
    wrong = runner.unlock(locked, "機密.docx", detect_type(locked), "nope")
    assert isinstance(wrong, NoSafeCopy) and wrong.reason is Reason.WRONG_PASSWORD
    opened = runner.open_protected(locked, "機密.docx", detect_type(locked), PASSWORD)
    assert isinstance(opened, Opened), opened
    (item,) = opened.items
    assert "wordprocessingml" in item.part.detected_type
    assert isinstance(item.copy, SafeCopy)
    assert runner.excerpt(item.data, item.part.filename, item.part.detected_type).text == "機密文書"  # type: ignore[union-attr]


def test_encrypted_pdf(runner: SafeCopyRunner) -> None:
    locked = samples.encrypted_pdf(PASSWORD)
    wrong = runner.unlock(locked, "a.pdf", "application/pdf", "nope")
    assert isinstance(wrong, NoSafeCopy) and wrong.reason is Reason.WRONG_PASSWORD
    opened = runner.open_protected(locked, "a.pdf", "application/pdf", PASSWORD)
    assert isinstance(opened, Opened), opened
    (item,) = opened.items
    assert PartFlag.PASSWORD_PROTECTED not in item.part.flags
    assert isinstance(item.copy, SafeCopy)


def test_plain_zip_lists_without_a_password(runner: SafeCopyRunner) -> None:
    data = samples.zip_bytes({"a.txt": b"a", "dir/b.exe": b"MZ\x90\x00" + b"\0" * 60})
    unlocked = runner.unlock(data, "a.zip", ZIP, "")
    assert isinstance(unlocked, Unlocked)
    flags = {item.part.filename: item.part.flags for item in unlocked.items}
    assert PartFlag.EXECUTABLE in flags["dir/b.exe"]


def test_password_is_in_no_answer_or_error(runner: SafeCopyRunner) -> None:
    secret = "S3cret-Passw0rd"
    damaged = samples.zip_bytes({"a.txt": b"x" * 1000}, password=secret.encode())
    damaged = damaged[:60] + bytes(40) + damaged[100:]
    for data in (damaged, b"PK\x03\x04garbage", INVOICE):
        result = runner.unlock(data, "a.zip", ZIP, secret)
        assert secret not in repr(result)
    assert secret not in repr(runner._job(b"", "a", "", Kind.ZIP, password=secret))


def test_unsupported_container(runner: SafeCopyRunner) -> None:
    result = runner.unlock(b"Rar!\x1a\x07\x00" + b"\0" * 50, "a.rar", "application/x-rar", "x")
    assert isinstance(result, NoSafeCopy) and result.reason is Reason.UNSUPPORTED
