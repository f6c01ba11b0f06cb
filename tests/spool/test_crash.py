"""Crash safety with real processes: SIGKILL during accept(), and two claimers racing."""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import time
from pathlib import Path

import pytest

from gateway.spool import Queue
from gateway.spool.store import Spool
from gateway.types import Envelope

KILLS = 200
ENVELOPE = Envelope(mail_from="a@example.com", rcpt_tos=["b@lg.jp"])


def payload(i: int, j: int) -> bytes:
    filler = f"{i}-{j} ".encode() * ((i * 31 + j * 17) % 4000)
    return f"X-Test: {i}-{j}\r\n\r\n".encode() + filler


def _accept_until_killed(root: Path, i: int, report_fd: int) -> None:
    spool = Spool(root, fsync=True, min_free_bytes=0)  # no prepare(): the parent did it
    j = 0
    while True:
        qid = spool.accept(payload(i, j), ENVELOPE)
        os.write(report_fd, f"{qid} {i} {j}\n".encode())  # < PIPE_BUF: written whole or not
        j += 1


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


@pytest.mark.slow
def test_sigkill_during_accept_never_loses_or_exposes_a_message(tmp_path: Path) -> None:
    root = tmp_path / "spool"
    Spool(root, fsync=True).prepare()
    ctx = mp.get_context("fork")
    rnd = random.Random(20261126)
    reported: dict[str, tuple[int, int]] = {}
    for i in range(KILLS):
        read_fd, write_fd = os.pipe()
        child = ctx.Process(target=_accept_until_killed, args=(root, i, write_fd))
        child.start()
        os.close(write_fd)
        first = os.read(read_fd, 4096)  # wait for one accept: the kill then lands mid-stream
        time.sleep(rnd.uniform(0.0, 0.02))
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join()
        assert child.exitcode == -signal.SIGKILL
        for line in (first + _read_all(read_fd)).decode().splitlines():
            qid, a, b = line.split()
            reported[qid] = (int(a), int(b))
    assert len(reported) >= KILLS

    spool = Spool(root, fsync=True)
    spool.prepare()
    assert list((root / "tmp").iterdir()) == []
    for qid, (i, j) in reported.items():
        entry = spool.get(Queue.INCOMING, qid)
        assert entry is not None and spool.read_message(entry) == payload(i, j)
    # Entries whose report was cut by the kill are whole too: nothing half-written is visible.
    for entry in spool.entries(Queue.INCOMING, limit=10**6):
        assert not entry.damaged
        raw = spool.read_message(entry)
        i, j = (int(n) for n in raw.split(b"\r\n", 1)[0].split(b": ")[1].split(b"-"))
        assert raw == payload(i, j) and entry.record.size == len(raw)


def _claim_all(root: Path, out_file: Path) -> None:
    spool = Spool(root, fsync=False)
    claimed = []
    while (entry := spool.claim(Queue.INCOMING)) is not None:
        claimed.append(entry.queue_id)
    out_file.write_text("\n".join(claimed))


def test_two_processes_claim_each_entry_exactly_once(tmp_path: Path) -> None:
    root = tmp_path / "spool"
    spool = Spool(root, fsync=False, min_free_bytes=0)
    spool.prepare()
    queued = {spool.accept(b"m%d" % n, ENVELOPE) for n in range(500)}
    ctx = mp.get_context("fork")
    outs = [tmp_path / "a.txt", tmp_path / "b.txt"]
    procs = [ctx.Process(target=_claim_all, args=(root, out)) for out in outs]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    first, second = ({q for q in out.read_text().split("\n") if q} for out in outs)
    assert not first & second
    assert first | second == queued
    assert spool.stats()[Queue.ACTIVE].messages == 500
