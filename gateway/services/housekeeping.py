"""The housekeeping child of `mutaika serve`: request expiry, reconciling releases a crash left
"approved", the retention purge on its own interval, a round of the watch over the audit chain
(gateway.quarantine.audit_check), whose result /metrics reports; and, when a worker rings, the
safe copies policy "attach" sends (made here, so no worker spends a mail's time on them)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from gateway.quarantine import StoreUnavailable
from gateway.services.container import Services
from gateway.services.errors import ServiceError

LOG = logging.getLogger(__name__)
TICK_SECONDS = 30.0
STOP_CHECK_SECONDS = 1.0  # the longest wait for a ring, so a stop is seen within a second
# An approved release untouched this long was not in the middle of its enqueue (milliseconds):
# whatever left it approved is gone.
RECONCILE_GRACE_SECONDS = 60.0
# Audit entries read per round (about 0.1 s of hashing): what was appended since the last round,
# then the rolling re-check of older entries.
AUDIT_CHECK_BUDGET = 5000


class Housekeeper:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._interval = services.settings.retention.purge_interval_seconds
        self._next_purge = 0.0
        self._next_round = 0.0

    def tick(self, now: float | None = None, *, rung: bool = False) -> None:
        """A round every TICK_SECONDS (called more often, it waits); the "attach" safe copies
        also when a worker rang. A fault (the store away, a bug) is logged and the next round
        tries again."""
        now = time.time() if now is None else now
        if rung or now >= self._next_round:
            self._guarded(self._services.safecopy.queue_attached)
        if now < self._next_round:
            return
        self._next_round = now + TICK_SECONDS
        self._guarded(lambda: self._round(now))

    def _guarded(self, step: Callable[[], object]) -> None:
        try:
            step()
        except (ServiceError, StoreUnavailable) as error:
            LOG.warning("housekeeping: %s", error)
        except Exception:
            LOG.exception("housekeeping failed; trying again next round")

    def _round(self, now: float) -> None:
        releases = self._services.releases
        if expired := releases.expire_due(now):
            LOG.info("%d release requests expired", expired)
        if queued := releases.reconcile(now - RECONCILE_GRACE_SECONDS):
            LOG.info("%d approved releases queued after a restart", queued)
        if now >= self._next_purge:
            # one node purges at a time: several on one PostgreSQL store take turns
            with self._services.store.exclusive("mutaika-retention-purge") as mine:
                result = self._services.retention.purge(now) if mine else None
            self._next_purge = now + self._interval
            if result is None:
                LOG.debug("another node is purging; skipped this round")
            elif result.purged or result.kept_for_release:
                LOG.info("retention: %d mails purged (%d payloads, %d bytes), %d kept for "
                         "a release under way", result.purged, result.blobs, result.bytes,
                         result.kept_for_release)
        before, after = self._services.audit.check_chain(now=now, budget=AUDIT_CHECK_BUDGET)
        if before.ok and not after.ok:
            LOG.error("the audit chain is broken at entry %s: %s", after.bad_seq,
                      after.problem)  # fmt: skip
