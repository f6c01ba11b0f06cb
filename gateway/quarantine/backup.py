"""Backing up and restoring the store: the quarantine (records and payloads), releases, tokens
and the audit log, as one consistent copy.

SQLite: the online backup API copies the database page by page under a read transaction, so a
running gateway keeps taking mail and the copy is one moment's state (with the WAL folded in).
PostgreSQL: the server's own pg_dump (custom format) and pg_restore, which must be installed
where the command runs (the postgresql-client package) and match the server's major version.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from gateway.quarantine.db import normalize_url


class BackupError(Exception):
    """The backup or the restore could not be made (the message says why)."""


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory database has nothing to back up")
    return Path(parsed.database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string for pg_dump/pg_restore, with the password in the environment
    (never on a command line that `ps` shows)."""
    parsed = make_url(normalize_url(url))
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    parts = [f"dbname={parsed.database}"]
    if parsed.host:
        parts.append(f"host={parsed.host}")
    if parsed.port:
        parts.append(f"port={parsed.port}")
    if parsed.username:
        parts.append(f"user={parsed.username}")
    return " ".join(parts), env


def _run(args: list[str], env: dict[str, str]) -> None:
    if shutil.which(args[0]) is None and not Path(args[0]).is_file():
        raise BackupError(f"{args[0]} not found: install the PostgreSQL client tools")
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-500:]}")


def backup(url: str, target: Path, *, pg_bin: Path | None = None) -> None:
    """Write a consistent copy of the store to `target` (which must not exist)."""
    if target.exists():
        raise BackupError(f"{target} exists: a backup never overwrites")
    source = _sqlite_path(url)
    if source is not None:
        if not source.is_file():
            raise BackupError(f"no database at {source}")
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return
    conninfo, env = _libpq(url)
    tool = str(pg_bin / "pg_dump") if pg_bin else "pg_dump"
    _run([tool, "--format=custom", "--no-owner", f"--file={target}", conninfo], env)


def restore(url: str, source: Path, *, pg_bin: Path | None = None) -> None:
    """Put the backup `source` back as the store (the gateway must be stopped: the caller checks
    the data directory's lock)."""
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    target = _sqlite_path(url)
    if target is not None:
        try:
            with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as check:
                sound = check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
                sound = sound and bool(check.execute(
                    "SELECT 1 FROM sqlite_master WHERE name = 'audit_log'").fetchone())
        except sqlite3.DatabaseError:
            sound = False
        if not sound:
            raise BackupError(f"{source} is not a sound backup of the store")
        target.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)  # the old log must not be replayed onto the copy
        staged = target.with_name(target.name + ".restoring")
        shutil.copyfile(source, staged)
        os.replace(staged, target)
        return
    conninfo, env = _libpq(url)
    tool = str(pg_bin / "pg_restore") if pg_bin else "pg_restore"
    _run([tool, "--clean", "--if-exists", "--no-owner", "--single-transaction",
          f"--dbname={conninfo}", str(source)], env)  # fmt: skip
