"""Who acts, and what each role may do: the one table every face checks against."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from gateway.services.errors import Forbidden


class Role(enum.StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    APPROVER = "approver"
    ADMIN = "admin"
    # The person a quarantined mail was addressed to, acting through the signed request link of
    # its notice (gateway.services.staff): never a token's role.
    STAFF = "staff"


TOKEN_ROLES = (Role.VIEWER, Role.OPERATOR, Role.APPROVER, Role.ADMIN)


class Action(enum.StrEnum):
    STATUS = "status.read"
    QUARANTINE_LIST = "quarantine.list"
    QUARANTINE_SHOW = "quarantine.show"
    QUARANTINE_DOWNLOAD = "quarantine.download"
    QUARANTINE_DELETE = "quarantine.delete"
    QUARANTINE_BULK = "quarantine.bulk"
    RELEASE_LIST = "release.list"
    RELEASE_CREATE = "release.create"
    RELEASE_APPROVE = "release.approve"
    RELEASE_REJECT = "release.reject"
    RELEASE_CANCEL = "release.cancel"
    RELEASE_RETRY = "release.retry"
    QUEUE_LIST = "queue.list"
    QUEUE_RETRY = "queue.retry"
    QUEUE_DELETE = "queue.delete"
    AUDIT_READ = "audit.read"
    TOKEN_MANAGE = "token.manage"
    SAFECOPY_REQUEST = "safecopy.request"  # ask for the safe copy of an item (a release)
    SAFECOPY_UNLOCK = "safecopy.unlock"  # open a password-protected item with its password


_VIEW = {Action.STATUS, Action.QUARANTINE_LIST, Action.QUARANTINE_SHOW, Action.RELEASE_LIST,
         Action.QUEUE_LIST}  # fmt: skip
_OPERATE = _VIEW | {Action.QUARANTINE_DOWNLOAD, Action.RELEASE_CREATE, Action.RELEASE_CANCEL,
                    Action.RELEASE_RETRY, Action.QUEUE_RETRY, Action.SAFECOPY_REQUEST,
                    Action.SAFECOPY_UNLOCK}  # fmt: skip
_APPROVE = _OPERATE | {Action.RELEASE_APPROVE, Action.RELEASE_REJECT, Action.AUDIT_READ}

# Each role's actions. Deleting mail (one or in bulk, from the quarantine or the queue) and
# managing tokens stay with admins: they cannot be undone, or they make new principals.
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.VIEWER: frozenset(_VIEW),
    Role.OPERATOR: frozenset(_OPERATE),
    Role.APPROVER: frozenset(_APPROVE),
    Role.ADMIN: frozenset(Action),
    # Only its own mail, to itself: gateway.services.staff narrows each of these to the mail
    # addressed to the staff member (and the release service and the unlocker ask again).
    Role.STAFF: frozenset({Action.RELEASE_CREATE, Action.SAFECOPY_REQUEST,
                           Action.SAFECOPY_UNLOCK}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    name: str  # "token:<id>:<name>", "cli:<user>", "system:<part>", "staff:<address>"
    role: Role

    def may(self, action: Action) -> bool:
        return action in ROLE_ACTIONS[self.role]

    def require(self, action: Action) -> None:
        if not self.may(action):
            raise Forbidden(f"the {self.role} role may not {action}")


SYSTEM_DELIVERY = Principal("system:delivery", Role.ADMIN)
SYSTEM_HOUSEKEEPING = Principal("system:housekeeping", Role.ADMIN)
# Safe copies sent by policy "attach", and password notices tried on earlier mails (issue 11)
SYSTEM_SAFECOPY = Principal("system:safecopy", Role.ADMIN)
