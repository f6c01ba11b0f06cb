"""What the delivery of a release's mail did, written on the release: the Settler's on_release.

Called for every attempt, before the spool forgets or moves the mail; it may be called again for
the same attempt (a crash before the spool moved the mail), so it only ever sets the state the
replies imply, and writes nothing when that is already the state. "delivered" only after the
downstream's 250 for every recipient; 4xx keeps the release queued (the queue retries); a final
attempt with some 5xx is partially-delivered or failed, with the replies kept. Store trouble
propagates as StoreUnavailable: the delivery puts the mail back and reports again later.
"""

from __future__ import annotations

import dataclasses
import logging
import time

from gateway.log import log_event
from gateway.quarantine import CLOSED, HoldState, QuarantineStore, ReleaseState
from gateway.services.audit import record
from gateway.services.notify import Notifier
from gateway.services.principal import SYSTEM_DELIVERY

LOG = logging.getLogger(__name__)
S = ReleaseState
# A mail may be in a spool for a release in these states (approved: "queued" not yet written).
_REPORTABLE = {S.APPROVED, S.QUEUED, S.FAILED, S.PARTIALLY_DELIVERED, S.DELIVERED}


def state_after(results: dict[str, dict[str, str]], recipients: list[str], final: bool
                ) -> ReleaseState:  # fmt: skip
    if not final:
        return S.QUEUED
    statuses = [results.get(r, {}).get("status", "") for r in recipients]
    if all(s == "delivered" for s in statuses):
        return S.DELIVERED
    if any(s == "delivered" for s in statuses):
        return S.PARTIALLY_DELIVERED
    return S.FAILED


class ReleaseOutcomes:
    def __init__(self, store: QuarantineStore, notify: Notifier | None = None) -> None:
        self._store = store
        self._notify = notify  # the staff member who asked hears of delivered and failed

    def __call__(self, release_id: str, recipients: dict[str, dict[str, str]], final: bool
                 ) -> None:  # fmt: skip
        now = time.time()
        with self._store.transaction() as tx:
            release = tx.releases.get(release_id, events=False)
            if release is None or release.state in CLOSED or release.state not in _REPORTABLE:
                LOG.warning("delivery report for release %r ignored: %s", release_id,
                            release.state if release else "no such release")
                return
            results = {**release.results,
                       **{r: dict(s) for r, s in recipients.items() if r in release.recipients}}
            state = state_after(results, release.recipients, final)
            if state == release.state and results == release.results:
                return  # the same report again
            tx.releases.update(release_id, _REPORTABLE, state=state, results=results,
                               updated_at=now)
            if state != release.state:
                replies = {r: s.get("reply", "") for r, s in results.items()}
                tx.releases.add_event(release_id, at=now, actor=SYSTEM_DELIVERY.name,
                                      from_state=release.state, to_state=state,
                                      comment="; ".join(f"{r}: {t}" for r, t in replies.items()))
                record(tx, SYSTEM_DELIVERY, "release.delivery", release_id, result=str(state),
                       quarantine_id=release.quarantine_id, replies=replies)
            if any(s.get("status") == "delivered" for s in results.values()):
                tx.quarantine.set_state(release.quarantine_id, HoldState.RELEASED)
        if state != release.state:
            log_event("release-" + str(state), release.queue_id or "", release_id=release_id)
            if self._notify is not None:
                self._notify.changed(dataclasses.replace(release, state=state, results=results))
