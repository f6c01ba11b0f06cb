"""SMTP relay to the next hop through a small pool of persistent connections (stdlib smtplib).

Thread-safe: the worker sends from its own thread, the delivery process from one executor
thread per lane.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from typing import Literal

from gateway.delivery.reply import Reply, all_recipients, auth_is_temporary, transient
from gateway.delivery.session import CONNECTION_ERRORS, envelope, reply_of, send_data
from gateway.delivery.target import Target

LOG = logging.getLogger(__name__)

StartTls = Literal["off", "optional", "required"]


def transact(
    client: smtplib.SMTP, sender: str, recipients: list[str], message: bytes
) -> dict[str, Reply]:
    """One MAIL/RCPT/DATA transaction with a reply per recipient. Connection errors propagate:
    the caller decides that they mean 4xx for whoever is left."""
    replies, accepted = envelope(client, sender, recipients, message, lmtp=False)
    if not accepted:
        return replies
    refused = send_data(client, message)
    final = refused if refused is not None else reply_of(*client.getreply())
    replies.update(all_recipients(accepted, final))
    return replies


def _tls_context(verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not verify:
        # "optional" is opportunistic TLS (Postfix "may"): encrypting without checking the
        # certificate still beats plain text; "required" and smtps verify it.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class SmtpPool:
    """Up to `size` concurrent transactions, each on a connection kept open between mails."""

    def __init__(
        self, target: Target, *, size: int, starttls: StartTls, username: str, password: str,
        timeout: float, local_hostname: str,
    ) -> None:
        self._target = target
        self._starttls = starttls
        self._username = username
        self._password = password
        self._timeout = timeout
        self._local_hostname = local_hostname
        self._idle: list[smtplib.SMTP] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(size)

    def _connect(self) -> smtplib.SMTP:
        target, host = self._target, self._local_hostname
        client: smtplib.SMTP
        if target.scheme == "smtps":
            client = smtplib.SMTP_SSL(target.host, target.port, local_hostname=host,
                                      timeout=self._timeout, context=_tls_context(True))
        else:
            client = smtplib.SMTP(target.host, target.port, local_hostname=host,
                                  timeout=self._timeout)  # fmt: skip
        try:
            client.ehlo_or_helo_if_needed()
            if target.scheme == "smtp" and self._starttls != "off":
                if client.has_extn("starttls"):
                    client.starttls(context=_tls_context(self._starttls == "required"))
                    client.ehlo()
                elif self._starttls == "required":
                    raise smtplib.SMTPNotSupportedError("STARTTLS required but not offered")
            if self._username:
                client.login(self._username, self._password)
        except BaseException:
            client.close()
            raise
        return client

    def send(self, sender: str, recipients: list[str], message: bytes) -> dict[str, Reply]:
        """One transaction. A pooled connection is used as it is, without an RSET round trip
        to prove it alive: should the peer have closed it meanwhile, the transaction is tried
        once more on a fresh connection (a retry later would send the same anyway)."""
        with self._slots:
            with self._lock:
                reused = self._idle.pop() if self._idle else None
            for pooled in ([reused, None] if reused is not None else [None]):
                try:
                    client = pooled or self._connect()
                except CONNECTION_ERRORS as exc:
                    return all_recipients(recipients, transient(f"{self._target}: {exc}"))
                try:
                    replies = transact(client, sender, recipients, message)
                except CONNECTION_ERRORS as exc:
                    client.close()
                    if pooled is not None:
                        continue
                    LOG.warning("connection to %s lost: %s", self._target, exc)
                    return all_recipients(recipients, transient(f"{self._target}: {exc}"))
                if client.sock is not None:
                    with self._lock:
                        self._idle.append(client)
                return {rcpt: auth_is_temporary(reply) for rcpt, reply in replies.items()}
            raise AssertionError("unreachable: a fresh connection always returns")

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for client in idle:
            try:
                client.quit()
            except CONNECTION_ERRORS:
                client.close()
