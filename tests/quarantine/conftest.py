"""A prepared store on each backend (the store_url fixture: SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.quarantine import QuarantineStore


@pytest.fixture
def store(store_url: str) -> Iterator[QuarantineStore]:
    s = QuarantineStore(store_url)
    s.prepare()
    yield s
    s.close()
