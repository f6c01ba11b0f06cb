"""Text excerpts of removed documents, shown under their items in the notice (issue 11).

The sanitizer stays pure: it reads no document format itself. The caller injects an
Excerpter (the worker's asks gateway.safecopy's confined processes; `mutaika sanitize` has
none unless --excerpts asks for one); without one this stage does nothing. The stage decides
which removed parts are asked about and bounds the asking by the excerpter's ExcerptBounds:
how many parts, how large a part, how long for all of them together. A part past a bound, a
refusal, a timeout or an excerpter that fails gets a short note instead of text, never an
error of the mail. The answers are kept in the report (report.excerpts), so the text can be
made again from the original without reading the documents again (stored_excerpter).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from gateway.pipeline.context import Context
from gateway.pipeline.excerpter import (
    FAILED,
    SKIPPED,
    TOO_LARGE,
    ExcerptAnswer,
    ExcerptBounds,
    Excerpter,
    ExcerptRequest,
)
from gateway.types import LOCKED_FLAGS, Language, PartFlag, RemovedPart

LOG = logging.getLogger(__name__)

# An HTML alternative would repeat the body; empty and encrypted parts have no text to show.
_NOT_READ = frozenset({PartFlag.ALTERNATIVE_BODY, PartFlag.EMPTY, *LOCKED_FLAGS})
def eligible(part: RemovedPart, excerpter: Excerpter) -> bool:
    if _NOT_READ.intersection(part.flags):
        return False
    return excerpter.reads(part.detected_type, part.filename)


class Excerpts:
    """Stage: ask the excerpter about the removed documents; the notice shows the answers."""

    name = "excerpts"

    def process(self, ctx: Context) -> None:
        excerpter = ctx.excerpter
        if excerpter is None or excerpter.bounds.chars <= 0:
            return
        bounds = excerpter.bounds
        answers: dict[int, ExcerptAnswer] = {}
        asked: list[ExcerptRequest] = []
        for part in ctx.report.removed:
            if not eligible(part, excerpter):
                continue
            payload = ctx.removed_payloads[part.index]
            if len(payload) > bounds.max_bytes:
                answers[part.index] = ExcerptAnswer(refused=TOO_LARGE)
            elif len(asked) >= bounds.max_parts:
                answers[part.index] = ExcerptAnswer(refused=SKIPPED)
            else:
                asked.append(ExcerptRequest(part.index, payload, part.filename,
                                            part.detected_type))  # fmt: skip
        if asked:
            deadline = min(ctx.deadline, time.monotonic() + bounds.seconds)
            answers.update(zip([r.index for r in asked], self._ask(ctx, excerpter, asked, deadline),
                               strict=True))  # fmt: skip
        ctx.report.excerpts = {index: answers[index].to_json() for index in sorted(answers)
                               if answers[index].text or answers[index].refused}

    @staticmethod
    def _ask(ctx: Context, excerpter: Excerpter, asked: list[ExcerptRequest], deadline: float
             ) -> list[ExcerptAnswer]:  # fmt: skip
        try:
            got = list(excerpter(asked, deadline, ctx.settings.language))
        except Exception:  # an extra: the mail goes on without excerpts
            LOG.exception("the excerpter failed; the notice goes without excerpts")
            got = []
        if len(got) != len(asked):
            ctx.report.warn("text excerpts could not be taken")
            got = (got + [ExcerptAnswer(refused=FAILED)] * len(asked))[: len(asked)]
        return got


class _Stored:
    """Answers read back from a stored report: the same excerpts, no document read again."""

    def __init__(self, stored: Mapping[int, ExcerptAnswer], chars: int) -> None:
        self._stored = stored
        self.bounds = ExcerptBounds(chars=chars, max_parts=1 << 30, max_bytes=1 << 62,
                                    seconds=1.0)  # fmt: skip

    def reads(self, detected_type: str, filename: str) -> bool:
        return True  # what was not read then has no answer stored, and shows nothing

    def __call__(
        self, requests: Sequence[ExcerptRequest], deadline: float, language: Language
    ) -> list[ExcerptAnswer]:
        return [self._stored.get(r.index, ExcerptAnswer()) for r in requests]


def stored_excerpter(report: Mapping[str, Any], chars: int) -> Excerpter | None:
    """The excerpts a stored report (SanitizeReport.to_json()) holds, as an Excerpter; None
    when it holds none."""
    stored: dict[int, ExcerptAnswer] = {}
    for key, value in dict(report.get("excerpts") or {}).items():
        if isinstance(value, Mapping) and str(key).isdigit():
            stored[int(key)] = ExcerptAnswer(str(value.get("text", "")),
                                             bool(value.get("truncated")),
                                             str(value.get("refused", "")))  # fmt: skip
    return _Stored(stored, chars) if stored else None
