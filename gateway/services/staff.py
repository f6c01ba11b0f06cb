"""Staff: the person a quarantined mail was addressed to, acting through the signed request link
in its notice (gateway.services.links), with no account and no password.

A staff principal ("staff:<address>", role staff) may see the mails addressed to that address,
ask for their release or their safe copies to that address only, open their password-protected
files (PPAP), and sees its own requests; it never approves (the role table gives it nothing
else). The release service asks staff_refusal() and the unlocker not_theirs() too, so no face
can widen what a staff principal may do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gateway.config import Settings
from gateway.quarantine import QuarantineRecord, QuarantineStore, ReleaseRecord
from gateway.services import policy
from gateway.services.audit import Guard, store_errors
from gateway.services.errors import NotFound
from gateway.services.principal import Action, Principal
from gateway.services.quarantine import headers_of
from gateway.services.safecopy_offer import Offer, offer_for
from gateway.services.staff_rules import not_theirs, staff_address

if TYPE_CHECKING:
    from gateway.services.release import ReleaseService
    from gateway.services.safecopy import SafeCopyService
    from gateway.services.unlock import UnlockOutcome

@dataclass(slots=True)
class StaffView:
    """What the request page shows: the mail, the approval each choice needs, own requests."""

    mail: QuarantineRecord
    from_header: str
    original_level: str  # self | approval | admin for the whole original
    item_levels: dict[int, str] = field(default_factory=dict)
    requests: list[ReleaseRecord] = field(default_factory=list)
    offers: dict[int, Offer] = field(default_factory=dict)  # per item: its safe copy, or why not


class StaffService:
    def __init__(
        self, settings: Settings, store: QuarantineStore, guard: Guard, releases: ReleaseService,
        safecopy: SafeCopyService,
    ) -> None:
        self._settings = settings
        self._store = store
        self._guard = guard
        self._releases = releases
        self._safecopy = safecopy

    def _mail(self, principal: Principal, quarantine_id: str, action: str) -> QuarantineRecord:
        with store_errors(), self._store.snapshot() as tx:
            mail = tx.quarantine.get(quarantine_id)
        if mail is None:
            raise NotFound(f"no quarantined mail {quarantine_id!r} (it may have been deleted)")
        if why := not_theirs(principal, mail):
            self._guard.denied(principal, action, quarantine_id, why)
        return mail

    def view(self, principal: Principal, quarantine_id: str) -> StaffView:
        mail = self._mail(principal, quarantine_id, "quarantine.show")
        with store_errors(), self._store.snapshot() as tx:
            original = tx.quarantine.blob(mail.original_sha256) or b""
            mine = [r for r in tx.releases.for_quarantine(quarantine_id)
                    if r.requested_by == principal.name]  # fmt: skip
        from_header = next((v for n, v in headers_of(original) if n.lower() == "from"), "")
        rules = self._settings.release.policy
        return StaffView(
            mail, from_header or mail.sender,
            policy.level(rules, policy.release_keys(mail, "original", [])),
            {i.index: policy.level(rules, policy.item_keys(i)) for i in mail.items},
            sorted(mine, key=lambda r: r.requested_at, reverse=True),
            self._offers(mail),
        )

    def _offers(self, mail: QuarantineRecord) -> dict[int, Offer]:
        # The one rule the API's offers follow (SafeCopyService.offers asks for a role that may
        # see every mail; a staff member sees only their own, checked by _mail first).
        return {item.index: offer_for(self._settings, item, mail.items) for item in mail.items}

    def offers(self, principal: Principal, quarantine_id: str) -> list[Offer]:
        """Per removed item of the staff member's own mail: its safe copy, or why not."""
        return list(self._offers(self._mail(principal, quarantine_id, "quarantine.show")).values())

    def request(
        self, principal: Principal, quarantine_id: str, *, what: str, items: list[int],
        comment: str,
    ) -> tuple[ReleaseRecord, bool]:
        """A release of the staff member's own mail to themselves: queued at once where the
        policy says "self", else waiting for an approver."""
        self._guard.check(principal, Action.RELEASE_CREATE, quarantine_id)
        self._mail(principal, quarantine_id, "release.create")
        return self._releases.create(principal, quarantine_id=quarantine_id, what=what,
                                     items=items, to=[staff_address(principal)],
                                     comment=comment)  # fmt: skip

    def request_safecopy(
        self, principal: Principal, quarantine_id: str, items: list[int], *, comment: str
    ) -> tuple[ReleaseRecord, bool]:
        """The safe copies of the staff member's own files, to themselves: approval as
        release.policy.safecopy says."""
        self._guard.check(principal, Action.SAFECOPY_REQUEST, quarantine_id)
        self._mail(principal, quarantine_id, str(Action.SAFECOPY_REQUEST))
        return self._safecopy.request(principal, quarantine_id, items,
                                      [staff_address(principal)], comment=comment)  # fmt: skip

    def unlock(self, principal: Principal, quarantine_id: str, item: int, password: str
               ) -> UnlockOutcome:  # fmt: skip
        """Open a password-protected file of the staff member's own mail; the attempt is
        audited and counted against the limits per mail and per staff member."""
        self._guard.check(principal, Action.SAFECOPY_UNLOCK, quarantine_id)
        self._mail(principal, quarantine_id, str(Action.SAFECOPY_UNLOCK))
        return self._safecopy.unlock(principal, quarantine_id, item, password)
