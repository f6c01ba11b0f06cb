"""Durable payload files of the quarantine: tmp + fsync + rename + directory fsync."""

from __future__ import annotations

import os
import re
from pathlib import Path

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def check_id(quarantine_id: str) -> str:
    """Ids become path components: only a safe alphabet passes."""
    if not _ID.fullmatch(quarantine_id):
        raise ValueError(f"invalid quarantine id {quarantine_id!r}")
    return quarantine_id


def item_dir(root: Path, quarantine_id: str) -> Path:
    check_id(quarantine_id)
    return root / quarantine_id[:2] / quarantine_id


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(root: Path, path: Path) -> None:
    """mkdir -p, fsyncing each parent that gained an entry so the new directory survives a crash."""
    missing: list[Path] = []
    current = path
    while not current.exists() and current != root:
        missing.append(current)
        current = current.parent
    root.mkdir(parents=True, exist_ok=True)
    for directory in reversed(missing):
        directory.mkdir(exist_ok=True)
        fsync_dir(directory.parent)


def write_durable(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def write_payloads(directory: Path, original: bytes, parts: list[bytes]) -> None:
    """original.eml and part-<n>.bin; stale parts of an earlier put are removed."""
    write_durable(directory / "original.eml", original)
    keep = {"original.eml"}
    for index, payload in enumerate(parts):
        name = f"part-{index}.bin"
        write_durable(directory / name, payload)
        keep.add(name)
    for stale in directory.iterdir():
        if stale.name not in keep:
            stale.unlink(missing_ok=True)
    fsync_dir(directory)


def read_payload(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
