"""`mutaika queue list|retry|delete`: deferred, failed and shunted mail (audited)."""

from __future__ import annotations

import argparse
import datetime

from gateway.cli.common import EXIT_OK, SubParsers, cli_principal, refused, services, table
from gateway.config import Settings


@refused
def list_(args: argparse.Namespace, settings: Settings) -> int:
    with services(settings) as s:
        entries = s.queue.entries(cli_principal(), args.queue, limit=args.limit, after=args.after)
    rows = []
    for e in entries:
        created = datetime.datetime.fromtimestamp(e.record.created_at).astimezone()
        rows.append([e.queue_id, created.strftime("%Y-%m-%d %H:%M:%S"),
                     ",".join(e.record.envelope.rcpt_tos)[:50],
                     (e.damaged or e.record.last_error)[:70]])
    table(rows, ["QUEUE ID", "CREATED", "RECIPIENTS", "LAST ERROR"])
    return EXIT_OK


@refused
def retry(args: argparse.Namespace, settings: Settings) -> int:
    with services(settings) as s:
        moved = s.queue.retry(cli_principal(), args.queue, args.queue_id)
    print(f"{moved.queue_id}: back in {moved.queue}")
    return EXIT_OK


@refused
def delete(args: argparse.Namespace, settings: Settings) -> int:
    with services(settings) as s:
        s.queue.delete(cli_principal(), args.queue, args.queue_id, args.reason)
    print(f"{args.queue_id}: deleted from {args.queue}")
    return EXIT_OK


def add_parser(sub: SubParsers) -> None:
    group = sub.add_parser("queue", help="mail waiting for a person (deferred, failed, shunt)")
    cmds = group.add_subparsers(dest="queue_command", required=True)
    queues = ["deferred", "failed", "shunt"]  # gateway.services.queue.OPERATOR_QUEUES
    ls = cmds.add_parser("list", help="oldest first")
    ls.add_argument("queue", choices=queues)
    ls.add_argument("--limit", type=int, default=100)
    ls.add_argument("--after", default="", help="the last queue ID seen")
    ls.set_defaults(run=list_)
    again = cmds.add_parser("retry", help="try again now")
    rm = cmds.add_parser("delete", help="drop an entry")
    rm.add_argument("--reason", default="")
    for parser, run in ((again, retry), (rm, delete)):
        parser.add_argument("queue", choices=queues)
        parser.add_argument("queue_id")
        parser.set_defaults(run=run)
    for parser in (ls, again, rm):
        parser.add_argument("--config")
