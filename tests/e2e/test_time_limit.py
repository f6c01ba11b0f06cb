"""A mail that keeps the sanitizer busy past workers.time_limit_seconds is killed and quarantined
whole, while the other mails keep flowing."""

from __future__ import annotations

import json
import urllib.request
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

import pytest

from gateway.quarantine import QuarantineStore
from tests.e2e.harness import wait_until
from tests.e2e.mails import plain
from tests.fakes.lgwan_mta import FakeMta

pytestmark = [pytest.mark.e2e]


def slow_html_mail(nodes: int = 30_000) -> bytes:
    """About 2 MB of links: more than a second of HTML rendering on this machine."""
    html = "".join(
        f'<p><a href="http://x{i}.example.com/">l{i}</a> <b>t</b></p>' for i in range(nodes)
    )
    msg = EmailMessage()
    msg["From"] = "alice@example.org"
    msg["To"] = "bob@city.example.lg.jp"
    msg["Subject"] = "SLOWMAIL"
    msg.set_content(f"<html><body>{html}</body></html>", subtype="html")
    return msg.as_bytes(policy=SMTP)


def test_stuck_sanitizer_is_killed_and_mail_quarantined_whole(
    start_gateway: Any, fake_mta: FakeMta, tmp_path: Path
) -> None:
    gateway = start_gateway(fake_mta.url, workers={"processes": 2, "time_limit_seconds": 0.3})
    gateway.send(slow_html_mail())
    tokens = [f"FAST{n}" for n in range(5)]
    for token in tokens:
        gateway.send(plain(token))
    assert wait_until(lambda: len(fake_mta.messages) == 6, 20), gateway.log.read_text()[-2000:]
    for token in tokens:
        assert any(token.encode() in m.data for m in fake_mta.messages)

    store = QuarantineStore(f"sqlite:///{tmp_path / 'var' / 'mutaika.sqlite3'}")
    records = store.page().records
    slow = [r for r in records if r.verdict == "quarantined-whole"]
    assert len(slow) == 1
    assert sorted(r.verdict for r in records) == ["clean"] * 5 + ["quarantined-whole"]
    assert slow[0].reason == "time-limit"
    original = store.original(slow[0].id)
    assert original is not None and len(original) > 1_000_000
    assert "stuck on" in gateway.log.read_text()
    state = json.loads((tmp_path / "var" / "serve.json").read_text())
    url = f"http://127.0.0.1:{state['api'][1]}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        metrics = response.read().decode()
    assert "mutaika_sanitize_timeouts_total 1.0" in metrics
    assert gateway.stop() == 0
