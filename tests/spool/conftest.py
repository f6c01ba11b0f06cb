from __future__ import annotations

from pathlib import Path

import pytest

from gateway.spool.store import Spool
from gateway.types import Envelope


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    s = Spool(tmp_path / "spool", fsync=False, max_attempts=3, min_free_bytes=0)
    s.prepare()
    return s


@pytest.fixture
def envelope() -> Envelope:
    return Envelope(mail_from="alice@example.com", rcpt_tos=["bob@city.example.lg.jp"],
                    client_address="192.0.2.1", helo="mx.example.com", received_at=1.0)
