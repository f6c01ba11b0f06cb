from __future__ import annotations

import json

import pytest

from gateway.spool import Route, Stage
from gateway.spool.record import SpoolRecord
from gateway.types import Envelope


def test_round_trip_keeps_every_field_and_surrogate_escapes() -> None:
    # An SMTPUTF8 address with invalid UTF-8 arrives from aiosmtpd as surrogate escapes.
    bad = b"\xff\xfe@example.jp".decode("utf-8", "surrogateescape")
    env = Envelope(mail_from=bad, rcpt_tos=["山田@例え.jp", "b@lg.jp"], client_address="::1")
    record = SpoolRecord.new("Q1", env, size=42, message_id="<m@x>")
    record.crashes, record.failures, record.stage = 2, 1, Stage.DELIVER
    record.route, record.release_id, record.retry_since = Route.DSN, "R7", 5.0
    record.verdict = "sanitized"
    record.recipients["b@lg.jp"] = {"status": "deferred", "reply": "451 4.3.0 busy\nnext"}
    raw = record.to_json()
    raw.decode("ascii")  # one line of plain ASCII: the queue file format relies on it
    assert b"\n" not in raw
    back = SpoolRecord.from_json(raw)
    assert back == record
    assert back.envelope.mail_from.encode("utf-8", "surrogateescape") == b"\xff\xfe@example.jp"
    assert back.recipients["山田@例え.jp"] == {"status": "pending", "reply": ""}
    assert back.age_base == 5.0


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"[]", b"\xff\xfe", b'{"queue_id": "Q"}', b'{"envelope": {}}',
     json.dumps({"queue_id": "Q", "envelope": {}, "recipients": ["x"]}).encode(),
     json.dumps({"queue_id": "Q", "envelope": {}, "crashes": "many"}).encode(),
     json.dumps({"queue_id": "Q", "envelope": {}, "stage": "elsewhere"}).encode(),
     b'{"queue_id": "Q", "envelope": {}, "crashes": 1e400}'],
)
def test_unusable_records_raise_value_error_only(raw: bytes) -> None:
    with pytest.raises(ValueError):
        SpoolRecord.from_json(raw)
