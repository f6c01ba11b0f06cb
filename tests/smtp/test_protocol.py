"""The SMTP protocol subclass over real sockets: smuggling, pipelining, error replies."""

from __future__ import annotations

import asyncio
import smtplib
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.config import Settings
from gateway.smtp import status
from gateway.smtp.handler import GatewayHandler
from gateway.smtp.protocol import GatewaySMTP, SessionRegistry, declared_size, peer_host
from gateway.spool.store import Spool
from tests.smtp.conftest import RunningListener


class Raw:
    """A hand-driven SMTP client: sends exact bytes, reads whole replies."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")
        assert self.reply().startswith(b"220 ")

    def reply(self) -> bytes:
        lines = []
        while True:
            line = self.file.readline()
            lines.append(line)
            if len(line) < 4 or line[3:4] != b"-":
                return b"".join(lines)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        self.file.close()
        self.sock.close()


SMUGGLED = (b"MAIL FROM:<ceo@lg.jp>\r\nRCPT TO:<victim@lg.jp>\r\nDATA\r\n"
            b"From: ceo@lg.jp\r\n\r\nsmuggled\r\n")


@pytest.mark.parametrize("fake_end", [b"\n.\r\n", b"\r.\r\n", b"\n.\n", b"\r\n\r.\r\n"])
def test_smtp_smuggling_yields_one_message(gateway: RunningListener, fake_end: bytes) -> None:
    c = Raw(gateway.port)
    c.send(b"EHLO c.example.com\r\n")
    assert c.reply().startswith(b"250-")
    c.send(b"MAIL FROM:<a@example.com>\r\n")
    assert c.reply().startswith(b"250")
    c.send(b"RCPT TO:<b@lg.jp>\r\n")
    assert c.reply().startswith(b"250")
    c.send(b"DATA\r\n")
    assert c.reply().startswith(b"354")
    c.send(b"Subject: real\r\n\r\nreal body" + fake_end + SMUGGLED + b".\r\n")
    assert c.reply().startswith(b"250 2.0.0 Ok: queued as ")
    c.send(b"QUIT\r\n")
    assert c.reply().startswith(b"221")
    c.close()
    messages = gateway.messages()
    assert len(messages) == 1
    assert b"real body" + fake_end + SMUGGLED in messages[0]


def test_pipelined_commands_after_the_data_are_answered(gateway: RunningListener) -> None:
    c = Raw(gateway.port)
    c.send(b"EHLO c.example.com\r\n")
    c.reply()
    c.send(b"MAIL FROM:<a@example.com>\r\n")
    c.reply()
    c.send(b"RCPT TO:<b@lg.jp>\r\n")
    c.reply()
    c.send(b"DATA\r\n")
    c.reply()
    c.send(b"x\r\n.\r\nNOOP\r\nQUIT\r\n")  # everything in one segment
    assert c.reply().startswith(b"250 2.0.0")
    assert c.reply().startswith(b"250")
    assert c.reply().startswith(b"221")
    c.close()
    assert len(gateway.messages()) == 1


def test_client_gone_mid_data_spools_nothing(gateway: RunningListener) -> None:
    c = Raw(gateway.port)
    for cmd in (b"EHLO c\r\n", b"MAIL FROM:<a@example.com>\r\n", b"RCPT TO:<b@lg.jp>\r\n",
                b"DATA\r\n"):
        c.send(cmd)
        c.reply()
    c.send(b"half a message\r\n")
    c.close()
    with smtplib.SMTP("127.0.0.1", gateway.port) as client:  # the server carries on
        assert client.noop()[0] == 250
    assert gateway.messages() == []


class ExplodingHandler(GatewayHandler):
    async def handle_RCPT(self, *args: Any) -> str:
        raise ValueError("internal state 0xdeadbeef")


async def test_unexpected_exception_answers_421_without_details(tmp_path: Path) -> None:
    spool = Spool(tmp_path, fsync=False)
    spool.prepare()
    handler = ExplodingHandler(Settings().smtp, spool)
    loop = asyncio.get_running_loop()
    registry = SessionRegistry()
    server = await loop.create_server(
        lambda: GatewaySMTP(handler, sessions=registry, hostname="h", loop=loop),
        "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    def talk() -> tuple[int, bytes]:
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.ehlo("c")
            client.mail("a@example.com")
            return client.rcpt("b@lg.jp")

    try:
        code, reply = await asyncio.to_thread(talk)
    finally:
        server.close()
        registry.abort_all()
        await server.wait_closed()
    assert (code, reply) == (421, b"4.3.0 Error: internal error, closing")


def test_declared_size_parsing() -> None:
    assert declared_size("FROM:<a@b> SIZE=123 BODY=8BITMIME") == 123
    assert declared_size("FROM:<a@b> size=7") == 7
    assert declared_size("FROM:<a@b> BODY=8BITMIME") is None
    assert declared_size("FROM:<a@b> XSIZE=5") is None
    assert declared_size("FROM:<a@b> SIZE=" + "9" * 50) is None  # not a sane number: aiosmtpd


def test_peer_host() -> None:
    assert peer_host(("192.0.2.1", 25)) == "192.0.2.1"
    assert peer_host(("::1", 25, 0, 0)) == "::1"
    assert peer_host("/run/sock") == "/run/sock"
    assert peer_host(None) == ""


def test_listeners_side_by_side_do_not_share_state(
    make_listener: Callable[..., RunningListener],
) -> None:
    one, two = make_listener(), make_listener()
    with smtplib.SMTP("127.0.0.1", one.port) as client:
        client.sendmail("a@example.com", ["b@lg.jp"], b"one\r\n")
    assert len(one.messages()) == 1 and two.messages() == []


async def test_connection_limits_answer_421_before_the_greeting(tmp_path: Path) -> None:
    spool = Spool(tmp_path, fsync=False)
    spool.prepare()
    handler = GatewayHandler(Settings().smtp, spool)
    loop = asyncio.get_running_loop()
    registry = SessionRegistry(max_sessions=3, max_per_client=2)
    server = await loop.create_server(
        lambda: GatewaySMTP(handler, sessions=registry, hostname="h", loop=loop),
        "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    def greetings() -> list[bytes]:
        held = []
        lines = []
        for _ in range(3):  # two fill this client's share, the third is one too many
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            held.append(sock)
            lines.append(sock.recv(200))
        for sock in held[:1]:
            sock.close()
        time.sleep(0.2)  # the freed slot is seen by the listener
        again = socket.create_connection(("127.0.0.1", port), timeout=5)
        held.append(again)
        lines.append(again.recv(200))
        for sock in held:
            sock.close()
        return lines

    try:
        lines = await asyncio.to_thread(greetings)
    finally:
        server.close()
        registry.abort_all()
        await server.wait_closed()
    assert lines[0].startswith(b"220") and lines[1].startswith(b"220")
    assert lines[2] == (status.TOO_MANY_FROM_CLIENT + "\r\n").encode()
    assert lines[3].startswith(b"220")  # a closed session frees its place
    registry.max_per_client = 10
    assert registry.refusal("127.0.0.9") is None
