"""The converter process: confined first, then one job, then gone.

Each job gets a process of its own, forked from a warm server (gateway.safecopy.runner), so
nothing one file did to a library's state (fonts loaded, caches, a half-freed buffer) can
reach the next file. The limits are kernel limits set before the file's bytes are received:
address space (RLIMIT_AS), CPU seconds (RLIMIT_CPU, SIGXCPU first, then SIGKILL), size of any
file written (RLIMIT_FSIZE), no core files; the working and temporary directory is a private
directory the parent made and removes.
"""

from __future__ import annotations

import os
import resource
import signal
import tempfile
from multiprocessing.connection import Connection
from types import FrameType
from typing import Any

from gateway.config import SafeCopyLimitsSettings
from gateway.safecopy.job import Batch, Job, Task, resolve
from gateway.safecopy.results import (
    NoSafeCopy,
    Reason,
    Refusal,
    SafeCopy,
    dump_result,
)

CPU_KILL_GRACE = 2  # seconds between SIGXCPU (a clean refusal) and the kernel's SIGKILL


def _on_xcpu(signum: int, frame: FrameType | None) -> None:
    raise Refusal(Reason.TIMEOUT, "the conversion used up its CPU time")


def _confine(tmpdir: str, limits: SafeCopyLimitsSettings) -> None:
    # A process group of its own: the runner ends the group, so whatever the converter started
    # (LibreOffice and its children) goes with it, even when the converter is killed.
    os.setsid()
    memory = limits.max_memory_bytes
    cpu = limits.max_cpu_seconds
    files = max(limits.max_output_bytes, limits.max_input_bytes) * 2
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + CPU_KILL_GRACE))
    resource.setrlimit(resource.RLIMIT_FSIZE, (files, files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXCPU, _on_xcpu)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    os.chdir(tmpdir)
    # Nothing of the gateway's environment (a relay password, say) is the converter's business.
    path = os.environ.get("PATH", "/usr/bin:/bin")
    os.environ.clear()
    os.environ.update(PATH=path, LANG="C.UTF-8", TMPDIR=tmpdir, HOME=tmpdir)
    tempfile.tempdir = tmpdir


def _too_large(result: Any, limits: SafeCopyLimitsSettings) -> bool:
    # Unlocked contents are bounded while they are read (max_zip_total_bytes).
    return isinstance(result, SafeCopy) and len(result.data) > limits.max_output_bytes


def outcome(task: Task, job: Job, limits: SafeCopyLimitsSettings) -> Any:
    """The task's result, or the reason it gave none. Never raises for a bad file."""
    try:
        result = resolve(task)(job)
    except Refusal as refusal:
        return refusal.outcome()
    except MemoryError:
        return NoSafeCopy(Reason.MEMORY, f"needed more than {limits.max_memory_bytes} bytes")
    except RecursionError:
        return NoSafeCopy(Reason.FAILED, "the file nests too deeply to be read")
    except Exception as exc:  # a library refusing a damaged file; its message may quote input
        return NoSafeCopy(Reason.FAILED, f"the reader gave up ({type(exc).__name__})")
    if _too_large(result, limits):
        return NoSafeCopy(Reason.TOO_LARGE, f"the result exceeds {limits.max_output_bytes} bytes")
    return result


def child_main(conn: Connection, tmpdir: str, limits: SafeCopyLimitsSettings) -> None:
    """Entry point of the converter process (multiprocessing target)."""
    try:
        _confine(tmpdir, limits)
        task, job = conn.recv()
        for one in job.jobs if isinstance(job, Batch) else (job,):
            # each answer as soon as it is made: a later file that kills the process costs
            # only its own answer and those after it
            conn.send_bytes(dump_result(outcome(task, one, limits)))
        del job
        conn.close()
    except BaseException:  # the parent reads a dead child as "crashed"; no traceback on stderr
        os._exit(70)
