"""A staff principal (the request link's holder) on the real services: its own mail, to itself,
never a decision; and no token can carry its role."""

from __future__ import annotations

import time

import pytest

from gateway.quarantine import AuditFilter, TokenRecord
from gateway.services.errors import Forbidden, Invalid, TooManyAttempts
from gateway.services.principal import TOKEN_ROLES, Action, Role
from gateway.services.staff_rules import staff_address, staff_principal
from gateway.services.tokens import token_id
from tests.plane import ADMIN, APPROVER, LOCAL, OPERATOR, STAFF, World, mail
from tests.safecopy import samples

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
    assert [a for a in Action if ME.may(a)] == [Action.RELEASE_CREATE, Action.SAFECOPY_REQUEST,
                                                Action.SAFECOPY_UNLOCK]  # fmt: skip
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


PASSWORD = "Hb-4410-wR"


def _ppap(token: str, rcpt: str = STAFF) -> bytes:
    archive = samples.zip_bytes({"請求書.pdf": samples.pdf([["請求書"]])},
                                password=PASSWORD.encode())  # fmt: skip
    return mail(token, attachments=(("書類.zip", archive, "application/zip"),), rcpt=rcpt)


def test_a_staff_member_opens_their_own_protected_file_and_asks_for_its_safe_copy(
    world: World,
) -> None:
    record = world.quarantine(_ppap("SC1"))
    staff = world.services.staff
    (offer,) = staff.offers(ME, record.id)
    assert offer.unlockable and offer.why == "password-protected" and not offer.available
    wrong = staff.unlock(ME, record.id, 0, "guess")
    limit = world.settings.safecopy.unlock_failures_per_mail
    assert not wrong.opened and wrong.reason == "wrong-password" and wrong.remaining == limit - 1
    opened = staff.unlock(ME, record.id, 0, PASSWORD)
    assert opened.opened and [i.filename for i in opened.items] == ["請求書.pdf"]
    inner = opened.items[0]
    offers = {o.item.index: o for o in staff.offers(ME, record.id)}
    assert offers[0].opened and offers[inner.index].available and offers[inner.index].kind == "pdf"
    assert staff.view(ME, record.id).offers[inner.index].available
    release, new = staff.request_safecopy(ME, record.id, [inner.index], comment="請求書")
    assert new and (release.what, release.recipients, release.requested_by) == (
        "safecopy", [STAFF], f"staff:{STAFF}")
    with pytest.raises(Forbidden):  # to someone else, through the safe-copy service directly
        world.services.safecopy.request(ME, record.id, [inner.index], [f"boss@{LOCAL}"])
    with pytest.raises(Invalid, match="password-protected"):  # the archive itself: no copy
        staff.request_safecopy(ME, record.id, [0], comment="")
    entries = world.services.audit.entries(ADMIN, AuditFilter(action="safecopy.unlock"))
    assert [(e.actor, e.role, e.result) for e in entries] == [
        (f"staff:{STAFF}", "staff", "wrong-password"), (f"staff:{STAFF}", "staff", "ok")]
    assert PASSWORD not in "".join(world.services.audit.export(ADMIN, AuditFilter()))


def test_a_staff_member_cannot_open_or_copy_someone_elses_mail(world: World) -> None:
    other = f"soumu@{LOCAL}"
    theirs = world.quarantine(_ppap("SC2", other), rcpts=(other,))
    with pytest.raises(Forbidden):
        world.services.staff.offers(ME, theirs.id)
    with pytest.raises(Forbidden):
        world.services.staff.unlock(ME, theirs.id, 0, PASSWORD)
    with pytest.raises(Forbidden):  # the unlocker asks too: no face can skip the check
        world.services.safecopy.unlock(ME, theirs.id, 0, PASSWORD)
    with pytest.raises(Forbidden):
        world.services.staff.request_safecopy(ME, theirs.id, [0], comment="")
    assert len(world.store.get(theirs.id).items) == 1  # type: ignore[union-attr]
    reasons = [r for a, r in _denied(world) if a in ("quarantine.show", "safecopy.unlock",
                                                     "safecopy.request")]  # fmt: skip
    assert reasons.count("this mail was not addressed to the staff member who asks") == 4


def test_wrong_passwords_count_per_staff_member(build_world: object) -> None:
    world: World = build_world(safecopy={  # type: ignore[operator]
        "unlock_failures_per_mail": 5, "unlock_failures_per_principal": 2})
    first, second = world.quarantine(_ppap("SC3")), world.quarantine(_ppap("SC4"))
    staff = world.services.staff
    assert staff.unlock(ME, first.id, 0, "a").remaining == 1
    assert staff.unlock(ME, second.id, 0, "b").remaining == 0
    with pytest.raises(TooManyAttempts, match="by you"):
        staff.unlock(ME, first.id, 0, PASSWORD)
    # another staff member of the same mail is not held back by ME's wrong passwords
    colleague = staff_principal(f"soumu@{LOCAL}")
    shared = world.quarantine(_ppap("SC5"), rcpts=(STAFF, f"soumu@{LOCAL}"))
    assert staff.unlock(colleague, shared.id, 0, PASSWORD).opened
