"""The sanitizer's Excerpter (gateway.pipeline.excerpts) backed by SafeCopyRunner: what the
worker gives sanitize(), and `mutaika sanitize --excerpts`.

All the documents of one mail go to one converter process (SafeCopyRunner.excerpts): one
process start per mail (~20 ms) however many documents it carries; CSV, text and HTML are
read in the caller's process, as the sanitizer reads mail text.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.config import SafeCopySettings
from gateway.pipeline.excerpter import ExcerptAnswer, ExcerptBounds, ExcerptRequest
from gateway.safecopy.kinds import LEGACY, OOXML, Kind, classify
from gateway.safecopy.results import Excerpt, NoSafeCopy
from gateway.safecopy.runner import SafeCopyRunner
from gateway.types import Language

# Documents whose text staff can read in an excerpt; ZIPs and images have none to show.
EXCERPT_KINDS = frozenset({Kind.PDF, *OOXML, *LEGACY, Kind.OPENDOCUMENT, Kind.CSV, Kind.TEXT,
                           Kind.HTML})  # fmt: skip


class RunnerExcerpter:
    def __init__(self, runner: SafeCopyRunner) -> None:
        self._runner = runner
        settings: SafeCopySettings = runner.settings
        self.bounds = ExcerptBounds(chars=settings.excerpt_chars,
                                    max_parts=settings.excerpt_max_parts,
                                    max_bytes=settings.excerpt_max_bytes,
                                    seconds=settings.excerpt_seconds)  # fmt: skip

    def reads(self, detected_type: str, filename: str) -> bool:
        return classify(detected_type, filename) in EXCERPT_KINDS

    def __call__(
        self, requests: Sequence[ExcerptRequest], deadline: float, language: Language
    ) -> list[ExcerptAnswer]:
        files = [(r.data, r.filename, r.detected_type) for r in requests]
        results = self._runner.excerpts(files, deadline=deadline, language=language)
        return [_answer(result) for result in results]


def _answer(result: Excerpt | NoSafeCopy) -> ExcerptAnswer:
    if isinstance(result, Excerpt):
        return ExcerptAnswer(result.text, result.truncated, "" if result.text else "empty")
    return ExcerptAnswer(refused=str(result.reason))
