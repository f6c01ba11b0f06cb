"""Notification mails inside LGWAN about release requests, through the spool's one door.

Approvers (console.approver_addresses) hear that a request waits for them, with a link to it in
the console; the staff member who asked through a request link hears that it was approved,
rejected, expired, delivered or failed, with a link back to their request page. A mail is plain
text in sanitize.language and sanitize.output_charset, and never carries the quarantined mail's
content (no subject, sender or file name: those came from the internet side).

Sent after the change is committed, and at most once: a crash between the two loses the
notice, never sends it twice, and never undoes the change. A spool that cannot take it is
logged; the release goes on.
"""

from __future__ import annotations

import datetime
import email.utils
import logging
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jinja2

from gateway.config import Settings
from gateway.errors import SpoolError
from gateway.log import log_event
from gateway.quarantine import ReleaseRecord, ReleaseState
from gateway.services.staff_rules import staff_of
from gateway.spool import Route, Spool
from gateway.types import Envelope

LOG = logging.getLogger(__name__)
S = ReleaseState
JST = datetime.timezone(datetime.timedelta(hours=9), "JST")  # no daylight saving since 1951
_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_STAFF_KINDS = {S.APPROVED: "approved", S.REJECTED: "rejected", S.EXPIRED: "expired",
                S.DELIVERED: "delivered", S.PARTIALLY_DELIVERED: "failed", S.FAILED: "failed"}
NOTICE_HEADER = "X-Mutaika-Notice"
MAX_COMMENT = 500


def shown_name(actor: str) -> str:
    """A principal's name as people read it: "token:ab12:sato" → "sato", "staff:a@b" → "a@b"."""
    kind, _, rest = actor.partition(":")
    if kind == "token":
        return rest.partition(":")[2] or actor
    return rest if kind in ("staff", "cli") and rest else actor


def jst(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return datetime.datetime.fromtimestamp(seconds, JST).strftime("%Y-%m-%d %H:%M JST")


def _one_line(text: str | None, limit: int = MAX_COMMENT) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(_TEMPLATES)), autoescape=False,  # plain text mail
    trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)  # fmt: skip


class Notifier:
    def __init__(self, settings: Settings, spool: Spool, ring: Callable[[], None]) -> None:
        self._settings = settings
        self._spool = spool
        self._ring = ring

    def requested(self, release: ReleaseRecord) -> None:
        """A request waits for an approver: every approver address hears of it."""
        to = list(self._settings.console.approver_addresses)
        if release.state == S.REQUESTED and to:
            self._send(to, "requested", release)

    def changed(self, release: ReleaseRecord) -> None:
        """The release is now in `release.state`: tell the staff member who asked, when it is
        a state they wait for. Approving one's own (self-release) is no news to them."""
        address = staff_of(release.requested_by)
        kind = _STAFF_KINDS.get(release.state)
        if not address or kind is None:
            return
        if kind == "approved" and release.decided_by == release.requested_by:
            return
        self._send([address], kind, release)

    # -- the mail ---------------------------------------------------------------------------

    def _context(self, kind: str, release: ReleaseRecord) -> dict[str, Any]:
        console = self._settings.console
        address = staff_of(release.requested_by)
        request_url = ""
        if address and console.public_url:
            from gateway.services.links import request_links  # the link signer, no web code

            links = request_links(self._settings)
            request_url = links.url(release.quarantine_id, address) if links else ""
        replies = [r.get("reply", "") for r in release.results.values()
                   if r.get("status") != "delivered"]  # fmt: skip
        return {
            "kind": kind, "release_id": release.id, "quarantine_id": release.quarantine_id,
            "what": release.what, "item_count": len(release.items),
            "requester": shown_name(release.requested_by), "policy": release.policy,
            "comment": _one_line(release.comment),
            "decided_by": shown_name(release.decided_by or ""),
            "decision_comment": _one_line(release.decision_comment),
            "expires": jst(release.expires_at),
            "console_url": (f"{console.public_url}/console/releases/{release.id}"
                            if kind == "requested" and console.public_url else ""),
            "request_url": request_url if kind != "requested" else "",
            "reply": _one_line(replies[0] if replies else "", 300),
            "contact": self._settings.sanitize.release_contact,
        }  # fmt: skip

    def message(self, to: Sequence[str], kind: str, release: ReleaseRecord) -> bytes:
        from gateway.pipeline.build import choose_transfer_encoding, encode_transfer
        from gateway.pipeline.charset import encode_body
        from gateway.pipeline.headerfmt import format_header

        language = self._settings.sanitize.language.value
        text = _ENV.get_template(f"notify_{language}.txt.j2").render(self._context(kind, release))
        subject, _, body = text.partition("\n\n")
        charset = self._settings.sanitize.output_charset
        host = self._settings.smtp.hostname
        fields = [
            ("From", self._settings.console.notify_from or f"mutaika@{host}"),
            ("To", ", ".join(to)), ("Subject", subject.strip()),
            ("Date", email.utils.formatdate(localtime=True)),
            ("Message-ID", f"<notice.{release.id}.{kind}.{secrets.token_hex(6)}@{host}>"),
            ("Auto-Submitted", "auto-generated"),  # RFC 3834: no auto-replies to it
            (NOTICE_HEADER, f"{kind} {release.id}"),
        ]  # fmt: skip
        encoded = encode_body(body, charset)
        transfer = choose_transfer_encoding(encoded)
        head = b"".join(format_header(n, v, charset) for n, v in fields)
        head += (b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset="
                 + (b"ISO-2022-JP" if charset == "iso-2022-jp" else b"utf-8")
                 + b"\r\nContent-Transfer-Encoding: " + transfer.encode("ascii") + b"\r\n")
        return head + b"\r\n" + encode_transfer(encoded, transfer)

    def _send(self, to: list[str], kind: str, release: ReleaseRecord) -> None:
        """The null sender: a notice that cannot be delivered is never bounced anywhere."""
        try:
            message = self.message(to, kind, release)
            queue_id = self._spool.enqueue(message, Envelope("", to), route=Route.RELAY)
        except SpoolError as error:
            LOG.warning("notice %s of release %s not sent: %s", kind, release.id, error)
            return
        except Exception:  # a notice must never undo or stop the change it reports
            LOG.exception("notice %s of release %s not sent", kind, release.id)
            return
        log_event("notice-queued", queue_id, release_id=release.id, notice=kind, to=to)
        self._ring()
