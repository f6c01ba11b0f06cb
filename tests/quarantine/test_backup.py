"""Back up the store, destroy it, restore it: every mail, release and audit entry comes back and
`mutaika audit verify` passes. On SQLite and on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from gateway.quarantine import QuarantineStore
from gateway.quarantine.backup import BackupError, backup, restore
from gateway.quarantine.db import normalize_url
from tests.e2e.harness import REPO, write_config
from tests.pg import server_bin
from tests.quarantine.test_store import ENVELOPE, _result

QIDS = [f"0195F3A2B4C5D6E7{n:02X}" for n in range(5)]


def _fill(url: str) -> None:
    store = QuarantineStore(url)
    store.prepare()
    for n, qid in enumerate(QIDS):
        store.put(qid, ENVELOPE, b"original %d" % n, _result([b"PDF %d" % n]))
        with store.transaction() as tx:
            tx.audit.append(actor="test", role="admin", action="test.fill", target=qid)
    store.close()


def _destroy(url: str, path: Path | None) -> None:
    if path is not None:
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)
        return
    engine = create_engine(normalize_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _verify_cli(tmp_path: Path, url: str) -> subprocess.CompletedProcess[str]:
    config = write_config(tmp_path / "verify.toml", {"store": {"url": url}},
                          data_dir=str(tmp_path / "var"))  # fmt: skip
    return subprocess.run([sys.executable, "-m", "gateway", "audit", "verify", "--config",
                           str(config)], cwd=tmp_path, env={"PYTHONPATH": str(REPO),
                           "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip


def test_backup_destroy_restore_and_the_chain_verifies(store_url: str, tmp_path: Path) -> None:
    sqlite_path = Path(store_url.removeprefix("sqlite:///")) if "sqlite" in store_url else None
    pg_bin = None if sqlite_path else server_bin()
    _fill(store_url)
    copy = tmp_path / "store.backup"
    backup(store_url, copy, pg_bin=pg_bin)
    with pytest.raises(BackupError, match="never overwrites"):
        backup(store_url, copy, pg_bin=pg_bin)
    _destroy(store_url, sqlite_path)
    restore(store_url, copy, pg_bin=pg_bin)
    store = QuarantineStore(store_url)
    try:
        assert store.problems() == []
        assert store.count() == len(QIDS)
        assert store.original(QIDS[3]) == b"original 3" and store.item(QIDS[3], 0) == b"PDF 3"
        with store.snapshot() as tx:
            result = tx.audit.verify()
        assert result.ok and result.checked == len(QIDS)
    finally:
        store.close()
    done = _verify_cli(tmp_path, store_url)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_damaged_backup_is_refused_before_anything_is_touched(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    _fill(url)
    bad = tmp_path / "bad.backup"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    with pytest.raises(BackupError, match="not a sound backup"):
        restore(url, bad)
    store = QuarantineStore(url)
    assert store.count() == len(QIDS)  # the live store is untouched
    store.close()


def test_the_cli_backs_up_online_and_restores_only_a_stopped_gateway(tmp_path: Path) -> None:
    from gateway.serve.lock import DirectoryLock

    url = f"sqlite:///{tmp_path / 'var' / 'mutaika.sqlite3'}"
    _fill(url)
    config = write_config(tmp_path / "g.toml", {"store": {"url": url}},
                          data_dir=str(tmp_path / "var"))  # fmt: skip

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "gateway", "db", *args, "--config",
                               str(config)], cwd=tmp_path, env={"PYTHONPATH": str(REPO),
                               "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                              timeout=60, check=False)  # fmt: skip

    running = DirectoryLock(tmp_path / "var")
    running.acquire()  # as a running serve holds it
    try:
        assert cli("backup", str(tmp_path / "online.backup")).returncode == 0
        refused = cli("restore", str(tmp_path / "online.backup"))
        assert refused.returncode == 1 and "stop it before a restore" in refused.stderr
    finally:
        running.release()
    done = cli("restore", str(tmp_path / "online.backup"))
    assert done.returncode == 0, done.stderr
