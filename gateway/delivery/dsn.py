"""Delivery status notifications (RFC 3464 multipart/report) for recipients that failed for good."""

from __future__ import annotations

import email.utils
import time
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP

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
    """A bounce to `sender` listing each failed recipient with the remote reply."""
    lines = [
        "This is the mail gateway at " + reporting_mta + ".",
        "Your message could not be delivered to the following recipients:",
        "",
    ]
    lines += [f"  <{rcpt}>: {reply}" for rcpt, reply in failed.items()]
    lines += ["", f"Queue ID: {queue_id}"]
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = dsn_from
    report["To"] = sender
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Date"] = email.utils.formatdate(time.time(), localtime=False)
    report["Message-ID"] = email.utils.make_msgid(domain=reporting_mta)
    report["Auto-Submitted"] = "auto-replied"
    report.attach(MIMEText("\n".join(lines) + "\n", "plain", "utf-8"))

    status = Message()
    status["Content-Type"] = "message/delivery-status"
    blocks: list[Message | str] = [
        _status_block({"Reporting-MTA": f"dns; {reporting_mta}", "X-Mutaika-Queue-ID": queue_id})
    ]
    for rcpt, reply in failed.items():
        blocks.append(
            _status_block(
                {
                    "Final-Recipient": f"rfc822; {rcpt}",
                    "Action": "failed",
                    "Status": _enhanced_status(reply),
                    "Remote-MTA": f"dns; {remote_mta}",
                    "Diagnostic-Code": f"smtp; {reply}".replace("\n", " "),
                }
            )
        )
    status.set_payload(blocks)
    report.attach(status)

    headers = Message()
    headers["Content-Type"] = "text/rfc822-headers"
    headers.set_payload(original_headers(message).decode("ascii", "replace"))
    report.attach(headers)
    return report.as_bytes(policy=SMTP)
