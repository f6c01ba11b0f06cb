"""Every real-world mail in ../shared/corpus sanitizes, in one batch run of the CLI."""

from __future__ import annotations

import email
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli import report_name
from gateway.config import SanitizeSettings
from tests.shape import body_text, shape_problems

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

pytestmark = pytest.mark.corpus


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.parent != CORPUS)


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS} (../shared/corpus beside the repo)")
    files = corpus_files()
    out = tmp_path_factory.mktemp("corpus-out")
    # Names repeat across source folders: one output folder per source keeps them apart.
    for source in sorted({f.parent for f in files}):
        members = [str(f) for f in files if f.parent == source]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "gateway",
                "sanitize",
                *members,
                "--output-dir",
                str(out / source.name),
                "--jobs",
                "2",
                "--quarantine-id",
                "QTEST",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    return files, out


def _outputs(files: list[Path], out: Path) -> list[tuple[Path, bytes, dict[str, object]]]:
    results = []
    for f in files:
        message = (out / f.parent.name / f.name).read_bytes()
        report_file = out / f.parent.name / report_name(f.name)
        report = json.loads(report_file.read_text(encoding="utf-8"))
        results.append((f, message, report))
    return results


def test_corpus_is_all_there(batch: tuple[list[Path], Path]) -> None:
    files, _ = batch
    assert len(files) >= 1300, "the corpus should hold ~1,378 mails"


def test_every_output_keeps_the_shape(batch: tuple[list[Path], Path]) -> None:
    bad = {}
    for path, message, _ in _outputs(*batch):
        problems = shape_problems(message)
        if problems:
            bad[str(path.relative_to(CORPUS))] = problems
    assert not bad, f"{len(bad)} outputs break the shape: {dict(list(bad.items())[:10])}"


def tree_shape(raw: bytes) -> tuple[int, int]:
    """(parts, depth) counted with the stdlib alone, to check the sanitizer's own count."""
    parts, deepest = 0, 0
    stack = [(email.message_from_bytes(raw), 0)]
    while stack:
        part, depth = stack.pop()
        parts, deepest = parts + 1, max(deepest, depth)
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in payload)
    return parts, deepest


def differing_duplicates(raw: bytes) -> bool:
    """A part with two Content-Type or Content-Transfer-Encoding fields that say different
    things, found with the stdlib alone: the one mail shape besides a limit that is kept whole."""
    for part in email.message_from_bytes(raw).walk():
        types = {str(v).split(";")[0].strip().lower() for v in part.get_all("Content-Type", [])}
        codings = {str(v).strip().lower() for v in part.get_all("Content-Transfer-Encoding", [])}
        if (
            len(types) > 1
            or len(codings - {"7bit", "8bit", "binary"})
            + bool(codings & {"7bit", "8bit", "binary"})
            > 1
        ):
            return True
    return False


def test_no_internal_errors_and_reports_are_complete(batch: tuple[list[Path], Path]) -> None:
    limits = SanitizeSettings().limits
    for path, _, report in _outputs(*batch):
        for key in ("verdict", "removed", "warnings", "charsets", "timings_ms"):
            assert key in report, f"{path}: report lacks {key}"
        assert report["reason"] != "internal-error", f"{path}: {report['warnings']}"
        for part in report["removed"]:  # type: ignore[attr-defined]
            assert len(part["sha256"]) == 64 and part["size"] >= 0
        if report["verdict"] == "quarantined-whole" and report["reason"] == "ambiguous-headers":
            assert differing_duplicates(path.read_bytes()), path
        elif report["verdict"] == "quarantined-whole":
            # Only a mail that really is past a limit may lose its whole body.
            parts, depth = tree_shape(path.read_bytes())
            assert (report["reason"], parts > limits.max_parts, depth > limits.max_mime_depth) in {
                ("too-many-parts", True, False),
                ("too-many-parts", True, True),
                ("too-deep", False, True),
                ("too-deep", True, True),
            }, (path, report["reason"], parts, depth)


def test_attachments_are_reported(batch: tuple[list[Path], Path]) -> None:
    """Every named part is either listed as removed or is text shown inline under its name."""
    for path, message, report in _outputs(*batch):
        if report["verdict"] == "quarantined-whole" or report["removed"]:
            continue
        named = [
            (part.get_content_type(), part.get_filename())
            for part in email.message_from_bytes(path.read_bytes()).walk()
            if not part.is_multipart() and part.get_filename()
        ]
        for ctype, name in named:
            assert ctype in ("text/plain", "text/rfc822-headers"), (path, ctype, name)
        if named:
            assert "[添付テキスト: " in body_text(message), path


# Independent of gateway.pipeline.urls: a dotted name ending in a common top-level domain, as
# mail clients auto-link it, with its dots intact (not the local part before an @, not the
# start of a longer dotted name such as the file name f.zip.gz).
LIVE_HOST = re.compile(
    r"(?<![\w.\-])(?:[a-z0-9-]+\.)+(?:com|net|org|info|biz|jp|co|io|de|uk|ru|cn|fr|zip|mov)"
    r"(?![\w\-@]|\.\w)",
    re.IGNORECASE,
)


def test_no_host_is_left_live_in_any_body(batch: tuple[list[Path], Path]) -> None:
    live = {}
    for path, message, report in _outputs(*batch):
        if report["verdict"] == "quarantined-whole":
            continue
        found = LIVE_HOST.search(body_text(message))
        if found:
            live[str(path.relative_to(CORPUS))] = found.group()
    assert not live, f"{len(live)} bodies keep a live host: {dict(list(live.items())[:10])}"
