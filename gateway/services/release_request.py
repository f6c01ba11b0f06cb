"""What a release request must name: a kind of release, removed parts that exist (and, for
safe copies, can be made), recipients inside the local domains. One check for every face."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from gateway.config import Settings
from gateway.quarantine import QuarantineRecord
from gateway.services.errors import Invalid
from gateway.services.safecopy_offer import offer_for
from gateway.smtp.policy import recipient_is_local

WHAT = ("original", "items", "safecopy")
WITH_ITEMS = ("items", "safecopy")


def _address_ok(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local and domain) and len(address) <= 254 and address.isprintable() \
        and not any(c in address for c in " <>\r\n,;\"")


def dedupe_key(quarantine_id: str, what: str, items: Sequence[int], to: Sequence[str]) -> str:
    key = [quarantine_id, what, sorted(items), sorted(a.lower() for a in to)]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()


def _items(settings: Settings, mail: QuarantineRecord, what: str, items: Sequence[int]
           ) -> list[int]:  # fmt: skip
    chosen = sorted(set(items))
    if what not in WITH_ITEMS:
        if chosen:
            raise Invalid("items are named only when what is 'items' or 'safecopy'")
        return chosen
    if not chosen:
        raise Invalid("name the removed parts to release (items)")
    by_index = {item.index: item for item in mail.items}
    if unknown := [i for i in chosen if i not in by_index]:
        raise Invalid(f"{mail.id} has no removed part {unknown[0]}")
    if what == "safecopy":
        for index in chosen:
            offer = offer_for(settings, by_index[index], mail.items)
            if not offer.available:
                raise Invalid(f"no safe copy of item {index} can be asked for ({offer.why})")
    return chosen


def validate(
    settings: Settings, mail: QuarantineRecord, what: str, items: Sequence[int],
    to: Sequence[str],
) -> tuple[list[int], list[str]]:
    """(the chosen item indexes, the recipients), or Invalid saying what is wrong."""
    if what not in WHAT:
        raise Invalid(f"what must be one of {', '.join(WHAT)}")
    chosen = _items(settings, mail, what, items)
    recipients: list[str] = []
    for address in to or mail.recipients:
        if not _address_ok(address):
            raise Invalid(f"{address!r} is not a mail address")
        if not recipient_is_local(address, settings.smtp.local_domains):
            raise Invalid(f"{address} is not in smtp.local_domains: a release stays inside")
        if address.lower() not in {r.lower() for r in recipients}:
            recipients.append(address)
    if not recipients or len(recipients) > settings.smtp.max_recipients:
        raise Invalid(f"a release goes to 1 to {settings.smtp.max_recipients} recipients")
    return chosen, recipients
