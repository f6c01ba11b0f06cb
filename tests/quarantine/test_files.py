import os
import stat
from pathlib import Path

from gateway.quarantine.files import write_payloads


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_linked_original_is_private_like_the_parts(tmp_path: Path) -> None:
    spool_file = tmp_path / "message.eml"
    spool_file.write_bytes(b"raw mail")
    spool_file.chmod(0o640)
    item = tmp_path / "item"
    item.mkdir()
    write_payloads(item, b"raw mail", [b"PDF"], spool_file)
    original = item / "original.eml"
    assert original.stat().st_ino == spool_file.stat().st_ino  # linked, not copied
    assert _mode(original) == 0o600
    assert _mode(item / "part-0.bin") == 0o600
    assert original.read_bytes() == b"raw mail"


def test_original_is_written_when_it_cannot_be_linked(tmp_path: Path) -> None:
    item = tmp_path / "item"
    item.mkdir()
    write_payloads(item, b"raw mail", [], tmp_path / "gone.eml")
    original = item / "original.eml"
    assert original.read_bytes() == b"raw mail" and _mode(original) == 0o600
    assert sorted(os.listdir(item)) == ["original.eml"]
