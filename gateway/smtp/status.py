"""Every SMTP reply the gateway sends itself, by name (aiosmtpd's own replies aside).

Enhanced status codes (RFC 3463) follow Postfix's choices, so operators read familiar lines.
Templates take str.format() fields; no other module writes a reply literal.
"""

GREETING_IDENT = "ESMTP"  # "220 <hostname> ESMTP": no software name or version for strangers

SENDER_OK = "250 2.1.0 Ok"
RECIPIENT_OK = "250 2.1.5 Ok"
QUEUED = "250 2.0.0 Ok: queued as {queue_id}"
START_DATA = "354 End data with <CR><LF>.<CR><LF>"

SHUTTING_DOWN = "421 4.3.2 Service shutting down, try again later"
TOO_MANY_SESSIONS = "421 4.7.0 Too many connections, try again later"
TOO_MANY_FROM_CLIENT = "421 4.7.0 Too many connections from your address, try again later"
INTERNAL_ERROR = "421 4.3.0 Error: internal error, closing"
LOCAL_ERROR = "451 4.3.0 Error: local error in processing, try again later"
SPOOL_WRITE_ERROR = "451 4.3.0 Error: queue file write error"
SPOOL_FULL = "452 4.3.1 Insufficient system storage"
TOO_MANY_RECIPIENTS = "452 4.5.3 Error: too many recipients"

DATA_SYNTAX = "501 5.5.4 Syntax: DATA"
NEED_RCPT = "503 5.5.1 Error: need RCPT command"
RELAY_DENIED = "550 5.7.1 Relay access denied"
MESSAGE_TOO_BIG = "552 5.3.4 Message size exceeds fixed limit"
SENDER_DENIED = "553 5.7.1 Sender address rejected: Access denied"
CLIENT_DENIED = "554 5.7.1 Client host rejected: Access denied"


def code_of(reply: str) -> str:
    """The three-digit code of a reply, for metrics labels and logs."""
    return reply[:3]
