"""Who a staff principal is ("staff:<address>", role staff: the person a quarantined mail was
addressed to, through the request link in its notice) and what it may touch: its own mail, for
itself. The release service, the unlocker and the staff service all ask these, so no face can
widen what a staff principal may do (gateway.services.staff is the staff member's face)."""

from __future__ import annotations

from gateway.quarantine import QuarantineRecord
from gateway.services.principal import Principal, Role

PREFIX = "staff:"


def staff_principal(address: str) -> Principal:
    return Principal(f"{PREFIX}{address}", Role.STAFF)


def staff_of(actor: str) -> str:
    """The address in a staff principal's name ("staff:<address>"); "" for anyone else."""
    return actor.removeprefix(PREFIX) if actor.startswith(PREFIX) else ""


def staff_address(principal: Principal) -> str:
    """The address a staff principal acts for; "" for any other principal."""
    return staff_of(principal.name) if principal.role == Role.STAFF else ""


def addressed_to(mail: QuarantineRecord, address: str) -> bool:
    return address.lower() in {r.lower() for r in mail.recipients}


def not_theirs(principal: Principal, mail: QuarantineRecord) -> str:
    """Why `mail` is not a staff principal's to act on; "" when it was addressed to them."""
    address = staff_address(principal)
    if not address or not addressed_to(mail, address):
        return "this mail was not addressed to the staff member who asks"
    return ""


def staff_refusal(principal: Principal, mail: QuarantineRecord, to: list[str]) -> str:
    """Why a staff principal may not have `mail` released to `to`; "" when it may."""
    if why := not_theirs(principal, mail):
        return why
    if [a.lower() for a in to] != [staff_address(principal).lower()]:
        return "staff may have a mail released only to themselves"
    return ""
