"""A staff principal (the request link's holder) on the real services: its own mail, to itself,
never a decision; and no token can carry its role."""

from __future__ import annotations

import time

import pytest

from gateway.quarantine import AuditFilter, TokenRecord
from gateway.services.errors import Forbidden, Invalid
from gateway.services.principal import TOKEN_ROLES, Action, Role
from gateway.services.staff import staff_address, staff_principal
from gateway.services.tokens import token_id
from tests.plane import ADMIN, APPROVER, LOCAL, OPERATOR, STAFF, World, mail

ME = staff_principal(STAFF)


def _denied(world: World) -> list[tuple[str, str]]:
    found = world.services.audit.entries(ADMIN, AuditFilter(result="denied"))
    return [(e.action, e.reason) for e in found]


def test_a_staff_member_asks_for_their_own_mail_for_themselves(world: World) -> None:
    record = world.quarantine(mail("S1"))
    release, new = world.services.staff.request(ME, record.id, what="items", items=[0],
                                                comment="請求書")  # fmt: skip
    assert new and release.recipients == [STAFF] and release.requested_by == f"staff:{STAFF}"
    view = world.services.staff.view(ME, record.id)
    assert [r.id for r in view.requests] == [release.id]
    assert view.original_level == "approval" and view.item_levels == {0: "approval"}
    assert view.from_header == "billing@example.org"
    # an operator's request of the same mail is not theirs to see
    world.services.releases.create(OPERATOR, quarantine_id=record.id, to=[f"x@{LOCAL}"])
    assert [r.id for r in world.services.staff.view(ME, record.id).requests] == [release.id]


def test_a_staff_member_may_not_decide_or_reach_further(world: World) -> None:
    record = world.quarantine(mail("S2"))
    release, _ = world.services.releases.create(OPERATOR, quarantine_id=record.id)
    with pytest.raises(Forbidden):
        world.services.releases.approve(ME, release.id)
    with pytest.raises(Forbidden):
        world.services.releases.reject(ME, release.id)
    with pytest.raises(Forbidden):  # to someone else, through the release service directly
        world.services.releases.create(ME, quarantine_id=record.id, to=[f"boss@{LOCAL}"])
    other = world.quarantine(mail("S3", rcpt=f"soumu@{LOCAL}"), rcpts=(f"soumu@{LOCAL}",))
    with pytest.raises(Forbidden):  # a mail addressed to someone else
        world.services.staff.view(ME, other.id)
    with pytest.raises(Forbidden):
        world.services.staff.request(ME, other.id, what="original", items=[], comment="")
    with pytest.raises(Forbidden):
        world.services.releases.create(ME, quarantine_id=other.id, to=[STAFF])
    assert [a for a in Action if ME.may(a)] == [Action.RELEASE_CREATE]
    with pytest.raises(Forbidden):  # an operator is no staff member either
        world.services.staff.view(OPERATOR, record.id)
    denied = _denied(world)
    assert ("release.approve", "the staff role may not release.approve") in denied
    assert ("release.create", "staff may have a mail released only to themselves") in denied
    assert sum(a == "quarantine.show" for a, _ in denied) == 2


def test_no_token_carries_the_staff_role(world: World) -> None:
    assert Role.STAFF not in TOKEN_ROLES
    with pytest.raises(Invalid, match="unknown role"):
        world.services.tokens.create(ADMIN, role="staff", name="sneaky")
    with world.store.transaction() as tx:  # a row written behind the service's back
        tx.tokens.insert(TokenRecord("abc123", "forged", "staff", "0" * 64, time.time(),
                                     "test", None))  # fmt: skip
    assert world.services.tokens.principal_of("abc123") is None
    made = world.services.tokens.create(ADMIN, role="approver", name="sato")
    principal = world.services.tokens.authenticate(made.token)
    assert principal is not None and token_id(principal) == made.record.id
    assert world.services.tokens.principal_of(made.record.id) == principal
    world.services.tokens.revoke(ADMIN, made.record.id)
    assert world.services.tokens.principal_of(made.record.id) is None
    assert token_id(APPROVER) == "b" and token_id(ME) == ""
    assert staff_address(ME) == STAFF and staff_address(APPROVER) == ""
