"""`mutaika serve`: the whole gateway until SIGTERM."""

from __future__ import annotations

import argparse

from gateway.cli.common import EXIT_USAGE, SubParsers, fail
from gateway.config import Settings
from gateway.errors import ConfigError


def run(args: argparse.Namespace, settings: Settings) -> int:
    from gateway.serve.app import serve

    try:
        return serve(settings)
    except ConfigError as exc:  # the ports or the data directory are taken
        return fail(str(exc), EXIT_USAGE)


def add_parser(sub: SubParsers) -> None:
    serve = sub.add_parser("serve", help="run the gateway (SMTP in, sanitize, deliver)")
    serve.add_argument("--config", help="TOML file (default: built-in defaults, MUTAIKA_* env)")
    serve.set_defaults(run=run)
