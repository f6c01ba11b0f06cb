"""Several files in one converter process (the excerpts of one mail): one answer per file, in
order; a file that kills the process costs its own answer and those after it, never those
before; a deadline ends the rest."""

from __future__ import annotations

import time

from gateway.config import SafeCopySettings
from gateway.safecopy import Excerpt, NoSafeCopy, Reason, SafeCopy, SafeCopyRunner
from gateway.safecopy.job import Job
from gateway.safecopy.kinds import Kind
from tests.safecopy import samples
from tests.safecopy.conftest import make_settings

H = "tests.safecopy.hostile:"


def _jobs(runner: SafeCopyRunner, *payloads: bytes, seconds: float = 30) -> list[Job]:
    deadline = time.monotonic() + seconds
    return [Job(p, "a.pdf", "application/pdf", Kind.PDF, runner.settings, deadline)
            for p in payloads]


def test_one_process_answers_each_file_in_order() -> None:
    runner = SafeCopyRunner(make_settings())
    results = runner.run_many(H + "crash_on_marker", _jobs(runner, b"one", b"two", b"three"))
    assert all(isinstance(r, SafeCopy) for r in results)
    texts = [r.data.split(b" ") for r in results]
    assert [t[0] for t in texts] == [b"one", b"two", b"three"]
    assert len({t[1] for t in texts}) == 1  # one process for the three


def test_a_file_that_kills_the_process_costs_only_what_follows() -> None:
    runner = SafeCopyRunner(make_settings())
    first, crashed, after = runner.run_many(H + "crash_on_marker",
                                            _jobs(runner, b"one", b"crash", b"three"))
    assert isinstance(first, SafeCopy) and first.data.startswith(b"one")
    assert isinstance(crashed, NoSafeCopy) and crashed.reason is Reason.CRASHED
    assert isinstance(after, NoSafeCopy) and after.reason is Reason.CRASHED


def test_too_large_inputs_are_not_sent_and_the_deadline_ends_the_rest() -> None:
    small = SafeCopyRunner(make_settings(max_input_bytes=10))
    big, fine = small.run_many(H + "crash_on_marker", _jobs(small, b"x" * 11, b"ok"))
    assert isinstance(big, NoSafeCopy) and big.reason is Reason.TOO_LARGE
    assert isinstance(fine, SafeCopy)
    runner = SafeCopyRunner(make_settings(max_seconds=1))
    started = time.monotonic()
    results = runner.run_many(H + "sleep", _jobs(runner, b"a", b"b", seconds=0.5))
    assert [r.reason for r in results] == [Reason.TIMEOUT, Reason.TIMEOUT]  # type: ignore[union-attr]
    assert time.monotonic() - started < 10


def test_excerpts_of_several_files_by_one_deadline() -> None:
    runner = SafeCopyRunner(SafeCopySettings())
    files = [(samples.pdf([["第1号"]]), "1.pdf", "application/pdf"),
             ("氏名,金額\n".encode("cp932"), "a.csv", "text/plain"),
             (samples.docx_bytes(["議事録"]), "b.docx",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    results = runner.excerpts(files, deadline=time.monotonic() + 30)
    assert [r.text for r in results if isinstance(r, Excerpt)] == ["第1号", "氏名,金額", "議事録"]
    off = SafeCopyRunner(SafeCopySettings(excerpt_chars=0)).excerpts(files, deadline=0)
    assert all(isinstance(r, NoSafeCopy) and r.reason is Reason.POLICY for r in off)
