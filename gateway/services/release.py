"""Releases: the state machine, and the only code that changes a release's state.

    requested ─approve→ approved ─(durable enqueue)→ queued ─→ delivered
        │ ├─reject→ rejected                          │    ├─→ partially-delivered ─retry→ queued
        │ ├─cancel→ cancelled                         │    └─→ failed ──────────────retry→ queued
        └─(expiry)→ expired

Self-release (policy "self", or "admin" by an admin) goes requested → approved → queued in one
call. Any other move raises Conflict. The mail enters the spool before "queued" is written: a
crash between the two leaves an "approved" release whose mail may already be queued, which
reconcile() finds in the spool (or queues again) on this node's next start, and the delivery
hook (gateway.services.release_outcome) accepts results for an "approved" release. So a queued
mail never lacks its release row, and "queued" is never written for a mail not in the spool.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence

from gateway import metrics
from gateway.config import Settings
from gateway.quarantine import (
    QuarantineStore,
    ReleaseFilter,
    ReleaseRecord,
    ReleaseState,
    Tx,
)
from gateway.safecopy import SafeCopyRunner
from gateway.services import policy
from gateway.services.audit import Guard, record, store_errors
from gateway.services.errors import Conflict, Invalid, NotFound, bad_cursor
from gateway.services.notify import Notifier
from gateway.services.principal import Action, Principal, Role
from gateway.services.release_request import dedupe_key, validate
from gateway.services.release_send import ReleaseSender
from gateway.services.staff_rules import staff_refusal
from gateway.spool import Spool
from gateway.spool.ids import new_queue_id

LOG = logging.getLogger(__name__)
S = ReleaseState
MAX_COMMENT = 2000
MAX_KEY = 200
RETRIABLE = {S.FAILED, S.PARTIALLY_DELIVERED, S.APPROVED}


class ReleaseService:
    def __init__(
        self, settings: Settings, store: QuarantineStore, spool: Spool, guard: Guard,
        ring: Callable[[], None], node: str, runner: SafeCopyRunner | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._guard = guard
        self._sender = ReleaseSender(settings, store, spool, ring, runner)
        self._notify = Notifier(settings, spool, ring)
        self.node = node

    # -- reading ---------------------------------------------------------------------------

    def get(self, principal: Principal, release_id: str) -> ReleaseRecord:
        self._guard.check(principal, Action.RELEASE_LIST, release_id)
        with store_errors(), self._store.snapshot() as tx:
            found = tx.releases.get(release_id)
        if found is None:
            raise NotFound(f"no release {release_id!r}")
        return found

    def page(
        self, principal: Principal, f: ReleaseFilter, *, limit: int = 50, cursor: str = ""
    ) -> tuple[list[ReleaseRecord], str]:
        self._guard.check(principal, Action.RELEASE_LIST, "releases")
        with bad_cursor(), store_errors(), self._store.snapshot() as tx:
            return tx.releases.page(f, limit=limit, cursor=cursor)

    # -- requesting ------------------------------------------------------------------------

    def create(
        self, principal: Principal, *, quarantine_id: str, what: str = "original",
        items: Sequence[int] = (), to: Sequence[str] = (), comment: str = "",
        idempotency_key: str = "", preapproved: str = "", queue: bool = True,
    ) -> tuple[ReleaseRecord, bool]:
        """(the release, True when it is new). The same request again, while the first is
        not rejected, expired or cancelled, returns the first: it is delivered once.

        For the gateway's own releases only (policy "attach"): `preapproved` approves it at
        once whatever the level, naming why; queue=False leaves it approved for the
        housekeeping process to queue (queue_approved_by)."""
        action = Action.SAFECOPY_REQUEST if what == "safecopy" else Action.RELEASE_CREATE
        self._guard.check(principal, action, quarantine_id)
        if len(idempotency_key) > MAX_KEY or not idempotency_key.isprintable():
            raise Invalid(f"an Idempotency-Key is printable and at most {MAX_KEY} characters")
        comment = comment.strip()[:MAX_COMMENT]
        with store_errors(), self._store.snapshot() as tx:
            mail = tx.quarantine.get(quarantine_id)
        if mail is None:
            raise NotFound(f"no quarantined mail {quarantine_id!r}")
        chosen, recipients = validate(self._settings, mail, what, items, to)
        if principal.role == Role.STAFF and (why := staff_refusal(principal, mail, recipients)):
            self._guard.denied(principal, "release.create", quarantine_id, why)
        level = policy.level(self._settings.release.policy,
                             policy.release_keys(mail, what, chosen))  # fmt: skip
        if level == "admin" and principal.role != Role.ADMIN:
            self._guard.denied(principal, "release.create", quarantine_id,
                               "the release policy leaves this to admins")  # fmt: skip
        at_once = bool(preapproved) or level == "self" or (
            level == "admin" and principal.role == Role.ADMIN)
        dedupe = dedupe_key(quarantine_id, what, chosen, recipients)
        now = time.time()
        row = ReleaseRecord(
            id="R" + new_queue_id(), quarantine_id=quarantine_id, what=what, items=chosen,
            recipients=recipients, state=S.REQUESTED, policy=level,
            requested_by=principal.name, requested_at=now, comment=comment, decided_by=None,
            decided_at=None, decision_comment=None,
            expires_at=now + self._settings.release.request_expiry_seconds, queue_id=None,
            node=self.node, results={}, updated_at=now, idempotency_key=idempotency_key or None,
        )  # fmt: skip
        with store_errors(), self._store.transaction() as tx:
            existing = self._existing(tx, idempotency_key, dedupe)
            if existing is None and not tx.releases.insert(row, dedupe=dedupe):
                existing = self._existing(tx, idempotency_key, dedupe)
            if existing is not None:
                if existing.quarantine_id != quarantine_id or existing.what != what \
                        or existing.items != chosen:  # fmt: skip
                    raise Conflict("this Idempotency-Key was used for another request")
                return existing, False
            tx.releases.add_event(row.id, at=now, actor=principal.name, from_state="",
                                  to_state=S.REQUESTED, comment=comment)  # fmt: skip
            record(tx, principal, "release.create", row.id, reason=comment,
                   quarantine_id=quarantine_id, what=what, items=chosen, to=recipients,
                   policy=level)  # fmt: skip
            if at_once:
                self._approve(tx, row, principal, preapproved or f"policy {level}", now)
        if not at_once:
            self._notify.requested(row)  # approvers get a mail inside LGWAN
        elif queue:
            self._sender.queue(row.id, principal)
        return self._get(row.id), True

    def _existing(self, tx: Tx, key: str, dedupe: str) -> ReleaseRecord | None:
        return (tx.releases.find(idempotency_key=key) if key else None) or \
            tx.releases.find(dedupe=dedupe)  # fmt: skip

    def _get(self, release_id: str) -> ReleaseRecord:
        with store_errors(), self._store.snapshot() as tx:
            found = tx.releases.get(release_id)
        if found is None:  # deleted with its mail meanwhile
            raise NotFound(f"no release {release_id!r}")
        return found

    # -- deciding --------------------------------------------------------------------------

    def _approve(
        self, tx: Tx, release: ReleaseRecord, principal: Principal, comment: str, now: float
    ) -> None:
        if not tx.releases.update(release.id, {S.REQUESTED}, state=S.APPROVED, updated_at=now,
                                  decided_by=principal.name, decided_at=now,
                                  decision_comment=comment):  # fmt: skip
            raise Conflict(f"release {release.id} is no longer requested")
        tx.releases.add_event(release.id, at=now, actor=principal.name, from_state=S.REQUESTED,
                              to_state=S.APPROVED, comment=comment)  # fmt: skip
        record(tx, principal, "release.approve", release.id, reason=comment,
               quarantine_id=release.quarantine_id)  # fmt: skip

    def _open(self, principal: Principal, action: Action, release_id: str) -> ReleaseRecord:
        self._guard.check(principal, action, release_id)
        with store_errors(), self._store.snapshot() as tx:
            found = tx.releases.get(release_id)
        if found is None:
            raise NotFound(f"no release {release_id!r}")
        return found

    def _refuse(self, release: ReleaseRecord, verb: str) -> None:
        raise Conflict(f"cannot {verb} release {release.id}: it is {release.state}")

    def approve(self, principal: Principal, release_id: str, comment: str = "") -> ReleaseRecord:
        release = self._open(principal, Action.RELEASE_APPROVE, release_id)
        if release.state != S.REQUESTED:
            self._refuse(release, "approve")
        if release.requested_by == principal.name:
            self._guard.denied(principal, "release.approve", release_id,
                               "the requester may not approve their own request")  # fmt: skip
        if release.policy == "admin" and principal.role != Role.ADMIN:
            self._guard.denied(principal, "release.approve", release_id,
                               "the release policy leaves this to admins")  # fmt: skip
        now = time.time()
        if release.expires_at is not None and release.expires_at <= now:
            self.expire([release.id], now)
            raise Conflict(f"release {release_id} expired before it was approved")
        comment = comment.strip()[:MAX_COMMENT]
        with store_errors(), self._store.transaction() as tx:
            self._approve(tx, release, principal, comment, now)
        metrics.RELEASE_APPROVAL_SECONDS.observe(max(0.0, now - release.requested_at))
        self._notify.changed(dataclasses.replace(release, state=S.APPROVED, decided_at=now,
                                                 decided_by=principal.name,
                                                 decision_comment=comment))  # fmt: skip
        self._sender.queue(release_id, principal)
        return self._get(release_id)

    def _close(
        self, principal: Principal, release: ReleaseRecord, to: ReleaseState, comment: str,
        action: str,
    ) -> ReleaseRecord:
        now = time.time()
        with store_errors(), self._store.transaction() as tx:
            if not tx.releases.update(release.id, {S.REQUESTED}, state=to, updated_at=now,
                                      decided_by=principal.name, decided_at=now,
                                      decision_comment=comment, dedupe=None):  # fmt: skip
                raise Conflict(f"release {release.id} is no longer requested")
            tx.releases.add_event(release.id, at=now, actor=principal.name,
                                  from_state=S.REQUESTED, to_state=to, comment=comment)  # fmt: skip
            record(tx, principal, action, release.id, reason=comment,
                   quarantine_id=release.quarantine_id)  # fmt: skip
        closed = self._get(release.id)
        self._notify.changed(closed)
        return closed

    def reject(self, principal: Principal, release_id: str, comment: str = "") -> ReleaseRecord:
        release = self._open(principal, Action.RELEASE_REJECT, release_id)
        if release.state != S.REQUESTED:
            self._refuse(release, "reject")
        return self._close(principal, release, S.REJECTED, comment.strip()[:MAX_COMMENT],
                           "release.reject")  # fmt: skip

    def cancel(self, principal: Principal, release_id: str, comment: str = "") -> ReleaseRecord:
        release = self._open(principal, Action.RELEASE_CANCEL, release_id)
        if release.requested_by != principal.name and not principal.may(Action.RELEASE_REJECT):
            self._guard.denied(principal, "release.cancel", release_id,
                               "only the requester or an approver may cancel a request")
        if release.state != S.REQUESTED:
            self._refuse(release, "cancel")
        return self._close(principal, release, S.CANCELLED, comment.strip()[:MAX_COMMENT],
                           "release.cancel")  # fmt: skip

    def retry(self, principal: Principal, release_id: str, comment: str = "") -> ReleaseRecord:
        release = self._open(principal, Action.RELEASE_RETRY, release_id)
        if release.state not in RETRIABLE:
            self._refuse(release, "retry")
        self._sender.retry(release, principal, comment.strip()[:MAX_COMMENT])
        return self._get(release_id)

    # -- upkeep (the housekeeping process) -------------------------------------------------

    def expire(self, release_ids: Sequence[str], now: float) -> int:
        from gateway.services.principal import SYSTEM_HOUSEKEEPING as actor

        done = 0
        for release_id in release_ids:
            expired = None
            with store_errors(), self._store.transaction() as tx:
                if tx.releases.update(release_id, {S.REQUESTED}, state=S.EXPIRED,
                                      updated_at=now, dedupe=None):  # fmt: skip
                    tx.releases.add_event(release_id, at=now, actor=actor.name,
                                          from_state=S.REQUESTED, to_state=S.EXPIRED)  # fmt: skip
                    record(tx, actor, "release.expire", release_id)
                    expired = tx.releases.get(release_id, events=False)
                    done += 1
            if expired is not None:
                self._notify.changed(expired)
        return done

    def expire_due(self, now: float) -> int:
        with store_errors(), self._store.snapshot() as tx:
            due = tx.releases.ids_in_state(S.REQUESTED, expires_before=now)
        return self.expire(due, now)

    def queue_approved_by(self, principal: Principal) -> int:
        """Queue this node's approved releases that `principal` filed with queue=False."""
        with store_errors(), self._store.snapshot() as tx:
            approved = [tx.releases.get(i, events=False)
                        for i in tx.releases.ids_in_state(S.APPROVED, node=self.node)]
        mine = [r.id for r in approved if r is not None and r.requested_by == principal.name]
        for release_id in mine:
            self._sender.queue(release_id, principal)
        return len(mine)

    def reconcile(self, updated_before: float) -> int:
        """Queue what this node approved but did not record as queued (see the module doc)."""
        with store_errors(), self._store.snapshot() as tx:
            stuck = tx.releases.ids_in_state(S.APPROVED, node=self.node,
                                             updated_before=updated_before)  # fmt: skip
        return self._sender.reconcile(stuck) if stuck else 0
