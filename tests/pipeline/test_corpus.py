"""Every real-world mail in ../shared/corpus sanitizes, in one batch run of the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.shape import shape_problems

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
            [sys.executable, "-m", "gateway", "sanitize", *members,
             "--output-dir", str(out / source.name), "--jobs", "2", "--quarantine-id", "QTEST"],
            capture_output=True, text=True, timeout=600, check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    return files, out


def _outputs(files: list[Path], out: Path) -> list[tuple[Path, bytes, dict[str, object]]]:
    results = []
    for f in files:
        stem = f.name.rsplit(".", 1)[0] if "." in f.name.lstrip(".") else f.name
        message = (out / f.parent.name / f.name).read_bytes()
        report = json.loads((out / f.parent.name / f"{stem}.json").read_text(encoding="utf-8"))
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


def test_no_internal_errors_and_reports_are_complete(batch: tuple[list[Path], Path]) -> None:
    whole = {}
    for path, _, report in _outputs(*batch):
        for key in ("verdict", "removed", "warnings", "charsets", "timings_ms"):
            assert key in report, f"{path}: report lacks {key}"
        assert report["reason"] != "internal-error", f"{path}: {report['warnings']}"
        if report["verdict"] == "quarantined-whole":
            whole[str(path.relative_to(CORPUS))] = report["reason"]
        for part in report["removed"]:  # type: ignore[attr-defined]
            assert len(part["sha256"]) == 64 and part["size"] >= 0
    # The corpus holds no mail beyond the default limits: none should need quarantining whole.
    assert not whole, whole


def test_attachments_are_reported(batch: tuple[list[Path], Path]) -> None:
    manifest = (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    tagged = {row.split("\t")[0] for row in manifest if "attachment" in row.split("\t")[-1]}
    outputs = {str(p.relative_to(CORPUS)): r for p, _, r in _outputs(*batch)}
    with_removed = [name for name in tagged if outputs.get(name, {}).get("removed")]
    # Tags are heuristics; nearly every mail tagged `attachment` must have something removed.
    assert len(with_removed) >= 0.95 * len(tagged), (len(with_removed), len(tagged))
