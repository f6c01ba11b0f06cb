"""The runner: every misbehaviour of a converter ends in NoSafeCopy, and the next job works."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from gateway.config import SafeCopySettings
from gateway.safecopy import NoSafeCopy, Reason, SafeCopy, SafeCopyRunner
from gateway.safecopy.kinds import Kind
from gateway.safecopy.runner import CONVERTERS
from tests.safecopy import samples
from tests.safecopy.conftest import make_settings

H = "tests.safecopy.hostile:"
PDF = "application/pdf"


def _runner(task: str, **limits: object) -> SafeCopyRunner:
    """PDFs go to the misbehaving task, images to the real converter."""
    tasks = {Kind.PDF: H + task, Kind.IMAGE: CONVERTERS[Kind.IMAGE]}
    return SafeCopyRunner(make_settings(**limits), tasks=tasks)


def _assert_still_usable(runner: SafeCopyRunner) -> None:
    result = runner.convert(samples.png(2, 2), "a.png", "image/png")
    assert isinstance(result, SafeCopy), result


@pytest.mark.parametrize(
    ("task", "limits", "reason", "words"),
    [
        ("segfault", {}, Reason.CRASHED, "signal 11"),
        ("spin", {"max_cpu_seconds": 1, "max_seconds": 30}, Reason.TIMEOUT, "CPU"),
        ("sleep", {"max_seconds": 1}, Reason.TIMEOUT, "no answer within 1 s"),
        ("allocate", {"max_memory_bytes": 1024**3}, Reason.MEMORY, "more than 1073741824"),
        ("write_huge", {"max_output_bytes": 1024**2, "max_input_bytes": 1024**2},
         Reason.FAILED, "OSError"),
        ("vanish", {}, Reason.CRASHED, "without an answer"),
        ("odd_answer", {}, Reason.CRASHED, "could not be read"),
        ("big_answer", {"max_output_bytes": 1000}, Reason.TOO_LARGE, "1000 bytes"),
    ],
)  # fmt: skip
def test_misbehaving_converter_gives_no_copy(
    task: str, limits: dict[str, object], reason: Reason, words: str
) -> None:
    runner = _runner(task, **limits)
    result = runner.convert(b"%PDF-1.4 original bytes", "a.pdf", PDF)
    assert isinstance(result, NoSafeCopy)
    assert result.reason is reason and words in result.detail
    assert b"original" not in repr(result).encode()
    _assert_still_usable(runner)


def test_each_job_has_a_private_directory_removed_afterwards(tmp_path: Path) -> None:
    tasks = {Kind.PDF: H + "echo_workdir"}
    runner = SafeCopyRunner(make_settings(), tasks=tasks, temp_dir=tmp_path)
    first = runner.convert(b"%PDF-", "a.pdf", PDF)
    second = runner.convert(b"%PDF-", "a.pdf", PDF)
    assert isinstance(first, SafeCopy) and isinstance(second, SafeCopy)
    assert first.data != second.data
    assert Path(first.data.decode()).parent == tmp_path
    assert list(tmp_path.iterdir()) == []


def test_each_job_runs_in_a_new_process() -> None:
    runner = SafeCopyRunner(make_settings(), tasks={Kind.PDF: H + "echo_workdir"})
    seen = {runner.convert(b"%PDF-", "a.pdf", PDF).data for _ in range(3)}  # type: ignore[union-attr]
    assert len(seen) == 3


def test_input_past_the_limit_is_not_sent(runner: SafeCopyRunner) -> None:
    small = SafeCopyRunner(make_settings(max_input_bytes=10))
    result = small.convert(samples.pdf([["x"]]), "a.pdf", PDF)
    assert isinstance(result, NoSafeCopy) and result.reason is Reason.TOO_LARGE


def test_policy_none_and_unsupported_types() -> None:
    settings = SafeCopySettings.model_validate({"policy": {"pdf": "none"}})
    result = SafeCopyRunner(settings).convert(samples.pdf([["x"]]), "a.pdf", PDF)
    assert isinstance(result, NoSafeCopy) and result.reason is Reason.POLICY
    other = SafeCopyRunner(make_settings()).convert(b"MZ\x90\x00", "a.exe", "application/x-dosexec")
    assert isinstance(other, NoSafeCopy) and other.reason is Reason.UNSUPPORTED


def test_the_original_never_passes_for_a_refused_file(runner: SafeCopyRunner) -> None:
    garbage = b"%PDF-1.7\n" + os.urandom(4000)
    result = runner.convert(garbage, "a.pdf", PDF)
    assert isinstance(result, NoSafeCopy) and result.reason is Reason.FAILED


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] == "Z"  # exited, not yet reaped
    except FileNotFoundError:
        return True


def test_programs_the_converter_started_end_with_it(tmp_path: Path) -> None:
    runner = _runner("spawn_and_hang", max_seconds=1)
    told = tmp_path / "pid"
    result = runner.convert(b"%PDF-", str(told), PDF)
    assert isinstance(result, NoSafeCopy) and result.reason is Reason.TIMEOUT
    pid = int(told.read_text())
    deadline = time.monotonic() + 10
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(pid)


def test_jobs_from_several_threads(runner: SafeCopyRunner) -> None:
    from concurrent.futures import ThreadPoolExecutor

    pdfs = [samples.pdf([[f"文書 {n}"]]) for n in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda data: runner.convert(data, "a.pdf", PDF), pdfs))
    assert all(isinstance(r, SafeCopy) for r in results)
    assert len({r.data for r in results}) == 4  # type: ignore[union-attr]


def test_encrypted_office_and_archives_point_to_unlock(runner: SafeCopyRunner) -> None:
    locked = runner.convert(b"\xd0\xcf\x11\xe0", "a.docx", "application/encrypted")
    assert isinstance(locked, NoSafeCopy) and locked.reason is Reason.PASSWORD_PROTECTED
    archive = runner.convert(samples.zip_bytes({"a": b"a"}), "a.zip", "application/zip")
    assert isinstance(archive, NoSafeCopy) and "unlock()" in archive.detail
