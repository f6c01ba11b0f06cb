"""Delivery status notifications (RFC 3464 multipart/report) for recipients that failed for good."""

from __future__ import annotations

import email.utils
import time
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP, SMTPUTF8

from gateway.delivery.reply import Reply

_MAX_HEADER_BYTES = 64 * 1024


def original_headers(message: bytes) -> bytes:
    """The header block of a mail, bounded: what text/rfc822-headers shows."""
    end = message.find(b"\r\n\r\n", 0, _MAX_HEADER_BYTES)
    head = message[: end if end >= 0 else _MAX_HEADER_BYTES]
    return head + b"\r\n"


def _status_block(fields: dict[str, str]) -> Message:
    block = Message()
    for name, value in fields.items():
        block[name] = value
    return block


def _enhanced_status(reply: Reply) -> str:
    first = reply.text.split(" ", 1)[0]
    parts = first.split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts) and first[0] in "245":
        return first
    return f"{reply.code // 100}.0.0"


def _reply_text(reply: Reply, utf8: bool) -> str:
    """One line, and only what the DSN's charset can carry: a peer's reply may hold anything,
    bytes that are not UTF-8 included (the SMTP client keeps them as surrogates)."""
    text = " ".join(str(reply).split())
    charset = "utf-8" if utf8 else "ascii"
    return text.encode(charset, "replace").decode(charset)


def _address_type(address: str) -> str:
    """RFC 6533 3: an address that is not ASCII is typed utf-8, not rfc822."""
    return "rfc822" if address.isascii() else "utf-8"


def build_dsn(
    *,
    queue_id: str,
    sender: str,
    failed: dict[str, Reply],
    message: bytes,
    reporting_mta: str,
    dsn_from: str,
    remote_mta: str,
) -> bytes:
    """A bounce to `sender` listing each failed recipient with the remote reply.

    With a non-ASCII address in it, it is an internationalized DSN (RFC 6533): UTF-8 headers
    and a message/global-delivery-status part, which only an SMTPUTF8 relay can take, as
    the sender's address itself already requires.
    """
    utf8 = not (sender.isascii() and all(rcpt.isascii() for rcpt in failed))
    replies = {rcpt: _reply_text(reply, utf8) for rcpt, reply in failed.items()}
    status_type = "global-delivery-status" if utf8 else "delivery-status"
    lines = [
        "This is the mail gateway at " + reporting_mta + ".",
        "Your message could not be delivered to the following recipients:",
        "",
    ]
    lines += [f"  <{rcpt}>: {text}" for rcpt, text in replies.items()]
    lines += ["", f"Queue ID: {queue_id}"]
    report = MIMEMultipart("report", report_type=status_type)
    report["From"] = dsn_from
    report["To"] = sender
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Date"] = email.utils.formatdate(time.time(), localtime=False)
    report["Message-ID"] = email.utils.make_msgid(domain=reporting_mta)
    report["Auto-Submitted"] = "auto-replied"
    report.attach(MIMEText("\n".join(lines) + "\n", "plain", "utf-8"))

    policy = SMTPUTF8 if utf8 else SMTP
    blocks = [
        _status_block({"Reporting-MTA": f"dns; {reporting_mta}", "X-Mutaika-Queue-ID": queue_id})
    ]
    for rcpt, reply in failed.items():
        blocks.append(
            _status_block(
                {
                    "Final-Recipient": f"{_address_type(rcpt)}; {rcpt}",
                    "Action": "failed",
                    "Status": _enhanced_status(reply),
                    "Remote-MTA": f"dns; {remote_mta}",
                    "Diagnostic-Code": f"smtp; {replies[rcpt]}",
                }
            )
        )
    status = Message()
    status["Content-Type"] = f"message/{status_type}"
    if utf8:  # the stdlib generator knows message/delivery-status, not the global one
        status.set_payload("".join(block.as_string(policy=policy) for block in blocks))
    else:
        status.set_payload(list[Message | str](blocks))
    report.attach(status)

    headers = Message()
    headers["Content-Type"] = "text/rfc822-headers"
    headers.set_payload(original_headers(message).decode("ascii", "replace"))
    report.attach(headers)
    # as text, then UTF-8: the byte generator writes the body of any message/* part as ASCII
    return report.as_string(policy=policy).encode("utf-8")
