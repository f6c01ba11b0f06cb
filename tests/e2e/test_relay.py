"""Whole-gateway runs: SMTP in → sanitize → quarantine → relay out, over loopback."""

from __future__ import annotations

import email
import email.policy
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from gateway.quarantine import QuarantineStore
from gateway.spool import Queue, Spool
from tests.e2e.harness import spool_count, wait_until
from tests.e2e.mails import html_with_attachment, plain
from tests.fakes.lgwan_mta import FakeMta

pytestmark = [pytest.mark.e2e]


def _with_token(mta: FakeMta, token: str) -> list[bytes]:
    return [m.data for m in mta.messages if token.encode() in m.data]


def test_html_with_attachment_arrives_as_one_text_part(
    start_gateway: Any, fake_mta: FakeMta, tmp_path: Path
) -> None:
    gateway = start_gateway(fake_mta.url)
    raw = html_with_attachment("HAPPY01")
    gateway.send(raw)
    assert wait_until(lambda: _with_token(fake_mta, "HAPPY01"), 15)
    delivered = email.message_from_bytes(
        _with_token(fake_mta, "HAPPY01")[0], policy=email.policy.default
    )
    assert delivered.get_content_type() == "text/plain"
    assert not delivered.is_multipart()
    body = delivered.get_content()
    assert "invoice.pdf" in body  # the notice names the removed attachment
    assert "http://evil.example.com" not in body
    assert fake_mta.messages[0].rcpt_tos == ["bob@city.example.lg.jp"]

    store = QuarantineStore(f"sqlite:///{tmp_path / 'var' / 'mutaika.sqlite3'}")
    records = store.page().records
    assert len(records) == 1 and records[0].subject == "report HAPPY01"
    original = store.original(records[0].id)
    assert original is not None and original.endswith(raw[-200:])
    assert records[0].items and store.item(records[0].id, 0) is not None
    assert wait_until(
        lambda: spool_count(tmp_path, "outgoing") + spool_count(tmp_path, "sending") == 0, 5
    )

    state = json.loads((tmp_path / "var" / "serve.json").read_text())
    api = f"http://127.0.0.1:{state['api'][1]}"
    assert wait_until(lambda: _get(api + "/livez")[0] == 200, 10)
    status, ready = _get(api + "/readyz")
    assert status == 200, ready
    status, text = _get(api + "/metrics")
    assert status == 200 and "mutaika_sanitize_verdicts_total" in text
    assert gateway.stop() == 0


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except OSError as exc:
        return getattr(exc, "code", 0), str(exc)


def test_maildir_is_the_default_delivery(start_gateway: Any, tmp_path: Path) -> None:
    gateway = start_gateway("", delivery={"relay_url": ""})
    gateway.send(plain("MAILDIR1"))
    new = tmp_path / "var" / "maildir" / "new"
    assert wait_until(lambda: new.is_dir() and any(new.iterdir()), 15)
    files = list(new.iterdir())
    assert len(files) == 1 and b"MAILDIR1" in files[0].read_bytes()
    assert gateway.stop() == 0


def test_outage_defers_and_recovery_delivers_everything(
    start_gateway: Any, fake_mta: FakeMta, tmp_path: Path
) -> None:
    fake_mta.down()
    gateway = start_gateway(fake_mta.url)
    tokens = [f"OUTAGE{n:02d}" for n in range(10)]
    for token in tokens:
        gateway.send(plain(token))
    assert wait_until(lambda: spool_count(tmp_path, "deferred") >= 5, 15)
    fake_mta.up()
    assert wait_until(lambda: all(_with_token(fake_mta, t) for t in tokens), 20)
    assert wait_until(lambda: spool_count(tmp_path, "deferred") == 0, 5)
    assert gateway.stop() == 0


def test_5xx_fails_visibly_and_bounces(
    start_gateway: Any, fake_mta: FakeMta, tmp_path: Path
) -> None:
    with FakeMta() as internet:
        gateway = start_gateway(fake_mta.url, delivery={"dsn_relay_url": internet.url})
        fake_mta.faults.rcpt_replies = {"nobody@city.example.lg.jp": "550 5.1.1 no such user"}
        gateway.send(
            plain("BOUNCE01"), rcpts=["nobody@city.example.lg.jp", "bob@city.example.lg.jp"]
        )
        gateway.send(plain("BOUNCE02"), sender="", rcpts=["nobody@city.example.lg.jp"])
        assert wait_until(lambda: spool_count(tmp_path, "failed") == 2, 15)
        assert wait_until(lambda: len(internet.messages) == 1, 10)
        assert internet.messages[0].rcpt_tos == ["alice@example.org"]
        assert b"nobody@city.example.lg.jp" in internet.messages[0].data
        assert [m.rcpt_tos for m in fake_mta.messages] == [["bob@city.example.lg.jp"]]
        failed = Spool(tmp_path / "var" / "spool").entries(Queue.FAILED)
        assert all(entry.record.last_error for entry in failed)
        assert gateway.stop() == 0
