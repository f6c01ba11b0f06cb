"""Golden files: tests/data/golden/X.eml sanitizes to exactly tests/data/golden/X.txt.

The .txt holds what a person checks: the visible headers, the verdict, what was removed (with
the flags), and the decoded body with its notice. To re-record after an intended change:
MUTAIKA_UPDATE_GOLDEN=1 pytest tests/pipeline/test_golden.py, then read the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway.config import SanitizeSettings
from gateway.pipeline import sanitize
from tests.shape import body_text, parse_output, shape_problems

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
UPDATE = os.environ.get("MUTAIKA_UPDATE_GOLDEN") == "1"
SHOWN_HEADERS = ("From", "To", "Cc", "Reply-To", "Subject", "Date", "X-Mutaika-Verdict")


def render_golden(raw: bytes) -> str:
    result = sanitize(raw, SanitizeSettings(), quarantine_id="QGOLDEN")
    assert shape_problems(result.message) == []
    message = parse_output(result.message)
    lines = [f"{name}: {message[name]}" for name in SHOWN_HEADERS if message[name] is not None]
    for part in result.report.removed:
        flags = ",".join(part.flags)
        lines.append(
            f"Removed: {part.filename!r} declared={part.declared_type} "
            f"detected={part.detected_type} flags={flags} size={part.size}"
        )
    return "\n".join(lines) + "\n----\n" + body_text(result.message).replace("\r\n", "\n")


CASES = sorted(GOLDEN.glob("*.eml"))


@pytest.mark.parametrize("eml", CASES, ids=[c.stem for c in CASES])
def test_golden(eml: Path) -> None:
    expected_file = eml.with_suffix(".txt")
    actual = render_golden(eml.read_bytes())
    if UPDATE:
        expected_file.write_text(actual, encoding="utf-8")
    assert expected_file.exists(), f"{expected_file.name}: record with MUTAIKA_UPDATE_GOLDEN=1"
    assert actual == expected_file.read_text(encoding="utf-8")
