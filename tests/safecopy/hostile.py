"""Test-only converters that misbehave the ways a converter library could on hostile input."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import time
from pathlib import Path

from gateway.safecopy.job import Job
from gateway.safecopy.results import SafeCopy


def segfault(job: Job) -> SafeCopy:
    os.kill(os.getpid(), signal.SIGSEGV)
    raise AssertionError("unreachable")


def spin(job: Job) -> SafeCopy:
    while True:  # burns CPU until RLIMIT_CPU
        pass


def sleep(job: Job) -> SafeCopy:
    time.sleep(3600)  # no CPU: only the wall-time limit ends it
    raise AssertionError("unreachable")


def allocate(job: Job) -> SafeCopy:
    hoard = [bytearray(256 * 1024 * 1024) for _ in range(64)]
    return SafeCopy(bytes(len(hoard)), "x", "application/octet-stream")


def write_huge(job: Job) -> SafeCopy:
    with Path("big").open("wb") as handle:
        for _ in range(1024):
            handle.write(b"\0" * 1024 * 1024)
    return SafeCopy(b"", "x", "application/octet-stream")


def vanish(job: Job) -> SafeCopy:
    os._exit(0)


def odd_answer(job: Job) -> object:
    return collections.OrderedDict(a=1)  # pickles fine, but is no result type


def big_answer(job: Job) -> SafeCopy:
    return SafeCopy(b"\0" * (job.settings.limits.max_output_bytes + 1), "x", "a/b")


def echo_workdir(job: Job) -> SafeCopy:
    Path("left-behind").write_bytes(b"x")
    return SafeCopy(os.getcwd().encode(), "x", "text/plain")


def returns_original(job: Job) -> SafeCopy:
    return SafeCopy(job.data, "x", "application/pdf")


def spawn_and_hang(job: Job) -> SafeCopy:
    """Starts a program (as LibreOffice would be) and hangs; job.filename says where to tell."""
    helper = subprocess.Popen(["sleep", "600"])
    Path(job.filename).write_text(str(helper.pid))
    time.sleep(3600)
    raise AssertionError("unreachable")


def crash_on_marker(job: Job) -> SafeCopy:
    """Answers with the data, except for a file that says "crash": it kills the process."""
    if job.data == b"crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    return SafeCopy(job.data + b" " + str(os.getpid()).encode(), "x", "text/plain")
