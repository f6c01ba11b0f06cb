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

from gateway.worker import JobSlot, ProcessContext

LOG = logging.getLogger(__name__)

BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 10.0
STABLE_AFTER_SECONDS = 30.0  # a child that ran this long starts its backoff over


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


def backoff(failures: int) -> float:
    if failures <= 0:
        return 0.0
    return float(min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** (failures - 1)))


# Called with (queue_id, seconds) after a stuck worker was killed, or (queue_id, None) after a
# worker died in the middle of a job; both run in the supervisor process.
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
        process = child.process
        assert process is not None
        process.join(0)
        code = process.exitcode if process.exitcode is not None else -1
        child.exit_codes.append(code)
        if self._metrics_dir and process.pid is not None:
            multiprocess.mark_process_dead(process.pid, self._metrics_dir)  # type: ignore[no-untyped-call]
        job = child.slot.current() if child.slot else None
        if job is not None and child.slot is not None:
            child.slot.end()
            self._handle_job(job[0], None)
        ran = now - child.started_at
        child.failures = 1 if ran >= STABLE_AFTER_SECONDS else child.failures + 1
        child.start_after = now + backoff(child.failures)
        child.process = None
        LOG.warning(
            "%s (pid %s) exited with %s after %.1f s; restarting in %.1f s",
            child.name, process.pid, code, ran, child.start_after - now,
        )  # fmt: skip

    def _handle_job(self, queue_id: str, seconds: float | None) -> None:
        try:
            self._on_stuck(queue_id, seconds)
        except Exception:  # the entry stays in active/; the next start puts it back
            LOG.exception("could not settle the job %s of a dead worker", queue_id)

    def _enforce_time_limit(self, child: Child) -> None:
        if child.slot is None or child.process is None:
            return
        job = child.slot.current()
        if job is None or job[1] <= self._time_limit:
            return
        queue_id, seconds = job
        LOG.warning("%s stuck on %s for %.1f s: killing it", child.name, queue_id, seconds)
        child.process.kill()
        child.process.join(5)
        child.slot.end()
        self._handle_job(queue_id, seconds)
        child.failures = 0  # not the child's fault: restart at once
        child.exit_codes.append(-signal.SIGKILL)
        if self._metrics_dir and child.process.pid is not None:
            multiprocess.mark_process_dead(  # type: ignore[no-untyped-call]
                child.process.pid, self._metrics_dir
            )
        child.process = None
        child.start_after = time.monotonic()

    def tick(self) -> None:
        """One round: enforce time limits, notice exits, start what is due."""
        now = time.monotonic()
        for child in self.children:
            if child.process is not None:
                self._enforce_time_limit(child)
            if child.process is not None and not child.process.is_alive():
                self._reap(child, now)
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
