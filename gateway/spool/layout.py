"""Names of the spool's queues and files, and which move is which: one table for every module."""

from __future__ import annotations

TMP = "tmp"
INCOMING = "incoming"
ACTIVE = "active"
OUTGOING = "outgoing"
SENDING = "sending"
DEFERRED = "deferred"
FAILED = "failed"
SHUNT = "shunt"

QUEUES = (INCOMING, ACTIVE, OUTGOING, SENDING, DEFERRED, FAILED, SHUNT)
PENDING_QUEUES = (INCOMING, ACTIVE, OUTGOING, SENDING, DEFERRED)  # count toward high water

CLAIM_TARGET = {INCOMING: ACTIVE, OUTGOING: SENDING}
RECOVERY_TARGET = {ACTIVE: INCOMING, SENDING: OUTGOING}

# When a crash leaves one queue ID in two queues with the same generation (it cannot happen
# through move(), which bumps the generation), the copy further along this order wins.
PROGRESS = (INCOMING, ACTIVE, OUTGOING, SENDING, DEFERRED, FAILED, SHUNT)

MESSAGE_FILE = "message.eml"
RECORD_FILE = "record.json"
CORRUPT_RECORD_FILE = "record.json.corrupt"
