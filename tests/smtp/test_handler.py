"""Relay policy and DATA → spool → 250, over a real socket with smtplib."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.spool import Queue
from gateway.spool.store import Spool
from gateway.types import Envelope
from tests.smtp.conftest import RunningListener

MAIL = (b"From: a@example.com\r\nTo: b@city.example.lg.jp\r\nMessage-ID: <id1@example.com>\r\n"
        b"\r\nhello\r\n")
QUEUED = re.compile(rb"2\.0\.0 Ok: queued as ([0-9A-F]{22})\Z")


def send_data(port: int, mail: bytes, *, sender: str = "a@example.com",
              rcpts: tuple[str, ...] = ("b@city.example.lg.jp",)) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.ehlo("client.example.com")
        assert client.mail(sender)[0] == 250
        for rcpt in rcpts:
            assert client.rcpt(rcpt)[0] == 250
        return client.data(mail)


def test_accepts_spools_then_answers_with_the_queue_id(gateway: RunningListener) -> None:
    code, reply = send_data(gateway.port, MAIL)
    assert code == 250
    match = QUEUED.match(reply)
    assert match, reply
    qid = match.group(1).decode()
    entry = gateway.spool.get(Queue.INCOMING, qid)
    assert entry is not None
    raw = gateway.spool.read_message(entry)
    assert raw.endswith(MAIL)
    trace = raw[: -len(MAIL)].decode()
    assert trace.startswith("Received: from client.example.com ([127.0.0.1])\r\n")
    assert f"by mx.test.lg.jp (mutaika) with ESMTP id {qid}\r\n" in trace
    assert "for <b@city.example.lg.jp>;" in trace
    record = entry.record
    assert record.envelope.mail_from == "a@example.com"
    assert record.envelope.rcpt_tos == ["b@city.example.lg.jp"]
    assert record.envelope.client_address == "127.0.0.1"
    assert record.envelope.helo == "client.example.com"
    assert record.message_id == "<id1@example.com>"


def test_subdomains_of_local_domains_are_local(gateway: RunningListener) -> None:
    code, _ = send_data(gateway.port, MAIL, rcpts=("x@soumu.city.example.lg.jp", "Postmaster"))
    assert code == 250
    [record] = gateway.records()
    assert record.envelope.rcpt_tos == ["x@soumu.city.example.lg.jp", "Postmaster"]


def test_null_sender_is_accepted_and_stored_empty(gateway: RunningListener) -> None:
    code, _ = send_data(gateway.port, MAIL, sender="<>")
    assert code == 250
    [record] = gateway.records()
    assert record.envelope.mail_from == ""


def test_non_local_recipient_is_relay_denied(gateway: RunningListener) -> None:
    with smtplib.SMTP("127.0.0.1", gateway.port) as client:
        client.ehlo("c.example.com")
        client.mail("a@example.com")
        assert client.rcpt("victim@gmail.com") == (550, b"5.7.1 Relay access denied")
        # no suffix trick
        assert client.rcpt("x@notcity.example.lg.jp") == (550, b"5.7.1 Relay access denied")
        assert client.rcpt("x@[127.0.0.1]")[0] == 550
    assert gateway.messages() == []


def test_too_many_recipients(make_listener: Callable[..., RunningListener]) -> None:
    gw = make_listener(max_recipients=2)
    with smtplib.SMTP("127.0.0.1", gw.port) as client:
        client.ehlo("c.example.com")
        client.mail("a@example.com")
        assert client.rcpt("a@city.example.lg.jp")[0] == 250
        assert client.rcpt("b@city.example.lg.jp")[0] == 250
        assert client.rcpt("c@city.example.lg.jp") == (452, b"4.5.3 Error: too many recipients")
        assert client.data(MAIL)[0] == 250  # the accepted two still get it
    [record] = gw.records()
    assert record.envelope.rcpt_tos == [
        "a@city.example.lg.jp", "b@city.example.lg.jp"]


def test_declared_size_over_the_limit_is_refused_at_mail(
    make_listener: Callable[..., RunningListener],
) -> None:
    gw = make_listener(max_message_bytes=1000)
    with smtplib.SMTP("127.0.0.1", gw.port) as client:
        client.ehlo("c.example.com")
        assert client.esmtp_features["size"] == "1000"
        code, reply = client.mail("a@example.com", ["SIZE=1001"])
        assert (code, reply) == (552, b"5.3.4 Message size exceeds fixed limit")
        assert client.mail("a@example.com", ["SIZE=1000"])[0] == 250


def test_data_over_the_limit_is_read_to_the_end_then_refused(
    make_listener: Callable[..., RunningListener],
) -> None:
    gw = make_listener(max_message_bytes=1000)
    with smtplib.SMTP("127.0.0.1", gw.port) as client:
        client.ehlo("c.example.com")
        client.mail("a@example.com")
        client.rcpt("b@city.example.lg.jp")
        assert client.data(b"x" * 2000 + b"\r\n") == (
            552, b"5.3.4 Message size exceeds fixed limit")
        # The session is still in step: the next transaction works.
        client.mail("a@example.com")
        client.rcpt("b@city.example.lg.jp")
        assert client.data(b"y" * 900 + b"\r\n")[0] == 250
    assert [m.endswith(b"y" * 900 + b"\r\n") for m in gw.messages()] == [True]


def test_denied_client_is_refused_at_rcpt(make_listener: Callable[..., RunningListener]) -> None:
    gw = make_listener(client_deny=["127.0.0.0/8"])
    with smtplib.SMTP("127.0.0.1", gw.port) as client:
        client.ehlo("c.example.com")
        assert client.mail("a@example.com")[0] == 250
        assert client.rcpt("b@city.example.lg.jp") == (
            554, b"5.7.1 Client host rejected: Access denied")
    allow_other = make_listener(client_allow=["192.0.2.0/24"])
    with smtplib.SMTP("127.0.0.1", allow_other.port) as client:
        client.ehlo("c.example.com")
        client.mail("a@example.com")
        assert client.rcpt("b@city.example.lg.jp")[0] == 554


def test_denied_sender_domain_is_refused_at_mail(
    make_listener: Callable[..., RunningListener],
) -> None:
    gw = make_listener(sender_domain_deny=["spam.example"])
    with smtplib.SMTP("127.0.0.1", gw.port) as client:
        client.ehlo("c.example.com")
        assert client.mail("x@mail.spam.example") == (
            553, b"5.7.1 Sender address rejected: Access denied")
        assert client.mail("x@example.com")[0] == 250


class BrokenSpool(Spool):
    def accept(self, raw: bytes, envelope: Envelope, *, queue_id: str | None = None,
               message_id: str = "") -> str:
        raise RuntimeError("secret internal detail")


def test_spool_write_failure_answers_451(
    tmp_path: Path, make_listener: Callable[..., RunningListener]
) -> None:
    spool = Spool(tmp_path / "s", fsync=False, min_free_bytes=0)
    spool.prepare()
    (tmp_path / "s" / "tmp").rmdir()
    (tmp_path / "s" / "tmp").write_bytes(b"a file where a directory should be")
    gw = make_listener(spool=spool)
    assert send_data(gw.port, MAIL) == (451, b"4.3.0 Error: queue file write error")
    assert gw.messages() == []


def test_spool_above_high_water_answers_452(
    make_listener: Callable[..., RunningListener],
) -> None:
    gw = make_listener(spool_options={"high_water_bytes": 10})
    assert send_data(gw.port, MAIL) == (452, b"4.3.1 Insufficient system storage")


def test_unexpected_error_in_data_answers_451_without_details(
    tmp_path: Path, make_listener: Callable[..., RunningListener]
) -> None:
    spool = BrokenSpool(tmp_path / "s", fsync=False)
    spool.prepare()
    gw = make_listener(spool=spool)
    code, reply = send_data(gw.port, MAIL)
    assert (code, reply) == (451, b"4.3.0 Error: local error in processing, try again later")
    assert b"secret" not in reply and b"RuntimeError" not in reply


def test_ehlo_offers_size_8bitmime_and_smtputf8(gateway: RunningListener) -> None:
    with smtplib.SMTP("127.0.0.1", gateway.port) as client:
        code, _ = client.ehlo("c.example.com")
        assert code == 250
        assert set(client.esmtp_features) >= {"size", "8bitmime", "smtputf8"}


def test_greeting_names_our_host_and_no_software(gateway: RunningListener) -> None:
    client = smtplib.SMTP()
    code, banner = client.connect("127.0.0.1", gateway.port)
    client.close()
    assert (code, banner) == (220, b"mx.test.lg.jp ESMTP")


@pytest.mark.parametrize("body", [
    "件名テスト 日本語本文\r\n".encode() * 3,
    bytes(range(128, 256)) + b"\r\n",
])
def test_8bit_bodies_are_spooled_byte_exact(gateway: RunningListener, body: bytes) -> None:
    mail = b"Subject: 8bit\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body
    with smtplib.SMTP("127.0.0.1", gateway.port) as client:
        client.ehlo("c.example.com")
        client.sendmail("a@example.com", ["b@city.example.lg.jp"], mail,
                        mail_options=["BODY=8BITMIME"])
    assert gateway.messages()[0].endswith(mail)


def test_smtputf8_addresses_and_headers_are_kept(gateway: RunningListener) -> None:
    mail = "From: 山田 <山田@例え.jp>\r\nSubject: こんにちは\r\n\r\n本文\r\n".encode()
    with smtplib.SMTP("127.0.0.1", gateway.port) as client:
        client.ehlo("c.example.com")
        client.sendmail("山田@例え.jp", ["受付@city.example.lg.jp"], mail,
                        mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    raw = gateway.messages()[0]
    assert raw.endswith(mail)
    assert b"with UTF8SMTP id" in raw
    [record] = gateway.records()
    env = record.envelope
    assert (env.mail_from, env.rcpt_tos) == ("山田@例え.jp", ["受付@city.example.lg.jp"])


def test_a_local_domain_configured_in_unicode_takes_its_mail(
    make_listener: Callable[..., RunningListener],
) -> None:
    gw = make_listener(local_domains=["例え.jp"])
    mail = "Subject: idn\r\n\r\n本文\r\n".encode()
    with smtplib.SMTP("127.0.0.1", gw.port) as client:
        client.ehlo("c.example.com")
        refused = client.sendmail("a@example.com", ["受付@例え.jp", "b@xn--r8jz45g.jp"], mail,
                                  mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    assert refused == {}
    assert gw.messages()[0].endswith(mail)
