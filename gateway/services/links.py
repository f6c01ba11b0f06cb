"""Signed release-request links: one per quarantined mail and recipient, no password needed.

The token (itsdangerous, HMAC-SHA256 over the quarantine ID and the recipient, with a
timestamp) proves that the link came from our notice to that recipient: whoever holds it may
ask for that mail's release in that recipient's name, for console.link_ttl_days. The secret is
console.secret_key, or a random key kept in <data_dir>/console.key.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from gateway.config import Settings
from gateway.durable import fsync_dir, write_file_durably
from gateway.pipeline.links import with_link
from gateway.spool import Route, SpoolRecord

_SALT = "mutaika-request-link"
KEY_FILE = "console.key"


class InvalidLink(ValueError):
    """A request link that was forged, altered or has expired (the message says which)."""


class ExpiredLink(InvalidLink):
    """A genuine link past console.link_ttl_days."""


def secret_key(settings: Settings) -> str:
    """console.secret_key, else the node's own key file (made on first use, mode 0600)."""
    configured = settings.console.secret_key.get_secret_value()
    if configured:
        return configured
    path = Path(settings.data_dir) / KEY_FILE
    try:
        if key := path.read_text().strip():
            return key
    except FileNotFoundError:
        pass
    # The children of serve start together and each may get here first. The key is written
    # whole under a name of its own and then linked into place: a reader never sees the file
    # half-written, and the first link wins (the others read it): one key for every process.
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    write_file_durably(tmp, f"{key}\n".encode(), mode=0o600)
    try:
        try:
            os.link(tmp, path)
        except FileExistsError:
            if existing := path.read_text().strip():
                return existing
            os.replace(tmp, path)  # an empty file an older version left after a crash
        fsync_dir(path.parent)
        return key
    finally:
        tmp.unlink(missing_ok=True)


@dataclass(frozen=True)
class RequestLinks:
    public_url: str
    secret: str
    ttl_seconds: float

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt=_SALT)

    def token(self, quarantine_id: str, recipient: str) -> str:
        return str(self._serializer().dumps([quarantine_id, recipient]))

    def url(self, quarantine_id: str, recipient: str) -> str:
        return f"{self.public_url}/r/{self.token(quarantine_id, recipient)}"

    def verify(self, token: str) -> tuple[str, str]:
        """(quarantine ID, recipient) of a genuine, unexpired token; InvalidLink otherwise."""
        try:
            value = self._serializer().loads(token, max_age=int(self.ttl_seconds))
        except SignatureExpired:
            raise ExpiredLink("this link has expired") from None
        except BadSignature:
            raise InvalidLink("this link is not valid") from None
        if not (isinstance(value, list) and len(value) == 2
                and all(isinstance(v, str) for v in value)):  # fmt: skip
            raise InvalidLink("this link is not valid")
        return value[0], value[1]


def request_links(settings: Settings) -> RequestLinks | None:
    """The links of this gateway; None when console.public_url is not set."""
    if not settings.console.public_url:
        return None
    return RequestLinks(settings.console.public_url, secret_key(settings),
                        settings.console.link_ttl_days * 86400)  # fmt: skip


class LinkedNotices:
    """Per recipient, the sanitized mail with that recipient's request link in its notice
    (gateway.delivery.send.PerRecipient)."""

    def __init__(self, links: RequestLinks) -> None:
        self._links = links

    def applies(self, record: SpoolRecord) -> bool:
        return bool(record.verdict and record.quarantine_id and not record.release_id
                    and record.route == Route.RELAY)  # fmt: skip

    def message(self, record: SpoolRecord, message: bytes, recipient: str) -> bytes:
        return with_link(message, self._links.url(record.quarantine_id, recipient))
