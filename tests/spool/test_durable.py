from __future__ import annotations

from pathlib import Path

import pytest

from gateway.durable import (
    fsync_dir,
    rename_durably,
    replace_file_durably,
    write_file_durably,
)


def test_write_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "f"
    write_file_durably(target, b"one")
    with pytest.raises(FileExistsError):
        write_file_durably(target, b"two")
    assert target.read_bytes() == b"one"


def test_replace_leaves_no_temporary_behind(tmp_path: Path) -> None:
    target = tmp_path / "record.json"
    replace_file_durably(target, b"old")
    replace_file_durably(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.json"]


def test_rename_never_overwrites_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "m").write_bytes(b"a")
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "a").mkdir()
    (tmp_path / "q" / "a" / "m").write_bytes(b"other")
    with pytest.raises(OSError):
        rename_durably(tmp_path / "a", tmp_path / "q" / "a")
    assert (tmp_path / "q" / "a" / "m").read_bytes() == b"other"
    rename_durably(tmp_path / "a", tmp_path / "q" / "b")
    assert (tmp_path / "q" / "b" / "m").read_bytes() == b"a"


def test_fsync_dir_of_missing_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        fsync_dir(tmp_path / "missing")
    fsync_dir(tmp_path / "missing", durable=False)  # skipped entirely in test mode
