"""Safe copies as the faces offer them (API, request page, console): what can be asked for about
each removed item, asking for safe copies (a release of what="safecopy", through the release
state machine and its approval policy, release.policy.safecopy), and opening a
password-protected item (gateway.services.unlock)."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.config import Settings
from gateway.quarantine import QuarantineStore, ReleaseRecord
from gateway.services.audit import Guard, store_errors
from gateway.services.errors import NotFound
from gateway.services.password_trial import PasswordTrial
from gateway.services.principal import SYSTEM_SAFECOPY, Action, Principal
from gateway.services.release import ReleaseService
from gateway.services.safecopy_offer import Offer, offer_for
from gateway.services.unlock import Unlocker, UnlockOutcome
from gateway.types import Envelope, RemovedPart

ATTACH_COMMENT = "safecopy policy attach: sent after the sanitized mail"


class SafeCopyService:
    def __init__(self, settings: Settings, store: QuarantineStore, guard: Guard,
                 releases: ReleaseService, unlocker: Unlocker) -> None:  # fmt: skip
        self._settings = settings
        self._store = store
        self._guard = guard
        self._releases = releases
        self._unlocker = unlocker
        self._trial = PasswordTrial(settings, store, unlocker)

    def offers(self, principal: Principal, quarantine_id: str) -> list[Offer]:
        """Per removed item (those opened from a protected one included): what may be asked."""
        self._guard.check(principal, Action.QUARANTINE_SHOW, quarantine_id)
        with store_errors(), self._store.snapshot() as tx:
            mail = tx.quarantine.get(quarantine_id)
        if mail is None:
            raise NotFound(f"no quarantined mail {quarantine_id!r}")
        return [offer_for(self._settings, item, mail.items) for item in mail.items]

    def request(
        self, principal: Principal, quarantine_id: str, items: Sequence[int],
        to: Sequence[str] = (), *, comment: str = "", idempotency_key: str = "",
    ) -> tuple[ReleaseRecord, bool]:
        """Ask for the safe copies of `items`, sent to `to` (default: the mail's recipients)
        with the sanitized text; (the release, True when new). Approval as release.policy.safecopy
        says: "self" queues it now, and the copies are made as it is queued."""
        return self._releases.create(principal, quarantine_id=quarantine_id, what="safecopy",
                                     items=items, to=to, comment=comment,
                                     idempotency_key=idempotency_key)  # fmt: skip

    def unlock(self, principal: Principal, quarantine_id: str, item: int, password: str
               ) -> UnlockOutcome:  # fmt: skip
        """Open a password-protected item; its contents become items of the mail."""
        return self._unlocker.attempt(principal, quarantine_id, item, password)

    def password_notice(self, quarantine_id: str, envelope: Envelope, text: str) -> list[str]:
        """For the worker: when this mail (its body `text`) is the password notice of an
        earlier mail's protected file, try its passwords; sentences for its notice."""
        return self._trial.notes_for(quarantine_id, envelope, text)

    # -- policy "attach": filed by the worker after the first delivery, queued by housekeeping

    def attach_wanted(self, parts: Sequence[RemovedPart]) -> bool:
        """Whether a mail with these removed parts gets safe copies sent unasked (no store read:
        the worker asks this of every mail)."""
        from gateway.safecopy.kinds import classify, policy_for

        policy = self._settings.safecopy
        return any(policy_for(policy, classify(p.detected_type, p.filename)) == "attach"
                   for p in parts)  # fmt: skip

    def file_attached(self, quarantine_id: str) -> ReleaseRecord | None:
        """A release of the safe copies policy "attach" sends, to the mail's recipients,
        approved by the policy and left for the housekeeping process to make and queue."""
        with store_errors(), self._store.snapshot() as tx:
            mail = tx.quarantine.get(quarantine_id)
        if mail is None:
            return None
        chosen = [item.index for item in mail.items
                  if (offer := offer_for(self._settings, item, mail.items)).available
                  and offer.policy == "attach"]  # fmt: skip
        if not chosen:
            return None
        release, _ = self._releases.create(SYSTEM_SAFECOPY, quarantine_id=quarantine_id,
                                           what="safecopy", items=chosen, comment=ATTACH_COMMENT,
                                           preapproved=ATTACH_COMMENT, queue=False)  # fmt: skip
        return release

    def queue_attached(self) -> int:
        """Make and queue the safe copies of the releases filed by file_attached()."""
        return self._releases.queue_approved_by(SYSTEM_SAFECOPY)
