"""The aiosmtpd handler: relay policy at MAIL/RCPT, and DATA → spool → 250.

Refusal points, chosen to behave like Postfix with smtpd_delay_reject=yes: a refused client
is told at RCPT TO (554 5.7.1), not at connect, so the log shows who it wanted to reach and
clients that mishandle a 554 greeting do not reconnect in a loop; a refused sender domain is
told at MAIL FROM. The reply 250 is sent only once the spool holds the message on disk; any
fault of ours answers 4xx so the sender keeps the message and retries.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from aiosmtpd.smtp import SMTP, Session
from aiosmtpd.smtp import Envelope as SmtpEnvelope

from gateway.config import SmtpSettings
from gateway.errors import SpoolError
from gateway.log import log_event
from gateway.metrics import SMTP_ACCEPTED, SMTP_MESSAGE_BYTES
from gateway.smtp import status
from gateway.smtp.events import printable, rejected, tempfailed
from gateway.smtp.headers import message_id_of, protocol_name, received_header
from gateway.smtp.policy import ClientPolicy, is_null_sender, recipient_is_local, sender_allowed
from gateway.smtp.protocol import peer_host
from gateway.spool.ids import new_queue_id
from gateway.spool.store import Spool, SpoolFull
from gateway.types import Envelope

log = logging.getLogger(__name__)


class GatewayHandler:
    def __init__(
        self,
        settings: SmtpSettings,
        spool: Spool,
        *,
        executor: Executor | None = None,
        on_accepted: Callable[[], None] | None = None,
    ) -> None:
        self._settings = settings
        self._spool = spool
        self._on_accepted = on_accepted  # wakes the sanitizer workers
        self._executor = executor  # spool writes fsync: keep them off the event loop
        self._clients = ClientPolicy.from_cidrs(settings.client_allow, settings.client_deny)

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: SmtpEnvelope, hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        # aiosmtpd offers AUTH after STARTTLS; an inbound MX has no accounts, so hide it.
        return [r for r in responses if not r[4:].upper().startswith("AUTH")]

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: SmtpEnvelope, address: str,
        mail_options: list[str],
    ) -> str:
        s = self._settings
        if not sender_allowed(address, s.sender_domain_allow, s.sender_domain_deny):
            return rejected(
                status.SENDER_DENIED, stage="MAIL", client=peer_host(session.peer),
                sender=printable(address),
            )
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return status.SENDER_OK

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: SmtpEnvelope, address: str,
        rcpt_options: list[str],
    ) -> str:
        client = peer_host(session.peer)
        fields: dict[str, Any] = {
            "stage": "RCPT", "client": client, "sender": printable(envelope.mail_from or ""),
            "recipient": printable(address),
        }
        if not self._clients.allows(client):
            return rejected(status.CLIENT_DENIED, **fields)
        if len(envelope.rcpt_tos) >= self._settings.max_recipients:
            return rejected(status.TOO_MANY_RECIPIENTS, **fields)
        if not recipient_is_local(address, self._settings.local_domains):
            return rejected(status.RELAY_DENIED, **fields)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return status.RECIPIENT_OK

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SmtpEnvelope) -> str:
        client = peer_host(session.peer)
        try:
            queue_id = new_queue_id()
            content: bytes = envelope.original_content or b""
            trace = received_header(
                helo=session.host_name or "",
                client_ip=client,
                hostname=self._settings.hostname,
                protocol=protocol_name(
                    extended=bool(session.extended_smtp), tls=session.ssl is not None,
                    smtputf8=bool(envelope.smtp_utf8),
                ),
                queue_id=queue_id,
                recipients=list(envelope.rcpt_tos),
            )
            raw = trace + content
            mail_from: str = envelope.mail_from or ""
            sender = "" if is_null_sender(mail_from) else mail_from
            spooled = Envelope(
                mail_from=sender, rcpt_tos=list(envelope.rcpt_tos), client_address=client,
                helo=session.host_name or "", received_at=time.time(),
            )
            message_id = message_id_of(content)
            accept = functools.partial(
                self._spool.accept, raw, spooled, queue_id=queue_id, message_id=message_id
            )
            await asyncio.get_running_loop().run_in_executor(self._executor, accept)
        except SpoolFull as exc:
            return tempfailed(status.SPOOL_FULL, "spool-full", client=client, error=str(exc))
        except SpoolError as exc:
            return tempfailed(
                status.SPOOL_WRITE_ERROR, "spool-error", client=client, error=str(exc)
            )
        except Exception:
            log.exception("DATA from %s failed", client)
            return tempfailed(status.LOCAL_ERROR, "exception", client=client)
        SMTP_ACCEPTED.inc()
        SMTP_MESSAGE_BYTES.observe(len(raw))
        if self._on_accepted is not None:
            self._on_accepted()
        log_event(
            "accepted", queue_id, message_id=printable(message_id),
            sender=printable(sender), recipients=[printable(r) for r in spooled.rcpt_tos],
            size=len(raw), client=client,
        )
        return status.QUEUED.format(queue_id=queue_id)

    async def handle_exception(self, error: Exception) -> str:
        """aiosmtpd's fallback would answer "500 Error: (Name) text": a 5xx that bounces mail
        for our bug, and our internals shown to strangers."""
        log.error("SMTP session error", exc_info=error)
        return tempfailed(status.INTERNAL_ERROR, "exception")
