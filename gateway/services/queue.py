"""The spool as operators see it: list the queues that need a person, retry, delete; audited.

A release's mail keeps its release in step: deleting it fails the release with the reason,
retrying it puts the release back to queued.
"""

from __future__ import annotations

import time

from gateway.errors import SpoolError
from gateway.quarantine import QuarantineStore, ReleaseState
from gateway.services.audit import Guard, record, store_errors
from gateway.services.errors import Invalid, NotFound, Unavailable
from gateway.services.principal import Action, Principal
from gateway.spool import Queue, Spool, SpoolEntry

S = ReleaseState
OPERATOR_QUEUES = (Queue.DEFERRED, Queue.FAILED, Queue.SHUNT)
MAX_LIMIT = 1000


def operator_queue(name: str) -> Queue:
    try:
        queue = Queue(name)
    except ValueError:
        queue = None
    if queue not in OPERATOR_QUEUES:
        raise NotFound(f"no queue {name!r}: one of {', '.join(OPERATOR_QUEUES)}")
    assert queue is not None
    return queue


class QueueService:
    def __init__(self, store: QuarantineStore, spool: Spool, guard: Guard) -> None:
        self._store = store
        self._spool = spool
        self._guard = guard

    def entries(self, principal: Principal, queue: str, *, limit: int = 100, after: str = ""
                ) -> list[SpoolEntry]:  # fmt: skip
        self._guard.check(principal, Action.QUEUE_LIST, queue)
        if not 1 <= limit <= MAX_LIMIT:
            raise Invalid(f"limit is 1 to {MAX_LIMIT}")
        return self._spool.entries(operator_queue(queue), limit=limit, after=after)

    def get(self, principal: Principal, queue: str, queue_id: str) -> SpoolEntry:
        self._guard.check(principal, Action.QUEUE_LIST, f"{queue}/{queue_id}")
        entry = self._spool.get(operator_queue(queue), queue_id)
        if entry is None:
            raise NotFound(f"no {queue_id!r} in {queue}")
        return entry

    def retry(self, principal: Principal, queue: str, queue_id: str) -> SpoolEntry:
        self._guard.check(principal, Action.QUEUE_RETRY, f"{queue}/{queue_id}")
        try:
            moved = self._spool.retry_now(operator_queue(queue), queue_id)
        except SpoolError as error:
            raise Unavailable(f"the spool cannot retry it now: {error}") from error
        if moved is None:
            raise NotFound(f"no {queue_id!r} in {queue} (delivered or moved meanwhile?)")
        release_id = moved.record.release_id
        now = time.time()
        with store_errors(), self._store.transaction() as tx:
            if release_id and tx.releases.update(
                release_id, {S.FAILED, S.PARTIALLY_DELIVERED}, state=S.QUEUED, updated_at=now,
                queue_id=queue_id,
            ):
                tx.releases.add_event(release_id, at=now, actor=principal.name,
                                      from_state="failed", to_state=S.QUEUED,
                                      comment=f"queue entry {queue_id} retried")
            record(tx, principal, "queue.retry", f"{queue}/{queue_id}",
                   release_id=release_id or None)
        return moved

    def delete(self, principal: Principal, queue: str, queue_id: str, reason: str = "") -> None:
        self._guard.check(principal, Action.QUEUE_DELETE, f"{queue}/{queue_id}")
        entry = self._spool.get(operator_queue(queue), queue_id)
        if entry is None:
            raise NotFound(f"no {queue_id!r} in {queue}")
        try:
            deleted = self._spool.delete(entry.queue, queue_id)
        except SpoolError as error:
            raise Unavailable(f"the spool cannot delete it now: {error}") from error
        if not deleted:
            raise NotFound(f"no {queue_id!r} in {queue} (moved meanwhile?)")
        release_id = entry.record.release_id
        now = time.time()
        with store_errors(), self._store.transaction() as tx:
            release = tx.releases.get(release_id, events=False) if release_id else None
            why = f"its mail {queue_id} was deleted from {queue} by {principal.name}"
            if release is not None and release.queue_id == queue_id and tx.releases.update(
                release.id, {S.QUEUED, S.APPROVED}, state=S.FAILED, updated_at=now
            ):
                tx.releases.add_event(release.id, at=now, actor=principal.name,
                                      from_state=release.state, to_state=S.FAILED, comment=why)
            record(tx, principal, "queue.delete", f"{queue}/{queue_id}", reason=reason[:2000],
                   release_id=release_id or None, sender=entry.record.envelope.mail_from,
                   recipients=entry.record.envelope.rcpt_tos)
