"""How many fsyncs one mail costs end to end, counted by strace on the running process tree.

The happy path of a mail relayed by SMTP: the SMTP listener writes the queue file (fsync of the
file, then of incoming/: the 250 promise), the worker commits the quarantine (one fsync of
SQLite's write-ahead log) and delivers; the downstream's own fsync is its business, and the
spool file's removal is not synced (see gateway.spool.store). At most 5 per mail, and each one
is named by the file it was for.
"""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import wait_until
from tests.e2e.mails import plain
from tests.fakes.lgwan_mta import FakeMta

pytestmark = [pytest.mark.e2e]

MAILS = 40
# strace -y prints each descriptor with its path: fsync(7</srv/var/spool/tmp/0195...>) = 0, or,
# when another thread's call is printed meanwhile, fsync(7</srv/...> <unfinished ...> and later
# "<... fsync resumed>) = 0" (not counted again)
_CALL = re.compile(r"\b(fsync|fdatasync)\((\d+)<([^>]*)>")


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            pids += _tree(int(child))
    return pids


def _kind(path: str, var: Path) -> str:
    relative = path.removeprefix(str(var) + "/")
    if relative.startswith("spool/tmp/"):
        return "spool: the queue file"
    if relative.startswith("spool/"):
        return f"spool: the {relative.removeprefix('spool/')}/ directory"
    if relative.endswith("-wal"):
        return "store: SQLite write-ahead log (commit)"
    if relative.endswith(".sqlite3"):
        return "store: SQLite database (checkpoint)"
    return relative


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed "
                    "(scripts/setup.sh dev installs it)")  # fmt: skip
def test_one_mail_costs_at_most_five_fsyncs(
    start_gateway: Any, fake_mta: FakeMta, tmp_path: Path
) -> None:
    gateway = start_gateway(fake_mta.url)
    for n in range(5):  # warm: the WAL exists, the pools are connected
        gateway.send(plain(f"WARM{n}"))
    assert wait_until(lambda: len(fake_mta.messages) == 5, 20)
    assert gateway.process is not None
    log = tmp_path / "strace.log"
    args = ["strace", "-f", "-qq", "-y", "-e", "trace=fsync,fdatasync", "-o", str(log)]
    for pid in _tree(gateway.process.pid):
        args += ["-p", str(pid)]
    tracer = subprocess.Popen(args, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)  # strace attaches
        for n in range(MAILS):
            gateway.send(plain(f"COUNTED{n}"))
        assert wait_until(lambda: len(fake_mta.messages) == 5 + MAILS, 30)
        time.sleep(0.5)
    finally:
        tracer.terminate()
        tracer.wait(10)
    var = (tmp_path / "var").resolve()
    calls = [_kind(m.group(3), var) for m in _CALL.finditer(log.read_text())]
    by_kind = collections.Counter(calls)
    per_mail = len(calls) / MAILS
    print(f"\n{len(calls)} fsyncs for {MAILS} mails = {per_mail:.2f} per mail")
    for kind, count in by_kind.most_common():
        print(f"  {count / MAILS:5.2f}  {kind}")
    assert per_mail <= 5.0, by_kind
    assert by_kind["spool: the queue file"] >= MAILS  # the 250 promise is kept: each is synced
    assert by_kind["spool: the incoming/ directory"] >= MAILS
    assert gateway.stop() == 0
