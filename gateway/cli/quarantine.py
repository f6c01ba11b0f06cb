"""`mutaika quarantine list|show|release|delete`: the API's quarantine and release services."""

from __future__ import annotations

import argparse
import datetime
from dataclasses import asdict

from gateway.cli.common import (
    EXIT_OK,
    SubParsers,
    cli_principal,
    print_json,
    refused,
    services,
    table,
)
from gateway.config import Settings


def _time(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _since(text: str | None) -> float | None:
    return datetime.datetime.fromisoformat(text).timestamp() if text else None


@refused
def list_(args: argparse.Namespace, settings: Settings) -> int:
    from gateway.quarantine import HoldState, QuarantineFilter

    f = QuarantineFilter(
        since=_since(args.since), until=_since(args.until), sender=args.sender,
        recipient=args.recipient, subject=args.subject, reason=args.reason, flag=args.flag,
        detected_type=args.detected_type, state=HoldState(args.state) if args.state else None,
    )
    with services(settings) as s:
        page = s.quarantine.page(cli_principal(), f, limit=args.limit, cursor=args.cursor)
    if args.json:
        print_json({"items": [asdict(r) for r in page.records], "next_cursor": page.next_cursor})
        return EXIT_OK
    table([[r.id, _time(r.received_at), r.verdict, r.state, r.sender[:40], r.subject[:50]]
           for r in page.records], ["ID", "RECEIVED", "VERDICT", "STATE", "SENDER", "SUBJECT"])
    if page.next_cursor:
        print(f"(more: --cursor {page.next_cursor})")
    return EXIT_OK


@refused
def show(args: argparse.Namespace, settings: Settings) -> int:
    with services(settings) as s:
        detail = s.quarantine.detail(cli_principal(), args.id)
    data = asdict(detail.record)
    data.pop("report", None)
    data["headers"] = [f"{n}: {v}" for n, v in detail.headers]
    data["sanitized_text"] = detail.sanitized_text
    data["releases"] = [asdict(r) for r in detail.releases]
    print_json(data)
    return EXIT_OK


@refused
def release(args: argparse.Namespace, settings: Settings) -> int:
    items = [int(i) for i in args.items.split(",") if i.strip()] if args.items else []
    with services(settings) as s:
        found, new = s.releases.create(
            cli_principal(), quarantine_id=args.id, what="items" if items else "original",
            items=items, to=args.to or [], comment=args.comment,
        )
    print(f"release {found.id}: {found.state}" + ("" if new else " (requested before)"))
    return EXIT_OK


@refused
def delete(args: argparse.Namespace, settings: Settings) -> int:
    with services(settings) as s:
        s.quarantine.delete(cli_principal(), args.id, args.reason)
    print(f"deleted {args.id}")
    return EXIT_OK


def add_parser(sub: SubParsers) -> None:
    group = sub.add_parser("quarantine", help="quarantined mails (as an admin, audited)")
    cmds = group.add_subparsers(dest="quarantine_command", required=True)
    ls = cmds.add_parser("list", help="newest first")
    for name in ("sender", "recipient", "subject", "reason", "flag", "detected-type"):
        ls.add_argument(f"--{name}", default="")
    ls.add_argument("--state", choices=["held", "released"])
    ls.add_argument("--since", help="ISO 8601 time")
    ls.add_argument("--until", help="ISO 8601 time")
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--cursor", default="")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(run=list_)
    sh = cmds.add_parser("show", help="one mail: headers, sanitized text, items, releases")
    sh.add_argument("id")
    sh.set_defaults(run=show)
    rel = cmds.add_parser("release", help="request a release (the policy decides the rest)")
    rel.add_argument("id")
    rel.add_argument("--items", help="comma-separated item indexes; default: the original")
    rel.add_argument("--to", action="append", help="a recipient in smtp.local_domains "
                     "(repeat); default: the original recipients")
    rel.add_argument("--comment", default="")
    rel.set_defaults(run=release)
    rm = cmds.add_parser("delete", help="delete a mail and its payloads")
    rm.add_argument("id")
    rm.add_argument("--reason", default="")
    rm.set_defaults(run=delete)
    for parser in (ls, sh, rel, rm):
        parser.add_argument("--config")
