"""Time limits over a real socket, with limits short enough for a test: idle, the whole DATA,
the data rate, the whole session, and the slow-loris crowd that must not lock anyone out."""

from __future__ import annotations

import smtplib
import socket
import time
from collections.abc import Callable

import pytest
from prometheus_client import REGISTRY

from gateway.smtp import status
from gateway.smtp.limits import DataDeadline, TimeLimits
from gateway.smtp.sessions import SessionRegistry, client_key
from tests.smtp.conftest import LOCAL_DOMAIN, RunningListener
from tests.smtp.test_protocol import Raw

RCPT = f"staff@{LOCAL_DOMAIN}".encode()


def rejected(reason: str) -> float:
    return REGISTRY.get_sample_value(
        "mutaika_smtp_rejected_total", {"code": "421", "reason": reason}) or 0.0


def open_data(port: int, source: str = "127.0.0.1") -> Raw:
    """A session that is inside DATA, from `source` (any 127/8 address is ours on Linux)."""
    c = Raw.__new__(Raw)
    c.sock = socket.create_connection(("127.0.0.1", port), timeout=10,
                                      source_address=(source, 0))
    c.file = c.sock.makefile("rb")
    assert c.reply().startswith(b"220")
    for command in (b"EHLO loris.example", b"MAIL FROM:<a@example.com>",
                    b"RCPT TO:<" + RCPT + b">", b"DATA"):
        c.send(command + b"\r\n")
        assert c.reply()[:1] in (b"2", b"3")
    return c


def last_words(c: Raw) -> bytes:
    """Everything the server still says before it closes (the socket timeout bounds it)."""
    said = c.file.read()
    c.close()
    return said


def trickle(sessions: list[Raw], every: float, *, limit: float = 60.0) -> list[bytes]:
    """One byte every `every` seconds into each session until the server closes it; return
    what the server said to each (sessions still open at `limit` fail the test)."""
    said = [b""] * len(sessions)
    live = set(range(len(sessions)))
    for c in sessions:
        c.sock.setblocking(False)
    deadline = time.monotonic() + limit
    while live and time.monotonic() < deadline:
        for n in sorted(live):
            try:
                sessions[n].sock.send(b"x")
                chunk = sessions[n].sock.recv(1000)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            said[n] += chunk
            if not chunk:
                live.discard(n)
                sessions[n].close()
        time.sleep(every)
    assert not live, f"{len(live)} slow sessions still open"
    return said


def test_an_idle_client_is_told_421_and_closed(
    make_listener: Callable[..., RunningListener],
) -> None:
    gw = make_listener(timeout_seconds=0.5)
    before = rejected("idle-timeout")
    c = Raw(gw.port)
    c.send(b"EHLO c.example.com\r\n")
    c.reply()
    assert last_words(c) == (status.IDLE_TIMEOUT + "\r\n").encode()
    assert rejected("idle-timeout") == before + 1


def test_a_command_line_sent_a_byte_at_a_time_is_cut_at_the_idle_time(
    make_listener: Callable[..., RunningListener],
) -> None:
    gw = make_listener(timeout_seconds=0.5)
    c = Raw(gw.port)
    c.send(b"EHLO c.example.com\r\n")
    c.reply()
    [said] = trickle([c], every=0.1)  # "xxxx…" never ends a line, so it is never a command
    assert said == (status.IDLE_TIMEOUT + "\r\n").encode()


def test_data_slower_than_the_minimum_rate_is_cut(
    make_listener: Callable[..., RunningListener],
) -> None:
    gw = make_listener(timeout_seconds=1.0, min_data_rate=100, data_time_limit_seconds=60)
    before = rejected("data-rate")
    [said] = trickle([open_data(gw.port)], every=0.2)
    assert said == (status.DATA_TOO_SLOW + "\r\n").encode()
    assert rejected("data-rate") == before + 1
    assert gw.messages() == []


def test_data_past_its_time_limit_is_cut_however_steady(
    make_listener: Callable[..., RunningListener],
) -> None:
    gw = make_listener(timeout_seconds=5.0, min_data_rate=0, data_time_limit_seconds=1.0)
    [said] = trickle([open_data(gw.port)], every=0.1)
    assert said == (status.DATA_TIME_LIMIT + "\r\n").encode()
    assert gw.messages() == []


def test_a_session_past_its_time_limit_is_closed_between_commands(
    make_listener: Callable[..., RunningListener],
) -> None:
    gw = make_listener(session_time_limit_seconds=1.0)
    c = Raw(gw.port)
    c.sock.settimeout(10)
    said = b""
    for _ in range(100):  # a NOOP every 0.1 s never lets the idle timer run out
        try:
            c.send(b"NOOP\r\n")
            line = c.file.readline()
        except OSError:
            break
        said = line
        if not line.startswith(b"250"):
            break
        time.sleep(0.1)
    c.close()
    assert said == (status.SESSION_TIME_LIMIT + "\r\n").encode()


def test_the_session_limit_lets_the_message_in_transfer_finish(
    make_listener: Callable[..., RunningListener],
) -> None:
    gw = make_listener(session_time_limit_seconds=1.0, timeout_seconds=5.0)
    c = open_data(gw.port)
    time.sleep(1.2)  # past the session limit, inside DATA
    c.send(b"Subject: late\r\n\r\nstill taken\r\n.\r\n")
    assert c.reply().startswith(b"250 2.0.0 Ok: queued as ")
    assert last_words(c) == (status.SESSION_TIME_LIMIT + "\r\n").encode()
    assert len(gw.messages()) == 1


def test_the_data_deadline_follows_the_bytes() -> None:
    limits = TimeLimits(idle=10.0, data=100.0, min_data_rate=500.0, session=1000.0)
    deadline = DataDeadline(limits, start=0.0)
    assert deadline.at(0) == 10.0
    assert deadline.at(5000) == 20.0  # 5000 bytes bought 10 s
    assert deadline.at(10**9) == 100.0  # never past the DATA limit
    assert deadline.reply(0) == status.DATA_TOO_SLOW
    assert deadline.reply(10**9) == status.DATA_TIME_LIMIT
    no_rate = DataDeadline(TimeLimits(10.0, 100.0, 0.0, 1000.0), start=0.0)
    assert no_rate.at(0) == 100.0


class FakeSession:
    def __init__(self, client: str, started: float, in_data: bool = True) -> None:
        self.client_key, self.started, self.in_data = client, started, in_data
        self.closed_with = ""

    def close_for_shutdown(self) -> None:
        self.closed_with = status.SHUTTING_DOWN

    def close_with(self, reply: str) -> None:
        self.closed_with = reply


def test_a_full_listener_makes_room_for_a_client_with_less_than_the_heaviest() -> None:
    registry = SessionRegistry(max_sessions=4, max_per_client=3)
    a = [FakeSession("10.0.0.1", t, in_data=t != 2) for t in range(3)]
    b = FakeSession("10.0.0.2", 9)
    registry.sessions.update([*a, b])
    assert registry.refusal("10.0.0.1") == status.TOO_MANY_FROM_CLIENT
    assert registry.refusal("10.0.0.2") is None  # 1 against 3: room is made
    assert a[2].closed_with == status.MAKING_ROOM  # the one of the heaviest not in DATA
    assert a[2] not in registry.sessions and len(registry.sessions) == 3
    c = FakeSession("10.0.0.2", 10)
    registry.sessions.add(c)
    assert registry.refusal("10.0.0.2") == status.TOO_MANY_SESSIONS  # 2 against 2: its share
    assert registry.refusal("10.0.0.3") is None  # 0 against 2: the oldest of one of them goes
    evicted = [s for s in (*a, b, c) if s.closed_with == status.MAKING_ROOM]
    assert evicted == [a[0], a[2]] or evicted == [a[2], b]


def test_clients_are_addresses_or_ipv6_slash_84s() -> None:
    assert client_key("192.0.2.7") == "192.0.2.7"
    assert client_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert client_key("2001:db8::1") == client_key("2001:db8::fff:ffff:ffff") == "2001:db8::/84"
    assert client_key("2001:db8:0:0:1000::1") != client_key("2001:db8::1")
    assert client_key("fe80::1%eth0") == "fe80::/84"
    assert client_key("/run/mutaika.sock") == "/run/mutaika.sock"


@pytest.mark.slow
def test_slow_loris_from_four_addresses_locks_nobody_out(
    make_listener: Callable[..., RunningListener],
) -> None:
    # Short limits, but long enough that the first slow session outlives opening the 200th
    # on a loaded machine: the listener must be full when the two senders come.
    gw = make_listener(
        max_connections=200, max_connections_per_client=50, timeout_seconds=10.0,
        min_data_rate=50, data_time_limit_seconds=20, session_time_limit_seconds=30,
    )
    before = {reason: rejected(reason) for reason in ("data-rate", "evicted")}
    loris = [open_data(gw.port, f"127.0.0.{2 + n % 4}") for n in range(200)]
    sessions = gw.listener._sessions.sessions
    assert len(sessions) == 200  # every place is taken

    # Two more senders at once, while every place is held: each gets in.
    senders = [smtplib.SMTP("127.0.0.1", gw.port, timeout=10, source_address=(source, 0))
               for source in ("127.0.0.1", "127.0.0.6")]
    for n, sender in enumerate(senders):
        sender.sendmail("a@example.com", [RCPT.decode()], b"Subject: %d\r\n\r\nok\r\n" % n)
    for sender in senders:
        sender.quit()
    assert len(gw.messages()) == 2

    replies = trickle(loris, every=0.5)
    assert replies.count((status.MAKING_ROOM + "\r\n").encode()) == 2
    assert replies.count((status.DATA_TOO_SLOW + "\r\n").encode()) == 198
    assert rejected("data-rate") - before["data-rate"] == 198
    assert rejected("evicted") - before["evicted"] == 2
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as s:
        s.sendmail("a@example.com", [RCPT.decode()], b"Subject: after\r\n\r\nok\r\n")
    assert len(gw.messages()) == 3
