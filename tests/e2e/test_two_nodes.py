"""Two `mutaika serve` nodes on one PostgreSQL store (a prefecture's セキュリティクラウド): each
keeps its own spool, both quarantine into the one store, their queue IDs never clash, a mail
one node quarantined is listed, released and audited from the other, delivered once."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from gateway.quarantine import QuarantineStore
from tests.e2e.harness import REPO, wait_until
from tests.e2e.mails import html_with_attachment
from tests.e2e.test_release import Console, _releases_of
from tests.fakes.lgwan_mta import FakeMta

pytestmark = [pytest.mark.e2e]
RCPT = "staff@city.example.lg.jp"


def test_two_nodes_share_one_store(
    start_gateway: Any, fake_mta: FakeMta, pg_url: str, tmp_path: Path
) -> None:
    nodes = {
        name: start_gateway(
            fake_mta.url, workdir=tmp_path / name, top={"node_name": name}, store={"url": pg_url}
        )
        for name in ("gw-a", "gw-b")
    }
    for name, gateway in nodes.items():
        for n in range(3):
            gateway.send(html_with_attachment(f"{name}-{n}", rcpt=RCPT), rcpts=[RCPT])
    assert wait_until(lambda: len(fake_mta.messages) == 6, 30)
    store = QuarantineStore(pg_url)
    try:
        records = store.page(limit=50).records
        assert len(records) == 6 and len({r.id for r in records}) == 6
        by_subject = {r.subject: r for r in records}
        for name in nodes:
            for n in range(3):
                record = by_subject[f"report {name}-{n}"]
                assert record.items and store.original(record.id) is not None
        # the node is part of every ID: the two gateways' IDs differ there
        assert len({r.id[11:15] for r in records}) == 2
    finally:
        store.close()
    # released from node B's API, a mail node A quarantined arrives once, with its trace
    a_console = Console(nodes["gw-a"], tmp_path / "gw-a")
    b_console = Console(nodes["gw-b"], tmp_path / "gw-b")
    qid = b_console.quarantine_id("gw-a-1")
    release_id = b_console.release(qid)
    assert wait_until(lambda: b_console.state(release_id)["state"] == "delivered", 30)
    assert len(_releases_of(fake_mta, release_id)) == 1
    assert a_console.state(release_id)["state"] == "delivered"  # node A sees it too
    verify = subprocess.run(
        [sys.executable, "-m", "gateway", "audit", "verify", "--config",
         str(nodes["gw-a"].config)], cwd=tmp_path / "gw-a", capture_output=True, text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, timeout=60, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
    time.sleep(1.0)
    assert len(_releases_of(fake_mta, release_id)) == 1  # exactly once, whichever node
    for gateway in nodes.values():
        assert gateway.stop() == 0
