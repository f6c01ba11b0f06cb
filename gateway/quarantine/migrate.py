"""Schema migrations (Alembic) for both backends: `mutaika db upgrade`, and the check at start.

No alembic.ini: the script directory is the package's own migrations/, and the connection is
handed over in code, so the same migrations run from the CLI, from `serve` and from tests.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from gateway.quarantine.db import Database, translate_errors

LOG = logging.getLogger(__name__)
SCRIPTS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    return config


def head() -> str:
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None  # the package ships its migrations
    return revision


def current(db: Database) -> str | None:
    """The revision the database is at; None for an empty database."""
    with translate_errors(), db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def _foreign_keys_off(conn: Connection) -> Iterator[None]:
    """SQLite rebuilds a table to alter it (Alembic's batch mode): with foreign keys on, dropping
    the old `messages` would cascade into every table that refers to it. The pragma is a no-op
    inside a transaction, so it is switched on the bare DBAPI connection before BEGIN, and the
    references are checked before the commit instead."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.dbapi_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to `revision` (all migrations by default), in one transaction where the
    backend allows it."""
    config = _config()
    with translate_errors(), db.engine.connect() as conn, _foreign_keys_off(conn), conn.begin():
        before = MigrationContext.configure(conn).get_current_revision()
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        after = MigrationContext.configure(conn).get_current_revision()
        if conn.dialect.name == "sqlite" and (
            broken := conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        ):
            raise RuntimeError(f"migration to {after} broke references: {broken[:5]}")
    if after != before:
        LOG.info("store schema upgraded from %s to %s", before or "nothing", after)
