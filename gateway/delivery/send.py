"""One delivery attempt's sending: one transaction, or one per recipient when each recipient's
copy differs (the request link in a notice is signed for its recipient)."""

from __future__ import annotations

from typing import Protocol

from gateway.delivery.reply import Reply
from gateway.delivery.transport import Transport
from gateway.spool import SpoolRecord


class PerRecipient(Protocol):
    def applies(self, record: SpoolRecord) -> bool: ...

    def message(self, record: SpoolRecord, message: bytes, recipient: str) -> bytes: ...


def send(
    transport: Transport, record: SpoolRecord, message: bytes, recipients: list[str],
    per_recipient: PerRecipient | None = None,
) -> dict[str, Reply]:
    sender = record.envelope.mail_from
    if not recipients:
        return {}
    if per_recipient is None or not per_recipient.applies(record):
        return transport.send(sender, recipients, message)
    replies: dict[str, Reply] = {}
    for rcpt in recipients:
        replies.update(transport.send(sender, [rcpt], per_recipient.message(record, message, rcpt)))
    return replies
