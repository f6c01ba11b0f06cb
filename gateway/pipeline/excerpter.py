"""What an excerpter is (the interface the sanitizer's Excerpts stage asks, gateway.pipeline
.excerpts), apart from the stage, so that the context and the implementations
(gateway.safecopy.excerpter) need only this."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from gateway.types import Language

SKIPPED = "skipped"  # past the number of parts or the time for the mail
TOO_LARGE = "too-large"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ExcerptBounds:
    chars: int  # the first characters of each document
    max_parts: int  # parts of one mail asked about; the rest are SKIPPED
    max_bytes: int  # a larger part is TOO_LARGE without being read
    seconds: float  # every part of the mail together


@dataclass(frozen=True, slots=True)
class ExcerptRequest:
    index: int  # RemovedPart.index
    data: bytes
    filename: str
    detected_type: str


@dataclass(frozen=True, slots=True)
class ExcerptAnswer:
    text: str = ""  # plain text, not yet neutralised (the notice does that)
    truncated: bool = False  # the document holds more text than was taken
    refused: str = ""  # why there is no text: a gateway.safecopy Reason word, SKIPPED, …

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "truncated": self.truncated, "refused": self.refused}


class Excerpter(Protocol):
    bounds: ExcerptBounds

    def reads(self, detected_type: str, filename: str) -> bool:
        """Whether it can take text out of such a part (what is a document is its business)."""
        ...

    def __call__(
        self, requests: Sequence[ExcerptRequest], deadline: float, language: Language
    ) -> Sequence[ExcerptAnswer]:
        """One answer per request, in order; `deadline` is time.monotonic() for all of them."""
        ...
