"""aiosmtpd's SMTP protocol with bulk DATA reading, an enhanced-code SIZE refusal, and a
registry of live sessions so a listener can stop without cutting a message in half."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiosmtpd.smtp import SMTP, syntax

from gateway.metrics import SMTP_CONNECTIONS
from gateway.smtp import status
from gateway.smtp.datareader import read_data
from gateway.smtp.events import printable, rejected

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


class SessionRegistry:
    """The sessions of one listener; draining makes each close after its current message.

    It also bounds them, like Postfix's process limit and smtpd_client_connection_count_limit:
    idle or slow sessions must not pile up until the listener runs out of file descriptors.
    """

    def __init__(self, *, max_sessions: int = 200, max_per_client: int = 50) -> None:
        self.sessions: set[GatewaySMTP] = set()
        self.draining = False
        self.max_sessions = max_sessions
        self.max_per_client = max_per_client

    def refusal(self, client: str) -> str | None:
        """The 421 reply for one more session from `client`, or None when it may come in."""
        if len(self.sessions) >= self.max_sessions:
            return status.TOO_MANY_SESSIONS
        same_client = sum(1 for s in self.sessions if s.client == client)
        if same_client >= self.max_per_client:
            return status.TOO_MANY_FROM_CLIENT
        return None

    def drain(self) -> None:
        self.draining = True
        for session in list(self.sessions):
            if not session.in_data:
                session.close_for_shutdown()

    def abort_all(self) -> None:
        for session in list(self.sessions):
            session.close_for_shutdown()


class GatewaySMTP(SMTP):
    # The StreamReader limit: it bounds a command line before "500 Command line too long" and
    # sets the chunk size of bulk DATA reading (the transport pauses at twice this).
    line_length_limit = 64 * 1024

    def __init__(self, handler: Any, *, sessions: SessionRegistry, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._registry = sessions
        self.in_data = False
        self.client = ""
        self._refused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        first = self.transport is None  # STARTTLS calls this again on the same session
        if first:
            self.client = peer_host(transport.get_extra_info("peername"))
            reply = self._registry.refusal(self.client)
            if reply is not None and isinstance(transport, asyncio.WriteTransport):
                # Answered before aiosmtpd starts the session: no greeting, no handler task.
                self._refused = True
                rejected(reply, client=self.client)
                transport.write(reply.encode("ascii") + b"\r\n")
                transport.close()
                return
        super().connection_made(transport)
        if first:
            SMTP_CONNECTIONS.inc()
            self._registry.sessions.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        self._registry.sessions.discard(self)
        super().connection_lost(error)

    def close_for_shutdown(self) -> None:
        transport = self.transport
        if isinstance(transport, asyncio.WriteTransport) and not transport.is_closing():
            transport.write(status.SHUTTING_DOWN.encode("ascii") + b"\r\n")
            transport.close()

    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg: str | None) -> None:
        # aiosmtpd refuses an oversized SIZE= itself, without an enhanced status code;
        # answering first keeps every refusal in status.py's words.
        if arg and self.session is not None and self.session.extended_smtp:
            size = declared_size(arg)
            if size is not None and self.data_size_limit and size > self.data_size_limit:
                await self.push(rejected(
                    status.MESSAGE_TOO_BIG, stage="MAIL", declared_size=size,
                    client=peer_host(self.session.peer), sender=printable(arg),
                ))
                return
        await super().smtp_MAIL(arg)

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

    async def _receive_message(self) -> None:
        try:
            result = await read_data(self._reader, self.data_size_limit, self._reset_timeout)
        except asyncio.CancelledError:
            self._writer.close()
            raise
        except asyncio.IncompleteReadError:  # the client went away mid-DATA
            self._writer.close()
            raise asyncio.CancelledError from None
        envelope, session = self.envelope, self.session
        assert envelope is not None and session is not None  # set by connection_made
        if result.content is None:
            self.envelope = self._create_envelope()
            await self.push(rejected(
                status.MESSAGE_TOO_BIG, stage="DATA", size=result.received,
                client=peer_host(session.peer),
            ))
            return
        envelope.content = result.content
        envelope.original_content = result.content
        reply = await self._call_handler_hook("DATA")
        self.envelope = self._create_envelope()  # what aiosmtpd's post-DATA reset does
        await self.push(reply)
