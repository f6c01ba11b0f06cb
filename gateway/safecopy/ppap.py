"""PPAP: a password-protected ZIP, Office file or PDF opened with the password staff typed.

ZIP: pyzipper (ZipCrypto and WinZip AES), every level bounded by ziplimits, archives inside
opened with the same password up to max_zip_depth (deeper ones are listed, not opened).
Office: msoffcrypto-tool (OOXML agile/standard encryption, and the RC4 of .doc/.xls/.ppt).
PDF: PDFium opens it and saves it without its security handler.
Japanese Windows archivers encrypt with the password's CP932 bytes, others with UTF-8: both
are tried. The password is never stored, logged or put into a message.
"""

from __future__ import annotations

import io

import msoffcrypto
import pypdfium2.raw as pdfium_c
import pyzipper
from msoffcrypto.exceptions import DecryptionError, FileFormatError, ParseError

from gateway.pipeline.containers import ZIP
from gateway.pipeline.parts import describe_removed, detect_type
from gateway.safecopy.job import Job
from gateway.safecopy.kinds import LEGACY, OOXML, Kind
from gateway.safecopy.pdf import open_pdf
from gateway.safecopy.results import Reason, Refusal, Unlocked, UnlockedItem
from gateway.safecopy.ziplimits import Member, ZipBudget, members, open_zip, read_member

IN_ARCHIVE = "in-archive"  # RemovedPart.reason of an item found inside


def password_bytes(password: str) -> list[bytes]:
    keys = [password.encode("utf-8")]
    try:
        cp932 = password.encode("cp932")
    except UnicodeEncodeError:
        return keys
    return keys if cp932 == keys[0] else [*keys, cp932]


class _Keys:
    """The password's encodings, the one that worked first."""

    def __init__(self, password: str | None) -> None:
        self.keys = password_bytes(password) if password is not None else []

    def read(self, archive: pyzipper.AESZipFile, member: Member) -> bytes:
        if not member.encrypted:
            return read_member(archive, member)
        if not self.keys:
            raise Refusal(Reason.PASSWORD_PROTECTED, "the archive needs a password")
        for key in list(self.keys):
            try:
                data = read_member(archive, member, key)
            except Refusal as refusal:
                if refusal.reason is not Reason.WRONG_PASSWORD:
                    raise
                continue
            self.keys.remove(key)
            self.keys.insert(0, key)
            return data
        raise Refusal(Reason.WRONG_PASSWORD, "the password does not open the archive")


def _item(data: bytes, shown: str) -> UnlockedItem:
    part = describe_removed(data, filename=shown, declared_type="", reason=IN_ARCHIVE)
    return UnlockedItem(part, data)


def _zip(job: Job, data: bytes, prefix: str, budget: ZipBudget, keys: _Keys, depth: int,
         notes: list[str]) -> list[UnlockedItem]:  # fmt: skip
    items: list[UnlockedItem] = []
    archive = open_zip(data)
    with archive:
        for member in members(archive, budget):
            job.check_time()
            content = keys.read(archive, member)
            shown = f"{prefix}/{member.name}" if prefix else member.name
            if detect_type(content) != ZIP:  # Office, OpenDocument and JAR files are items
                items.append(_item(content, shown))
            elif depth >= job.settings.limits.max_zip_depth:
                notes.append(
                    f"{shown}: an archive nested deeper than the limit; listed, not opened"
                )
                items.append(_item(content, shown))
            else:
                try:
                    items.extend(_zip(job, content, shown, budget, keys, depth + 1, notes))
                except Refusal as refusal:
                    if refusal.reason is Reason.ZIP_BOMB or refusal.reason is Reason.TIMEOUT:
                        raise
                    notes.append(f"{shown}: could not be opened ({refusal.reason})")
                    items.append(_item(content, shown))
    return items


def _office(job: Job) -> bytes:
    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(job.data))
        encrypted = office.is_encrypted()
    except (FileFormatError, ParseError, OSError, ValueError, KeyError, AssertionError):
        raise Refusal(Reason.FAILED, "not an Office file msoffcrypto-tool can read") from None
    if not encrypted:
        return job.data
    if job.password is None:
        raise Refusal(Reason.PASSWORD_PROTECTED, "the Office file needs a password")
    out = io.BytesIO()
    try:
        office.load_key(password=job.password, verify_password=True)
        office.decrypt(out)
    except DecryptionError:  # InvalidKeyError is one
        raise Refusal(Reason.WRONG_PASSWORD, "the password does not open the file") from None
    except (FileFormatError, ParseError, AssertionError, ValueError, KeyError):
        raise Refusal(Reason.FAILED, "the encrypted Office file is damaged") from None
    return out.getvalue()


def _pdf(job: Job) -> bytes:
    pdf = open_pdf(job)
    try:
        out = io.BytesIO()
        pdf.save(out, flags=pdfium_c.FPDF_REMOVE_SECURITY)
        return out.getvalue()
    finally:
        pdf.close()


def unlock(job: Job) -> Unlocked:
    notes: list[str] = []
    if job.kind is Kind.ZIP:
        budget = ZipBudget(job.settings.limits)
        items = _zip(job, job.data, "", budget, _Keys(job.password), job.depth, notes)
    elif job.kind in LEGACY or job.kind in OOXML or job.kind is Kind.ENCRYPTED_OFFICE:
        items = [_item(_office(job), job.filename)]
    elif job.kind is Kind.PDF:
        items = [_item(_pdf(job), job.filename)]
    else:
        raise Refusal(Reason.UNSUPPORTED, "not a ZIP archive, an Office file or a PDF")
    if not items:
        raise Refusal(Reason.EMPTY, "nothing inside")
    return Unlocked(tuple(items), tuple(notes))
