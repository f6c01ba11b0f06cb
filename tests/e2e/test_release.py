"""A release end to end: a mail through `mutaika serve`, released through the API, into the fake
LGWAN MTA; the downstream's 452 then 250, and a 550 that fails visibly and is retried; then the
/metrics scrape shows what happened."""

from __future__ import annotations

import email
import email.policy
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.harness import Gateway, make_token, spool_count, wait_until
from tests.fakes.lgwan_mta import FakeMta
from tests.plane import LOCAL, mail

pytestmark = [pytest.mark.e2e]
STAFF = f"kaikei@{LOCAL}"
OTHER = f"soumu@{LOCAL}"


def _releases_of(mta: FakeMta, release_id: str) -> list[bytes]:
    return [m.data for m in mta.messages if f"X-Mutaika-Release: {release_id}".encode() in m.data]


class Console:
    def __init__(self, gateway: Gateway, tmp_path: Path) -> None:
        state = json.loads((tmp_path / "var" / "serve.json").read_text())
        url = f"http://127.0.0.1:{state['api'][1]}"
        assert wait_until(lambda: _up(url), 10)
        self.url = url
        self.roles = {r: make_token(tmp_path, gateway.config, r) for r in ("operator", "approver")}

    def as_(self, role: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=20,
                            headers={"Authorization": f"Bearer {self.roles[role]}"})

    def release(self, quarantine_id: str, **body: Any) -> str:
        with self.as_("operator") as operator, self.as_("approver") as approver:
            created = operator.post("/api/v1/releases",
                                    json={"quarantine_id": quarantine_id, **body})
            assert created.status_code == 201, created.text
            release_id = str(created.json()["id"])
            approved = approver.post(f"/api/v1/releases/{release_id}/approve")
            assert approved.json()["state"] == "queued", approved.text
        return release_id

    def state(self, release_id: str) -> dict[str, Any]:
        with self.as_("operator") as operator:
            return dict(operator.get(f"/api/v1/releases/{release_id}").json())

    def status(self) -> dict[str, Any]:
        with self.as_("operator") as operator:
            return dict(operator.get("/api/v1/status").json())

    def quarantine_id(self, subject_token: str) -> str:
        with self.as_("operator") as operator:
            found = operator.get("/api/v1/quarantine", params={"subject": subject_token}).json()
        (item,) = found["items"]
        return str(item["id"])


def _up(url: str) -> bool:
    try:
        return httpx.get(url + "/livez", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_release_through_serve_into_the_lgwan_mta(
    start_gateway: Any, fake_mta: FakeMta, tmp_path: Path
) -> None:
    gateway: Gateway = start_gateway(fake_mta.url, smtp={"local_domains": [LOCAL]})
    raws = {token: mail(token) for token in ("RELEASE1", "RETRY452", "FAIL550")}
    for token, raw in raws.items():
        gateway.send(raw, rcpts=[STAFF] if token != "FAIL550" else [OTHER])
    assert wait_until(lambda: len(fake_mta.messages) == 3, 20)  # the sanitized copies
    console = Console(gateway, tmp_path)

    # the original, released after approval, arrives once with its Received headers and ours
    first = console.release(console.quarantine_id("RELEASE1"), comment="取引先の請求書")
    assert wait_until(lambda: console.state(first)["state"] == "delivered", 15)
    assert wait_until(lambda: spool_count(tmp_path, "outgoing") + spool_count(
        tmp_path, "sending") == 0, 5)
    (released,) = _releases_of(fake_mta, first)
    assert released.endswith(raws["RELEASE1"])  # the original as it came, byte for byte
    message = email.message_from_bytes(released, policy=email.policy.default)
    received = message.get_all("Received") or []
    assert len(received) == 2 and "mx.example.org" in received[1]  # ours, then the sender's
    assert message.get_all("X-Mutaika-Release") == [first]
    assert console.state(first)["results"][STAFF]["reply"].startswith("250")

    # 452: queued and retried by the queue; "delivered" only after the 250
    fake_mta.faults.rcpt_reply = "452 4.2.2 mailbox full"
    second = console.release(console.quarantine_id("RETRY452"))
    assert wait_until(lambda: console.state(second)["results"].get(STAFF, {}).get("status")
                      == "deferred", 15)
    assert console.state(second)["state"] == "queued" and not _releases_of(fake_mta, second)
    assert wait_until(lambda: (console.status()["last_delivery_error"] or {}).get("error")
                      == "452 4.2.2 mailbox full", 10)  # retried every 0.5 s: seen in deferred/
    fake_mta.faults.clear()
    assert wait_until(lambda: console.state(second)["state"] == "delivered", 15)
    assert len(_releases_of(fake_mta, second)) == 1

    # 550: failed with the reply shown, and retriable
    fake_mta.faults.rcpt_replies = {OTHER: "550 5.1.1 no such user"}
    third = console.release(console.quarantine_id("FAIL550"))
    assert wait_until(lambda: console.state(third)["state"] == "failed", 15)
    assert console.state(third)["results"][OTHER]["reply"] == "550 5.1.1 no such user"
    with console.as_("operator") as operator:
        failed = operator.get("/api/v1/queue/failed").json()
        assert [e["release_id"] for e in failed] == [third]
        fake_mta.faults.clear()
        assert operator.post(f"/api/v1/releases/{third}/retry").json()["state"] == "queued"
    assert wait_until(lambda: console.state(third)["state"] == "delivered", 15)
    assert len(_releases_of(fake_mta, third)) == 1 and spool_count(tmp_path, "failed") == 0

    # what happened, as /metrics shows it
    text = httpx.get(console.url + "/metrics", timeout=10).text
    assert _value(text, 'mutaika_sanitize_verdicts_total{verdict="sanitized"}') == 3
    assert _value(text, 'mutaika_releases{state="delivered"}') == 3
    assert _value(text, 'mutaika_quarantine_messages{state="released"}') == 3
    assert _value(text, "mutaika_release_approval_seconds_count") == 3
    assert _value(text, 'mutaika_delivery_attempts_total{outcome="delivered"}') == 6
    assert _value(text, 'mutaika_delivery_attempts_total{outcome="deferred"}') >= 1
    assert _value(text, 'mutaika_delivery_attempts_total{outcome="failed"}') == 1
    assert _value(text, 'mutaika_queue_messages{queue="failed"}') == 0
    assert gateway.stop() == 0


def _value(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert match, f"{name} not in /metrics"
    return float(match.group(1))
