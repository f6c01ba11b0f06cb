"""Shared fixtures: a fake LGWAN MTA and settings rooted in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.config import Settings
from tests.fakes.lgwan_mta import FakeMta
from tests.pg import PgCluster, server_bin


@pytest.fixture
def fake_mta() -> Iterator[FakeMta]:
    with FakeMta() as mta:
        yield mta


@pytest.fixture
def make_settings(tmp_path: Path) -> Any:
    """Settings with every path under tmp_path; keyword sections override, e.g. delivery={...}."""

    def build(**sections: Any) -> Settings:
        base: dict[str, Any] = {
            "data_dir": tmp_path / "var",
            "spool": {"directory": tmp_path / "var" / "spool"},
            "delivery": {"maildir": tmp_path / "var" / "maildir"},
        }
        for name, values in sections.items():
            if isinstance(values, dict) and isinstance(base.get(name), dict):
                base[name] = {**base[name], **values}
            else:
                base[name] = values
        return Settings(**base)

    return build


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """One throwaway PostgreSQL cluster for the whole run (scripts/setup.sh dev installs it)."""
    bindir = server_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not installed (scripts/setup.sh dev installs them)")
    cluster = PgCluster(bindir)
    try:
        cluster.start()
    except (RuntimeError, OSError, KeyError) as exc:
        cluster.stop()
        pytest.skip(f"cannot start a throwaway PostgreSQL cluster here: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    """The URL of a fresh, empty PostgreSQL database."""
    return pg_cluster.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store database on each backend the gateway supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    return str(request.getfixturevalue("pg_url"))
