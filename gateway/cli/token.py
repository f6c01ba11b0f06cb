"""`mutaika token create|list|revoke`: API tokens (the secret is printed once)."""

from __future__ import annotations

import argparse
import datetime

from gateway.cli.common import EXIT_OK, SubParsers, cli_principal, refused, services, table
from gateway.config import Settings
from gateway.services.principal import TOKEN_ROLES


def _time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return datetime.datetime.fromtimestamp(seconds).astimezone().strftime("%Y-%m-%d %H:%M")


@refused
def create(args: argparse.Namespace, settings: Settings) -> int:
    with services(settings) as s:
        made = s.tokens.create(cli_principal(), role=args.role, name=args.name)
    print(made.token)
    print(f"token {made.record.id} ({made.record.role}, {made.record.name}): the line above is "
          "the only copy of its secret", flush=True)
    return EXIT_OK


@refused
def list_(args: argparse.Namespace, settings: Settings) -> int:
    with services(settings) as s:
        found = s.tokens.listing(cli_principal())
    table([[t.id, t.role, t.name, _time(t.created_at), t.created_by, _time(t.revoked_at)]
           for t in found], ["ID", "ROLE", "NAME", "CREATED", "BY", "REVOKED"])
    return EXIT_OK


@refused
def revoke(args: argparse.Namespace, settings: Settings) -> int:
    with services(settings) as s:
        s.tokens.revoke(cli_principal(), args.id)
    print(f"token {args.id} revoked")
    return EXIT_OK


def add_parser(sub: SubParsers) -> None:
    group = sub.add_parser("token", help="API tokens")
    cmds = group.add_subparsers(dest="token_command", required=True)
    new = cmds.add_parser("create", help="make a token and print it once")
    new.add_argument("--role", required=True, choices=[str(r) for r in TOKEN_ROLES])
    new.add_argument("--name", required=True, help="who or what holds it")
    new.set_defaults(run=create)
    ls = cmds.add_parser("list", help="every token, revoked ones included")
    ls.set_defaults(run=list_)
    rm = cmds.add_parser("revoke", help="revoke a token at once")
    rm.add_argument("id")
    rm.set_defaults(run=revoke)
    for parser in (new, ls, rm):
        parser.add_argument("--config")
