from __future__ import annotations

import json

import pytest

from gateway.spool.record import SpoolRecord
from gateway.types import Envelope


def test_round_trip_keeps_every_field_and_surrogate_escapes() -> None:
    # An SMTPUTF8 address with invalid UTF-8 arrives from aiosmtpd as surrogate escapes.
    bad = b"\xff\xfe@example.jp".decode("utf-8", "surrogateescape")
    env = Envelope(mail_from=bad, rcpt_tos=["山田@例え.jp", "b@lg.jp"], client_address="::1")
    record = SpoolRecord.new("Q1", env, size=42, message_id="<m@x>")
    record.attempts = 2
    record.verdict = "sanitized"
    record.recipients["b@lg.jp"] = {"status": "deferred", "reply": "451 4.3.0 busy"}
    raw = record.to_json()
    raw.decode("ascii")  # the file itself is plain ASCII
    back = SpoolRecord.from_json(raw)
    assert back == record
    assert back.envelope.mail_from.encode("utf-8", "surrogateescape") == b"\xff\xfe@example.jp"
    assert back.recipients["山田@例え.jp"] == {"status": "pending", "reply": ""}


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"[]", b"\xff\xfe", b'{"queue_id": "Q"}', b'{"envelope": {}}',
     json.dumps({"queue_id": "Q", "envelope": {}, "recipients": ["x"]}).encode(),
     json.dumps({"queue_id": "Q", "envelope": {}, "attempts": "many"}).encode(),
     b'{"queue_id": "Q", "envelope": {}, "attempts": 1e400}'],
)
def test_unusable_records_raise_value_error_only(raw: bytes) -> None:
    with pytest.raises(ValueError):
        SpoolRecord.from_json(raw)


def test_rebuilt_record_names_the_reason_and_has_no_envelope() -> None:
    record = SpoolRecord.rebuilt("Q2", size=10, reason="record.json unreadable")
    assert record.envelope.rcpt_tos == [] and record.envelope.mail_from == ""
    assert record.last_error == "record.json unreadable"
    assert SpoolRecord.from_json(record.to_json()) == record
