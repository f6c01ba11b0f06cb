"""Putting a release's mail into the spool, and writing down that it is there.

Order, always: the durable enqueue first, then "queued" with the queue ID in the store. The
reverse could record "queued" for a mail that never entered the queue.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from gateway.config import Settings
from gateway.errors import SpoolError
from gateway.log import log_event
from gateway.pipeline.excerpts import stored_excerpter
from gateway.quarantine import QuarantineStore, ReleaseRecord, ReleaseState
from gateway.safecopy import SafeCopyRunner
from gateway.services.audit import record, store_errors
from gateway.services.errors import Conflict, NotFound, Unavailable
from gateway.services.principal import SYSTEM_HOUSEKEEPING, Principal
from gateway.services.release_mail import items_release, original_release
from gateway.services.safecopy_mail import safecopy_release
from gateway.spool import Queue, Spool
from gateway.types import Envelope

LOG = logging.getLogger(__name__)
S = ReleaseState
RELEASE_VERDICT = "released"
_SEARCHED = (Queue.OUTGOING, Queue.SENDING, Queue.DEFERRED, Queue.FAILED, Queue.SHUNT)


class ReleaseSender:
    def __init__(
        self, settings: Settings, store: QuarantineStore, spool: Spool, ring: Callable[[], None],
        runner: SafeCopyRunner | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._spool = spool
        self._ring = ring
        self._runner = runner or SafeCopyRunner(settings.safecopy)

    def _message(self, release: ReleaseRecord) -> bytes:
        with store_errors(), self._store.snapshot() as tx:
            mail = tx.quarantine.get(release.quarantine_id)
            if mail is None:
                raise NotFound(f"quarantined mail {release.quarantine_id} is gone")
            original = tx.quarantine.blob(mail.original_sha256)
            chosen = [(item, tx.quarantine.blob(item.sha256)) for item in mail.items
                      if item.index in release.items]  # fmt: skip
        if original is None or any(payload is None for _, payload in chosen):
            raise NotFound(f"the payloads of {release.quarantine_id} are gone")
        if release.what == "original":
            return original_release(original, release.id)
        found = [(item, payload or b"") for item, payload in chosen]
        if release.what == "safecopy":
            return safecopy_release(original, mail, release.id, self._settings, self._runner,
                                    found)  # fmt: skip
        envelope = Envelope(mail.sender, mail.recipients, received_at=mail.received_at)
        excerpter = stored_excerpter(mail.report, self._settings.safecopy.excerpt_chars)
        return items_release(original, envelope, mail.id, release.id, self._settings.sanitize,
                             found, excerpter)  # fmt: skip

    def _enqueue(self, release: ReleaseRecord, recipients: Sequence[str]) -> str:
        """The durable step. The null sender: a release that fails is reported on the release,
        never bounced to the internet side."""
        message = self._message(release)
        try:
            queue_id = self._spool.enqueue(message, Envelope("", list(recipients)),
                                           release_id=release.id,
                                           quarantine_id=release.quarantine_id,
                                           verdict=RELEASE_VERDICT)  # fmt: skip
        except SpoolError as error:
            raise Unavailable(f"the spool cannot take the release now: {error}") from error
        log_event("release-queued", queue_id, release_id=release.id,
                  quarantine_id=release.quarantine_id, to=list(recipients))  # fmt: skip
        return queue_id

    def _mark_queued(
        self, release: ReleaseRecord, queue_id: str, principal: Principal, action: str,
        comment: str = "",
    ) -> None:
        now = time.time()
        with store_errors(), self._store.transaction() as tx:
            current = tx.releases.get(release.id)
            if current is None or not tx.releases.update(
                release.id, {release.state}, state=S.QUEUED, queue_id=queue_id, updated_at=now
            ):  # the delivery hook already reported on it (a crash left it "approved")
                return
            tx.releases.add_event(release.id, at=now, actor=principal.name,
                                  from_state=release.state, to_state=S.QUEUED,
                                  comment=comment or f"queue ID {queue_id}")  # fmt: skip
            record(tx, principal, action, release.id, reason=comment, queue_id=queue_id,
                   quarantine_id=release.quarantine_id)  # fmt: skip
        self._ring()

    def _current(self, release_id: str) -> ReleaseRecord | None:
        with store_errors(), self._store.snapshot() as tx:
            return tx.releases.get(release_id, events=False)

    def _lease(self, release: ReleaseRecord) -> ReleaseRecord | None:
        """Take the release for one enqueue: of two operators retrying at once (or a retry and
        an approval), only one may put a mail in the spool. The release as leased, or None."""
        now = time.time()
        with store_errors(), self._store.transaction() as tx:
            if not tx.releases.update(release.id, {release.state},
                                      if_updated_at=release.updated_at, updated_at=now):
                return None
            return tx.releases.get(release.id, events=False)

    def queue(self, release_id: str, principal: Principal) -> None:
        """Queue an approved release. When the spool cannot take it now the release stays
        approved, and the housekeeping's reconcile queues it later."""
        release = self._current(release_id)
        if release is None or release.state != S.APPROVED:
            return
        release = self._lease(release)
        if release is None:  # someone else is queueing it
            return
        try:
            queue_id = self._enqueue(release, release.recipients)
        except (Unavailable, NotFound) as error:
            LOG.warning("release %s stays approved: %s", release_id, error)
            return
        self._mark_queued(release, queue_id, principal, "release.queue")

    def retry(self, release: ReleaseRecord, principal: Principal, comment: str) -> None:
        """Again to the recipients that did not get it: the failed entry itself when the
        spool still holds it, else a new one."""
        if release.state == S.APPROVED:
            self.queue(release.id, principal)
            return
        leased = self._lease(release)
        if leased is None:
            raise Conflict(f"release {release.id} changed meanwhile (retried by someone else?)")
        release = leased
        moved = None
        if release.queue_id:
            entry = self._spool.get(Queue.FAILED, release.queue_id)
            if entry is not None and entry.record.release_id == release.id:
                try:
                    moved = self._spool.retry_now(Queue.FAILED, release.queue_id)
                except SpoolError as error:
                    raise Unavailable(f"the spool cannot retry it now: {error}") from error
        if moved is not None:
            queue_id = moved.queue_id
        else:
            pending = [r for r in release.recipients
                       if release.results.get(r, {}).get("status") != "delivered"]  # fmt: skip
            if not pending:
                raise Conflict(f"release {release.id} has no recipient left to retry")
            queue_id = self._enqueue(release, pending)
        self._mark_queued(release, queue_id, principal, "release.retry", comment)

    def reconcile(self, release_ids: Sequence[str]) -> int:
        """For approved releases whose "queued" was never written: the spool entry, if the
        enqueue happened, becomes their queue ID; otherwise they are queued now."""
        in_spool: dict[str, str] = {}
        for queue in _SEARCHED:
            after = ""
            while batch := self._spool.entries(queue, limit=1000, after=after):
                for entry in batch:
                    if entry.record.release_id:
                        in_spool[entry.record.release_id] = entry.queue_id
                after = batch[-1].queue_id
        done = 0
        for release_id in release_ids:
            release = self._current(release_id)
            if release is None or release.state != S.APPROVED:
                continue
            if release_id in in_spool:
                self._mark_queued(release, in_spool[release_id], SYSTEM_HOUSEKEEPING,
                                  "release.queue", "found in the spool after a restart")
            else:
                self.queue(release_id, SYSTEM_HOUSEKEEPING)
            done += 1
        return done
