"""Pick the transport for a relay URL: Maildir when empty, LMTP, or a pooled SMTP client.

Transports are synchronous and thread-safe: the worker calls them directly for the first
delivery, the delivery process from one executor thread per lane.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from gateway.config import DeliverySettings
from gateway.delivery.lmtp import deliver_lmtp
from gateway.delivery.maildir import deliver_maildir
from gateway.delivery.reply import Reply
from gateway.delivery.smtp import SmtpPool
from gateway.delivery.target import Target, parse_target


class Transport(Protocol):
    description: str

    def send(self, sender: str, recipients: list[str], message: bytes) -> dict[str, Reply]: ...

    def close(self) -> None: ...


class MaildirTransport:
    def __init__(self, root: Path) -> None:
        self._root = root
        self.description = f"maildir:{root}"

    def send(self, sender: str, recipients: list[str], message: bytes) -> dict[str, Reply]:
        return deliver_maildir(self._root, message, recipients)

    def close(self) -> None:
        return None


class LmtpTransport:
    def __init__(self, target: Target, *, local_hostname: str, timeout: float) -> None:
        self._target = target
        self._local_hostname = local_hostname
        self._timeout = timeout
        self.description = str(target)

    def send(self, sender: str, recipients: list[str], message: bytes) -> dict[str, Reply]:
        return deliver_lmtp(self._target, sender, recipients, message,
                            local_hostname=self._local_hostname, timeout=self._timeout)  # fmt: skip

    def close(self) -> None:
        return None


class SmtpTransport:
    def __init__(self, pool: SmtpPool, target: Target) -> None:
        self._pool = pool
        self.description = str(target)

    def send(self, sender: str, recipients: list[str], message: bytes) -> dict[str, Reply]:
        return self._pool.send(sender, recipients, message)

    def close(self) -> None:
        self._pool.close()


def make_transport(
    url: str, settings: DeliverySettings, *, local_hostname: str, connections: int | None = None
) -> Transport:
    if not url:
        return MaildirTransport(settings.maildir)
    target = parse_target(url)
    if target.scheme == "lmtp":
        return LmtpTransport(
            target, local_hostname=local_hostname, timeout=settings.timeout_seconds
        )
    pool = SmtpPool(
        target,
        size=connections or settings.connections,
        starttls=settings.starttls,
        username=settings.username,
        password=settings.password.get_secret_value(),
        timeout=settings.timeout_seconds,
        local_hostname=local_hostname,
    )
    return SmtpTransport(pool, target)
