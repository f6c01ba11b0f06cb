"""SafeCopyRunner: the one door through which the gateway converts, excerpts and unlocks files.

Cost and isolation: every job runs in a process of its own, forked from multiprocessing's
"forkserver", a server process that imported the converters (pypdfium2, Pillow, reportlab,
lxml, python-docx, openpyxl, python-pptx, msoffcrypto) once. Measured on the 2-core
development machine (bench/safecopy_bench.py): ~20 ms per job for the forked process and its
private directory, against ~550 ms for a fresh interpreter importing the same libraries. A pool of
long-lived children would save those milliseconds but would carry one file's library state
into the next; a fork per job carries none, and a crash, a timeout or a kill costs only that
job's process. The server itself runs no converter code on file bytes.

Fail-closed: a refusal, a crash, a timeout or an oversized answer is a NoSafeCopy with its
reason; the original is never handed back in its place.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from gateway.config import SafeCopySettings
from gateway.safecopy.child import outcome
from gateway.safecopy.job import Job, Task
from gateway.safecopy.kinds import LEGACY, OOXML, Kind, classify, policy_for
from gateway.safecopy.process import ConverterProcesses
from gateway.safecopy.results import (
    Excerpt,
    NoSafeCopy,
    Opened,
    OpenedItem,
    Reason,
    SafeCopy,
    Unlocked,
)
from gateway.safecopy.textfile import IN_PROCESS
from gateway.types import Language

IN_PROCESS_EXCERPT: Task = "gateway.safecopy.textfile:excerpt_in_process"

_PDF, _OOXML = "gateway.safecopy.pdf:safe_pdf", "gateway.safecopy.ooxml_clean:safe_ooxml"
_VIA_PDF = "gateway.safecopy.libreoffice:safe_via_pdf"
CONVERTERS: dict[Kind, Task] = {
    Kind.PDF: _PDF,
    **dict.fromkeys(OOXML, _OOXML),
    **dict.fromkeys(LEGACY, _VIA_PDF),
    Kind.OPENDOCUMENT: _VIA_PDF,
    Kind.IMAGE: "gateway.safecopy.image:safe_image",
}
EXCERPT: Task = "gateway.safecopy.excerpt:excerpt"
UNLOCK: Task = "gateway.safecopy.ppap:unlock"
# Imported by the server once, so that every job's process starts with them loaded; the
# gateway's own process never imports them.
PRELOAD = tuple(dict.fromkeys(t.partition(":")[0] for t in [*CONVERTERS.values(), EXCERPT, UNLOCK]))
_preload_lock = threading.Lock()


def _main_imports() -> list[str]:
    """The modules the main script imported, and pkgutil, which running it again imports.

    CPython's forkserver (3.11) never preloads __main__: ensure_running() looks for "main_path"
    where get_preparation_data() writes "init_main_from_path". So every converter process runs
    the main script again (for `mutaika`, `from gateway.cli import main`): ~14 ms of imports per
    mail with documents, a compile of a few lines once they are in the server."""
    main = sys.modules.get("__main__")
    names = {"pkgutil"}
    for value in vars(main).values() if main is not None else ():
        name = value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", "")
        if isinstance(name, str) and name in sys.modules and name not in ("__main__", "builtins"):
            names.add(name)
    return sorted(names)


def _add_preload(ctx: Any) -> None:
    # The forkserver is one per process and app.py may have set its own list: extend it.
    with _preload_lock:
        server = multiprocessing.forkserver._forkserver
        current = list(getattr(server, "_preload_modules", []))
        wanted = [m for m in (*PRELOAD, *_main_imports()) if m not in current]
        if wanted:
            ctx.set_forkserver_preload([*current, *wanted])


class SafeCopyRunner:
    """Thread-safe; at most settings.max_concurrent converter processes at once."""

    def __init__(
        self,
        settings: SafeCopySettings,
        *,
        tasks: Mapping[Kind, Task] | None = None,
        temp_dir: str | Path | None = None,
    ) -> None:
        self.settings = settings
        self._convert_tasks: Mapping[Kind, Task] = CONVERTERS if tasks is None else tasks
        self._temp_dir = str(temp_dir) if temp_dir is not None else None
        self._slots = threading.BoundedSemaphore(settings.max_concurrent)
        self._ctx = multiprocessing.get_context("forkserver")
        _add_preload(self._ctx)
        self._processes = ConverterProcesses(self._ctx, settings.limits)

    def warm(self) -> None:
        """Start the fork server now rather than on the first job (~0.5 s)."""
        multiprocessing.forkserver.ensure_running()

    # --- the three services ---------------------------------------------------------------

    def convert(self, data: bytes, filename: str, detected_type: str) -> SafeCopy | NoSafeCopy:
        kind = classify(detected_type, filename)
        task = self._convert_tasks.get(kind)
        if kind is Kind.ENCRYPTED_OFFICE:
            return NoSafeCopy(Reason.PASSWORD_PROTECTED, "password-protected: unlock it first")
        if kind is Kind.ZIP:
            return NoSafeCopy(Reason.UNSUPPORTED, "an archive: unlock() lists and copies its items")
        if task is None:
            return NoSafeCopy(Reason.UNSUPPORTED, f"no safe copy is made of {kind} files")
        if policy_for(self.settings, kind) == "none":
            return NoSafeCopy(Reason.POLICY, f"safe copies of {kind} files are turned off")
        result = self.run(task, self._job(data, filename, detected_type, kind))
        return result if isinstance(result, SafeCopy | NoSafeCopy) else self._odd(result)

    def excerpt(
        self,
        data: bytes,
        filename: str,
        detected_type: str,
        *,
        max_chars: int | None = None,
        language: Language = Language.JA,
    ) -> Excerpt | NoSafeCopy:
        """The first characters of the file's text (settings.excerpt_chars by default)."""
        deadline = time.monotonic() + self.settings.limits.max_seconds
        return self.excerpts([(data, filename, detected_type)], deadline=deadline,
                             max_chars=max_chars, language=language)[0]  # fmt: skip

    def excerpts(
        self,
        files: Sequence[tuple[bytes, str, str]],
        *,
        deadline: float,
        max_chars: int | None = None,
        language: Language = Language.JA,
    ) -> list[Excerpt | NoSafeCopy]:
        """excerpt() of several files (data, filename, detected_type) by one deadline
        (time.monotonic()): text files in this process, the others in one converter process."""
        chars = self.settings.excerpt_chars if max_chars is None else max_chars
        if chars <= 0:
            return [NoSafeCopy(Reason.POLICY, "text excerpts are turned off")] * len(files)
        results: list[Excerpt | NoSafeCopy | None] = [None] * len(files)
        confined: list[tuple[int, Job]] = []
        for n, (data, filename, detected_type) in enumerate(files):
            kind = classify(detected_type, filename)
            job = self._job(data, filename, detected_type, kind, deadline=deadline,
                            max_chars=chars, language=language)  # fmt: skip
            if kind in IN_PROCESS:
                results[n] = self._answer(outcome(IN_PROCESS_EXCERPT, job, self.settings.limits))
            else:
                confined.append((n, job))
        if confined:
            answers = self.run_many(EXCERPT, [job for _, job in confined])
            for (n, _), answer in zip(confined, answers, strict=True):
                results[n] = self._answer(answer)
        return [r if r is not None else self._odd(r) for r in results]

    def _answer(self, result: object) -> Excerpt | NoSafeCopy:
        return result if isinstance(result, Excerpt | NoSafeCopy) else self._odd(result)

    def unlock(
        self, data: bytes, filename: str, detected_type: str, password: str, *, depth: int = 0,
        deadline: float | None = None,
    ) -> Unlocked | NoSafeCopy:
        """Decrypt a password-protected ZIP, Office file or PDF and list what is inside."""
        kind = classify(detected_type, filename)
        job = self._job(data, filename, detected_type, kind, password=password, depth=depth,
                        deadline=deadline)  # fmt: skip
        result = self.run(UNLOCK, job)
        return result if isinstance(result, Unlocked | NoSafeCopy) else self._odd(result)

    def open_protected(
        self, data: bytes, filename: str, detected_type: str, password: str
    ) -> Opened | NoSafeCopy:
        """unlock(), then a safe copy of every item inside, each in its own process."""
        unlocked = self.unlock(data, filename, detected_type, password)
        if isinstance(unlocked, NoSafeCopy):
            return unlocked
        items = [
            OpenedItem(item.part, item.data, self.convert(item.data, item.part.filename,
                                                          item.part.detected_type))
            for item in unlocked.items
        ]  # fmt: skip
        return Opened(tuple(items), unlocked.notes)

    # --- the process -----------------------------------------------------------------------

    def _job(self, data: bytes, filename: str, detected_type: str, kind: Kind, *,
             deadline: float | None = None, **extra: Any) -> Job:  # fmt: skip
        latest = time.monotonic() + self.settings.limits.max_seconds
        deadline = latest if deadline is None else min(deadline, latest)
        return Job(data, filename, detected_type, kind, self.settings, deadline, **extra)

    @staticmethod
    def _odd(result: object) -> NoSafeCopy:
        return NoSafeCopy(Reason.CRASHED, f"the converter answered {type(result).__name__}")

    def run(self, task: Task, job: Job) -> Any:
        """Run one task on one job in a fresh confined process; its result or a NoSafeCopy."""
        return self.run_many(task, [job])[0]

    def run_many(self, task: Task, jobs: Sequence[Job]) -> list[Any]:
        """One task on several jobs, one after the other in one confined process: one process
        start instead of several, for the files of one mail (one sender: nothing one of them
        leaves in a library's state can reach another sender's file). A result per job, in
        order; what the process did not answer before it died or the first deadline passed is
        a NoSafeCopy saying why."""
        limits = self.settings.limits
        results: list[Any] = [None] * len(jobs)
        sent: list[int] = []
        for n, job in enumerate(jobs):
            if len(job.data) > limits.max_input_bytes:
                results[n] = NoSafeCopy(Reason.TOO_LARGE,
                                        f"larger than {limits.max_input_bytes} bytes")
            else:
                sent.append(n)
        if sent:
            with self._slots:
                tmpdir = tempfile.mkdtemp(prefix="mutaika-safecopy-", dir=self._temp_dir)
                try:
                    answers = self._processes.exchange(tmpdir, task, [jobs[n] for n in sent])
                finally:
                    shutil.rmtree(tmpdir, ignore_errors=True)
            for n, answer in zip(sent, answers, strict=True):
                results[n] = answer
        return results
