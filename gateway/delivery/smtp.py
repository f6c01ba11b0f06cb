"""SMTP relay to the next hop through a small pool of persistent aiosmtplib connections."""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

import aiosmtplib

from gateway.delivery.reply import Reply, all_recipients, auth_is_temporary, transient
from gateway.delivery.target import Target

LOG = logging.getLogger(__name__)

StartTls = Literal["off", "optional", "required"]

# Anything but a reply to a command means the session is unusable (drop, timeout, TLS or AUTH
# trouble): the mail is retried with 4xx semantics and the client dropped.
CONNECTION_ERRORS = (aiosmtplib.SMTPException, OSError, TimeoutError)


def _mail_options(client: aiosmtplib.SMTP, message: bytes, utf8: bool) -> list[str]:
    options = []
    if client.supports_extension("size"):
        options.append(f"SIZE={len(message)}")
    if not message.isascii() and client.supports_extension("8bitmime"):
        options.append("BODY=8BITMIME")
    if utf8:
        options.append("SMTPUTF8")
    return options


def _no_smtputf8(what: str) -> Reply:
    """RFC 6531 3.2: a non-ASCII address cannot reach a peer without SMTPUTF8, now or later."""
    return Reply(553, f"5.6.7 {what} is not ASCII and the relay does not offer SMTPUTF8")


async def _reset(client: aiosmtplib.SMTP) -> None:
    try:
        await client.rset()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


async def transact(
    client: aiosmtplib.SMTP, sender: str, recipients: list[str], message: bytes
) -> dict[str, Reply]:
    """One MAIL/RCPT/DATA transaction with a reply per recipient.

    Connection errors propagate: the caller decides that they mean 4xx for whoever is left.
    The client has greeted the server already: its extensions decide the MAIL options.
    """
    smtputf8 = client.supports_extension("smtputf8")
    if not sender.isascii() and not smtputf8:
        return all_recipients(recipients, _no_smtputf8("the sender address"))
    replies: dict[str, Reply] = {}
    if not smtputf8:
        replies = {r: _no_smtputf8("the recipient address") for r in recipients if not r.isascii()}
        recipients = [r for r in recipients if r.isascii()]
        if not recipients:
            return replies
    utf8 = smtputf8 and not (sender.isascii() and all(r.isascii() for r in recipients))
    encoding = "utf-8" if utf8 else "ascii"
    try:
        await client.mail(sender, options=_mail_options(client, message, utf8), encoding=encoding)
    except aiosmtplib.SMTPSenderRefused as exc:
        await _reset(client)
        replies.update(all_recipients(recipients, Reply(exc.code, exc.message)))
        return replies
    except ValueError as exc:  # aiosmtplib refuses to put it on a command line (injection)
        await _reset(client)
        unusable = Reply(553, f"5.1.7 unusable sender address: {exc}")
        replies.update(all_recipients(recipients, unusable))
        return replies
    accepted: list[str] = []
    for rcpt in recipients:
        try:
            await client.rcpt(rcpt, encoding=encoding)
            accepted.append(rcpt)
        except aiosmtplib.SMTPRecipientRefused as exc:
            replies[rcpt] = Reply(exc.code, exc.message)
        except ValueError as exc:
            replies[rcpt] = Reply(553, f"5.1.3 unusable recipient address: {exc}")
    if not accepted:
        await _reset(client)
        return replies
    try:
        response = await client.data(message)
        reply = Reply(response.code, response.message)
    except aiosmtplib.SMTPDataError as exc:
        reply = Reply(exc.code, exc.message)
        await _reset(client)
    replies.update(all_recipients(accepted, reply))
    return replies


class SmtpPool:
    """Up to `size` concurrent transactions, each on a connection kept open between mails."""

    def __init__(
        self,
        target: Target,
        *,
        size: int,
        starttls: StartTls,
        username: str,
        password: str,
        timeout: float,
        local_hostname: str,
    ) -> None:
        self._target = target
        self._starttls = starttls
        self._username = username or None
        self._password = password or None
        self._timeout = timeout
        self._local_hostname = local_hostname
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = asyncio.Semaphore(size)

    def _new_client(self) -> aiosmtplib.SMTP:
        implicit_tls = self._target.scheme == "smtps"
        start_tls = None if self._starttls == "optional" else self._starttls == "required"
        return aiosmtplib.SMTP(
            hostname=self._target.host,
            port=self._target.port,
            username=self._username,
            password=self._password,
            timeout=self._timeout,
            local_hostname=self._local_hostname,
            use_tls=implicit_tls,
            start_tls=False if implicit_tls else start_tls,
            # "optional" is opportunistic TLS (Postfix "may"): encrypting without checking the
            # certificate still beats plain text; "required" and smtps verify it.
            validate_certs=implicit_tls or self._starttls == "required",
        )

    async def _connect(self) -> aiosmtplib.SMTP:
        client = self._new_client()
        await client.connect()
        if client.is_ehlo_or_helo_needed:  # connect() greets only for STARTTLS or AUTH
            try:
                await client.ehlo()
            except aiosmtplib.SMTPHeloError:
                await client.helo()
        return client

    async def send(self, sender: str, recipients: list[str], message: bytes) -> dict[str, Reply]:
        """One transaction. A pooled connection is used as it is, without an RSET round trip
        to prove it alive: should the peer have closed it meanwhile, the transaction is tried
        once more on a fresh connection (a retry later would send the same anyway)."""
        async with self._slots:
            reused = self._idle.pop() if self._idle else None
            candidates = [reused, None] if reused is not None else [None]
            for pooled in candidates:
                try:
                    client = pooled or await self._connect()
                except CONNECTION_ERRORS as exc:
                    return all_recipients(recipients, transient(f"{self._target}: {exc}"))
                try:
                    replies = await transact(client, sender, recipients, message)
                except CONNECTION_ERRORS as exc:
                    client.close()
                    if pooled is not None:
                        continue
                    LOG.warning("connection to %s lost: %s", self._target, exc)
                    return all_recipients(recipients, transient(f"{self._target}: {exc}"))
                if client.is_connected:
                    self._idle.append(client)
                return {rcpt: auth_is_temporary(reply) for rcpt, reply in replies.items()}
            raise AssertionError("unreachable: a fresh connection always returns")

    async def close(self) -> None:
        while self._idle:
            client = self._idle.pop()
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
