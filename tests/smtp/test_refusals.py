"""Hostile envelopes over a real socket: the reply each gets, that it is counted and logged
escaped, and that the session and the spool carry on with the good mail."""

from __future__ import annotations

import json
import logging
import smtplib
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from gateway.spool import Queue, SpoolRecord
from gateway.spool.store import Spool
from gateway.types import Envelope
from tests.smtp.conftest import LOCAL_DOMAIN, RunningListener
from tests.smtp.test_protocol import Raw

RCPT = f"staff@{LOCAL_DOMAIN}".encode()


def rejected_count(code: str, reason: str) -> float:
    value = REGISTRY.get_sample_value(
        "mutaika_smtp_rejected_total", {"code": code, "reason": reason}
    )
    return value or 0.0


def converse(port: int, commands: list[bytes], ehlo: bytes = b"EHLO c.example.com") -> list[bytes]:
    """Send each command line, return each reply (first line of a multi-line one)."""
    c = Raw(port)
    replies = []
    try:
        for command in [ehlo, *commands]:
            c.send(command + b"\r\n")
            replies.append(c.reply())
    finally:
        c.close()
    return replies[1:]


def records(spool: Spool) -> list[SpoolRecord]:
    return [entry.record for entry in spool.entries(Queue.INCOMING)]


HOSTILE_SENDERS = [
    (b"MAIL FROM:<\xff\xfe@lg.example.jp>", b"501 5.1.7 "),
    (b"MAIL FROM:<\xff\xfe@lg.example.jp> SMTPUTF8", b"501 5.1.7 "),
    (b"MAIL FROM:<a\x00@example.com>", b"501 5.1.7 "),
    (b"MAIL FROM:<a@example.com\x00>", b"501 5.1.7 "),
    (b"MAIL FROM:<a\x1b[2J@example.com>", b"501 5.1.7 "),
    (b"MAIL FROM:<a@example.com", b"501 5.1.7 "),
    (b"MAIL FROM:<<a@example.com>>", b"501 5.1.7 "),
    (b"MAIL FROM:<" + b"a" * 65 + b"@example.com>", b"501 5.1.7 "),
    (b"MAIL FROM:<a@" + b"b" * 250 + b".jp>", b"501 5.1.7 "),
    (b'MAIL FROM:<"a\x01"@example.com>', b"501 5.1.7 "),
    ("MAIL FROM:<山田@例え.jp>".encode(), b"553 5.6.7 "),
]

HOSTILE_RECIPIENTS = [
    (b"RCPT TO:<\xff\xfe@" + LOCAL_DOMAIN.encode() + b">", b"501 5.1.3 "),
    (b"RCPT TO:<a\x00b@" + LOCAL_DOMAIN.encode() + b">", b"501 5.1.3 "),
    (b"RCPT TO:<>", b"501 5.1.3 "),
    (b"RCPT TO:<" + RCPT, b"501 5.1.3 "),
    (b"RCPT TO:<" + b"x" * 65 + b"@" + LOCAL_DOMAIN.encode() + b">", b"501 5.1.3 "),
    (b"RCPT TO:<victim%evil.example@" + LOCAL_DOMAIN.encode() + b">", b"550 5.7.1 "),
    (b"RCPT TO:<evil.example!victim@" + LOCAL_DOMAIN.encode() + b">", b"550 5.7.1 "),
    (b"RCPT TO:<@a.example,@b.example:victim@" + LOCAL_DOMAIN.encode() + b">", b"550 5.7.1 "),
    (b'RCPT TO:<"victim@evil.example"@' + LOCAL_DOMAIN.encode() + b">", b"550 5.7.1 "),
    (b"RCPT TO:<victim@lg.jp>", b"550 5.7.1 Relay access denied\r\n"),
    ("RCPT TO:<受付@例え.jp>".encode(), b"553 5.6.7 "),
]


@pytest.mark.parametrize(("command", "reply"), HOSTILE_SENDERS + HOSTILE_RECIPIENTS)
def test_hostile_envelopes_are_refused_and_the_session_goes_on(
    gateway: RunningListener, command: bytes, reply: bytes
) -> None:
    setup = [] if command.startswith(b"MAIL") else [b"MAIL FROM:<a@example.com>"]
    replies = converse(gateway.port, [
        *setup, command,
        b"RSET", b"MAIL FROM:<a@example.com>", b"RCPT TO:<" + RCPT + b">", b"DATA",
        b"Subject: fine\r\n\r\nbody\r\n.",
    ])
    assert replies[len(setup)].startswith(reply), replies
    assert replies[-1].startswith(b"250 2.0.0 Ok: queued as ")
    [record] = records(gateway.spool)
    assert (record.envelope.mail_from, record.envelope.rcpt_tos) == (
        "a@example.com", [RCPT.decode()])


def test_smtputf8_addresses_that_are_utf8_are_taken_and_stored_clean(
    gateway: RunningListener,
) -> None:
    sender, rcpt = "山田@例え.jp", f"受付@{LOCAL_DOMAIN}"
    with smtplib.SMTP("127.0.0.1", gateway.port) as client:
        client.ehlo("c.example.com")
        client.sendmail(sender, [rcpt], b"Subject: x\r\n\r\ny\r\n", mail_options=["SMTPUTF8"])
    [record] = records(gateway.spool)
    assert (record.envelope.mail_from, record.envelope.rcpt_tos) == (sender, [rcpt])


def test_routing_can_be_allowed(make_listener: Callable[..., RunningListener]) -> None:
    gw = make_listener(reject_routed_recipients=False)
    routed = f"victim%other.example@{LOCAL_DOMAIN}"
    replies = converse(gw.port, [
        b"MAIL FROM:<a@example.com>", b"RCPT TO:<" + routed.encode() + b">",
        b"RCPT TO:<@hop.example:x@" + LOCAL_DOMAIN.encode() + b">", b"DATA", b"x\r\n.",
    ])
    assert [r[:3] for r in replies] == [b"250", b"250", b"250", b"354", b"250"]
    [record] = records(gw.spool)
    assert record.envelope.rcpt_tos == [routed, f"x@{LOCAL_DOMAIN}"]  # the route is dropped


def test_help_and_auth_agree_with_ehlo(gateway: RunningListener) -> None:
    with smtplib.SMTP("127.0.0.1", gateway.port) as client:
        client.ehlo("c.example.com")
        assert not client.has_extn("auth")
        code, text = client.docmd("HELP")
        assert code == 250 and b"AUTH" not in text and b"MAIL" in text
        assert client.docmd("AUTH", "PLAIN AGFhAGI=") == (
            503, b"5.5.1 Error: authentication not enabled")


def test_every_refusal_is_counted_ours_and_aiosmtpds(gateway: RunningListener) -> None:
    expected = {
        ("501", "sender-syntax"): 2, ("501", "recipient-syntax"): 1, ("550", "routing"): 1,
        ("550", "relay-denied"): 1, ("553", "needs-smtputf8"): 1, ("501", "helo-syntax"): 1,
        ("500", "unknown-command"): 2, ("500", "line-too-long"): 1, ("500", "syntax"): 1,
        ("503", "bad-sequence"): 1, ("503", "auth-disabled"): 1,
    }
    before = {key: rejected_count(*key) for key in expected}
    converse(gateway.port, [
        b"HELO a\x00b", b"EHLO c.example.com", b"XYZZY", b"\x00\x01 junk", b"X" * 70_000,
        b"\xff\xfe", b"RCPT TO:<" + RCPT + b">", b"MAIL FROM:<\xff@x.jp>",
        b"MAIL FROM:<a@x.jp", "MAIL FROM:<山@x.jp>".encode(), b"AUTH LOGIN",
        b"MAIL FROM:<a@example.com>", b"RCPT TO:<>", b"RCPT TO:<a%b@" + LOCAL_DOMAIN.encode()
        + b">", b"RCPT TO:<a@elsewhere.example>", b"QUIT",
    ])
    after = {key: rejected_count(*key) - before[key] for key in expected}
    assert after == expected


def test_client_bytes_reach_no_log_line_raw(
    gateway: RunningListener, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    domain = LOCAL_DOMAIN.encode()
    converse(gateway.port, [
        b"EHLO evil\x1b[31m\xff", b"EHLO c.example.com",
        b"XYZ\x00\x1b[2J\x07", b"MAIL FROM:<a\x00\x1b]0;owned\x07@x.jp>",
        b"MAIL FROM:<a@example.com>", b"RCPT TO:<\xff\xfe\x1b[31m@" + domain + b">",
        "RCPT TO:<a\u202e%b@".encode() + domain + b">",
    ])
    lines = [record.getMessage() for record in caplog.records]
    assert any("XYZ\\x00\\x1b[2J\\x07" in line for line in lines)  # aiosmtpd's warning
    rejected = [json.loads(line) for line in lines if '"event": "rejected"' in line]
    assert [r["reason"] for r in rejected] == [
        "helo-syntax", "sender-syntax", "recipient-syntax", "needs-smtputf8"]
    for line in lines:
        assert line.isprintable(), repr(line)


def test_replies_echo_nothing_raw(gateway: RunningListener) -> None:
    replies = converse(gateway.port, [b"XYZ\x00\x1b[2J", "VRFY <山田\u202e@x.jp>".encode()])
    assert replies == [
        b'500 Error: command "XYZ\\x00\\x1b[2J" not recognized\r\n',
        b"502 Could not VRFY <\\u5c71\\u7530\\u202e@x.jp>\r\n",
    ]


def test_helo_names_with_control_bytes_are_refused_and_8bit_ones_kept_escaped(
    gateway: RunningListener,
) -> None:
    assert converse(gateway.port, [b"MAIL FROM:<a@example.com>"], ehlo=b"EHLO a\x00b") == [
        b"503 Error: send HELO first\r\n"]
    replies = converse(gateway.port, [
        b"MAIL FROM:<a@example.com>", b"RCPT TO:<" + RCPT + b">", b"DATA", b"x\r\n.",
    ], ehlo=b"HELO \x93\xfa\x96\x7b-PC")  # a CP932 machine name
    assert replies[-1].startswith(b"250 ")
    [record] = records(gateway.spool)
    assert record.envelope.helo == "\\x93\\xfa\\x96{-PC"
    [raw] = gateway.messages()
    assert raw.startswith(b"Received: from ???{-PC ([127.0.0.1])")


def test_a_full_spool_is_said_at_mail_from_counting_the_declared_size(
    make_listener: Callable[..., RunningListener],
) -> None:
    gw = make_listener(spool_options={"high_water_bytes": 5000})
    replies = converse(gw.port, [
        b"MAIL FROM:<a@example.com> SIZE=6000", b"MAIL FROM:<a@example.com> SIZE=100",
        b"RCPT TO:<" + RCPT + b">", b"DATA", b"x\r\n.",
    ])
    assert replies[0] == b"452 4.3.1 Insufficient system storage\r\n"
    assert [r[:3] for r in replies[1:]] == [b"250", b"250", b"354", b"250"]


def test_a_spool_already_full_is_said_at_mail_from_without_size(
    make_listener: Callable[..., RunningListener], tmp_path: Path,
) -> None:
    roomy = Spool(tmp_path / "full", fsync=False, min_free_bytes=0)
    roomy.prepare()
    roomy.accept(b"x" * 6000, Envelope("a@example.com", [RCPT.decode()]))  # before MAIL looks
    gw = make_listener(spool=Spool(tmp_path / "full", fsync=False, min_free_bytes=0,
                                   high_water_bytes=5000))  # fmt: skip
    before = rejected_count("452", "other")
    with smtplib.SMTP("127.0.0.1", gw.port) as client:
        client.ehlo("c.example.com")
        assert client.mail("a@example.com") == (452, b"4.3.1 Insufficient system storage")
    assert rejected_count("452", "other") == before  # our state, not the client's fault
