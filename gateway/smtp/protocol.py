"""aiosmtpd's SMTP protocol with our address parsing, time limits, bulk DATA reading, counted
and escaped replies, and a registry of live sessions so a listener can stop cleanly.

Where aiosmtpd is bent, and why:
- `_getaddr` (aiosmtpd's one address parser for MAIL, RCPT and VRFY) is ours
  (gateway/smtp/address.py); a refusal leaves it as AddressRefused, answered by the MAIL/RCPT
  wrappers with our reply instead of aiosmtpd's one "553 5.1.3" for every case.
- `push` is the one door for replies: each is escaped (aiosmtpd echoes an unknown command back)
  and counted when it refuses (gateway/smtp/events.py).
- `_timeout_cb` says 421 before closing an idle session; DATA and the session as a whole have
  their own limits (gateway/smtp/limits.py).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, AnyStr

from aiosmtpd.smtp import SMTP, TLSSetupException, syntax

from gateway.config import SmtpSettings
from gateway.metrics import SMTP_CONNECTIONS
from gateway.smtp import status
from gateway.smtp.address import AddressRefused, is_routed, parse_path
from gateway.smtp.datareader import read_data
from gateway.smtp.events import count_reply, printable, rejected
from gateway.smtp.limits import DataDeadline, TimeLimits
from gateway.smtp.sessions import SessionRegistry, client_key

log = logging.getLogger(__name__)

# A MAIL FROM argument is at most a few hundred characters (aiosmtpd's command limit), and
# the pattern has no nested repetition, so this cannot backtrack badly.
_SIZE_PARAM = re.compile(r"(?i)(?:^|\s)SIZE=(\d{1,20})(?=\s|$)")


def declared_size(mail_arg: str) -> int | None:
    """The SIZE= value of a MAIL FROM argument, None when there is none."""
    match = _SIZE_PARAM.search(mail_arg)
    return int(match.group(1)) if match else None


def peer_host(peer: Any) -> str:
    """The client's address from an aiosmtpd session peer ((host, port, ...) or a path)."""
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return str(peer or "")


class GatewaySMTP(SMTP):
    # The StreamReader limit: it bounds a command line before "500 Command line too long" and
    # sets the chunk size of bulk DATA reading (the transport pauses at twice this).
    line_length_limit = 64 * 1024

    def __init__(
        self, handler: Any, *, sessions: SessionRegistry, limits: TimeLimits | None = None,
        reject_routed: bool = True, **kwargs: Any,
    ) -> None:
        self._limits = limits or TimeLimits.from_settings(SmtpSettings())
        kwargs.setdefault("timeout", self._limits.idle)
        super().__init__(handler, **kwargs)
        self._registry = sessions
        self._reject_routed = reject_routed
        self.in_data = False
        self.client = ""
        self.client_key = ""  # what the session limits count by (gateway/smtp/sessions.py)
        self.started = 0.0
        self._refused = False
        self._parsing: str | None = None  # "MAIL" or "RCPT" while aiosmtpd parses the address
        self._session_timer: asyncio.TimerHandle | None = None
        self._session_over = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        first = self.transport is None  # STARTTLS calls this again on the same session
        if first:
            self.client = peer_host(transport.get_extra_info("peername"))
            self.client_key = client_key(self.client)
            reply = self._registry.refusal(self.client_key)
            if reply is not None and isinstance(transport, asyncio.WriteTransport):
                # Answered before aiosmtpd starts the session: no greeting, no handler task.
                self._refused = True
                count_reply(rejected(reply, client=self.client))
                transport.write(reply.encode("ascii") + b"\r\n")
                transport.close()
                return
        super().connection_made(transport)
        if first:
            SMTP_CONNECTIONS.inc()
            self.started = self.loop.time()
            self._session_timer = self.loop.call_later(self._limits.session, self._expire)
            self._registry.sessions.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        self._registry.sessions.discard(self)
        if self._session_timer is not None:
            self._session_timer.cancel()
        super().connection_lost(error)

    def close_with(self, reply: str, why: str = "") -> None:
        """Send one last reply and close (timeouts, making room, shutting down)."""
        transport = self.transport
        if isinstance(transport, asyncio.WriteTransport) and not transport.is_closing():
            if reply not in status.NOT_REFUSALS:
                count_reply(rejected(reply, why, client=self.client))
            transport.write(reply.encode("ascii") + b"\r\n")
            transport.close()

    def close_for_shutdown(self) -> None:
        self.close_with(status.SHUTTING_DOWN)

    def _timeout_cb(self) -> None:
        self.close_with(status.IDLE_TIMEOUT)

    def _expire(self) -> None:
        if self.in_data:
            self._session_over = True  # the message in transfer gets its answer first
        else:
            self.close_with(status.SESSION_TIME_LIMIT)

    async def push(self, reply: AnyStr) -> None:
        if isinstance(reply, str):
            # ASCII too: a client that did not ask for SMTPUTF8 may not take UTF-8 replies.
            reply = printable(reply).encode("ascii", "backslashreplace").decode("ascii")
            count_reply(reply)
        await super().push(reply)

    async def handle_exception(self, error: Exception) -> str:
        if isinstance(error, TLSSetupException):
            # A client that closes or sends garbage after STARTTLS: one line, no traceback.
            # aiosmtpd closes the connection without sending this reply.
            cause = error.__cause__
            detail = f"{type(cause).__name__}: {cause}" if cause is not None else "closed"
            log.info("TLS handshake with %s failed: %s", self.client, printable(detail))
            return status.INTERNAL_ERROR
        reply: str = await super().handle_exception(error)
        return reply

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        if not arg:
            return "", ""  # "MAIL FROM:" alone: aiosmtpd's syntax reply
        role = self._parsing
        try:
            smtputf8 = bool(self.envelope and self.envelope.smtp_utf8)
            path = parse_path(arg, sender=role == "MAIL", smtputf8=None if role == "MAIL"
                              else smtputf8)
        except AddressRefused:
            if role is None:  # VRFY: aiosmtpd's "502 Could not VRFY"
                return None, None
            raise
        if role == "RCPT" and self._reject_routed and is_routed(path):
            raise AddressRefused(status.ROUTING_DENIED, "routing")
        return path.mailbox or "<>", path.params

    async def _with_address(
        self, role: str, command: Callable[[str | None], Awaitable[None]], arg: str | None
    ) -> None:
        self._parsing = role
        try:
            await command(arg)
        except AddressRefused as exc:
            await self.push(rejected(
                exc.reply, exc.why, stage=role, client=self.client, argument=printable(arg or ""),
            ))
        finally:
            self._parsing = None

    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg: str | None) -> None:
        # aiosmtpd refuses an oversized SIZE= itself, without an enhanced status code;
        # answering first keeps every refusal in status.py's words.
        if arg and self.session is not None and self.session.extended_smtp:
            size = declared_size(arg)
            if size is not None and self.data_size_limit and size > self.data_size_limit:
                await self.push(rejected(
                    status.MESSAGE_TOO_BIG, stage="MAIL", declared_size=size,
                    client=self.client, argument=printable(arg),
                ))
                return
        await self._with_address("MAIL", super().smtp_MAIL, arg)

    @syntax("RCPT TO: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_RCPT(self, arg: str | None) -> None:
        await self._with_address("RCPT", super().smtp_RCPT, arg)

    async def smtp_AUTH(self, arg: str | None) -> None:
        # No @syntax, so HELP does not list it: an inbound MX has no accounts, and EHLO does
        # not offer AUTH (handler.handle_EHLO). Postfix's words when SASL is off.
        await self.push(status.AUTH_DISABLED)

    @syntax("DATA")
    async def smtp_DATA(self, arg: str | None) -> None:
        if await self.check_helo_needed():
            return
        if await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None  # set by connection_made
        if not self.envelope.rcpt_tos:
            await self.push(status.NEED_RCPT)
            return
        if arg:
            await self.push(status.DATA_SYNTAX)
            return
        await self.push(status.START_DATA)
        self.in_data = True
        try:
            await self._receive_message()
        finally:
            self.in_data = False
        if self._registry.draining:
            self.close_for_shutdown()
        elif self._session_over:
            self.close_with(status.SESSION_TIME_LIMIT)

    async def _read_in_time(self) -> tuple[bytes | None, int]:
        """Read one DATA within its limits; at a limit say 421 and close (CancelledError)."""
        deadline = DataDeadline(self._limits, self.loop.time())
        received = 0
        try:
            async with asyncio.timeout_at(deadline.at(0)) as scope:

                def progress(count: int) -> None:
                    nonlocal received
                    received = count
                    self._reset_timeout()
                    scope.reschedule(deadline.at(count))

                result = await read_data(self._reader, self.data_size_limit, progress)
        except TimeoutError:
            self.close_with(deadline.reply(received), f"{received} bytes")
            raise asyncio.CancelledError from None
        except asyncio.CancelledError:
            self._writer.close()
            raise
        except asyncio.IncompleteReadError:  # the client went away mid-DATA
            self._writer.close()
            raise asyncio.CancelledError from None
        return result.content, result.received

    async def _receive_message(self) -> None:
        content, received = await self._read_in_time()
        envelope = self.envelope
        assert envelope is not None  # set by connection_made
        if content is None:
            self.envelope = self._create_envelope()
            await self.push(rejected(
                status.MESSAGE_TOO_BIG, stage="DATA", size=received, client=self.client,
            ))
            return
        envelope.content = content
        envelope.original_content = content
        reply = await self._call_handler_hook("DATA")
        self.envelope = self._create_envelope()  # what aiosmtpd's post-DATA reset does
        await self.push(reply)
