"""The delivery process: what a worker's first delivery left for later.

Lanes claim outgoing/ (retries whose time came, releases, notices of mails killed at the time
limit, DSNs) and send; a scanner moves due entries out of deferred/. Each lane runs one
transaction at a time, so delivery.connections lanes keep the SMTP pool busy. Spool calls
fsync, so they run in threads and never stall the other lanes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from gateway import metrics
from gateway.config import Settings
from gateway.delivery.outcome import pending_recipients
from gateway.delivery.reply import Reply
from gateway.delivery.retry import failure_delay
from gateway.delivery.send import PerRecipient, send
from gateway.delivery.settle import Settler
from gateway.delivery.transport import Transport, make_transport
from gateway.doorbell import DELIVERY, WORKERS, Doorbell, Ringer
from gateway.errors import SpoolError
from gateway.quarantine import StoreUnavailable
from gateway.runtime import IDLE_FALLBACK_SECONDS
from gateway.spool import Queue, Route, Spool, SpoolEntry

LOG = logging.getLogger(__name__)
# Faults of ours: the mail goes back untouched and uncounted.
OUR_FAULTS = (OSError, SpoolError, StoreUnavailable)
REST_SECONDS = 1.0
DEFERRED_SCAN_SECONDS = 0.5
ERROR_PAUSE_SECONDS = 1.0


class DeliveryRunner:
    def __init__(
        self, settings: Settings, spool: Spool, settler: Settler,
        transports: dict[Route, Transport], *, wake_workers: Callable[[], None] | None = None,
        per_recipient: PerRecipient | None = None,
    ) -> None:
        self._settings = settings
        self._spool = spool
        self._settler = settler
        self._transports = transports
        self._wake_workers = wake_workers
        self._per_recipient = per_recipient
        # the transports block: one thread per lane, so no lane waits for another's peer
        self._executor = ThreadPoolExecutor(settings.delivery.connections + 1, "delivery")
        self.stopping = asyncio.Event()
        self._work = asyncio.Event()
        self._rung = asyncio.Event()  # new mail in outgoing/: someone rang, or a retry is due

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
        for transport in self._transports.values():
            await asyncio.to_thread(transport.close)
        self._executor.shutdown(wait=False)

    def stop(self) -> None:
        """Lanes finish the mail in hand, then return; resting lanes are woken to see it."""
        self.stopping.set()
        self._work.set()
        self._rung.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    async def _scan_deferred(self) -> None:
        while not self.stopping.is_set():
            try:
                woken = await asyncio.to_thread(self._spool.wake_due, time.time())
            except OUR_FAULTS:
                LOG.exception("scanning deferred/ failed; trying again")
            else:
                if woken[Queue.OUTGOING]:
                    self._rung.set()
                if woken[Queue.INCOMING] and self._wake_workers is not None:
                    self._wake_workers()
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
                entry = await asyncio.to_thread(self._spool.claim, Queue.OUTGOING)
            except OUR_FAULTS:
                LOG.exception("claiming from outgoing/ failed; trying again")
                await self._sleep(ERROR_PAUSE_SECONDS)
                continue
            if entry is None:
                await self._idle(leader)
                continue
            self._work.set()  # found one: there may be more, wake the resting lanes
            await self.deliver(entry)

    async def deliver(self, entry: SpoolEntry) -> None:
        """Send one claimed entry and settle it; whatever happens, the lane goes on."""
        try:
            message = await asyncio.to_thread(self._spool.read_message, entry)
            transport = self._transports[entry.record.route]
            recipients = pending_recipients(entry.record)
            replies: dict[str, Reply] = {}
            if recipients:
                started = time.perf_counter()
                replies = await asyncio.get_running_loop().run_in_executor(
                    self._executor, send, transport, entry.record, message, recipients,
                    self._per_recipient,
                )  # fmt: skip
                metrics.DELIVERY_SECONDS.observe(time.perf_counter() - started)
            await asyncio.to_thread(
                self._settler.settle, entry, entry.record, replies, message,
                target=transport.description,
            )  # fmt: skip
        except OUR_FAULTS:
            LOG.exception("delivery of %s hit a fault of ours; it goes back", entry.queue_id)
            await self._give_back(entry)
        except Exception as exc:  # a bug, or this mail trips one: retry it later, counted
            LOG.exception("delivery of %s failed unexpectedly", entry.queue_id)
            error = f"{type(exc).__name__}: {exc}"
            try:
                delay = failure_delay(entry.record.failures)
                await asyncio.to_thread(self._spool.postpone, entry, error, delay)
            except OUR_FAULTS:
                await self._give_back(entry)

    async def _give_back(self, entry: SpoolEntry) -> None:
        try:
            await asyncio.to_thread(self._spool.put_back, entry)
        except OUR_FAULTS:  # it waits in sending/ for the next start of this process
            LOG.exception("%s stays in sending/ until delivery restarts", entry.queue_id)
        await self._sleep(ERROR_PAUSE_SECONDS)


def build_runner(
    settings: Settings, spool: Spool, settler: Settler,
    wake_workers: Callable[[], None] | None = None, per_recipient: PerRecipient | None = None,
) -> DeliveryRunner:
    hostname = settings.smtp.hostname
    delivery = settings.delivery
    transports = {Route.RELAY: make_transport(delivery.relay_url, delivery,
                                              local_hostname=hostname)}  # fmt: skip
    if delivery.dsn_relay_url:
        transports[Route.DSN] = make_transport(
            delivery.dsn_relay_url, delivery, local_hostname=hostname, connections=1
        )
    return DeliveryRunner(settings, spool, settler, transports, wake_workers=wake_workers,
                          per_recipient=per_recipient)  # fmt: skip


async def serve_delivery(
    settings: Settings, spool: Spool, settler: Settler, per_recipient: PerRecipient | None = None
) -> None:
    """The delivery process's main: until SIGTERM. It is the only process that claims
    outgoing/, so what a previous run of it left in sending/ goes back first."""
    spool.return_claims(Queue.SENDING)
    workers = Ringer(settings.data_dir, WORKERS)
    runner = build_runner(settings, spool, settler, workers.ring, per_recipient)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, runner.stop)
    bell = Doorbell(settings.data_dir, DELIVERY)
    try:
        await runner.run(bell)
    finally:
        bell.close()
        workers.close()
