"""`mutaika audit verify|export`: check the hash chain; the log as JSON Lines."""

from __future__ import annotations

import argparse
import sys

from gateway.cli.common import EXIT_FAILED, EXIT_OK, SubParsers, cli_principal, refused, services
from gateway.config import Settings


@refused
def verify(args: argparse.Namespace, settings: Settings) -> int:
    with services(settings) as s:
        result = s.audit.verify(cli_principal())
    if not result.ok:
        print(f"mutaika: audit chain broken at entry {result.bad_seq}: {result.problem}",
              file=sys.stderr)
        return EXIT_FAILED
    print(f"audit chain intact: {result.checked} entries, head {result.head_seq} "
          f"{result.head_hash}")
    return EXIT_OK


@refused
def export(args: argparse.Namespace, settings: Settings) -> int:
    from gateway.quarantine import AuditFilter

    with services(settings) as s:
        for line in s.audit.export(cli_principal(), AuditFilter(action=args.action)):
            sys.stdout.write(line)
    return EXIT_OK


def add_parser(sub: SubParsers) -> None:
    group = sub.add_parser("audit", help="the audit log")
    cmds = group.add_subparsers(dest="audit_command", required=True)
    check = cmds.add_parser("verify", help="check the hash chain; non-zero exit when broken")
    check.set_defaults(run=verify)
    out = cmds.add_parser("export", help="every entry as JSON Lines, oldest first")
    out.add_argument("--action", default="", help="exact, or a prefix ending in '.'")
    out.set_defaults(run=export)
    for parser in (check, out):
        parser.add_argument("--config")
