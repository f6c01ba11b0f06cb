"""Bursts of hostile envelopes between normal mails, against `mutaika serve` as a process tree:
every normal mail arrives, every hostile command gets a refusal (or, where it is legal, is
delivered too), no worker dies, and nothing the clients sent reaches the log raw."""

from __future__ import annotations

import email
import email.policy
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import Gateway, wait_until
from tests.e2e.mails import plain
from tests.fakes.lgwan_mta import FakeMta
from tests.smtp.test_protocol import Raw

pytestmark = [pytest.mark.e2e]

DOMAIN = b"city.example.lg.jp"
GOOD_RCPT = b"RCPT TO:<bob@" + DOMAIN + b">"

# (commands after EHLO, the reply expected to the last one)
HOSTILE: list[tuple[list[bytes], bytes]] = [
    ([b"MAIL FROM:<\xff\xfe@lg.example.jp>"], b"501 5.1.7"),
    ([b"MAIL FROM:<\xff\xfe@lg.example.jp> SMTPUTF8"], b"501 5.1.7"),
    ([b"MAIL FROM:<a\x00@example.org>"], b"501 5.1.7"),
    ([b"MAIL FROM:<a@example.org", b"MAIL FROM:<<a@example.org>>"], b"501 5.1.7"),
    ([b"MAIL FROM:<" + b"x" * 300 + b"@example.org>"], b"501 5.1.7"),
    ([b"MAIL FROM:<a@example.org>", b"RCPT TO:<\xff\xfe@" + DOMAIN + b">"], b"501 5.1.3"),
    ([b"MAIL FROM:<a@example.org> SMTPUTF8", b"RCPT TO:<\xe5\xb1\xb1\xff@" + DOMAIN + b">"],
     b"501 5.1.3"),
    ([b"MAIL FROM:<a@example.org>", b"RCPT TO:<a\x00\x1b[2J@" + DOMAIN + b">"], b"501 5.1.3"),
    ([b"MAIL FROM:<a@example.org>", b"RCPT TO:<>"], b"501 5.1.3"),
    ([b"MAIL FROM:<a@example.org>", b"RCPT TO:<victim%evil.example@" + DOMAIN + b">"],
     b"550 5.7.1"),
    ([b"MAIL FROM:<a@example.org>", b"RCPT TO:<evil.example!victim@" + DOMAIN + b">"],
     b"550 5.7.1"),
    ([b"MAIL FROM:<a@example.org>", b"RCPT TO:<@evil.example:victim@" + DOMAIN + b">"],
     b"550 5.7.1"),
    ([b"MAIL FROM:<a@example.org>", b"RCPT TO:<victim@lg.jp>"], b"550 5.7.1"),
    ([b"XYZZY\x00\x1b]0;owned\x07", b"HELP"], b"250 Supported"),
    ([b"AUTH PLAIN AGFhAGI="], b"503 5.5.1"),
]


class Session(Raw):
    def say(self, line: bytes) -> bytes:
        self.send(line + b"\r\n")
        return self.reply()


def hostile_burst(port: int) -> None:
    for commands, expected in HOSTILE:
        s = Session(port)
        try:
            assert s.say(b"EHLO burst.example").startswith(b"250")
            replies = [s.say(c) for c in commands]
            assert replies[-1].startswith(expected), (commands, replies)
            assert s.say(b"QUIT").startswith(b"221")
        finally:
            s.close()


def odd_but_legal(port: int, token: str) -> None:
    """Accepted envelopes and data that are unusual: each must be delivered like any mail."""
    s = Session(port)
    try:
        assert s.say(b"EHLO \x93\xfa\x96\x7b-PC").startswith(b"250")  # a CP932 machine name
        assert s.say(b'MAIL FROM:<"odd sender"@example.org>').startswith(b"250")
        assert s.say(b'RCPT TO:<"<script>"@' + DOMAIN + b">").startswith(b"250")
        assert s.say(b"DATA").startswith(b"354")
        body = (f"Subject: odd {token}\n\nbare LF {token}\n..dot line\r\n".encode())
        assert s.say(body + b".").startswith(b"250 2.0.0")
    finally:
        s.close()


def test_hostile_envelopes_between_normal_mails(
    start_gateway: Any, fake_mta: FakeMta, tmp_path: Path
) -> None:
    gateway: Gateway = start_gateway(fake_mta.url)
    tokens = []
    for round_ in range(4):
        token = f"NORMAL{round_:02d}"
        gateway.send(plain(token))
        tokens.append(token)
        hostile_burst(gateway.smtp_port)
        odd = f"ODD{round_:02d}"
        odd_but_legal(gateway.smtp_port, odd)
        tokens.append(odd)

    def arrived() -> set[str]:
        data = b"".join(m.data for m in fake_mta.messages)
        return {t for t in tokens if t.encode() in data}

    assert wait_until(lambda: arrived() == set(tokens), 30), set(tokens) - arrived()
    odd = next(m for m in fake_mta.messages if b"ODD00" in m.data)
    assert odd.rcpt_tos == ['"<script>"@city.example.lg.jp']
    text = email.message_from_bytes(odd.data, policy=email.policy.default).get_content()
    assert "\n.dot line" in text and "..dot line" not in text  # unstuffed after the bare LF

    metrics = _metrics(tmp_path)
    assert 'mutaika_smtp_rejected_total{code="550",reason="routing"} 12.0' in metrics
    assert 'mutaika_smtp_rejected_total{code="501",reason="recipient-syntax"} 16.0' in metrics
    assert gateway.stop() == 0
    log = gateway.log.read_text(encoding="utf-8", errors="strict")
    assert " exited with " not in log  # no worker or listener died and was restarted
    assert "Traceback" not in log
    for line in log.splitlines():
        assert line.isprintable(), repr(line)


def _metrics(workdir: Path) -> str:
    state = json.loads((workdir / "var" / "serve.json").read_text())
    url = f"http://127.0.0.1:{state['api'][1]}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        text: str = response.read().decode()
    return text
