"""One converter process: started from the fork server, given its job(s), read, ended.

A process that gave every answer is ended (its process group killed) at once, but reaped at
the next job: its exit status tells nothing more, and waiting for the kernel to tear a
process of ~100 MB down (~5 ms) would be on the caller's path, a mail's for excerpts. Until
then it is a zombie: its pid and process group id cannot be reused.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
import time
from multiprocessing.context import ForkServerContext, ForkServerProcess
from typing import Any

from gateway.config import SafeCopyLimitsSettings
from gateway.safecopy.child import child_main
from gateway.safecopy.job import Batch, Job, Task
from gateway.safecopy.results import NoSafeCopy, Reason, load_result

ANSWER_OVERHEAD = 1024 * 1024  # names, notes and listing around the output bytes
KILL_GRACE = 2.0  # seconds past max_seconds before the parent kills a converter


def _died(exitcode: int | None, limits_cpu: int) -> NoSafeCopy:
    if exitcode is not None and exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
        return NoSafeCopy(Reason.TIMEOUT, f"killed at the CPU limit ({limits_cpu} s) or by the OS")
    if exitcode is not None and exitcode < 0:
        return NoSafeCopy(Reason.CRASHED, f"the converter died (signal {-exitcode})")
    return NoSafeCopy(Reason.CRASHED, f"the converter ended without an answer (exit {exitcode})")


def _read(raw: bytes) -> Any:
    try:
        return load_result(raw)
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        return NoSafeCopy(Reason.CRASHED, "the converter's answer could not be read")


def _end(process: ForkServerProcess) -> None:
    """The converter's whole process group (see child._confine), before the converter is
    reaped, so the group id cannot yet belong to anyone else. A converter that is already dead
    keeps the exit status it died with."""
    if process.pid:  # never 0: that would be our own group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


class ConverterProcesses:
    def __init__(self, ctx: ForkServerContext, limits: SafeCopyLimitsSettings) -> None:
        self._ctx = ctx
        self._limits = limits
        self._ended: list[ForkServerProcess] = []  # killed, not yet reaped
        self._lock = threading.Lock()

    def exchange(self, tmpdir: str, task: Task, jobs: list[Job]) -> list[Any]:
        """Run `task` on `jobs` in one new process: an answer or a NoSafeCopy per job."""
        self._reap()
        limits = self._limits
        ours, theirs = self._ctx.Pipe()
        process = self._ctx.Process(
            target=child_main, args=(theirs, tmpdir, limits), name="mutaika-safecopy", daemon=True
        )
        process.start()
        theirs.close()
        raws: list[bytes] = []
        timed_out = False
        try:
            ours.send((task, jobs[0] if len(jobs) == 1 else Batch(tuple(jobs))))
            deadline = min(job.deadline for job in jobs)
            most = max(limits.max_output_bytes, limits.max_zip_total_bytes) + ANSWER_OVERHEAD
            while len(raws) < len(jobs):
                if not ours.poll(max(0.0, deadline - time.monotonic()) + KILL_GRACE):
                    timed_out = True
                    break
                raws.append(ours.recv_bytes(most))
        except (EOFError, OSError):
            pass  # a dead converter: its exit status says why
        finally:
            ours.close()
            _end(process)
        answers = [_read(raw) for raw in raws]
        if len(answers) == len(jobs):
            with self._lock:
                self._ended.append(process)
            return answers
        process.join()
        exitcode = process.exitcode
        process.close()
        missing = (NoSafeCopy(Reason.TIMEOUT, f"no answer within {limits.max_seconds:g} s")
                   if timed_out else _died(exitcode, limits.max_cpu_seconds))  # fmt: skip
        return answers + [missing] * (len(jobs) - len(answers))

    def _reap(self) -> None:
        with self._lock:
            ended, self._ended = self._ended, []
        for process in ended:
            process.join(0)
            if process.exitcode is None:  # still being torn down: next time
                with self._lock:
                    self._ended.append(process)
            else:
                process.close()
