"""Sanitizer workers: claim incoming → sanitize → quarantine → first delivery → settle.

No property of one mail may stop a worker. A fault of ours (the disk, the database) puts the
mail back untouched and uncounted, and the worker pauses before it claims again, since the next
mail would meet the same fault. Any other exception is the mail's: it is postponed with a
per-mail backoff and shunted with the reason after spool.max_attempts, and the worker goes on.
Only a real crash (a segfault, the OOM killer) ends the process; the supervisor then puts the
mail back with its crash counted (gateway.spool: a poison mail ends in shunt/).

A worker publishes its job in a JobSlot (shared memory) so the supervisor can enforce
workers.time_limit_seconds from outside: a pure-Python sanitizer stuck in C code or a
pathological loop cannot be interrupted from inside, only killed. The limit covers sanitizing
only; the first delivery has its own timeouts.
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import time
from collections.abc import Callable
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.sharedctypes import Synchronized, SynchronizedString
from typing import TYPE_CHECKING

from gateway import metrics
from gateway.config import Settings
from gateway.delivery.outcome import pending_recipients
from gateway.delivery.retry import failure_delay
from gateway.delivery.send import PerRecipient, send
from gateway.delivery.settle import Settler
from gateway.delivery.transport import Transport
from gateway.errors import SpoolError
from gateway.log import log_event
from gateway.pipeline import quarantine_whole, sanitize
from gateway.pipeline.excerpts import stored_excerpter
from gateway.quarantine import QuarantineStore, StoreUnavailable
from gateway.runtime import IDLE_FALLBACK_SECONDS, StopFlag
from gateway.spool import Queue, Spool, SpoolEntry, SpoolRecord, Stage
from gateway.types import SanitizeResult, Verdict

if TYPE_CHECKING:
    from gateway.services.mail_extras import MailExtras

LOG = logging.getLogger(__name__)
ProcessContext = ForkServerContext | SpawnContext
_QID_BYTES = 64
OUR_FAULTS = (OSError, SpoolError, StoreUnavailable)
PAUSE_FIRST_SECONDS = 1.0
PAUSE_MAX_SECONDS = 30.0


class JobSlot:
    """What one worker is doing now; written by the worker, read by the supervisor."""

    def __init__(self, ctx: ProcessContext) -> None:
        self._qid: SynchronizedString = ctx.Array(ctypes.c_char, _QID_BYTES)
        self._started: Synchronized[float] = ctx.Value(ctypes.c_double, 0.0)
        self._limited: Synchronized[bool] = ctx.Value(ctypes.c_bool, False)

    def begin(self, queue_id: str) -> None:
        with self._started.get_lock():
            self._qid.value = queue_id.encode("ascii")[: _QID_BYTES - 1]
            self._started.value = time.monotonic()  # CLOCK_MONOTONIC is system-wide on Linux
            self._limited.value = True

    def unlimit(self) -> None:
        """Sanitizing is over: the job goes on (delivery) but the time limit no longer holds."""
        with self._started.get_lock():
            self._limited.value = False

    def end(self) -> None:
        with self._started.get_lock():
            self._started.value = 0.0
            self._qid.value = b""
            self._limited.value = False

    def current(self) -> tuple[str, float, bool] | None:
        """(queue_id, seconds running, time-limited) or None when idle."""
        with self._started.get_lock():
            started = self._started.value
            qid = self._qid.value.decode("ascii", "replace")
            limited = bool(self._limited.value)
        if not started:
            return None
        return qid, time.monotonic() - started, limited


def _account(result: SanitizeResult, seconds: float) -> None:
    metrics.SANITIZE_SECONDS.observe(seconds)
    metrics.SANITIZE_VERDICTS.labels(str(result.report.verdict)).inc()
    for part in result.report.removed:
        metrics.SANITIZE_REMOVED_PARTS.labels(part.reason or "other",
                                              metrics.type_label(part.detected_type)).inc()
    for excerpt in result.report.excerpts.values():
        metrics.EXCERPTS.labels("taken" if excerpt.get("text") else
                                str(excerpt.get("refused") or "empty")).inc()


def keep(store: QuarantineStore, entry: SpoolEntry, raw: bytes, result: SanitizeResult
         ) -> SpoolRecord:  # fmt: skip
    """Quarantine the original and the removed parts (durable), and say so in the log; the
    record to deliver the sanitized mail with."""
    store.put(entry.queue_id, entry.record.envelope, raw, result)
    report = result.report
    log_event(
        "sanitized", entry.queue_id, verdict=str(report.verdict), removed=len(report.removed),
        reason=report.reason or None, message_id=report.message_id or None,
    )  # fmt: skip
    return dataclasses.replace(
        entry.record, stage=Stage.DELIVER, verdict=str(report.verdict),
        quarantine_id=entry.queue_id, message_id=report.message_id,
    )  # fmt: skip


def quarantine_stuck(
    spool: Spool, store: QuarantineStore, settings: Settings, entry: SpoolEntry, seconds: float,
    *, request_link: bool = False,
) -> None:
    """The job of a worker killed at the time limit: notice only, the original kept whole, the
    notice to outgoing/ for the delivery process."""
    raw = spool.read_message(entry)
    result = quarantine_whole(
        raw, settings.sanitize, reason="time-limit",
        detail=f"sanitizing took longer than {settings.workers.time_limit_seconds:g} s",
        envelope=entry.record.envelope, quarantine_id=entry.queue_id, request_link=request_link,
    )  # fmt: skip
    metrics.SANITIZE_TIMEOUTS.inc()
    _account(result, seconds)
    record = keep(store, entry, raw, result)
    spool.requeue(entry, record, message=result.message)


class Worker:
    def __init__(
        self, settings: Settings, spool: Spool, store: QuarantineStore, transport: Transport,
        settler: Settler, slot: JobSlot, per_recipient: PerRecipient | None = None,
        extras: MailExtras | None = None,
    ) -> None:
        self._settings = settings
        self._spool = spool
        self._store = store
        self._transport = transport
        self._settler = settler
        self._slot = slot
        self._per_recipient = per_recipient  # request links: one copy per recipient
        self._extras = extras  # excerpts, password notices, safe copies sent by policy
        self._pause = 0.0
        self._stranded: list[SpoolEntry] = []  # could not even be put back (yet)

    def close(self) -> None:
        self._transport.close()

    def process(self, entry: SpoolEntry) -> None:
        """One mail, start to end. Raises what it cannot settle (see run())."""
        raw = self._spool.read_message(entry)
        started = time.perf_counter()
        result = sanitize(raw, self._settings.sanitize, envelope=entry.record.envelope,
                          quarantine_id=entry.queue_id,
                          request_link=self._per_recipient is not None,
                          excerpter=self._extras.excerpter if self._extras else None)  # fmt: skip
        _account(result, time.perf_counter() - started)
        result = self._password_notice(entry, raw, result)
        record = keep(self._store, entry, raw, result)
        self._slot.unlimit()
        recipients = pending_recipients(record)
        started = time.perf_counter()
        replies = send(self._transport, record, result.message, recipients, self._per_recipient)
        metrics.DELIVERY_SECONDS.observe(time.perf_counter() - started)
        self._settler.settle(entry, record, replies, result.message,
                             target=self._transport.description, replace_message=True)  # fmt: skip
        if self._extras is not None:  # after the text mail, never before it
            self._extras.after_delivery(entry.queue_id, result.report)

    def _password_notice(self, entry: SpoolEntry, raw: bytes, result: SanitizeResult
                         ) -> SanitizeResult:  # fmt: skip
        """The mail again with a note in its notice, when it is the password notice that
        opened an earlier mail's file. The trial is an extra with its own bounds, outside the
        time limit: it can never be why a mail is killed and quarantined whole."""
        if self._extras is None or result.report.verdict is Verdict.QUARANTINED_WHOLE:
            return result
        self._slot.unlimit()
        notes = self._extras.password_notes(entry.queue_id, entry.record.envelope, result.text)
        self._slot.begin(entry.queue_id)
        if not notes:
            return result
        excerpts = stored_excerpter(result.report.to_json(),
                                    self._settings.safecopy.excerpt_chars)  # fmt: skip
        return sanitize(raw, self._settings.sanitize, envelope=entry.record.envelope,
                        quarantine_id=entry.queue_id, request_link=self._per_recipient is not None,
                        excerpter=excerpts, notes=notes)  # fmt: skip

    def step(self) -> bool:
        """Claim and process one mail; False when there was none (or we must wait)."""
        if not self._return_stranded():
            return False
        try:
            entry = self._spool.claim(Queue.INCOMING)
        except OUR_FAULTS as exc:
            LOG.warning("cannot claim from incoming/: %s", exc)
            self._back_off()
            return False
        if entry is None:
            self._pause = 0.0  # idle now: wait for a ring, not for the back-off
            return False
        self._slot.begin(entry.queue_id)
        try:
            self.process(entry)
            self._pause = 0.0
        except OUR_FAULTS as exc:
            LOG.warning("%s goes back untouched: %s", entry.queue_id, exc)
            self._stranded.append(entry)
            self._return_stranded()
            self._back_off()
        except Exception as exc:  # the mail's: postponed, counted, the worker goes on
            LOG.exception("%s raised; postponing it", entry.queue_id)
            self._postpone(entry, f"{type(exc).__name__}: {exc}")
        finally:
            self._slot.end()
        return True

    def _back_off(self) -> None:
        self._pause = min(PAUSE_MAX_SECONDS, max(PAUSE_FIRST_SECONDS, self._pause * 2))

    def _postpone(self, entry: SpoolEntry, error: str) -> None:
        try:
            where = self._spool.postpone(entry, error, failure_delay(entry.record.failures))
        except OUR_FAULTS:
            self._stranded.append(entry)
            self._return_stranded()
            return
        log_event("postponed", entry.queue_id, queue=where, error=error[:300])

    def _return_stranded(self) -> bool:
        """Put back what a fault left in active/; True when nothing is left over."""
        while self._stranded:
            try:
                self._spool.put_back(self._stranded[0])
            except OUR_FAULTS:
                LOG.warning("cannot put %s back yet", self._stranded[0].queue_id)
                self._back_off()
                return False
            self._stranded.pop(0)
        return True

    def run(self, stop: StopFlag, wait: Callable[[float], object]) -> None:
        """Until `stop`: work while there is work; `wait(seconds)` idles until a ring."""
        while not stop.is_set:
            if self._pause:
                stop.wait(self._pause)
            if not self.step() and not self._pause:
                wait(IDLE_FALLBACK_SECONDS)
