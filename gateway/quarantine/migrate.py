"""Schema migrations (Alembic) for both backends: `mutaika db upgrade`, and the check at start.

No alembic.ini: the script directory is the package's own migrations/, and the connection is
handed over in code, so the same migrations run from the CLI, from `serve` and from tests.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

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


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to `revision` (all migrations by default), in one transaction where the
    backend allows it."""
    config = _config()
    with translate_errors(), db.engine.begin() as conn:
        before = MigrationContext.configure(conn).get_current_revision()
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        after = MigrationContext.configure(conn).get_current_revision()
    if after != before:
        LOG.info("store schema upgraded from %s to %s", before or "nothing", after)
