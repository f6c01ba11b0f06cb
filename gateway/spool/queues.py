"""The spool's queues and what a message is waiting for: the words every caller uses.

Which directory holds which queue, and which move is allowed, stay private to the spool.
"""

from __future__ import annotations

import enum


class Queue(enum.StrEnum):
    INCOMING = "incoming"  # accepted with a 250, waiting for a sanitizer worker
    ACTIVE = "active"  # claimed by a worker: sanitize → quarantine → first delivery
    OUTGOING = "outgoing"  # ready for the delivery process (retries due, releases, notices, DSNs)
    SENDING = "sending"  # claimed by the delivery process
    DEFERRED = "deferred"  # waiting for its next attempt time
    FAILED = "failed"  # given up (5xx or too old): kept and visible, can be retried
    SHUNT = "shunt"  # poison or damaged: moved aside for an operator


class Stage(enum.StrEnum):
    """What a message still needs: decides where it goes back to after a pause or a crash."""

    SANITIZE = "sanitize"  # the original as received
    DELIVER = "deliver"  # a sanitized (or released) message ready to send


class Route(enum.StrEnum):
    RELAY = "relay"  # delivery.relay_url (or the Maildir): the LGWAN side
    DSN = "dsn"  # delivery.dsn_relay_url: a bounce back to the internet side


# The queue a message waits in before it is claimed, by what it needs.
READY = {Stage.SANITIZE: Queue.INCOMING, Stage.DELIVER: Queue.OUTGOING}
CLAIMED = {Queue.INCOMING: Queue.ACTIVE, Queue.OUTGOING: Queue.SENDING}
UNCLAIMED = {claimed: ready for ready, claimed in CLAIMED.items()}
# Queues that count toward spool.high_water_bytes: mail still to be worked on.
PENDING = (Queue.INCOMING, Queue.ACTIVE, Queue.OUTGOING, Queue.SENDING, Queue.DEFERRED)
# Queues an operator may act on (retry now, delete); claimed entries belong to a process.
RESTING = (Queue.INCOMING, Queue.OUTGOING, Queue.DEFERRED, Queue.FAILED, Queue.SHUNT)
# Should a crash leave one queue ID in two queues with the same generation, the copy further
# along this order wins.
PROGRESS = tuple(Queue)
