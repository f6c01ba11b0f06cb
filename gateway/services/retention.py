"""The retention purge: mails past their keeping time go, with their items, releases and every
payload nothing else refers to. A mail whose release is under way stays until it is settled."""

from __future__ import annotations

import time
from dataclasses import dataclass

from gateway import metrics
from gateway.config import Settings
from gateway.quarantine import QuarantineRecord, QuarantineStore
from gateway.services import policy
from gateway.services.audit import record, store_errors
from gateway.services.principal import SYSTEM_HOUSEKEEPING

BATCH = 500
DAY = 86400.0


@dataclass(slots=True)
class PurgeResult:
    purged: int = 0
    blobs: int = 0
    bytes: int = 0
    kept_for_release: int = 0


class RetentionService:
    def __init__(self, settings: Settings, store: QuarantineStore) -> None:
        self._days = settings.retention.days
        self._store = store

    def expires_at(self, mail: QuarantineRecord) -> float:
        """An explicit expiry wins; else what [retention.days] gives the mail's parts."""
        if mail.expires_at is not None:
            return mail.expires_at
        days = policy.retention_days(self._days, mail)
        return mail.received_at + days * DAY

    def _remove(self, ids: list[str], result: PurgeResult) -> None:
        with store_errors(), self._store.transaction() as tx:
            busy = tx.releases.quarantine_ids_in_flight(ids)
            gone = [qid for qid in ids if qid not in busy]
            purged, blobs, size = tx.quarantine.remove(gone)
            if gone:
                record(tx, SYSTEM_HOUSEKEEPING, "quarantine.purge", "quarantine",
                       reason="retention", purged=gone, blobs_removed=blobs, bytes_removed=size)
        result.purged += purged
        result.blobs += blobs
        result.bytes += size
        result.kept_for_release += len(busy)
        metrics.QUARANTINE_PURGED.inc(purged)

    def purge(self, now: float | None = None) -> PurgeResult:
        now = time.time() if now is None else now
        result = PurgeResult()
        with store_errors(), self._store.snapshot() as tx:
            explicit = tx.quarantine.expired(now, BATCH)
        if explicit:
            self._remove(explicit, result)
        shortest = min(float(v) for v in self._days.model_dump().values())
        after: tuple[float, str] | None = None
        while True:
            with store_errors(), self._store.snapshot() as tx:
                batch = tx.quarantine.oldest(received_before=now - shortest * DAY, limit=BATCH,
                                             after=after)
            due = [mail.id for mail in batch if self.expires_at(mail) <= now]
            if due:
                self._remove(due, result)
            if len(batch) < BATCH:
                return result
            after = (batch[-1].received_at, batch[-1].id)
