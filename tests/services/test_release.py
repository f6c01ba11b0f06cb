"""The release state machine on a real store and spool: policy, two persons, idempotency, the
durable enqueue, and what delivery reports."""

from __future__ import annotations

import email
import email.policy

import pytest

from gateway.errors import SpoolError
from gateway.quarantine import AuditFilter, HoldState, ReleaseState
from gateway.services.errors import Conflict, Forbidden, Invalid, NotFound
from gateway.services.release_mail import TRACE_HEADER
from gateway.spool import Queue
from tests.plane import (
    ADMIN,
    APPROVER,
    APPROVER2,
    EXE,
    LOCAL,
    OPERATOR,
    STAFF,
    World,
    mail,
)

S = ReleaseState


def _actions(world: World) -> list[tuple[str, str]]:
    entries = world.services.audit.entries(ADMIN, AuditFilter(), limit=1000)
    return [(e.action, e.result) for e in entries]


def _outgoing(world: World) -> list[bytes]:
    return [world.spool.read_message(e) for e in world.spool.entries(Queue.OUTGOING)]


def test_two_person_release_of_the_original(world: World) -> None:
    raw = mail("ORIG1")
    mail_ = world.quarantine(raw)
    releases = world.services.releases
    release, new = releases.create(OPERATOR, quarantine_id=mail_.id, comment="取引先")
    assert new and release.state == S.REQUESTED and release.policy == "approval"
    assert release.recipients == [STAFF] and _outgoing(world) == []
    with pytest.raises(Forbidden):
        releases.approve(OPERATOR, release.id)  # the operator role may not approve
    mine, _ = releases.create(APPROVER, quarantine_id=mail_.id, to=[f"other@{LOCAL}"])
    with pytest.raises(Forbidden, match="own request"):
        releases.approve(APPROVER, mine.id)
    approved = releases.approve(APPROVER, release.id, "確認済み")
    assert approved.state == S.QUEUED and approved.decided_by == APPROVER.name
    assert [e.to_state for e in approved.events] == ["requested", "approved", "queued"]
    (sent,) = _outgoing(world)
    assert sent.startswith(f"{TRACE_HEADER}: {release.id}\r\n".encode())
    assert sent.endswith(raw) and sent.count(TRACE_HEADER.encode()) == 1  # original byte for byte
    assert b"Received: from mx.example.org" in sent
    entry = world.spool.entries(Queue.OUTGOING)[0]
    assert entry.record.release_id == release.id and entry.record.envelope.mail_from == ""
    assert approved.queue_id == entry.queue_id and world.rings
    assert ("release.approve", "denied") in _actions(world)
    assert world.services.audit.verify(ADMIN).ok


def test_a_forged_trace_header_in_the_original_is_not_kept(world: World) -> None:
    original = mail("FORGE")
    mail_ = world.quarantine(b"X-Mutaika-Release: R-FORGED\r\n\tcontinued\r\n" + original)
    release, _ = world.services.releases.create(ADMIN, quarantine_id=mail_.id)
    world.services.releases.approve(APPROVER, release.id)
    (sent,) = _outgoing(world)
    assert b"R-FORGED" not in sent and b"continued" not in sent
    assert sent.count(TRACE_HEADER.encode()) == 1 and sent.endswith(original)


def test_self_release_of_chosen_items(build_world: object) -> None:
    world: World = build_world(release={"policy": {"attachment": "self"}})  # type: ignore[operator]
    raw = mail("ITEMS", attachments=(("a.pdf", b"%PDF-1.4 A", "application/pdf"),
                                     ("b.pdf", b"%PDF-1.4 B", "application/pdf")))
    mail_ = world.quarantine(raw)
    release, new = world.services.releases.create(OPERATOR, quarantine_id=mail_.id,
                                                  what="items", items=[1])
    assert new and release.state == S.QUEUED and release.policy == "self"
    (sent,) = _outgoing(world)
    message = email.message_from_bytes(sent, policy=email.policy.default)
    assert message[TRACE_HEADER] == release.id and message.get_content_type() == "multipart/mixed"
    attached = [(p.get_filename(), p.get_content()) for p in message.iter_attachments()]
    assert attached == [("b.pdf", b"%PDF-1.4 B")]
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    assert "body ITEMS" in text.get_content() and "a.pdf" in text.get_content()


def test_the_same_request_twice_is_one_release(world: World) -> None:
    mail_ = world.quarantine()
    releases = world.services.releases
    first, new1 = releases.create(OPERATOR, quarantine_id=mail_.id, to=[STAFF.upper()])
    again, new2 = releases.create(APPROVER, quarantine_id=mail_.id, to=[STAFF])
    assert new1 and not new2 and again.id == first.id
    keyed, _ = releases.create(OPERATOR, quarantine_id=mail_.id, to=[f"x@{LOCAL}"],
                               idempotency_key="k-1")
    same, new3 = releases.create(OPERATOR, quarantine_id=mail_.id, to=[f"x@{LOCAL}"],
                                 idempotency_key="k-1")
    assert same.id == keyed.id and not new3
    with pytest.raises(Conflict, match="Idempotency-Key"):
        releases.create(OPERATOR, quarantine_id=mail_.id, what="items", items=[0],
                        idempotency_key="k-1")
    releases.approve(APPROVER2, first.id)
    assert len(_outgoing(world)) == 1
    with pytest.raises(Conflict):
        releases.approve(APPROVER2, first.id)
    assert releases.create(OPERATOR, quarantine_id=mail_.id, to=[STAFF])[0].id == first.id


@pytest.mark.parametrize(("state", "verbs"), [
    ("rejected", ["approve", "reject", "cancel", "retry"]),
    ("cancelled", ["approve", "reject", "cancel", "retry"]),
    ("queued", ["approve", "reject", "cancel", "retry"]),
    ("requested", ["retry"]),
])
def test_moves_the_machine_does_not_have_are_conflicts(world: World, state: str,
                                                       verbs: list[str]) -> None:
    releases = world.services.releases
    release, _ = releases.create(OPERATOR, quarantine_id=world.quarantine().id)
    if state == "rejected":
        releases.reject(APPROVER, release.id, "no")
    elif state == "cancelled":
        releases.cancel(OPERATOR, release.id)
    elif state == "queued":
        releases.approve(APPROVER, release.id)
    for verb in verbs:
        with pytest.raises(Conflict):
            getattr(releases, verb)(ADMIN, release.id)
    assert releases.get(ADMIN, release.id).state == state


def test_policy_admin_only_and_local_recipients(world: World) -> None:
    exe = world.quarantine(mail("EXE", attachments=(("setup.exe", EXE,
                                                      "application/octet-stream"),)))
    releases = world.services.releases
    with pytest.raises(Forbidden, match="admins"):
        releases.create(OPERATOR, quarantine_id=exe.id, what="items", items=[0])
    release, _ = releases.create(ADMIN, quarantine_id=exe.id, what="items", items=[0])
    assert release.policy == "admin" and release.state == S.QUEUED
    with pytest.raises(Invalid, match="local_domains"):
        releases.create(OPERATOR, quarantine_id=exe.id, to=["someone@example.com"])
    with pytest.raises(Invalid, match="not a mail address"):
        releases.create(OPERATOR, quarantine_id=exe.id, to=[f"a\r\nRCPT TO:<x@{LOCAL}>"])
    with pytest.raises(Invalid, match="no removed part 7"):
        releases.create(ADMIN, quarantine_id=exe.id, what="items", items=[7])
    with pytest.raises(NotFound):
        releases.create(ADMIN, quarantine_id="0000000000000000XX")


def test_452_then_250_is_delivered_only_after_the_250(world: World) -> None:
    mail_ = world.quarantine()
    releases = world.services.releases
    release, _ = releases.create(OPERATOR, quarantine_id=mail_.id)
    releases.approve(APPROVER, release.id)
    world.deliver({STAFF: "452 4.2.2 mailbox full"})
    deferred = releases.get(ADMIN, release.id)
    assert deferred.state == S.QUEUED and deferred.results[STAFF]["status"] == "deferred"
    assert world.store.get(mail_.id).state == HoldState.HELD  # type: ignore[union-attr]
    world.spool.wake_due(2e10)
    entry = world.deliver({STAFF: "250 2.0.0 ok"})
    done = releases.get(ADMIN, release.id)
    assert done.state == S.DELIVERED and done.results[STAFF]["reply"] == "250 2.0.0 ok"
    assert world.store.get(mail_.id).state == HoldState.RELEASED  # type: ignore[union-attr]
    events = len(done.events)
    world.settler().on_release(release.id, entry.record.recipients | {  # type: ignore[misc]
        STAFF: {"status": "delivered", "reply": "250 2.0.0 ok"}}, True)
    assert len(releases.get(ADMIN, release.id).events) == events  # the same report: no change


def test_550_fails_visibly_and_a_retry_delivers(world: World) -> None:
    two = world.quarantine(rcpts=(STAFF, f"soumu@{LOCAL}"))
    releases = world.services.releases
    release, _ = releases.create(OPERATOR, quarantine_id=two.id)
    releases.approve(APPROVER, release.id)
    world.deliver({STAFF: "250 2.0.0 ok", f"soumu@{LOCAL}": "550 5.1.1 no such user"})
    partial = releases.get(ADMIN, release.id)
    assert partial.state == S.PARTIALLY_DELIVERED
    assert partial.results[f"soumu@{LOCAL}"]["reply"] == "550 5.1.1 no such user"
    assert world.spool.get(Queue.FAILED, partial.queue_id or "") is not None
    again = releases.retry(OPERATOR, release.id, "mailbox created")
    assert again.state == S.QUEUED
    entry = world.deliver({f"soumu@{LOCAL}": "250 2.0.0 ok"})
    assert entry.record.envelope.rcpt_tos == [STAFF, f"soumu@{LOCAL}"]
    assert releases.get(ADMIN, release.id).state == S.DELIVERED
    assert ("release.retry", "ok") in _actions(world)


def test_retry_when_the_failed_mail_was_deleted_sends_a_new_one(world: World) -> None:
    releases = world.services.releases
    release, _ = releases.create(OPERATOR, quarantine_id=world.quarantine().id)
    releases.approve(APPROVER, release.id)
    world.deliver({STAFF: "550 5.7.1 refused"})
    failed = releases.get(ADMIN, release.id)
    assert failed.state == S.FAILED
    world.services.queue.delete(ADMIN, "failed", failed.queue_id or "", "cleanup")
    assert releases.get(ADMIN, release.id).state == S.FAILED
    again = releases.retry(OPERATOR, release.id)
    assert again.state == S.QUEUED and again.queue_id != failed.queue_id
    world.deliver({STAFF: "250 ok"})
    assert releases.get(ADMIN, release.id).state == S.DELIVERED


def test_queue_retry_of_a_release_mail_puts_the_release_back_to_queued(world: World) -> None:
    releases = world.services.releases
    release, _ = releases.create(OPERATOR, quarantine_id=world.quarantine().id)
    releases.approve(APPROVER, release.id)
    world.deliver({STAFF: "550 5.7.1 refused"})
    queue_id = releases.get(ADMIN, release.id).queue_id or ""
    world.services.queue.retry(OPERATOR, "failed", queue_id)
    assert releases.get(ADMIN, release.id).state == S.QUEUED


def test_a_crash_after_the_enqueue_is_reconciled_without_a_second_mail(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    releases = world.services.releases
    release, _ = releases.create(OPERATOR, quarantine_id=world.quarantine().id)
    sender = releases._sender

    def crash(*args: object, **kwargs: object) -> None:
        raise SystemExit("killed between the enqueue and the commit")

    monkeypatch.setattr(sender, "_mark_queued", crash)
    with pytest.raises(SystemExit):
        releases.approve(APPROVER, release.id)
    monkeypatch.undo()
    assert releases.get(ADMIN, release.id).state == S.APPROVED
    assert len(_outgoing(world)) == 1
    assert releases.reconcile(updated_before=2e10) == 1
    reconciled = releases.get(ADMIN, release.id)
    assert reconciled.state == S.QUEUED and len(_outgoing(world)) == 1
    assert reconciled.queue_id == world.spool.entries(Queue.OUTGOING)[0].queue_id


def test_a_spool_that_cannot_take_it_leaves_the_release_approved_until_reconcile(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    releases = world.services.releases
    release, _ = releases.create(OPERATOR, quarantine_id=world.quarantine().id)

    def full(*args: object, **kwargs: object) -> str:
        raise SpoolError("spool above spool.high_water_bytes")

    monkeypatch.setattr(world.spool, "enqueue", full)
    assert releases.approve(APPROVER, release.id).state == S.APPROVED
    monkeypatch.undo()
    assert releases.reconcile(updated_before=0.0) == 0  # not yet past the grace time
    assert releases.reconcile(updated_before=2e10) == 1
    assert releases.get(ADMIN, release.id).state == S.QUEUED and len(_outgoing(world)) == 1


def test_delivery_reported_while_still_approved_wins(world: World,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    releases = world.services.releases
    release, _ = releases.create(OPERATOR, quarantine_id=world.quarantine().id)
    monkeypatch.setattr(releases._sender, "_mark_queued", lambda *a, **k: None)
    releases.approve(APPROVER, release.id)
    monkeypatch.undo()
    world.deliver({STAFF: "250 ok"})
    assert releases.get(ADMIN, release.id).state == S.DELIVERED
    assert releases.reconcile(updated_before=2e10) == 0


def test_requests_expire_and_can_then_be_made_again(world: World) -> None:
    releases = world.services.releases
    mail_ = world.quarantine()
    release, _ = releases.create(OPERATOR, quarantine_id=mail_.id)
    assert releases.expire_due(release.requested_at + 10) == 0
    assert releases.expire_due(2e10) == 1
    assert releases.get(ADMIN, release.id).state == S.EXPIRED
    with pytest.raises(Conflict):
        releases.approve(APPROVER, release.id)
    fresh, new = releases.create(OPERATOR, quarantine_id=mail_.id)
    assert new and fresh.id != release.id
    assert ("release.expire", "ok") in _actions(world)


def test_a_quarantined_mail_with_a_release_under_way_is_not_deleted(world: World) -> None:
    mail_ = world.quarantine()
    release, _ = world.services.releases.create(OPERATOR, quarantine_id=mail_.id)
    world.services.releases.approve(APPROVER, release.id)
    with pytest.raises(Conflict, match="under way"):
        world.services.quarantine.delete(ADMIN, mail_.id)
    world.deliver({STAFF: "250 ok"})
    world.services.quarantine.delete(ADMIN, mail_.id, "done")
    assert world.store.get(mail_.id) is None
    with pytest.raises(NotFound):
        world.services.releases.get(ADMIN, release.id)


def test_two_retries_at_once_send_one_mail(world: World) -> None:
    releases = world.services.releases
    release, _ = releases.create(OPERATOR, quarantine_id=world.quarantine().id)
    releases.approve(APPROVER, release.id)
    world.deliver({STAFF: "550 5.7.1 refused"})
    seen_by_both = releases.get(ADMIN, release.id)  # both operators read it as failed
    releases._sender.retry(seen_by_both, OPERATOR, "first")
    with pytest.raises(Conflict, match="meanwhile"):
        releases._sender.retry(seen_by_both, APPROVER, "second")
    assert len(_outgoing(world)) == 1 and world.spool.entries(Queue.FAILED) == []
    assert releases.get(ADMIN, release.id).state == S.QUEUED
