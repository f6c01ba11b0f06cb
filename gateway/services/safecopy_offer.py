"""What may be asked for about one removed item: its safe copy, or opening it with a password.

One rule for the offers the API and the request page show, for the check when a safe copy is
requested, and for the copies policy "attach" sends unasked: the type's converter and the
site's policy for it ([safecopy.policy]); a password-protected item is opened first and what
is inside is offered instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.config import Settings
from gateway.quarantine import StoredItem
from gateway.safecopy.kinds import LEGACY, OOXML, Kind, classify, policy_for
from gateway.safecopy.programs import find_soffice
from gateway.safecopy.runner import CONVERTERS
from gateway.types import LOCKED_FLAGS

_UNLOCKED = frozenset({Kind.ZIP, Kind.ENCRYPTED_OFFICE, Kind.PDF, *OOXML, *LEGACY})
_NEEDS_SOFFICE = frozenset({Kind.OPENDOCUMENT, *LEGACY})


@dataclass(frozen=True, slots=True)
class Offer:
    item: StoredItem
    kind: str  # gateway.safecopy Kind: pdf, word, excel, image, zip, …
    policy: str  # the site's policy for the kind: none | on-request | attach
    available: bool  # a safe copy can be asked for
    approval: str  # self | approval | admin, from release.policy.safecopy
    unlockable: bool  # opened with a password (or a plain ZIP, without one), then its items
    opened: bool  # opened already: its items follow, with this item as their parent
    why: str  # when not available: password-protected, archive, unsupported, policy, no-converter


def offer_for(settings: Settings, item: StoredItem, items: Sequence[StoredItem] = ()) -> Offer:
    """The offer for `item`; `items` (the mail's) tell whether it was opened already."""
    kind = classify(item.detected_type, item.filename)
    policy = policy_for(settings.safecopy, kind)
    locked = bool(LOCKED_FLAGS.intersection(item.flags)) or kind is Kind.ENCRYPTED_OFFICE
    unlockable = kind is Kind.ZIP or (locked and kind in _UNLOCKED)
    if locked:
        why = "password-protected"
    elif kind is Kind.ZIP:
        why = "archive"
    elif kind not in CONVERTERS:
        why = "unsupported"
    elif policy == "none":
        why = "policy"
    elif kind in _NEEDS_SOFFICE and find_soffice(settings.safecopy) is None:
        why = "no-converter"
    else:
        why = ""
    opened = unlockable and any(other.parent == item.index for other in items)
    return Offer(item, str(kind), policy, not why, settings.release.policy.safecopy, unlockable,
                 opened, why)  # fmt: skip
