"""The children of `mutaika serve`: what each process builds and runs, and what happens to the
job of a worker that died holding one. The one place where the parts are wired together."""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING

from gateway.config import Settings
from gateway.delivery.runner import serve_delivery
from gateway.delivery.settle import Settler
from gateway.delivery.transport import make_transport
from gateway.doorbell import DELIVERY, HOUSEKEEPING, WORKERS, Doorbell, Ringer
from gateway.log import configure_logging
from gateway.quarantine import QuarantineStore
from gateway.runtime import StopFlag, open_spool, open_store
from gateway.services.links import LinkedNotices, request_links
from gateway.spool import Queue, Spool
from gateway.spool.ids import set_node
from gateway.worker import JobSlot, Worker, quarantine_stuck

if TYPE_CHECKING:
    from gateway.services.mail_extras import MailExtras


def make_settler(settings: Settings, spool: Spool) -> Settler:
    """The release hook writes each attempt's per-recipient results on the release (the store
    connects on first use, so a process that never delivers a release never opens it), and
    tells the staff member who asked for it when it is delivered or failed."""
    from gateway.services.container import delivery_ringer
    from gateway.services.notify import Notifier
    from gateway.services.release_outcome import ReleaseOutcomes

    notify = Notifier(settings, spool, delivery_ringer(settings))
    return Settler(
        spool, settings.delivery, settings.smtp.hostname,
        on_release=ReleaseOutcomes(open_store(settings), notify),
        dsn_enabled=bool(settings.delivery.dsn_relay_url),
    )  # fmt: skip


def _start(settings: Settings) -> None:
    """What every child does first: its log format, and its node in the queue IDs it makes."""
    configure_logging(settings.log_level)
    set_node(settings.node_name)


def per_recipient(settings: Settings) -> LinkedNotices | None:
    """With console.public_url set, each recipient gets the notice with their own link."""
    links = request_links(settings)
    return LinkedNotices(links) if links is not None else None


def smtp_process(settings: Settings, sock: socket.socket) -> None:
    from gateway.smtp.server import run_listener_process

    set_node(settings.node_name)
    run_listener_process(settings, sock)


def worker_process(settings: Settings, slot: JobSlot) -> None:
    """A worker's main. An exception that escapes the worker's own handling ends the process
    with the job still in the slot: the supervisor puts it back, its crash counted."""
    _start(settings)
    spool = open_spool(settings)
    store = open_store(settings)
    transport = make_transport(settings.delivery.relay_url, settings.delivery,
                               local_hostname=settings.smtp.hostname, connections=1)  # fmt: skip
    worker = Worker(settings, spool, store, transport, make_settler(settings, spool), slot,
                    per_recipient(settings), mail_extras(settings, store, spool))  # fmt: skip
    bell = Doorbell(settings.data_dir, WORKERS)
    try:
        worker.run(StopFlag().install(), bell.wait)
    finally:
        bell.close()
        worker.close()
        store.close()


def mail_extras(settings: Settings, store: QuarantineStore, spool: Spool) -> MailExtras:
    """Excerpts, password notices and "attach" safe copies (issue 11). The converters' fork
    server starts now, not on the first mail with a document (~0.5 s)."""
    from gateway.services.mail_extras import MailExtras

    extras = MailExtras(settings, store, spool)
    if extras.excerpter is not None:
        extras.runner.warm()
    return extras


def delivery_process(settings: Settings) -> None:
    _start(settings)
    spool = open_spool(settings)
    asyncio.run(serve_delivery(settings, spool, make_settler(settings, spool),
                               per_recipient(settings)))  # fmt: skip


def api_process(settings: Settings, sock: socket.socket) -> None:
    from gateway.serve.web import run_api

    _start(settings)
    run_api(settings, sock)


def housekeeping_process(settings: Settings) -> None:
    from gateway.services.container import Services
    from gateway.services.housekeeping import STOP_CHECK_SECONDS, Housekeeper

    configure_logging(settings.log_level)
    stop = StopFlag().install()
    store = open_store(settings)
    keeper = Housekeeper(Services.build(settings, store, open_spool(settings)))
    bell = Doorbell(settings.data_dir, HOUSEKEEPING)  # a worker filed safe copies to make
    rung = False
    try:
        while not stop.is_set:
            keeper.tick(rung=rung)
            rung = bell.wait(STOP_CHECK_SECONDS)
    finally:
        bell.close()
        store.close()


def settle_dead_job(settings: Settings, queue_id: str, seconds: float | None) -> None:
    """In the supervisor, once the worker is surely gone. seconds set: it was killed at the
    time limit → the mail is quarantined whole and its notice queued. seconds None: it died on
    its own → the mail goes back with the crash counted (a poison mail ends in shunt/)."""
    spool = open_spool(settings)
    if seconds is None:
        spool.return_crashed(Queue.ACTIVE, queue_id)
        return
    entry = spool.get(Queue.ACTIVE, queue_id)
    if entry is None:  # the worker finished just before the kill
        return
    if entry.damaged:  # nothing to quarantine: shunted with the reason
        spool.return_crashed(Queue.ACTIVE, queue_id)
        return
    store = open_store(settings)
    try:
        quarantine_stuck(spool, store, settings, entry, seconds,
                         request_link=bool(settings.console.public_url))  # fmt: skip
    finally:
        store.close()
    ringer = Ringer(settings.data_dir, DELIVERY)
    ringer.ring()
    ringer.close()
