"""Throughput runs: smtp-source's load through one relay, counted at the sink, with the CPU spent
read from /proc.

  msgs/s = N / (start of smtp-source → the sink has received the N-th message)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bench.relay_mails import RCPT, SENDER
from bench.relays import MutaikaInstance, PostfixInstance
from bench.sink import SmtpSink


def smtp_source(
    port: int, mail_file: Path, count: int, sessions: int, stderr: int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    """Postfix's load generator: `sessions` parallel connections, each reused (-d)."""
    args = f"-4 -d -s {sessions} -m {count} -F {mail_file} -f {SENDER} -t {RCPT}".split()
    return subprocess.Popen(
        ["smtp-source", *args, f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=stderr
    )


def cpu_ticks(pids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(utime, stime) of each process, all its threads included."""
    ticks = {}
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks[pid] = (int(fields[11]), int(fields[12]))
    return ticks


def _idle_ticks() -> int:
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return int(fields[4]) + int(fields[5])  # idle + iowait, all cores


def busy_ticks() -> int:
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return sum(int(f) for f in fields[1:9]) - _idle_ticks()  # user … steal


@dataclass
class Run:
    rate: float  # msgs/s, 0 when the run failed
    machine_ms: float  # busy CPU of the whole machine (both cores) per message, load + sink too
    process_ms: dict[str, float]  # mutaika only: user+sys CPU of each child per message


def throughput(
    target: PostfixInstance | MutaikaInstance,
    sink: SmtpSink,
    mail_file: Path,
    count: int,
    sessions: int,
) -> Run:
    """msgs/s from the start of smtp-source to the count-th delivery at the sink."""
    children = target.children() if isinstance(target, MutaikaInstance) else {}
    base = sink.count
    cpu_before, busy_before = cpu_ticks(children.values()), busy_ticks()
    start = time.monotonic()
    source = smtp_source(target.port, mail_file, count, sessions, stderr=subprocess.PIPE)
    done_at = sink.wait_count(base + count, timeout=120)
    cpu_after, busy_after = cpu_ticks(children.values()), busy_ticks()
    _, err = source.communicate(timeout=30)
    if source.returncode != 0 or done_at is None:
        print(
            f"  ! run failed: smtp-source rc={source.returncode} {err.decode()[-300:]!r}, "
            f"sink got {sink.count - base}/{count}",
            file=sys.stderr,
        )
        return Run(0.0, 0.0, {})
    per_msg = 1000 / os.sysconf("SC_CLK_TCK") / count
    return Run(
        count / (done_at - start),
        (busy_after - busy_before) * per_msg,
        {
            child: (sum(cpu_after[pid]) - sum(cpu_before[pid])) * per_msg
            for child, pid in children.items()
        },
    )
