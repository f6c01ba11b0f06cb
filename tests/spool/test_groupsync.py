"""The shared directory fsync: fewer fsyncs, and no caller returns before its name is synced."""

from __future__ import annotations

import itertools
import os
import threading
import time
from pathlib import Path

import pytest

from gateway.durable import GroupSync


def test_concurrent_callers_share_fsyncs_and_each_is_covered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = itertools.count()
    lock = threading.Lock()
    syncs: list[int] = []  # the moment each fsync started
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        with lock:
            syncs.append(next(clock))
        time.sleep(0.01)  # a disk that takes its time: callers pile up behind it
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    group = GroupSync(tmp_path)
    arrivals: list[tuple[int, int]] = []  # (moment of the call, moment it returned)

    def caller() -> None:
        with lock:
            start = next(clock)
        group.sync()
        with lock:
            arrivals.append((start, next(clock)))

    threads = [threading.Thread(target=caller) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(arrivals) == 40
    assert 1 <= len(syncs) < 40  # shared
    for start, end in arrivals:  # an fsync began after the call and before the return
        assert any(start < s < end for s in syncs), (start, end, syncs)


def test_a_failing_fsync_reaches_every_caller_that_needed_it(tmp_path: Path) -> None:
    group = GroupSync(tmp_path / "gone")  # no such directory: os.open fails
    with pytest.raises(OSError):
        group.sync()
    with pytest.raises(OSError):
        group.sync()  # and the next one tries again, it is not marked done
    GroupSync(tmp_path / "gone", durable=False).sync()  # fsync off: nothing to do
