"""The delivery process: lanes that claim outgoing/ and relay, a scanner that wakes deferred/.

Each lane runs one transaction at a time, so delivery.connections lanes keep the SMTP pool busy.
Spool calls fsync, so they run in threads and never stall the other lanes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time

from gateway import metrics
from gateway.config import Settings
from gateway.delivery.dsn import build_dsn
from gateway.delivery.outcome import Outcome, apply_replies, pending_recipients
from gateway.delivery.reply import Reply, all_recipients, transient
from gateway.delivery.transport import Transport, make_transport
from gateway.doorbell import DELIVERY, Doorbell
from gateway.errors import SpoolError
from gateway.log import configure_logging, log_event
from gateway.runtime import IDLE_FALLBACK_SECONDS, open_spool
from gateway.spool.layout import SENDING
from gateway.spool.recover import requeue_claimed, return_claim
from gateway.spool.store import Spool, SpoolEntry

LOG = logging.getLogger(__name__)
SPOOL_ERRORS = (OSError, SpoolError)
SETTLE_TRIES = 2
REST_SECONDS = 1.0
DEFERRED_SCAN_SECONDS = 0.5
ERROR_PAUSE_SECONDS = 1.0
COUNT_SECONDS = 5.0  # mutaika_spool_messages; a listing of every queue, so not on every scan


class DeliveryRunner:
    def __init__(
        self,
        settings: Settings,
        spool: Spool,
        transport: Transport,
        dsn_transport: Transport | None = None,
    ) -> None:
        self._settings = settings
        self._spool = spool
        self._transport = transport
        self._dsn_transport = dsn_transport
        self.stopping = asyncio.Event()
        self._work = asyncio.Event()
        self._rung = asyncio.Event()  # new mail in outgoing/: a worker rang, or a retry is due
        self.failed = False  # the spool refused even to take a mail back: restart the process

    async def run(self, bell: Doorbell | None = None) -> None:
        loop = asyncio.get_running_loop()
        if bell is not None:
            loop.add_reader(bell.fileno(), self._on_ring, bell)
        lanes = [
            asyncio.create_task(self._lane(leader=n == 0))
            for n in range(self._settings.delivery.connections)
        ]
        scanner = asyncio.create_task(self._scan_deferred())
        try:
            await asyncio.gather(*lanes, scanner)
        finally:
            if bell is not None:
                loop.remove_reader(bell.fileno())
            await self.close()

    def _on_ring(self, bell: Doorbell) -> None:
        bell.drain()
        self._rung.set()

    async def close(self) -> None:
        """Close the connections (QUIT on pooled SMTP sessions)."""
        await self._transport.close()
        if self._dsn_transport is not None:
            await self._dsn_transport.close()

    def stop(self) -> None:
        """Lanes finish the mail in hand, then return; resting lanes are woken to see it."""
        self.stopping.set()
        self._work.set()
        self._rung.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    async def _scan_deferred(self) -> None:
        """Wake deferred mail whose time came; refresh the spool gauges now and then."""
        last_count = 0.0
        while not self.stopping.is_set():
            try:
                if await asyncio.to_thread(self._spool.due_deferred, time.time()):
                    self._rung.set()
                if time.monotonic() - last_count >= COUNT_SECONDS:
                    last_count = time.monotonic()
                    await asyncio.to_thread(self._spool.counts)
            except SPOOL_ERRORS:
                LOG.exception("scanning the spool failed; trying again")
            await self._sleep(DEFERRED_SCAN_SECONDS)

    async def _idle(self, leader: bool) -> None:
        """Only the leader waits for a ring (cleared after the wait, so a ring that came while
        it was claiming is not lost); the others rest until it finds work, so an idle gateway
        does not list outgoing/ delivery.connections times per ring."""
        if leader:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._rung.wait(), IDLE_FALLBACK_SECONDS)
            self._rung.clear()
            return
        self._work.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._work.wait(), REST_SECONDS)

    async def _lane(self, leader: bool) -> None:
        while not self.stopping.is_set():
            try:
                entry = await asyncio.to_thread(self._spool.claim, "outgoing")
            except SPOOL_ERRORS:
                LOG.exception("claiming from outgoing/ failed; trying again")
                await self._sleep(ERROR_PAUSE_SECONDS)
                continue
            if entry is None:
                await self._idle(leader)
                continue
            self._work.set()  # found one: there may be more, wake the resting lanes
            try:
                await self.deliver(entry)
            except Exception:  # a bug before or in the send: retry the mail later, as a 4xx
                LOG.exception("delivery of %s failed unexpectedly", entry.queue_id)
                replies = all_recipients(
                    pending_recipients(entry.record), transient("internal error")
                )
                outcome = apply_replies(entry.record, replies, time.time(), self._settings.delivery)
                await self.settle(entry, outcome)

    async def settle(self, entry: SpoolEntry, outcome: Outcome) -> bool:
        """Record the outcome, trying again once; False when the spool would not take it.

        Then the entry goes back to outgoing/ at once rather than waiting in sending/ for a
        restart, its record first updated in place if the disk allows it, so recipients that
        got the mail in this attempt are not sent it again. Should even that rename fail, the
        process stops and is restarted (requeue_sending() at its start): the other lanes finish
        their mail first, where exiting at once would cut their transactions and send twice.
        """
        for attempt in range(SETTLE_TRIES):
            try:
                await asyncio.to_thread(self._settle, entry, outcome)
                return True
            except Exception:  # the disk, or a bug: neither may kill the lane
                LOG.exception("recording the outcome of %s failed", entry.queue_id)
                if attempt + 1 < SETTLE_TRIES:
                    await self._sleep(ERROR_PAUSE_SECONDS)
        try:
            await asyncio.to_thread(self._give_back, entry, outcome)
        except OSError:
            LOG.exception("%s stuck in sending/: restarting delivery", entry.queue_id)
            self.failed = True
            self.stop()
        return False

    def _give_back(self, entry: SpoolEntry, outcome: Outcome) -> None:
        try:
            self._spool.move(entry, SENDING, record=outcome.record)
        except Exception:  # best effort: without it the delivered recipients get it twice
            LOG.exception("could not record the outcome of %s in sending/", entry.queue_id)
        return_claim(
            self._spool.root, SENDING, entry.queue_id,
            durable=self._settings.spool.fsync, event="requeued",
        )  # fmt: skip

    async def deliver(self, entry: SpoolEntry) -> None:
        record = entry.record
        recipients = pending_recipients(record)
        message = await asyncio.to_thread(self._spool.read_message, entry)
        started = time.perf_counter()
        replies: dict[str, Reply] = {}
        if recipients:
            replies = await self._transport.send(record.envelope.mail_from, recipients, message)
        metrics.DELIVERY_SECONDS.observe(time.perf_counter() - started)
        outcome = apply_replies(record, replies, time.time(), self._settings.delivery)
        # from here on nothing may send again: a failure is handled with this outcome
        if await self.settle(entry, outcome) and outcome.newly_failed:
            await self._bounce(entry, outcome.newly_failed, message)

    def _settle(self, entry: SpoolEntry, outcome: Outcome) -> None:
        qid = entry.queue_id
        target = self._transport.description
        if outcome.action == "remove":
            self._spool.remove(entry)
            metrics.DELIVERY_ATTEMPTS.labels("delivered").inc()
            received = entry.record.envelope.received_at or entry.record.created_at
            if received:
                metrics.END_TO_END_SECONDS.observe(max(0.0, time.time() - received))
            log_event("delivered", qid, to=outcome.delivered, relay=target)
        elif outcome.action == "defer":
            self._spool.move(entry, "deferred", record=outcome.record)
            metrics.DELIVERY_ATTEMPTS.labels("deferred").inc()
            log_event(
                "deferred",
                qid,
                delivered=outcome.delivered or None,
                deferred=outcome.deferred,
                next_attempt_at=round(outcome.record.next_attempt_at, 3),
                reply=outcome.record.last_error,
                relay=target,
            )
        else:
            self._spool.move(entry, "failed", record=outcome.record)
            metrics.DELIVERY_ATTEMPTS.labels("failed").inc()
            log_event(
                "failed",
                qid,
                delivered=outcome.delivered or None,
                failed={r: str(reply) for r, reply in outcome.newly_failed.items()},
                relay=target,
            )

    async def _bounce(self, entry: SpoolEntry, failed: dict[str, Reply], message: bytes) -> None:
        """Best effort, once: a DSN must never hold up or endanger the mail itself."""
        sender = entry.record.envelope.mail_from
        if self._dsn_transport is None or not sender:  # never bounce to the null sender <>
            return
        try:
            await self._send_dsn(self._dsn_transport, entry, sender, failed, message)
        except Exception:  # the mail is settled already: a failed DSN is only logged
            LOG.exception("the DSN for %s to %s failed", entry.queue_id, sender)

    async def _send_dsn(
        self,
        transport: Transport,
        entry: SpoolEntry,
        sender: str,
        failed: dict[str, Reply],
        message: bytes,
    ) -> None:
        dsn = build_dsn(
            queue_id=entry.queue_id,
            sender=sender,
            failed=failed,
            message=message,
            reporting_mta=self._settings.smtp.hostname,
            dsn_from=self._settings.delivery.dsn_from,
            remote_mta=self._transport.description,
        )
        replies = await transport.send("", [sender], dsn)
        reply = replies.get(sender)
        log_event("dsn", entry.queue_id, to=sender, reply=str(reply) if reply else None)


def build_runner(settings: Settings, spool: Spool) -> DeliveryRunner:
    hostname = settings.smtp.hostname
    delivery = settings.delivery
    transport = make_transport(delivery.relay_url, delivery, local_hostname=hostname)
    dsn_transport = None
    if delivery.dsn_relay_url:
        dsn_transport = make_transport(
            delivery.dsn_relay_url, delivery, local_hostname=hostname, connections=1
        )
    return DeliveryRunner(settings, spool, transport, dsn_transport)


def requeue_sending(spool: Spool, *, durable: bool) -> int:
    """Put back what a previous delivery process held when it died. Safe only because there is
    exactly one delivery process and it has not claimed anything yet."""
    return requeue_claimed(spool.root, durable=durable, claimed_queues=(SENDING,))


async def serve_delivery(settings: Settings) -> None:
    spool = open_spool(settings)
    requeue_sending(spool, durable=settings.spool.fsync)
    runner = build_runner(settings, spool)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, runner.stop)
    bell = Doorbell(settings.data_dir, DELIVERY)
    try:
        await runner.run(bell)
    finally:
        bell.close()
    if runner.failed:
        raise SystemExit(1)


def run_delivery_process(settings: Settings) -> None:
    configure_logging(settings.log_level)
    asyncio.run(serve_delivery(settings))
