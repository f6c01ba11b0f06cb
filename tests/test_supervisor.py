import multiprocessing
import sys
import time
from collections.abc import Callable
from pathlib import Path

from gateway.supervisor import Supervisor, backoff
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


def test_stuck_worker_is_killed_and_its_job_handed_over() -> None:
    ctx = multiprocessing.get_context("forkserver")
    calls: list[tuple[str, float | None]] = []
    sup = Supervisor(
        ctx, time_limit=0.3, on_stuck=lambda q, s: calls.append((q, s)), metrics_dir=None
    )
    slot = JobSlot(ctx)
    child = sup.add("w", hang_on_a_job, slot, slot=slot)
    sup.start_all()
    _run_until(sup, lambda: bool(calls))
    sup.stop(5)
    assert calls and calls[0][0] == QID
    assert calls[0][1] is not None and calls[0][1] > 0.3
    assert child.exit_codes[0] < 0  # killed by a signal


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
