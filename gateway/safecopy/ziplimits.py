"""Reading a ZIP's members with every bound a zip bomb could break, shared by all nesting levels.

pyzipper (a maintained fork of the stdlib zipfile) reads plain, ZipCrypto and WinZip AES
entries alike. Before a byte is inflated the central directory's numbers are checked:
entries, declared total size and each entry's compression ratio. zipfile then inflates no
more than an entry's declared size, so the checked numbers bound what is really read.
"""

from __future__ import annotations

import io
import lzma
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import pyzipper

from gateway.config import SafeCopyLimitsSettings
from gateway.pipeline.containers import _zip_name
from gateway.safecopy.results import Reason, Refusal

RATIO_FLOOR = 1024 * 1024  # smaller entries cannot bomb, and tiny ones compress absurdly well
_UTF8_NAME = 0x800
# pyzipper is a fork of zipfile with exception classes of its own.
_BAD_ZIP = (zipfile.BadZipFile, zipfile.LargeZipFile, pyzipper.BadZipFile, pyzipper.LargeZipFile)


@dataclass(slots=True)
class ZipBudget:
    """What is left for the whole archive tree, every level counted together."""

    limits: SafeCopyLimitsSettings
    entries: int = 0
    total: int = 0

    def take(self, entries: int, size: int) -> None:
        self.entries += entries
        self.total += size
        if self.entries > self.limits.max_zip_entries:
            raise Refusal(Reason.ZIP_BOMB, f"more than {self.limits.max_zip_entries} entries")
        if self.total > self.limits.max_zip_total_bytes:
            raise Refusal(
                Reason.ZIP_BOMB, f"more than {self.limits.max_zip_total_bytes} bytes unpacked"
            )


@dataclass(frozen=True, slots=True)
class Member:
    name: str  # decoded as Windows wrote it (UTF-8 flag, else CP932)
    info: zipfile.ZipInfo
    encrypted: bool


def member_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & _UTF8_NAME:
        return info.filename
    # zipfile decoded the raw name as cp437, a bijection over bytes: undo it and decode the
    # way the sanitizer's listing does, so both show the same name.
    return _zip_name(info.filename.encode("cp437"), False)


def open_zip(data: bytes) -> pyzipper.AESZipFile:
    try:
        return pyzipper.AESZipFile(io.BytesIO(data))
    except (*_BAD_ZIP, NotImplementedError, ValueError, OSError, EOFError):
        raise Refusal(Reason.FAILED, "not a readable ZIP archive") from None


def members(archive: pyzipper.AESZipFile, budget: ZipBudget) -> Iterator[Member]:
    """Every file entry, after the whole directory passed the limits."""
    infos = [info for info in archive.infolist() if not info.is_dir()]
    limits = budget.limits
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > limits.max_zip_ratio:
            detail = f"an entry expands {ratio:.0f} times (limit {limits.max_zip_ratio})"
            raise Refusal(Reason.ZIP_BOMB, detail)
    budget.take(len(infos), sum(info.file_size for info in infos))
    for info in infos:
        yield Member(member_name(info), info, bool(info.flag_bits & 1))


def read_member(
    archive: pyzipper.AESZipFile, member: Member, password: bytes | None = None
) -> bytes:
    """The entry's bytes; WRONG_PASSWORD / FAILED as a Refusal. Messages never quote input."""
    try:
        with archive.open(member.info, pwd=password if member.encrypted else None) as handle:
            data: bytes = handle.read(member.info.file_size + 1)
    except RuntimeError:  # zipfile's "Bad password for file" (and "password required")
        if password is None:
            raise Refusal(Reason.PASSWORD_PROTECTED, "the archive needs a password") from None
        raise Refusal(Reason.WRONG_PASSWORD, "the password does not open the archive") from None
    except NotImplementedError:
        raise Refusal(Reason.FAILED, "the archive uses an unsupported compression") from None
    except (*_BAD_ZIP, EOFError, OSError, ValueError, zlib.error, lzma.LZMAError):
        if member.encrypted and password is not None:
            # ZipCrypto checks one byte of the key: 1 wrong password in 256 gets this far, and
            # then only the checksum tells, the same way it tells damage.
            detail = "the password does not open the archive (or the entry is damaged)"
            raise Refusal(Reason.WRONG_PASSWORD, detail) from None
        raise Refusal(Reason.FAILED, "an entry of the archive is damaged") from None
    if len(data) != member.info.file_size:
        raise Refusal(Reason.FAILED, "an entry is not the size its directory says")
    return data
