"""Approval and retention, decided from what a release carries or a mail holds.

A mail or a release is described by keys: the reason of each removed part ("attachment",
"inline-image"…), the flags that have a setting of their own ("executable", "macros"…),
"quarantined-whole" for a mail kept whole and "original" for the original itself. Each key has a
level ([release.policy]) and a retention ([retention.days]); a reason without a setting of its
own takes `default`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gateway.config import ReleasePolicySettings, RetentionDaysSettings
from gateway.quarantine import QuarantineRecord, StoredItem
from gateway.types import PartFlag, Verdict

LEVELS = ("self", "approval", "admin")  # weakest first
ORIGINAL = "original"
WHOLE = "quarantined-whole"
SAFECOPY = "safecopy"  # a safe copy is not the part it was made from: its own level alone


def item_keys(item: StoredItem) -> set[str]:
    return {item.reason or "attachment", *item.flags}


def mail_keys(record: QuarantineRecord) -> set[str]:
    keys: set[str] = set()
    for item in record.items:
        keys |= item_keys(item)
    if record.verdict == str(Verdict.QUARANTINED_WHOLE):
        keys.add(WHOLE)
    return keys


def release_keys(record: QuarantineRecord, what: str, items: Sequence[int]) -> set[str]:
    if what == ORIGINAL:
        return mail_keys(record) | {ORIGINAL}
    if what == SAFECOPY:
        return {SAFECOPY}
    keys: set[str] = set()
    for item in record.items:
        if item.index in items:
            keys |= item_keys(item)
    return keys


def _field(key: str) -> str:
    return key.replace("-", "_")


def _known(settings: ReleasePolicySettings | RetentionDaysSettings, key: str) -> bool:
    return _field(key) in type(settings).model_fields and key != "default"


_FLAGS = frozenset(str(f) for f in PartFlag)


def _values(settings: ReleasePolicySettings | RetentionDaysSettings, keys: Iterable[str]
            ) -> list[object]:  # fmt: skip
    """A key's own setting; `default` for a reason without one and for nothing at all; a flag
    without a setting adds nothing (most flags only describe)."""
    values: list[object] = []
    for key in keys:
        if _known(settings, key):
            values.append(getattr(settings, _field(key)))
        elif key not in _FLAGS:
            values.append(settings.default)
    return values or [settings.default]


def level(settings: ReleasePolicySettings, keys: Iterable[str]) -> str:
    """The strictest level among the keys."""
    return max((str(v) for v in _values(settings, keys)), key=LEVELS.index)


def retention_days(settings: RetentionDaysSettings, record: QuarantineRecord) -> float:
    """How long a mail is kept: per removed part, a flag with a setting of its own (the more
    specific word: "executable") wins over the part's reason ("attachment"); the mail is kept
    for the longest of its parts, and of `quarantined_whole` when it was kept whole."""
    days: list[float] = []
    for item in record.items:
        flagged = [getattr(settings, _field(f)) for f in item.flags if _known(settings, f)]
        days.append(max(flagged) if flagged else float(str(_values(settings, [item.reason])[0])))
    if record.verdict == str(Verdict.QUARANTINED_WHOLE):
        days.append(settings.quarantined_whole)
    return max(days) if days else settings.default
