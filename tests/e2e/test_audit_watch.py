"""The audit chain's watch in `mutaika serve`: the housekeeping child checks the chain, /metrics
reports it whole; an entry edited while the gateway was down is found by the first round after
the start, and the broken chain is still reported after another restart."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.harness import wait_until
from tests.fakes.lgwan_mta import FakeMta

pytestmark = [pytest.mark.e2e]


def _gauges(workdir: Path) -> dict[str, float]:
    state = json.loads((workdir / "var" / "serve.json").read_text())
    try:
        text = httpx.get(f"http://127.0.0.1:{state['api'][1]}/metrics", timeout=5).text
    except httpx.HTTPError:
        return {}
    return {m[0]: float(m[1]) for m in re.findall(r"^(mutaika_\w+) (\S+)$", text, re.MULTILINE)}


def _api(workdir: Path) -> str:
    state = json.loads((workdir / "var" / "serve.json").read_text())
    return f"http://127.0.0.1:{state['api'][1]}"


def test_a_tampered_audit_log_is_reported_and_stays_reported(
    start_gateway: Any, fake_mta: FakeMta, tmp_path: Path
) -> None:
    gateway = start_gateway(fake_mta.url)
    assert wait_until(lambda: _gauges(tmp_path).get(
        "mutaika_audit_chain_checked_timestamp_seconds", 0) > 0, 30)  # fmt: skip
    gauges = _gauges(tmp_path)
    assert gauges["mutaika_audit_chain_ok"] == 1 and gauges["mutaika_ready"] == 1
    assert gauges["mutaika_spool_free_bytes"] > 0 and gauges["mutaika_store_free_bytes"] > 0
    for _ in range(3):  # each refused request is an audit entry
        assert httpx.get(_api(tmp_path) + "/api/v1/status", timeout=5).status_code == 401
    assert gateway.stop() == 0

    with sqlite3.connect(tmp_path / "var" / "mutaika.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone() == (3,)
        conn.execute("UPDATE audit_log SET actor = 'nobody' WHERE seq = 2")
    gateway.start()
    assert wait_until(lambda: _gauges(tmp_path).get("mutaika_audit_chain_ok") == 0, 30)
    assert gateway.stop() == 0
    assert "the audit chain is broken at entry 2" in gateway.log.read_text()

    gateway.start()
    assert wait_until(lambda: "mutaika_audit_chain_ok" in _gauges(tmp_path), 30)
    assert _gauges(tmp_path)["mutaika_audit_chain_ok"] == 0
