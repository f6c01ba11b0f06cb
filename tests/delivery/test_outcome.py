from gateway.config import DeliverySettings
from gateway.delivery.outcome import apply_replies, pending_recipients
from gateway.delivery.reply import Reply
from gateway.spool.record import SpoolRecord
from gateway.types import Envelope

SETTINGS = DeliverySettings(retry_schedule_seconds=[10, 100], retry_jitter=0, max_age_seconds=1000)
OK = Reply(250, "ok")
BUSY = Reply(451, "4.3.0 busy")
NO = Reply(550, "5.1.1 no")


def _record() -> SpoolRecord:
    record = SpoolRecord.new("Q", Envelope("s@x", ["a@y", "b@y", "c@y"]), size=1)
    record.created_at = 0.0
    return record


def test_all_delivered_removes() -> None:
    outcome = apply_replies(_record(), {"a@y": OK, "b@y": OK, "c@y": OK}, 5.0, SETTINGS)
    assert outcome.action == "remove"
    assert outcome.record.delivery_attempts == 1


def test_mixed_defers_and_retries_only_the_rest() -> None:
    outcome = apply_replies(_record(), {"a@y": OK, "b@y": BUSY, "c@y": NO}, 5.0, SETTINGS)
    assert outcome.action == "defer"
    assert outcome.record.next_attempt_at == 15.0
    assert outcome.record.first_deferred_at == 5.0
    assert list(outcome.newly_failed) == ["c@y"]
    assert pending_recipients(outcome.record) == ["b@y"]
    second = apply_replies(outcome.record, {"b@y": BUSY}, 20.0, SETTINGS)
    assert second.record.next_attempt_at == 120.0  # second step of the schedule
    assert second.newly_failed == {}
    third = apply_replies(second.record, {"b@y": OK}, 130.0, SETTINGS)
    assert third.action == "fail"  # c@y failed for good: kept in failed/, visible


def test_too_old_turns_deferred_into_failed() -> None:
    outcome = apply_replies(_record(), {"a@y": BUSY, "b@y": BUSY, "c@y": OK}, 1000.0, SETTINGS)
    assert outcome.action == "fail"
    assert set(outcome.newly_failed) == {"a@y", "b@y"}
    assert outcome.newly_failed["a@y"].code == 554
    assert "busy" in outcome.newly_failed["a@y"].text
