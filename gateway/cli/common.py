"""What every subcommand shares: exit codes, one-line errors, the services over SSH."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeAlias

from gateway.config import Settings
from gateway.services.errors import Invalid, ServiceError
from gateway.services.principal import Principal, Role

EXIT_OK = 0
EXIT_FAILED = 1  # some input could not be read or written; a refusal; a broken audit chain
EXIT_USAGE = 2  # bad arguments or configuration

SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Runner = Callable[[argparse.Namespace, Settings], int]


def fail(message: str, code: int = EXIT_FAILED) -> int:
    print(f"mutaika: {message}", file=sys.stderr)
    return code


def cli_principal() -> Principal:
    """Whoever can run mutaika on the host can read its database: an admin, named by login."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Principal(f"cli:{user}", Role.ADMIN)


@contextlib.contextmanager
def services(settings: Settings) -> Iterator[Any]:
    """The same services the API uses, on the same store and spool, for one command."""
    from gateway.runtime import open_spool, open_store
    from gateway.services.container import Services

    store = open_store(settings)
    try:
        behind = store.needs_upgrade()
        if behind:
            raise ServiceError(f"{behind}: run `mutaika db upgrade` first")
        yield Services.build(settings, store, open_spool(settings))
    finally:
        store.close()


def refused(run: Runner) -> Runner:
    """A service's refusal is one line on stderr and a non-zero exit, never a traceback."""

    def wrapped(args: argparse.Namespace, settings: Settings) -> int:
        try:
            return run(args, settings)
        except Invalid as error:
            return fail(str(error), EXIT_USAGE)
        except ServiceError as error:
            return fail(str(error))

    return wrapped


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=1, default=str))


def table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
