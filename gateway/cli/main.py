"""The `mutaika` parser and dispatch: each command group adds its own subcommands."""

from __future__ import annotations

import argparse
import json
import os

from gateway import __version__
from gateway.cli import audit, db, quarantine, queue, sanitize, serve, token
from gateway.cli.common import EXIT_OK, EXIT_USAGE, fail
from gateway.config import Settings, load_settings
from gateway.errors import ConfigError


def check_config(args: argparse.Namespace, settings: Settings) -> int:
    print(json.dumps(settings.model_dump(mode="json"), indent=2, ensure_ascii=False))
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mutaika", description="無害化 mail gateway")
    parser.add_argument("--version", action="version", version=f"mutaika {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve.add_parser(sub)
    check = sub.add_parser("check-config", help="validate a configuration and print it")
    check.add_argument("--config")
    check.set_defaults(run=check_config)
    sanitize.add_parser(sub)
    for group in (quarantine, queue, token, audit, db):
        group.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    config = getattr(args, "config", None) or os.environ.get("MUTAIKA_CONFIG")
    try:
        settings = load_settings(config)
    except ConfigError as exc:
        return fail(str(exc), EXIT_USAGE)
    code: int = args.run(args, settings)
    return code
