"""Every SMTP reply the gateway sends itself, by name, and the reason label of every refusal.

Enhanced status codes (RFC 3463) follow Postfix's choices, so operators read familiar lines.
Templates take str.format() fields; no other module writes a reply literal. No reply repeats
what the client sent: an address or a HELO name echoed back is one more place for hostile bytes.

Address replies, and why these codes:
- An address that does not parse, or holds bytes that are not UTF-8, a control character, or
  more octets than RFC 5321 4.5.3.1 allows: 501 (RFC 5321 4.1.2: a command with invalid
  character codes MUST be refused with 501), with X.1.7 for the sender and X.1.3 for a
  recipient (RFC 3463 "bad sender's / destination mailbox address syntax"): Postfix's exact
  "501 5.1.7 Bad sender address syntax" and "501 5.1.3 Bad recipient address syntax". 553 is
  for a mailbox name "not allowed" by policy, which these are not.
- Well-formed UTF-8 without SMTPUTF8 on MAIL FROM: 553 5.6.7 (RFC 6531 3.5, Postfix's text):
  we could not relay it to a peer that lacks SMTPUTF8 either.
- RCPT TO:<> is a recipient syntax error (the null path is a sender only), not a relay refusal.
- Sender-specified routing (user%domain@us, domain!user@us, @hop:user@us, "user@domain"@us) is
  refused like Postfix's reject_unauth_destination with allow_untrusted_routing=no: 5.7.1.

Time limits answer 421 4.4.2 and close, as Postfix's "421 4.4.2 Error: timeout exceeded": when
one runs out in DATA the client is mid-message, so a 451 that keeps the session would mean
reading on until the client chooses to stop, which is the very thing the limit is for.
"""

GREETING_IDENT = "ESMTP"  # "220 <hostname> ESMTP": no software name or version for strangers

SENDER_OK = "250 2.1.0 Ok"
RECIPIENT_OK = "250 2.1.5 Ok"
QUEUED = "250 2.0.0 Ok: queued as {queue_id}"
START_DATA = "354 End data with <CR><LF>.<CR><LF>"

SHUTTING_DOWN = "421 4.3.2 Service shutting down, try again later"
TOO_MANY_SESSIONS = "421 4.7.0 Too many connections, try again later"
TOO_MANY_FROM_CLIENT = "421 4.7.0 Too many connections from your address, try again later"
MAKING_ROOM = "421 4.7.0 Too many connections, closing to make room for other clients"
IDLE_TIMEOUT = "421 4.4.2 Error: timeout exceeded"
DATA_TIME_LIMIT = "421 4.4.2 Error: time limit for DATA exceeded"
DATA_TOO_SLOW = "421 4.4.2 Error: data rate below the minimum"
SESSION_TIME_LIMIT = "421 4.4.2 Error: session time limit exceeded"
INTERNAL_ERROR = "421 4.3.0 Error: internal error, closing"
LOCAL_ERROR = "451 4.3.0 Error: local error in processing, try again later"
SPOOL_WRITE_ERROR = "451 4.3.0 Error: queue file write error"
SPOOL_FULL = "452 4.3.1 Insufficient system storage"
TOO_MANY_RECIPIENTS = "452 4.5.3 Error: too many recipients"

BAD_SENDER_SYNTAX = "501 5.1.7 Bad sender address syntax"
BAD_RECIPIENT_SYNTAX = "501 5.1.3 Bad recipient address syntax"
BAD_HELO = "501 5.5.2 Helo command rejected: Invalid name"
DATA_SYNTAX = "501 5.5.4 Syntax: DATA"
AUTH_DISABLED = "503 5.5.1 Error: authentication not enabled"
NEED_RCPT = "503 5.5.1 Error: need RCPT command"
RELAY_DENIED = "550 5.7.1 Relay access denied"
ROUTING_DENIED = "550 5.7.1 Relay access denied: sender-specified routing"
MESSAGE_TOO_BIG = "552 5.3.4 Message size exceeds fixed limit"
SENDER_NEEDS_SMTPUTF8 = "553 5.6.7 Must declare SMTPUTF8 to send unicode address"
SENDER_DENIED = "553 5.7.1 Sender address rejected: Access denied"
CLIENT_DENIED = "554 5.7.1 Client host rejected: Access denied"

# Our own faults and our own stopping: counted as tempfails (or not at all), never as a refusal.
NOT_REFUSALS = frozenset(
    {SHUTTING_DOWN, INTERNAL_ERROR, LOCAL_ERROR, SPOOL_WRITE_ERROR, SPOOL_FULL}
)

_REASONS = {
    TOO_MANY_SESSIONS: "too-many-sessions",
    TOO_MANY_FROM_CLIENT: "too-many-from-client",
    MAKING_ROOM: "evicted",
    IDLE_TIMEOUT: "idle-timeout",
    DATA_TIME_LIMIT: "data-time-limit",
    DATA_TOO_SLOW: "data-rate",
    SESSION_TIME_LIMIT: "session-time-limit",
    TOO_MANY_RECIPIENTS: "too-many-recipients",
    BAD_SENDER_SYNTAX: "sender-syntax",
    BAD_RECIPIENT_SYNTAX: "recipient-syntax",
    BAD_HELO: "helo-syntax",
    DATA_SYNTAX: "syntax",
    AUTH_DISABLED: "auth-disabled",
    NEED_RCPT: "bad-sequence",
    RELAY_DENIED: "relay-denied",
    ROUTING_DENIED: "routing",
    MESSAGE_TOO_BIG: "message-too-big",
    SENDER_NEEDS_SMTPUTF8: "needs-smtputf8",
    SENDER_DENIED: "sender-denied",
    CLIENT_DENIED: "client-denied",
}

# aiosmtpd's own refusals, by the start of their text (its exact words vary by version).
_AIOSMTPD_REASONS = (
    ("500 Command line too long", "line-too-long"),
    ("500 Line too long", "line-too-long"),
    ("500 Error: command", "unknown-command"),
    ("502 5.5.1 Too many unrecognized", "unknown-command"),
    ("502", "unknown-command"),
    ("500", "syntax"),
    ("501", "syntax"),
    ("503", "bad-sequence"),
    ("530", "starttls-required"),
    ("554 Command refused due to lack of security", "tls-failed"),
    ("555", "unknown-parameter"),
    ("552", "message-too-big"),
)


def code_of(reply: str) -> str:
    """The three-digit code of a reply, for metrics labels and logs."""
    return reply[:3]


def reason_of(reply: str) -> str:
    """A short, fixed label for a refusal: ours by name, aiosmtpd's by the start of its text."""
    reason = _REASONS.get(reply)
    if reason is not None:
        return reason
    for prefix, label in _AIOSMTPD_REASONS:
        if reply.startswith(prefix):
            return label
    return "other"
