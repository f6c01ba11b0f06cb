"""Durable payload files of the quarantine: tmp + fsync + rename + directory fsync."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from gateway.durable import fsync_dir, replace_file_durably

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def check_id(quarantine_id: str) -> str:
    """Ids become path components: only a safe alphabet passes."""
    if not _ID.fullmatch(quarantine_id):
        raise ValueError(f"invalid quarantine id {quarantine_id!r}")
    return quarantine_id


def item_dir(root: Path, quarantine_id: str) -> Path:
    check_id(quarantine_id)
    return root / quarantine_id[:2] / quarantine_id


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


def link_or_write(path: Path, data: bytes, source: Path | None) -> None:
    """`path` becomes a hard link to `source` (already durable) or, failing that, a copy.

    The spool's message file was fsync'd before the 250 and is never rewritten in place, so a
    link keeps the original without writing and syncing its bytes a second time. The link
    shares the spool file's inode, mode included: it is narrowed to 0600 like every payload
    (the spool copy is only read by its owner too, and is gone once the mail is delivered).
    """
    if source is not None:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.link")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        try:
            os.link(source, tmp)
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
            return
        except OSError:  # another file system, or the source is gone: write a copy
            with contextlib.suppress(OSError):
                tmp.unlink()
    replace_file_durably(path, data, mode=0o600, sync_dir=False)


def write_payloads(
    directory: Path, original: bytes, parts: list[bytes], original_path: Path | None = None
) -> None:
    """original.eml and part-<n>.bin; stale parts of an earlier put are removed."""
    link_or_write(directory / "original.eml", original, original_path)
    keep = {"original.eml"}
    for index, payload in enumerate(parts):
        name = f"part-{index}.bin"
        replace_file_durably(directory / name, payload, mode=0o600, sync_dir=False)
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
