"""`mutaika db upgrade`: bring the store's schema to this version (serve does it at start too)."""

from __future__ import annotations

import argparse

from gateway.cli.common import EXIT_OK, SubParsers
from gateway.config import Settings


def upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from gateway.runtime import open_store

    store = open_store(settings)
    try:
        before = store.schema_revision()
        store.prepare()
        after = store.schema_revision()
    finally:
        store.close()
    print(f"store schema: {before or 'nothing'} -> {after}" if before != after
          else f"store schema already at {after}")
    return EXIT_OK


def add_parser(sub: SubParsers) -> None:
    db = sub.add_parser("db", help="the store's schema")
    cmds = db.add_subparsers(dest="db_command", required=True)
    up = cmds.add_parser("upgrade", help="run the migrations up to this version")
    up.add_argument("--config")
    up.set_defaults(run=upgrade)
