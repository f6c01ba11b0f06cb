"""/api/v1/status: one look at the gateway (version, uptime, queues, last delivery error,
today's mail by verdict, releases by state)."""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field

from gateway import __version__
from gateway.quarantine import QuarantineStore
from gateway.services.audit import Guard, store_errors
from gateway.services.principal import Action, Principal
from gateway.spool import Queue, Spool

LAST_ERROR_SCAN = 500  # entries of deferred/ and failed/ looked at for the last error
LAST_ERROR_WINDOW = 86400.0


@dataclass(slots=True)
class QueueState:
    messages: int
    bytes: int
    oldest_age_seconds: float


@dataclass(slots=True)
class DeliveryError:
    queue: str
    queue_id: str
    error: str


@dataclass(slots=True)
class Status:
    version: str
    started_at: float
    uptime_seconds: float
    queues: dict[str, QueueState]
    last_delivery_error: DeliveryError | None
    today_by_verdict: dict[str, int] = field(default_factory=dict)
    releases_by_state: dict[str, int] = field(default_factory=dict)


def start_of_today(now: float) -> float:
    """Local midnight: "today" as the staff in the town hall count it."""
    local = datetime.datetime.fromtimestamp(now).astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


class StatusService:
    def __init__(self, store: QuarantineStore, spool: Spool, guard: Guard, started_at: float
                 ) -> None:  # fmt: skip
        self._store = store
        self._spool = spool
        self._guard = guard
        self._started_at = started_at

    def _errors(self, now: float, limit: int) -> list[DeliveryError]:
        """The errors of the newest mails in deferred/ or failed/ that have one, among those of
        the last day (queue IDs sort by arrival, so older files are not even opened)."""
        since = f"{int((now - LAST_ERROR_WINDOW) * 1000):011X}"
        found = [DeliveryError(str(queue), entry.queue_id, entry.record.last_error)
                 for queue in (Queue.DEFERRED, Queue.FAILED)
                 for entry in self._spool.entries(queue, limit=LAST_ERROR_SCAN, after=since)
                 if entry.record.last_error]  # fmt: skip
        return sorted(found, key=lambda e: e.queue_id, reverse=True)[:limit]

    def recent_errors(self, principal: Principal, limit: int = 10) -> list[DeliveryError]:
        """The console's dashboard: the newest delivery errors of the last day."""
        self._guard.check(principal, Action.STATUS, "status")
        return self._errors(time.time(), limit)

    def status(self, principal: Principal) -> Status:
        self._guard.check(principal, Action.STATUS, "status")
        now = time.time()
        queues = {
            str(q): QueueState(s.messages, s.bytes, max(0.0, now - s.oldest_at) if s.oldest_at
                               else 0.0)
            for q, s in self._spool.stats().items()
        }
        with store_errors(), self._store.snapshot() as tx:
            verdicts = tx.quarantine.count_by_verdict(start_of_today(now))
            releases = tx.releases.count_by_state()
        last = self._errors(now, 1)
        return Status(__version__, self._started_at, now - self._started_at, queues,
                      last[0] if last else None, verdicts, releases)
