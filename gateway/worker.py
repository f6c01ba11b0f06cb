"""Sanitizer worker processes: claim incoming → sanitize → quarantine → outgoing.

A worker publishes the queue id and start time of its job in a JobSlot (shared memory) so the
supervisor can enforce workers.time_limit_seconds from outside: a pure-Python sanitizer stuck in
C code or a pathological loop cannot be interrupted from inside, only killed.
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import sqlite3
import time
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.sharedctypes import Synchronized, SynchronizedString

from gateway import metrics
from gateway.config import Settings
from gateway.doorbell import DELIVERY, WORKERS, Doorbell, Ringer
from gateway.errors import SpoolError
from gateway.log import configure_logging, log_event
from gateway.pipeline import quarantine_whole, sanitize
from gateway.quarantine.store import QuarantineStore
from gateway.runtime import IDLE_FALLBACK_SECONDS, StopFlag, open_quarantine, open_spool
from gateway.spool.layout import MESSAGE_FILE
from gateway.spool.store import Spool, SpoolEntry
from gateway.types import SanitizeResult

LOG = logging.getLogger(__name__)
ProcessContext = ForkServerContext | SpawnContext
_QID_BYTES = 64
# The disk or the quarantine database failed under a mail: that says nothing about the mail, so
# it goes back uncounted (not a poison claim) and the worker waits before it claims again.
INFRASTRUCTURE_ERRORS = (OSError, sqlite3.Error, SpoolError)
INFRASTRUCTURE_PAUSE_SECONDS = 3.0


class JobSlot:
    """What one worker is doing now; written by the worker, read by the supervisor."""

    def __init__(self, ctx: ProcessContext) -> None:
        self._qid: SynchronizedString = ctx.Array(ctypes.c_char, _QID_BYTES)
        self._started: Synchronized[float] = ctx.Value(ctypes.c_double, 0.0)

    def begin(self, queue_id: str) -> None:
        with self._started.get_lock():
            self._qid.value = queue_id.encode("ascii")[: _QID_BYTES - 1]
            self._started.value = time.monotonic()  # CLOCK_MONOTONIC is system-wide on Linux

    def end(self) -> None:
        with self._started.get_lock():
            self._started.value = 0.0
            self._qid.value = b""

    def current(self) -> tuple[str, float] | None:
        """(queue_id, seconds running) or None when idle."""
        with self._started.get_lock():
            started = self._started.value
            qid = self._qid.value.decode("ascii", "replace")
        if not started:
            return None
        return qid, time.monotonic() - started


def _account(result: SanitizeResult, seconds: float) -> None:
    metrics.SANITIZE_SECONDS.observe(seconds)
    metrics.SANITIZE_VERDICTS.labels(str(result.report.verdict)).inc()
    for part in result.report.removed:
        metrics.SANITIZE_REMOVED_PARTS.labels(part.reason or "other").inc()


def finish(
    spool: Spool, store: QuarantineStore, entry: SpoolEntry, raw: bytes, result: SanitizeResult
) -> SpoolEntry:
    """Quarantine first, then outgoing: a crash between the two re-puts the same id on retry."""
    store.put(entry.queue_id, entry.record.envelope, raw, result, entry.path / MESSAGE_FILE)
    record = dataclasses.replace(
        entry.record,
        verdict=str(result.report.verdict),
        quarantine_id=entry.queue_id,
        message_id=result.report.message_id,
    )
    moved = spool.move(entry, "outgoing", message=result.message, record=record)
    log_event(
        "sanitized",
        entry.queue_id,
        verdict=str(result.report.verdict),
        removed=len(result.report.removed),
        reason=result.report.reason or None,
        message_id=result.report.message_id or None,
    )
    return moved


def process_entry(
    spool: Spool, store: QuarantineStore, settings: Settings, entry: SpoolEntry
) -> SpoolEntry:
    raw = spool.read_message(entry)
    started = time.perf_counter()
    result = sanitize(
        raw, settings.sanitize, envelope=entry.record.envelope, quarantine_id=entry.queue_id
    )
    _account(result, time.perf_counter() - started)
    return finish(spool, store, entry, raw, result)


def quarantine_stuck(
    spool: Spool, store: QuarantineStore, settings: Settings, entry: SpoolEntry, seconds: float
) -> SpoolEntry:
    """The job of a worker killed at the time limit: notice only, original kept whole."""
    raw = spool.read_message(entry)
    result = quarantine_whole(
        raw,
        settings.sanitize,
        reason="time-limit",
        detail=f"sanitizing took longer than {settings.workers.time_limit_seconds:g} s",
        envelope=entry.record.envelope,
        quarantine_id=entry.queue_id,
    )
    metrics.SANITIZE_TIMEOUTS.inc()
    _account(result, seconds)
    return finish(spool, store, entry, raw, result)


def run_worker(settings: Settings, slot: JobSlot, stop: StopFlag) -> None:
    spool = open_spool(settings)
    store = open_quarantine(settings)
    bell = Doorbell(settings.data_dir, WORKERS)
    delivery = Ringer(settings.data_dir, DELIVERY)
    try:
        while not stop.is_set:
            entry = spool.claim("incoming")
            if entry is None:
                bell.wait(IDLE_FALLBACK_SECONDS)
                continue
            slot.begin(entry.queue_id)
            try:
                process_entry(spool, store, settings, entry)
            except INFRASTRUCTURE_ERRORS:
                LOG.exception("could not process %s; giving it back", entry.queue_id)
                # should the release fail too, the error ends the worker with the slot still
                # set, and the supervisor returns the entry
                spool.release(entry)
                slot.end()
                stop.wait(INFRASTRUCTURE_PAUSE_SECONDS)
                continue
            slot.end()  # not on any other exception: the supervisor reads the slot to recover
            delivery.ring()
    finally:
        bell.close()
        delivery.close()
        store.close()


def run_worker_process(settings: Settings, slot: JobSlot) -> None:
    """Process entry point. An unexpected exception ends the process with the entry still in
    active/: the supervisor puts it back, the spool's attempt counter shunts a poison mail."""
    configure_logging(settings.log_level)
    try:
        run_worker(settings, slot, StopFlag().install())
    except Exception:
        job = slot.current()
        LOG.exception("worker crashed on %s", job[0] if job else "no job")
        raise SystemExit(1) from None
