"""Listener lifecycle: STARTTLS, SO_REUSEPORT, graceful stop, the process entry point."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import signal
import smtplib
import socket
import ssl
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.config import Settings
from gateway.errors import ConfigError
from gateway.smtp.server import run_listener_process, tls_context
from gateway.spool.store import Spool
from tests.smtp.conftest import RunningListener
from tests.smtp.test_protocol import Raw


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    d = tmp_path_factory.mktemp("tls")
    key, crt = d / "key.pem", d / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(crt), "-days", "2",
         "-subj", "/CN=mx.test.lg.jp"],
        check=True, capture_output=True,
    )
    return str(crt), str(key)


def client_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # a self-signed test certificate
    return context


def test_starttls_required_before_mail(
    make_listener: Callable[..., RunningListener], cert: tuple[str, str]
) -> None:
    gw = make_listener(tls_cert=cert[0], tls_key=cert[1], require_starttls=True)
    with smtplib.SMTP("127.0.0.1", gw.port) as client:
        client.ehlo("c.example.com")
        assert client.has_extn("starttls")
        assert client.mail("a@example.com")[0] == 530
        client.starttls(context=client_tls())
        client.ehlo("c.example.com")
        assert not client.has_extn("starttls") and not client.has_extn("auth")
        client.sendmail("a@example.com", ["b@lg.jp"], b"Subject: tls\r\n\r\nsecret\r\n")
    raw = gw.messages()[0]
    assert b"with ESMTPS id" in raw and raw.endswith(b"secret\r\n")


def test_require_starttls_without_a_certificate_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="require_starttls"):
        tls_context(Settings(smtp={"require_starttls": True}).smtp)
    with pytest.raises(ConfigError, match="tls_cert"):
        tls_context(Settings(smtp={"tls_cert": "/nonexistent", "tls_key": "/nonexistent"}).smtp)


def test_two_listeners_share_one_port(tmp_path: Path) -> None:
    spool = Spool(tmp_path, fsync=False, min_free_bytes=0)
    spool.prepare()
    a = RunningListener(Settings(smtp={"port": 0}), spool, reuse_port=True)
    port = a.port
    b = RunningListener(Settings(smtp={"port": port}), spool, reuse_port=True)
    try:
        assert a.port == b.port == port
        for n in range(20):
            with smtplib.SMTP("127.0.0.1", port) as client:
                client.sendmail("a@example.com", ["b@lg.jp"], b"n%d\r\n" % n)
        assert spool.counts()["incoming"] == 20
    finally:
        a.stop()
        b.stop()


def test_close_finishes_a_message_in_transfer_and_turns_idle_sessions_away(
    gateway: RunningListener,
) -> None:
    busy = Raw(gateway.port)
    for cmd in (b"EHLO c\r\n", b"MAIL FROM:<a@example.com>\r\n", b"RCPT TO:<b@lg.jp>\r\n",
                b"DATA\r\n"):
        busy.send(cmd)
        busy.reply()
    busy.send(b"Subject: in flight\r\n\r\nfirst half\r\n")
    idle = Raw(gateway.port)
    stopping = asyncio.run_coroutine_threadsafe(gateway.listener.close(10), gateway.loop)
    assert idle.reply().startswith(b"421 4.3.2")
    assert idle.file.read() == b""  # closed by the server
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", gateway.port), timeout=2).close()
    busy.send(b"second half\r\n.\r\n")
    assert busy.reply().startswith(b"250 2.0.0 Ok: queued as ")
    assert busy.reply().startswith(b"421 4.3.2")
    stopping.result(10)
    busy.close()
    idle.close()
    assert gateway.messages()[0].endswith(b"first half\r\nsecond half\r\n")
    assert gateway.listener._ringer._socket.fileno() == -1  # the wake-up socket is closed too


def test_listener_process_serves_until_sigterm(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(
        smtp={"host": "127.0.0.1", "port": port},
        spool={"directory": tmp_path / "spool", "fsync": False, "min_free_bytes": 0},
    )
    spool = Spool(tmp_path / "spool", fsync=False)
    spool.prepare()  # the supervisor's job, before listeners start
    child = mp.get_context("spawn").Process(target=run_listener_process, args=(settings,))
    child.start()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client = smtplib.SMTP("127.0.0.1", port, timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        with client:
            client.sendmail("a@example.com", ["b@lg.jp"], b"Subject: child\r\n\r\nx\r\n")
        assert child.pid is not None
        os.kill(child.pid, signal.SIGTERM)
        child.join(30)
        assert child.exitcode == 0
    finally:
        if child.is_alive():
            child.kill()
    assert spool.counts()["incoming"] == 1
