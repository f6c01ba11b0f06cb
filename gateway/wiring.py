"""Which children `serve` runs, and what happens to the job of a worker that died holding one."""

from __future__ import annotations

import logging

from gateway.api.main import run_api_process
from gateway.config import Settings
from gateway.delivery.runner import run_delivery_process
from gateway.runtime import open_quarantine, open_spool
from gateway.smtp.server import run_listener_process
from gateway.spool.layout import ACTIVE
from gateway.spool.recover import return_claim
from gateway.supervisor import Supervisor
from gateway.worker import JobSlot, ProcessContext, quarantine_stuck, run_worker_process

LOG = logging.getLogger(__name__)


def add_children(supervisor: Supervisor, ctx: ProcessContext, settings: Settings) -> None:
    """Recover the spool first (nothing else runs yet), then declare every child."""
    open_spool(settings).prepare()
    store = open_quarantine(settings)
    store.prepare()
    store.close()
    for n in range(settings.smtp.listeners):
        supervisor.add(f"smtp-{n}", run_listener_process, settings)
    for n in range(settings.workers.processes):
        slot = JobSlot(ctx)
        supervisor.add(f"worker-{n}", run_worker_process, settings, slot, slot=slot)
    supervisor.add("delivery", run_delivery_process, settings)
    if settings.api.enabled:
        supervisor.add("api", run_api_process, settings)


def settle_dead_job(settings: Settings, queue_id: str, seconds: float | None) -> None:
    """seconds set: the worker was killed at the time limit → quarantine whole, to outgoing/.
    seconds None: the worker died on its own → back to incoming/, the attempt count kept, so a
    mail that crashes every worker ends in shunt/ instead of looping."""
    spool = open_spool(settings)
    entry = spool.entry(ACTIVE, queue_id)
    if entry is None:  # the worker finished the move just before it died
        return
    if seconds is None:  # the worker died: the mail goes back, its crash counter kept
        return_claim(spool.root, ACTIVE, queue_id, durable=settings.spool.fsync, event="requeued")
        return
    store = open_quarantine(settings)
    try:
        quarantine_stuck(spool, store, settings, entry, seconds)
    finally:
        store.close()
