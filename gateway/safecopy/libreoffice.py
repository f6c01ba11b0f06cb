"""Legacy Office (.doc/.xls/.ppt) and OpenDocument → PDF with LibreOffice, then pixel-rebuilt.

No maintained Python library renders or cleans the binary Office formats, and their macros
live inside OLE2 streams that no library rewrites safely; so these files get a safe copy only
where LibreOffice is installed (Debian: libreoffice-core-nogui plus the writer, calc and impress
packages). It is not installed by scripts/setup.sh because it is large. LibreOffice converts
with a fresh profile in the job's private directory (macro security at its default, "high":
unsigned macros never run), and its PDF is rendered to pixels like any other PDF, so nothing
LibreOffice copied from the original (links, attachments, form fields) crosses.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from gateway.safecopy.job import Job
from gateway.safecopy.kinds import Kind, extension, renamed
from gateway.safecopy.pdf import open_pdf, rebuild
from gateway.safecopy.programs import find_soffice
from gateway.safecopy.results import Reason, Refusal, SafeCopy

_EXTENSIONS = {Kind.LEGACY_WORD: "doc", Kind.LEGACY_EXCEL: "xls", Kind.LEGACY_POWERPOINT: "ppt"}
_ODF = {"odt", "ods", "odp", "odg", "ott", "ots", "otp"}


def _input_name(job: Job) -> str:
    ext = _EXTENSIONS.get(job.kind) or extension(job.filename)
    if job.kind is Kind.OPENDOCUMENT and ext not in _ODF:
        ext = "odt"
    return "input." + ext  # never the sender's name: it reaches a command line


def to_pdf(job: Job) -> bytes:
    """The file converted by LibreOffice in the job's private directory (the cwd)."""
    soffice = find_soffice(job.settings)
    if soffice is None:
        raise Refusal(
            Reason.NO_CONVERTER,
            "this type needs LibreOffice to make a safe copy, and it is not installed",
        )
    work = Path.cwd()
    source = work / _input_name(job)
    source.write_bytes(job.data)
    command = [
        soffice, "--headless", "--norestore", "--nologo", "--nolockcheck", "--nodefault",
        f"-env:UserInstallation={(work / 'profile').as_uri()}",
        "--convert-to", "pdf", "--outdir", str(work / "out"), str(source),
    ]  # fmt: skip
    job.check_time()
    # soffice stays in the converter's process group, which the runner ends afterwards.
    process = subprocess.Popen(
        command, cwd=work, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        process.wait(timeout=max(1.0, job.seconds_left()))
    except subprocess.TimeoutExpired:
        process.kill()
        raise Refusal(Reason.TIMEOUT, "LibreOffice did not finish in time") from None
    result = work / "out" / (source.stem + ".pdf")
    if not result.is_file() or result.stat().st_size == 0:
        raise Refusal(Reason.FAILED, "LibreOffice could not convert the file")
    return result.read_bytes()


def safe_via_pdf(job: Job) -> SafeCopy:
    rendered = to_pdf(job)
    pdf = open_pdf(job, rendered)
    try:
        data, notes = rebuild(job, pdf)
    finally:
        pdf.close()
    notes.insert(0, "converted to PDF by LibreOffice; the original's format does not cross")
    return SafeCopy(data, renamed(job.filename, "pdf"), "application/pdf", tuple(notes))
