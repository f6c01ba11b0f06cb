"""The audit chain: every way of tampering with it is found, by the service and by
`mutaika audit verify` (its exit code and the entry it names); concurrent writers in several
processes still make one chain."""

from __future__ import annotations

import multiprocessing
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gateway.config import Settings
from gateway.quarantine import AuditFilter, QuarantineStore
from gateway.services.audit import Guard
from gateway.services.errors import Forbidden
from tests.e2e.harness import write_config
from tests.plane import ADMIN, VIEWER, World, make_world, plane_sections

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def audited(make_settings: Any, tmp_path: Path) -> tuple[World, Path]:
    """A world with 6 audit entries, and a config file the CLI can open it with."""
    settings: Settings = make_settings(**plane_sections())
    world = make_world(settings)
    for n in range(6):
        world.services.tokens.create(ADMIN, role="viewer", name=f"t{n}")
    config = write_config(tmp_path / "gateway.toml", {
        "spool": {"directory": str(settings.spool.directory)},
    }, data_dir=str(settings.data_dir))
    return world, config


def _sql(world: World, statement: str) -> None:
    db = world.settings.data_dir / "mutaika.sqlite3"
    world.store.close()
    with sqlite3.connect(db) as conn:
        conn.execute(statement)


def _cli_verify(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway", "audit", "verify", "--config",
                           str(config)], capture_output=True, text=True, timeout=60, cwd=REPO,
                          check=False)


def test_an_intact_chain_verifies(audited: tuple[World, Path]) -> None:
    world, config = audited
    result = world.services.audit.verify(ADMIN)
    assert result.ok and result.checked == 6 and result.head_seq == 6
    done = _cli_verify(config)
    assert done.returncode == 0 and "6 entries" in done.stdout, done.stderr


TAMPERING: dict[str, tuple[str, int]] = {
    "edit": ("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3", 3),
    "edit-detail": ("UPDATE audit_log SET detail = '{\"name\":\"t9\"}' WHERE seq = 4", 4),
    "delete": ("DELETE FROM audit_log WHERE seq = 3", 3),
    "delete-last": ("DELETE FROM audit_log WHERE seq = 6", 6),
    # entries 2 and 3 change places: their numbers swap, so reading by number meets 3 first
    "reorder": ("", 2),
}


@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_tampering_is_detected_and_the_first_bad_entry_named(
    audited: tuple[World, Path], how: str
) -> None:
    world, config = audited
    statement, bad = TAMPERING[how]
    if how == "reorder":  # a primary key swaps through a free number
        _sql(world, "UPDATE audit_log SET seq = 100 WHERE seq = 2")
        _sql(world, "UPDATE audit_log SET seq = 2 WHERE seq = 3")
        _sql(world, "UPDATE audit_log SET seq = 3 WHERE seq = 100")
    else:
        _sql(world, statement)
    result = world.services.audit.verify(ADMIN)
    assert not result.ok and result.bad_seq == bad, result
    done = _cli_verify(config)
    assert done.returncode == 1
    assert f"broken at entry {bad}" in done.stderr, done.stderr


def test_a_refusal_is_itself_audited(audited: tuple[World, Path]) -> None:
    world, _ = audited
    with pytest.raises(Forbidden):
        world.services.audit.verify(VIEWER)
    Guard(world.store).unauthenticated("GET /api/v1/status", "/api/v1/status", "no token")
    entries = world.services.audit.entries(ADMIN, AuditFilter())
    assert [(e.action, e.result) for e in entries[-2:]] == [
        ("audit.read", "denied"), ("GET /api/v1/status", "denied")]


def _append_many(url: str, writer: int, count: int) -> None:
    store = QuarantineStore(url)
    for n in range(count):
        with store.transaction() as tx:
            tx.audit.append(actor=f"writer-{writer}", role="admin", action="test.append",
                            target=str(n))
    store.close()


def test_concurrent_writers_in_several_processes_make_one_chain(store_url: str) -> None:
    """On SQLite (BEGIN IMMEDIATE) and on PostgreSQL (the head row locked FOR UPDATE), as
    several nodes would write it: one linear chain, no entry lost or forked."""
    url = store_url
    store = QuarantineStore(url)
    store.prepare()
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_append_many, args=(url, w, 25)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(60)
        assert p.exitcode == 0
    with store.snapshot() as tx:
        result = tx.audit.verify()
    assert result.ok and result.checked == 100 and result.head_seq == 100
