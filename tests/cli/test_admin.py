"""`mutaika token|quarantine|queue|db` as an administrator runs them over SSH: the same services
as the API, one line on stderr and a non-zero exit when refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gateway.config import Settings
from gateway.quarantine import AuditFilter, ReleaseState, migrate
from tests.e2e.harness import REPO, write_config
from tests.plane import ADMIN, LOCAL, World, make_world, plane_sections


@pytest.fixture
def site(make_settings: Any, tmp_path: Path) -> tuple[World, Path]:
    settings: Settings = make_settings(**plane_sections(
        release={"request_expiry_seconds": 600}))
    config = write_config(tmp_path / "gateway.toml", {
        "spool": {"directory": str(settings.spool.directory)},
        "smtp": {"local_domains": [LOCAL]},
        "release.policy": {"attachment": "self"},
    }, data_dir=str(settings.data_dir))
    return make_world(settings), config


def mutaika(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway", *args, "--config", str(config)],
                          capture_output=True, text=True, timeout=60, cwd=REPO, check=False)


def test_tokens_are_printed_once_and_stored_as_hashes(site: tuple[World, Path]) -> None:
    world, config = site
    made = mutaika(config, "token", "create", "--role", "approver", "--name", "sato")
    assert made.returncode == 0, made.stderr
    token = made.stdout.splitlines()[0]
    assert token.startswith("mutaika_")
    principal = world.services.tokens.authenticate(token)
    assert principal is not None and principal.role == "approver"
    _, token_id, secret = token.split("_", 2)  # the secret itself may hold "_"
    listed = mutaika(config, "token", "list")
    assert "sato" in listed.stdout and secret not in listed.stdout
    db = (world.settings.data_dir / "mutaika.sqlite3").read_bytes()
    assert secret.encode() not in db  # only the hash is kept
    assert mutaika(config, "token", "revoke", token_id).returncode == 0
    assert world.services.tokens.authenticate(token) is None
    again = mutaika(config, "token", "revoke", token_id)
    assert again.returncode == 1 and again.stderr.startswith("mutaika: no token")
    bad = mutaika(config, "token", "create", "--role", "approver", "--name", " ")
    assert bad.returncode == 2 and "printable name" in bad.stderr


def test_quarantine_and_queue_commands(site: tuple[World, Path]) -> None:
    world, config = site
    found = world.quarantine()
    listed = mutaika(config, "quarantine", "list")
    assert listed.returncode == 0 and found.id in listed.stdout
    shown = mutaika(config, "quarantine", "show", found.id)
    assert '"filename": "invoice.pdf"' in shown.stdout and "body " in shown.stdout
    released = mutaika(config, "quarantine", "release", found.id, "--items", "0",
                       "--to", f"x@{LOCAL}", "--comment", "over ssh")
    assert released.returncode == 0 and released.stdout.strip().endswith(": queued")
    release_id = released.stdout.split()[1].rstrip(":")
    world.deliver({f"x@{LOCAL}": "550 5.1.1 no such user"})
    failed = world.services.releases.get(ADMIN, release_id)
    assert failed.state == ReleaseState.FAILED and failed.queue_id
    queue = mutaika(config, "queue", "list", "failed")
    assert failed.queue_id in queue.stdout and "550 5.1.1 no such user" in queue.stdout
    assert mutaika(config, "queue", "retry", "failed", failed.queue_id).returncode == 0
    assert world.services.releases.get(ADMIN, release_id).state == ReleaseState.QUEUED
    outside = mutaika(config, "quarantine", "release", found.id, "--to", "x@example.com")
    assert outside.returncode == 2 and "local_domains" in outside.stderr
    busy = mutaika(config, "quarantine", "delete", found.id)
    assert busy.returncode == 1 and "under way" in busy.stderr
    world.deliver({f"x@{LOCAL}": "250 ok"})
    assert mutaika(config, "quarantine", "delete", found.id, "--reason", "done").returncode == 0
    assert world.store.get(found.id) is None
    actions = [e.action for e in world.services.audit.entries(ADMIN, AuditFilter())]
    assert {"release.create", "queue.retry", "quarantine.delete"} <= set(actions)
    assert all(e.actor.startswith("cli:") for e in world.services.audit.entries(
        ADMIN, AuditFilter(action="quarantine.delete")))


def test_db_upgrade_and_a_store_behind(tmp_path: Path) -> None:
    config = write_config(tmp_path / "gateway.toml", {
        "spool": {"directory": str(tmp_path / "spool")}}, data_dir=str(tmp_path / "var"))
    behind = mutaika(config, "quarantine", "list")
    assert behind.returncode == 1 and "mutaika db upgrade" in behind.stderr
    first = mutaika(config, "db", "upgrade")
    assert first.returncode == 0 and f"nothing -> {migrate.head()}" in first.stdout
    assert f"already at {migrate.head()}" in mutaika(config, "db", "upgrade").stdout
    assert mutaika(config, "quarantine", "list").returncode == 0


def test_the_cli_does_not_import_the_metrics_before_serve_sets_them_up() -> None:
    """prometheus_client picks single- or multi-process mode when gateway.metrics is imported:
    `mutaika serve` sets the mode up only after the CLI has loaded, so loading the CLI must
    not import it (the supervisor's counters would be lost from /metrics)."""
    probe = ("import sys, gateway.cli, gateway.cli.main, gateway.serve.app; "
             "sys.exit('gateway.metrics' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, timeout=60, check=False)
    assert done.returncode == 0
