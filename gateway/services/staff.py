"""Staff: the person a quarantined mail was addressed to, acting through the signed request link
in its notice (gateway.console.links), with no account and no password.

A staff principal ("staff:<address>", role staff) may see the mails addressed to that address
and ask for their release to that address only, and sees its own requests; it never approves
(the role table gives it nothing else). The release service asks staff_refusal() too, so no
face can widen what a staff principal may do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gateway.config import Settings
from gateway.quarantine import QuarantineRecord, QuarantineStore, ReleaseRecord
from gateway.services import policy
from gateway.services.audit import Guard, store_errors
from gateway.services.errors import NotFound
from gateway.services.principal import Action, Principal, Role
from gateway.services.quarantine import headers_of

if TYPE_CHECKING:
    from gateway.services.release import ReleaseService

PREFIX = "staff:"


def staff_principal(address: str) -> Principal:
    return Principal(f"{PREFIX}{address}", Role.STAFF)


def staff_of(actor: str) -> str:
    """The address in a staff principal's name ("staff:<address>"); "" for anyone else."""
    return actor.removeprefix(PREFIX) if actor.startswith(PREFIX) else ""


def staff_address(principal: Principal) -> str:
    """The address a staff principal acts for; "" for any other principal."""
    return staff_of(principal.name) if principal.role == Role.STAFF else ""


def _addressed_to(mail: QuarantineRecord, address: str) -> bool:
    return address.lower() in {r.lower() for r in mail.recipients}


def staff_refusal(principal: Principal, mail: QuarantineRecord, to: list[str]) -> str:
    """Why a staff principal may not have `mail` released to `to`; "" when it may."""
    address = staff_address(principal)
    if not address or not _addressed_to(mail, address):
        return "this mail was not addressed to the staff member who asks"
    if [a.lower() for a in to] != [address.lower()]:
        return "staff may have a mail released only to themselves"
    return ""


@dataclass(slots=True)
class StaffView:
    """What the request page shows: the mail, the approval each choice needs, own requests."""

    mail: QuarantineRecord
    from_header: str
    original_level: str  # self | approval | admin for the whole original
    item_levels: dict[int, str] = field(default_factory=dict)
    requests: list[ReleaseRecord] = field(default_factory=list)


class StaffService:
    def __init__(
        self, settings: Settings, store: QuarantineStore, guard: Guard, releases: ReleaseService
    ) -> None:
        self._settings = settings
        self._store = store
        self._guard = guard
        self._releases = releases

    def _mail(self, principal: Principal, quarantine_id: str, action: str) -> QuarantineRecord:
        with store_errors(), self._store.snapshot() as tx:
            mail = tx.quarantine.get(quarantine_id)
        if mail is None:
            raise NotFound(f"no quarantined mail {quarantine_id!r} (it may have been deleted)")
        address = staff_address(principal)
        if not address or not _addressed_to(mail, address):
            self._guard.denied(principal, action, quarantine_id,
                               "this mail was not addressed to the staff member who asks")
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
        )

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
