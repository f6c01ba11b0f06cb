import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.serve import supervisor as supervisor_module
from gateway.serve.supervisor import Supervisor, backoff
from gateway.worker import JobSlot

QID = "0195F3A2B4C5D6E7F8"


def crash_once(marker: str) -> None:
    path = Path(marker)
    if not path.exists():
        path.write_text("crashed")
        sys.exit(3)
    time.sleep(60)


def hang_on_a_job(slot: JobSlot) -> None:
    slot.begin(QID)
    time.sleep(60)


def hang_on_a_job_once(slot: JobSlot, marker: str) -> None:
    if not Path(marker).exists():
        Path(marker).write_text("hung")
        slot.begin(QID)
    time.sleep(60)


def crash_on_a_job(slot: JobSlot) -> None:
    slot.begin(QID)
    raise SystemExit(1)


def _run_until(supervisor: Supervisor, done: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done():
        supervisor.tick()
        time.sleep(0.05)


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff(n) for n in range(1, 5)] == [0.5, 1.0, 2.0, 4.0]
    assert backoff(50) == 10.0


def test_crashed_child_is_restarted(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("forkserver")
    calls: list[tuple[str, float | None]] = []
    sup = Supervisor(
        ctx, time_limit=30, on_stuck=lambda q, s: calls.append((q, s)), metrics_dir=None
    )
    child = sup.add("c", crash_once, str(tmp_path / "marker"))
    sup.start_all()
    _run_until(sup, lambda: child.exit_codes == [3] and child.process is not None)
    try:
        assert child.exit_codes == [3]
        assert child.process is not None and child.process.is_alive()
        assert calls == []  # no job was held
    finally:
        sup.stop(5)
    assert not child.process.is_alive()


def _gone(pid: int | None) -> bool:
    assert pid is not None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_stuck_worker_is_killed_and_its_job_handed_over_once_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # no wait after the kill: whether the process is gone by the next look or not, its job
    # must only be settled once it is (else it and the handler could move the same entry)
    monkeypatch.setattr(supervisor_module, "KILL_WAIT_SECONDS", 0.0)
    ctx = multiprocessing.get_context("forkserver")
    calls: list[tuple[str, float | None, bool]] = []
    pids: list[int | None] = []
    sup = Supervisor(
        ctx,
        time_limit=0.3,
        on_stuck=lambda q, s: calls.append((q, s, _gone(pids[0]))),
        metrics_dir=None,
    )
    slot = JobSlot(ctx)
    child = sup.add("w", hang_on_a_job, slot, slot=slot)
    sup.start_all()
    assert child.process is not None
    pids.append(child.process.pid)
    _run_until(sup, lambda: bool(calls) and child.process is not None)
    try:
        assert len(calls) == 1
        queue_id, seconds, gone = calls[0]
        assert queue_id == QID and seconds is not None  # a time-limit kill, not a crash
        assert gone
        assert child.exit_codes == [-signal.SIGKILL]
        assert child.process is not None and child.process.pid != pids[0]  # restarted
        assert sup.orphans == []
    finally:
        sup.stop(5)


def test_a_job_that_fails_to_settle_is_retried_until_it_settles(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("forkserver")
    calls: list[tuple[str, float | None]] = []

    def flaky(queue_id: str, seconds: float | None) -> None:
        calls.append((queue_id, seconds))
        if len(calls) == 1:
            raise OSError("disk trouble")

    sup = Supervisor(ctx, time_limit=0.3, on_stuck=flaky, metrics_dir=None)
    slot = JobSlot(ctx)
    sup.add("w", hang_on_a_job_once, slot, str(tmp_path / "marker"), slot=slot)
    sup.start_all()
    _run_until(sup, lambda: len(calls) >= 2)
    sup.stop(5)
    assert [q for q, _ in calls] == [QID, QID]
    assert calls[0][1] is not None and calls[1][1] == calls[0][1]  # the same settling again
    assert sup.orphans == []


def test_job_of_a_crashed_worker_is_handed_back() -> None:
    ctx = multiprocessing.get_context("forkserver")
    calls: list[tuple[str, float | None]] = []
    sup = Supervisor(
        ctx, time_limit=30, on_stuck=lambda q, s: calls.append((q, s)), metrics_dir=None
    )
    slot = JobSlot(ctx)
    child = sup.add("w", crash_on_a_job, slot, slot=slot)
    sup.start_all()
    _run_until(sup, lambda: bool(calls))
    sup.stop(5)
    assert calls[0] == (QID, None)
    assert child.exit_codes[0] == 1


def hang_after_sanitizing(slot: JobSlot) -> None:
    slot.begin(QID)
    slot.unlimit()  # delivering now: the sanitizer's time limit no longer holds
    time.sleep(60)


def test_the_time_limit_covers_sanitizing_only() -> None:
    ctx = multiprocessing.get_context("forkserver")
    calls: list[tuple[str, float | None]] = []
    sup = Supervisor(ctx, time_limit=0.2, on_stuck=lambda q, s: calls.append((q, s)),
                     metrics_dir=None)  # fmt: skip
    slot = JobSlot(ctx)
    child = sup.add("w", hang_after_sanitizing, slot, slot=slot)
    sup.start_all()
    _run_until(sup, lambda: slot.current() is not None)
    _run_until(sup, lambda: False, timeout=1.0)  # five times the limit
    try:
        assert calls == [] and child.exit_codes == []  # a slow delivery is not killed
        job = slot.current()
        assert job is not None and job[0] == QID and job[2] is False
    finally:
        sup.stop(5)
