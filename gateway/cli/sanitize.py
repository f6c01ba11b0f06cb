"""`mutaika sanitize`: the sanitizer on files, a dry run of the policy (no spool, no store)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from gateway.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, SubParsers, fail
from gateway.config import SafeCopySettings, SanitizeSettings, Settings
from gateway.types import SanitizeResult

if TYPE_CHECKING:
    from gateway.pipeline.excerpter import Excerpter

_EXCERPTERS: dict[SafeCopySettings, Excerpter] = {}  # one runner per process


def excerpter(settings: SafeCopySettings | None) -> Excerpter | None:
    """The excerpter `serve` gives its workers, when --excerpts asks for one."""
    if settings is None or settings.excerpt_chars <= 0:
        return None
    if settings not in _EXCERPTERS:
        from gateway.safecopy import SafeCopyRunner
        from gateway.safecopy.excerpter import RunnerExcerpter

        _EXCERPTERS[settings] = RunnerExcerpter(SafeCopyRunner(settings))
    return _EXCERPTERS[settings]


def add_parser(sub: SubParsers) -> None:
    san = sub.add_parser("sanitize", help="sanitize .eml files (a dry run of the policy)")
    san.add_argument("inputs", nargs="+", help="message files; - reads standard input")
    san.add_argument("--output", "-o", help="output file (default: standard output)")
    san.add_argument("--report", help="write the JSON report here")
    san.add_argument(
        "--text",
        action="store_true",
        help="write the decoded text staff will read (headers and body) instead of the MIME",
    )
    san.add_argument("--output-dir", help="batch: write DIR/<name> and DIR/<stem>.json per input")
    san.add_argument("--config")
    san.add_argument("--quarantine-id", default="", help="ID to print in the notice")
    san.add_argument("--jobs", "-j", type=int, default=1, help="batch: worker processes")
    san.add_argument(
        "--excerpts",
        action="store_true",
        help="show text excerpts of attached documents in the notice, as `serve` does "
        "(read in confined converter processes; safecopy.excerpt_chars)",
    )
    san.set_defaults(run=run)


def _read_input(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    return Path(name).read_bytes()


def report_name(input_name: str) -> str:
    """`x.eml` → `x.json`; a name whose last dot does not start an extension keeps it whole.

    Corpus and maildir names such as `t.rules__BOUNCE_MESSAGE__fp-bug5882` have dots that are
    not extensions; cutting there would give many inputs the same report name. `x.json` keeps
    its name too (→ `x.json.json`): the sanitized message is written under the input's name.
    """
    base = Path(input_name).name
    stem, dot, suffix = base.rpartition(".")
    if (
        dot and stem and suffix.casefold() != "json"
        and re.fullmatch(r"(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,5}", suffix)
    ):
        return f"{stem}.json"
    return f"{base}.json"


def colliding_outputs(inputs: list[str]) -> str | None:
    """The first pair of inputs that would write the same output file, as an error line."""
    seen: dict[str, str] = {}
    for name in inputs:
        for output in (Path(name).name, report_name(name)):
            if output in seen and seen[output] != name:
                return f"{seen[output]} and {name} would both write {output}"
            seen[output] = name
    return None


def _output(result: SanitizeResult, text: bool) -> bytes:
    from gateway.pipeline.build import output_text

    return output_text(result.message).encode("utf-8") if text else result.message


def _report_json(result: SanitizeResult) -> str:
    return json.dumps(result.report.to_json(), ensure_ascii=False, indent=1) + "\n"


def _write(path: Path, data: bytes) -> str | None:
    """Write one output file; the error line names the file when it cannot be written."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror or exc}"
    return None


def _sanitize_file(
    args: tuple[str, Path, SanitizeSettings, str, bool, SafeCopySettings | None],
) -> str | None:
    """Batch job: returns an error line, or None. Runs in a worker process."""
    from gateway.pipeline import sanitize

    name, out_dir, settings, quarantine_id, text, excerpts = args
    try:
        raw = Path(name).read_bytes()
    except OSError as exc:
        return f"cannot read {name}: {exc.strerror or exc}"
    result = sanitize(raw, settings, quarantine_id=quarantine_id, excerpter=excerpter(excerpts))
    return _write(out_dir / Path(name).name, _output(result, text)) or _write(
        out_dir / report_name(name), _report_json(result).encode("utf-8")
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from gateway.pipeline import sanitize

    excerpts = settings.safecopy if args.excerpts else None
    if args.output_dir:
        collision = colliding_outputs(args.inputs)
        if collision:
            return fail(collision, EXIT_USAGE)
        out_dir = Path(args.output_dir)
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return fail(f"cannot create {out_dir}: {exc.strerror or exc}")
        jobs = [
            (name, out_dir, settings.sanitize, args.quarantine_id, args.text, excerpts)
            for name in args.inputs
        ]
        if args.jobs > 1:
            with ProcessPoolExecutor(max_workers=args.jobs) as pool:
                errors = [e for e in pool.map(_sanitize_file, jobs, chunksize=16) if e]
        else:
            errors = [e for e in map(_sanitize_file, jobs) if e]
        for error in errors:
            print(f"mutaika: {error}", file=sys.stderr)
        return EXIT_FAILED if errors else EXIT_OK
    if len(args.inputs) > 1:
        return fail("several inputs need --output-dir", EXIT_USAGE)
    try:
        raw = _read_input(args.inputs[0])
    except OSError as exc:
        return fail(f"cannot read {args.inputs[0]}: {exc.strerror or exc}")
    result = sanitize(raw, settings.sanitize, quarantine_id=args.quarantine_id,
                      excerpter=excerpter(excerpts))  # fmt: skip
    output = _output(result, args.text)
    problem: str | None
    if args.output:
        problem = _write(Path(args.output), output)
    else:
        try:
            sys.stdout.buffer.write(output)
            sys.stdout.buffer.flush()
            problem = None
        except OSError as exc:
            problem = f"cannot write standard output: {exc.strerror or exc}"
    if problem is None and args.report:
        problem = _write(Path(args.report), _report_json(result).encode("utf-8"))
    return fail(problem) if problem else EXIT_OK


