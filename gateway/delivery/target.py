"""Parse delivery.relay_url / dsn_relay_url into a target the transports understand."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from gateway.errors import ConfigError

_DEFAULT_PORTS = {"smtp": 25, "smtps": 465, "lmtp": 24}


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str  # smtp, smtps or lmtp
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def parse_target(url: str) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ConfigError(f"{url!r}: expected smtp://host[:port], smtps://... or lmtp://...")
    try:
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError as exc:
        raise ConfigError(f"{url!r}: {exc}") from None
    return Target(parts.scheme, parts.hostname, port)
