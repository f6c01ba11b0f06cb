"""The operations documentation stays true: every file it names exists, and its monitoring table
lists exactly the metrics mutaika exports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.deploy.exported import exported_metrics

REPO = Path(__file__).resolve().parents[2]
DOCS = [
    REPO / "README.md",
    REPO / "docs" / "operations.md",
    REPO / "deploy" / "postfix" / "README.md",
]
# `deploy/…`, `docs/…`, `config/…`, `Dockerfile` written in backticks
NAMED_PATH = re.compile(r"`((?:deploy|docs|config|bench|tests)/[\w./-]+|Dockerfile)`")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_file_named_exists(doc: Path) -> None:
    named = NAMED_PATH.findall(doc.read_text())
    missing = [name for name in named if not (REPO / name).exists()]
    assert missing == []


def test_monitoring_table_lists_exactly_the_exported_metrics(tmp_path: Path) -> None:
    exported = set(exported_metrics(tmp_path))
    text = (REPO / "docs" / "operations.md").read_text()
    section = text.split("## What to monitor", 1)[1]
    documented = set(re.findall(r"^\| `(mutaika_\w+)", section, re.MULTILINE))
    assert exported - documented == set(), "add these to docs/operations.md, What to monitor"
    assert documented - exported == set(), "docs/operations.md names metrics that do not exist"


def test_sections_for_later_features_are_marked() -> None:
    text = (REPO / "docs" / "operations.md").read_text()
    for title in (
        "Database migrations",
        "Backup and restore",
        "Key and token rotation",
        "Capacity",
    ):
        assert f"\n## {title}\n" in text, title
