"""Keeps the children of `mutaika serve` running: restarts with backoff, time limits, clean stop."""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

from prometheus_client import multiprocess

from gateway.metrics import CHILD_RESTARTS
from gateway.worker import OUR_FAULTS, JobSlot, ProcessContext

LOG = logging.getLogger(__name__)

BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 10.0
STABLE_AFTER_SECONDS = 30.0  # a child that ran this long starts its backoff over
KILL_WAIT_SECONDS = 5.0


@dataclass
class Child:
    name: str
    target: Callable[..., None]
    args: tuple[Any, ...]
    slot: JobSlot | None = None
    process: BaseProcess | None = None
    started_at: float = 0.0
    failures: int = 0
    start_after: float = 0.0
    exit_codes: list[int] = field(default_factory=list)
    killed: tuple[str, float] | None = None  # the job it was killed for, until it is reaped


@dataclass
class Orphan:
    """The job of a worker that is gone, still to be settled."""

    queue_id: str
    seconds: float | None
    failures: int = 0
    retry_at: float = 0.0


def backoff(failures: int) -> float:
    if failures <= 0:
        return 0.0
    return float(min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** (failures - 1)))


# Called with (queue_id, seconds) after a stuck worker was killed, or (queue_id, None) after a
# worker died in the middle of a job. Runs in the supervisor process, once the worker is surely
# gone; raising means "try again later" (the entry waits in active/ meanwhile).
JobHandler = Callable[[str, float | None], None]


class Supervisor:
    def __init__(
        self,
        ctx: ProcessContext,
        *,
        time_limit: float,
        on_stuck: JobHandler,
        metrics_dir: str | None,
    ) -> None:
        self._ctx = ctx
        self._time_limit = time_limit
        self._on_stuck = on_stuck
        self._metrics_dir = metrics_dir
        self.children: list[Child] = []
        self.orphans: list[Orphan] = []

    def add(
        self, name: str, target: Callable[..., None], *args: Any, slot: JobSlot | None = None
    ) -> Child:
        child = Child(name, target, args, slot)
        self.children.append(child)
        return child

    def _start(self, child: Child) -> None:
        process = self._ctx.Process(target=child.target, args=child.args, name=child.name)
        process.start()
        child.process = process
        child.started_at = time.monotonic()
        LOG.info("started %s (pid %s)", child.name, process.pid)

    def start_all(self) -> None:
        for child in self.children:
            self._start(child)

    def _reap(self, child: Child, now: float) -> None:
        """Book a child that is gone (crashed, or killed at the time limit) and adopt its job."""
        process = child.process
        assert process is not None
        process.join(0)
        code = process.exitcode if process.exitcode is not None else -1
        child.exit_codes.append(code)
        if self._metrics_dir and process.pid is not None:
            multiprocess.mark_process_dead(process.pid, self._metrics_dir)  # type: ignore[no-untyped-call]
        CHILD_RESTARTS.labels(child.name.split("-", 1)[0]).inc()
        job = child.slot.current() if child.slot else None
        if child.slot is not None:
            child.slot.end()
        if child.killed is not None:
            self.orphans.append(Orphan(*child.killed))
            child.failures = 0  # not the child's fault: restart at once
        else:
            ran = now - child.started_at
            child.failures = 1 if ran >= STABLE_AFTER_SECONDS else child.failures + 1
        if job is not None and (child.killed is None or job[0] != child.killed[0]):
            self.orphans.append(Orphan(job[0], None))  # a crash, or the next job of a late kill
        child.start_after = now + backoff(child.failures)
        child.killed = None
        child.process = None
        LOG.warning(
            "%s (pid %s) exited with %s after %.1f s; restarting in %.1f s",
            child.name, process.pid, code, now - child.started_at, child.start_after - now,
        )  # fmt: skip

    def _settle_orphans(self, now: float) -> None:
        """A job that failed to settle (the disk, the database) is tried again with back-off;
        until then it waits in active/, where a restart would recover it too."""
        for orphan in list(self.orphans):
            if now < orphan.retry_at:
                continue
            try:
                self._on_stuck(orphan.queue_id, orphan.seconds)
            except OUR_FAULTS as exc:  # the disk or the database: known, and retried
                LOG.warning("cannot settle the job %s of a dead worker yet: %s",
                            orphan.queue_id, exc)  # fmt: skip
                orphan.failures += 1
                orphan.retry_at = now + backoff(orphan.failures)
                continue
            except Exception:
                LOG.exception("could not settle the job %s of a dead worker", orphan.queue_id)
                orphan.failures += 1
                orphan.retry_at = now + backoff(orphan.failures)
                continue
            self.orphans.remove(orphan)

    def _enforce_time_limit(self, child: Child) -> None:
        """Kill a worker stuck past the limit. Its job is settled only once it is surely gone
        (else both would move the same entry): at once, or by the reaper on a later tick."""
        if child.slot is None or child.process is None or child.killed is not None:
            return
        job = child.slot.current()
        if job is None or not job[2] or job[1] <= self._time_limit:
            return
        queue_id, seconds, _ = job
        LOG.warning("%s stuck on %s for %.1f s: killing it", child.name, queue_id, seconds)
        child.killed = (queue_id, seconds)
        child.process.kill()
        child.process.join(KILL_WAIT_SECONDS)

    def tick(self) -> None:
        """One round: enforce time limits, notice exits, start what is due."""
        now = time.monotonic()
        for child in self.children:
            if child.process is not None:
                self._enforce_time_limit(child)
            if child.process is not None and not child.process.is_alive():
                self._reap(child, now)
        self._settle_orphans(now)
        for child in self.children:
            if child.process is None and now >= child.start_after:
                self._start(child)

    def stop(self, timeout: float) -> None:
        """SIGTERM everyone, wait, then SIGKILL what is left (the next start recovers it)."""
        running = [c.process for c in self.children if c.process is not None]
        for process in running:
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in running:
            process.join(max(0.0, deadline - time.monotonic()))
        for process in running:
            if process.is_alive():
                LOG.warning("%s did not stop in %.0f s: killing it", process.name, timeout)
                process.kill()
                process.join(5)
