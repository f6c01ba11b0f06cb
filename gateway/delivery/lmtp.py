"""LMTP delivery (RFC 2033), one connection per mail, over smtplib.LMTP.

LMTP answers DATA once per accepted recipient, and those per-recipient replies are the point of
LMTP: they are read one by one after the message, in RCPT order (RFC 2033 4.2).
"""

from __future__ import annotations

import smtplib

from gateway.delivery.reply import Reply, all_recipients, transient
from gateway.delivery.session import CONNECTION_ERRORS, envelope, reply_of, send_data
from gateway.delivery.target import Target


def deliver_lmtp(
    target: Target, sender: str, recipients: list[str], message: bytes, *,
    local_hostname: str, timeout: float,
) -> dict[str, Reply]:
    replies: dict[str, Reply] = {}
    try:
        client = smtplib.LMTP(target.host, target.port, local_hostname=local_hostname,
                              timeout=timeout)  # fmt: skip
    except CONNECTION_ERRORS as exc:
        return all_recipients(recipients, transient(f"{target}: {exc}"))
    try:
        code, text = client.ehlo()  # LHLO
        if code != 250:
            return all_recipients(recipients, reply_of(code, text))
        settled, accepted = envelope(client, sender, recipients, message, lmtp=True)
        replies.update(settled)
        if accepted:
            refused = send_data(client, message)
            for rcpt in accepted:  # a drop halfway keeps the answers already given
                replies[rcpt] = refused or reply_of(*client.getreply())
        client.quit()
    except CONNECTION_ERRORS as exc:
        for rcpt in recipients:
            replies.setdefault(rcpt, transient(f"{target}: {exc}"))
    finally:
        client.close()
    return replies
