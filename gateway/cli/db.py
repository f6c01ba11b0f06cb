"""`mutaika db upgrade | backup | restore`: the store's schema, and one consistent copy of it."""

from __future__ import annotations

import argparse
from pathlib import Path

from gateway.cli.common import EXIT_FAILED, EXIT_OK, SubParsers, fail
from gateway.config import Settings
from gateway.errors import ConfigError


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


def _url(settings: Settings) -> str:
    from gateway.serve.app import resolve_paths

    settings = resolve_paths(settings)
    return settings.store.resolved_url(settings.data_dir)


def backup(args: argparse.Namespace, settings: Settings) -> int:
    from gateway.quarantine.backup import BackupError
    from gateway.quarantine.backup import backup as make_backup

    try:
        make_backup(_url(settings), Path(args.file))
    except BackupError as exc:
        return fail(str(exc), EXIT_FAILED)
    print(f"store backed up to {args.file}")
    return EXIT_OK


def restore(args: argparse.Namespace, settings: Settings) -> int:
    from gateway.quarantine.backup import BackupError
    from gateway.quarantine.backup import restore as put_back
    from gateway.serve.app import resolve_paths
    from gateway.serve.lock import DirectoryLock

    lock = DirectoryLock(resolve_paths(settings).data_dir)
    try:
        lock.acquire()  # a running serve on this data directory holds it: stop it first
        put_back(_url(settings), Path(args.file))
    except ConfigError as exc:
        return fail(f"{exc}: stop it before a restore", EXIT_FAILED)
    except BackupError as exc:
        return fail(str(exc), EXIT_FAILED)
    finally:
        lock.release()
    print(f"store restored from {args.file}; check it with `mutaika audit verify`")
    return EXIT_OK


def add_parser(sub: SubParsers) -> None:
    db = sub.add_parser("db", help="the store's schema, backups and restores")
    cmds = db.add_subparsers(dest="db_command", required=True)
    up = cmds.add_parser("upgrade", help="run the migrations up to this version")
    up.add_argument("--config")
    up.set_defaults(run=upgrade)
    save = cmds.add_parser("backup", help="write a consistent copy of the store (online)")
    save.add_argument("file", help="the backup file to write (never overwritten)")
    save.add_argument("--config")
    save.set_defaults(run=backup)
    load = cmds.add_parser("restore", help="put a backup back as the store (serve stopped)")
    load.add_argument("file", help="a file made by `mutaika db backup`")
    load.add_argument("--config")
    load.set_defaults(run=restore)
