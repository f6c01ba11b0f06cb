"""What one delivery attempt means for the mail: the same for a worker's first delivery and the
delivery process's retries. The spool records the outcome; a release hears about it first."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from gateway import metrics
from gateway.config import DeliverySettings
from gateway.delivery.dsn import build_dsn
from gateway.delivery.outcome import Outcome, apply_replies
from gateway.delivery.reply import Reply
from gateway.errors import SpoolError
from gateway.log import log_event
from gateway.spool import Route, Spool, SpoolEntry, SpoolRecord
from gateway.types import Envelope

LOG = logging.getLogger(__name__)

# (release ID, per-recipient states, final): told before the spool forgets the mail, so a
# release is "delivered" only after the downstream's 250 and never lost between the two.
ReleaseHook = Callable[[str, dict[str, dict[str, str]], bool], None]


@dataclass
class Settler:
    spool: Spool
    settings: DeliverySettings
    reporting_mta: str  # our host name in DSNs
    on_release: ReleaseHook | None = None
    dsn_enabled: bool = False

    def settle(
        self, entry: SpoolEntry, record: SpoolRecord, replies: dict[str, Reply], message: bytes,
        *, target: str, replace_message: bool = False,
    ) -> Outcome:
        """Record the replies of one attempt. `record` is the entry's state to build on (a
        worker's has the verdict); `replace_message` when the spool holds another version (the
        original) than the one sent. Raises SpoolError or the hook's error: then nothing is
        settled and the caller puts the mail back."""
        outcome = apply_replies(record, replies, time.time(), self.settings)
        if record.release_id and self.on_release is not None:
            self.on_release(record.release_id, outcome.record.recipients,
                            outcome.action != "defer")  # fmt: skip
        new_message = message if replace_message else None
        qid = entry.queue_id
        if outcome.action == "remove":
            self.spool.finish(entry)
            metrics.DELIVERY_ATTEMPTS.labels("delivered").inc()
            received = record.envelope.received_at or record.created_at
            if received:
                metrics.END_TO_END_SECONDS.observe(max(0.0, time.time() - received))
            log_event("delivered", qid, to=outcome.delivered, relay=target)
        elif outcome.action == "defer":
            self.spool.defer(entry, outcome.record, message=new_message)
            metrics.DELIVERY_ATTEMPTS.labels("deferred").inc()
            log_event(
                "deferred", qid, delivered=outcome.delivered or None, deferred=outcome.deferred,
                next_attempt_at=round(outcome.record.next_attempt_at, 3),
                reply=outcome.record.last_error, relay=target,
            )  # fmt: skip
        else:
            self.spool.fail(entry, outcome.record, message=new_message)
            metrics.DELIVERY_ATTEMPTS.labels("failed").inc()
            log_event(
                "failed", qid, delivered=outcome.delivered or None,
                failed={r: str(reply) for r, reply in outcome.newly_failed.items()}, relay=target,
            )  # fmt: skip
        if outcome.newly_failed:
            self._bounce(record, outcome.newly_failed, message, target)
        return outcome

    def _bounce(
        self, record: SpoolRecord, failed: dict[str, Reply], message: bytes, target: str
    ) -> None:
        """Queue a DSN to the sender: never to the null sender, never for a DSN, and a failure
        to queue it never touches the mail itself (already settled)."""
        sender = record.envelope.mail_from
        if not self.dsn_enabled or not sender or record.route == Route.DSN:
            return
        dsn = build_dsn(
            queue_id=record.queue_id, sender=sender, failed=failed, message=message,
            reporting_mta=self.reporting_mta, dsn_from=self.settings.dsn_from, remote_mta=target,
        )  # fmt: skip
        try:
            dsn_id = self.spool.enqueue(dsn, Envelope("", [sender]), route=Route.DSN)
        except SpoolError:
            LOG.exception("could not queue the DSN for %s", record.queue_id)
            return
        log_event("dsn-queued", record.queue_id, dsn=dsn_id, to=sender)
