"""The mail of a safe-copy release (what="safecopy"): the sanitized text, as staff read it
(excerpts included), with a safe copy of each chosen item attached. The copies are made by the
runner when the release is sent, in confined processes; an item whose copy cannot be made is
named in the notice with the reason, and nothing of its original is attached.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from gateway import metrics
from gateway.config import Settings
from gateway.pipeline.excerpts import stored_excerpter
from gateway.pipeline.labels import refusal_label
from gateway.quarantine import QuarantineRecord, StoredItem
from gateway.safecopy import SafeCopy, SafeCopyRunner
from gateway.services.release_mail import sanitized_with
from gateway.types import Envelope, Language

_NOTES = {
    Language.JA: {
        "made": "{n}. {name} の安全なコピー（{what}）を添付しました: {copy}",
        "none": "{n}. {name} の安全なコピーは作れませんでした（{why}）。原本は添付していません。",
        "pdf": "ページを画像にしたPDF", "office": "マクロ・外部リンク等を除いたファイル",
        "image": "再エンコードした画像",
    },
    Language.EN: {
        "made": "{n}. {name}: its safe copy ({what}) is attached: {copy}",
        "none": "{n}. {name}: no safe copy could be made ({why}); the original is not attached.",
        "pdf": "a PDF of page images", "office": "macros and external links removed",
        "image": "a re-encoded image",
    },
}  # fmt: skip


def _what(media_type: str) -> str:
    if media_type == "application/pdf":
        return "pdf"
    return "image" if media_type.startswith("image/") else "office"


def copies(
    runner: SafeCopyRunner, language: Language, chosen: Sequence[tuple[StoredItem, bytes]]
) -> tuple[list[tuple[str, str, bytes]], list[str]]:
    """A safe copy of each item, made now: (attachments, one note per item)."""
    words = _NOTES[language]
    attachments: list[tuple[str, str, bytes]] = []
    notes: list[str] = []
    for item, payload in chosen:
        started = time.perf_counter()
        result = runner.convert(payload, item.filename, item.detected_type)
        metrics.SAFECOPY_SECONDS.observe(time.perf_counter() - started)
        name = item.filename or f"item-{item.index + 1}"
        if isinstance(result, SafeCopy):
            metrics.SAFECOPIES.labels("made").inc()
            attachments.append((result.filename, result.media_type, result.data))
            notes.append(words["made"].format(n=item.index + 1, name=name, copy=result.filename,
                                              what=words[_what(result.media_type)]))
        else:
            metrics.SAFECOPIES.labels(str(result.reason)).inc()
            notes.append(words["none"].format(n=item.index + 1, name=name,
                                              why=refusal_label(language, str(result.reason))))
    return attachments, notes


def safecopy_release(
    original: bytes, mail: QuarantineRecord, release_id: str, settings: Settings,
    runner: SafeCopyRunner, chosen: Sequence[tuple[StoredItem, bytes]],
) -> bytes:
    attachments, notes = copies(runner, settings.sanitize.language, chosen)
    envelope = Envelope(mail.sender, mail.recipients, received_at=mail.received_at)
    return sanitized_with(
        original, envelope, mail.id, release_id, settings.sanitize, attachments, notes=notes,
        excerpter=stored_excerpter(mail.report, settings.safecopy.excerpt_chars),
    )  # fmt: skip
