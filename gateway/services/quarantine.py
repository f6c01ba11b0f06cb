"""The quarantine as administrators see it: list, detail, download, delete, bulk delete."""

from __future__ import annotations

import email.policy
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser

from gateway.config import Settings
from gateway.quarantine import (
    Page,
    QuarantineFilter,
    QuarantineRecord,
    QuarantineStore,
    ReleaseRecord,
    StoredItem,
)
from gateway.services.audit import Guard, record, store_errors
from gateway.services.errors import Conflict, Invalid, NotFound, bad_cursor
from gateway.services.principal import Action, Principal
from gateway.types import Envelope

MAX_HEADERS = 200
MAX_HEADER_VALUE = 2000
BULK_BATCH = 500
BULK_MAX = 100_000


@dataclass(slots=True)
class Detail:
    record: QuarantineRecord
    headers: list[tuple[str, str]]
    sanitized_text: str
    releases: list[ReleaseRecord] = field(default_factory=list)


@dataclass(slots=True)
class BulkResult:
    matched: int
    deleted: int = 0
    skipped: list[str] = field(default_factory=list)  # a release of theirs is under way


def headers_of(original: bytes) -> list[tuple[str, str]]:
    """The original's header fields, decoded for reading (bounded: a mail may have thousands)."""
    parsed = BytesHeaderParser(policy=email.policy.default).parsebytes(original[:1_000_000])
    out: list[tuple[str, str]] = []
    for name, value in parsed.items()[:MAX_HEADERS]:
        try:
            text = str(value)
        except Exception:  # a header the policy cannot decode is shown raw
            text = repr(value)
        out.append((name, text[:MAX_HEADER_VALUE]))
    return out


def sanitized_text(
    original: bytes, record: QuarantineRecord, settings: Settings, sanitized: bytes | None
) -> str:
    """The text staff were given: the sanitized mail as it left (kept since revision 0003), else
    made again from the original with today's policy and the excerpts its report kept. Each
    recipient's request link is their own credential: it is shown as where it leads, not whole."""
    from gateway.pipeline.links import REQUEST_LINK_MARK

    public_url = settings.console.public_url
    if sanitized is None:
        from gateway.pipeline import sanitize
        from gateway.pipeline.excerpts import stored_excerpter

        envelope = Envelope(record.sender, record.recipients, received_at=record.received_at)
        excerpter = stored_excerpter(record.report, settings.safecopy.excerpt_chars)
        sanitized = sanitize(
            original, settings.sanitize, envelope=envelope, quarantine_id=record.id,
            request_link=bool(public_url), excerpter=excerpter,
        ).message
    message = email.message_from_bytes(sanitized, policy=email.policy.default)
    try:
        body = message.get_content() if not message.is_multipart() else ""
    except (LookupError, ValueError):
        return ""
    return str(body).replace(REQUEST_LINK_MARK, f"{public_url}/r/…")


class QuarantineService:
    def __init__(self, settings: Settings, store: QuarantineStore, guard: Guard) -> None:
        self._settings = settings
        self._store = store
        self._guard = guard

    def page(
        self, principal: Principal, f: QuarantineFilter, *, limit: int = 50, cursor: str = ""
    ) -> Page:
        self._guard.check(principal, Action.QUARANTINE_LIST, "quarantine")
        with bad_cursor(), store_errors(), self._store.snapshot() as tx:
            return tx.quarantine.page(f, limit=limit, cursor=cursor)

    def detail(self, principal: Principal, quarantine_id: str) -> Detail:
        self._guard.check(principal, Action.QUARANTINE_SHOW, quarantine_id)
        with store_errors(), self._store.snapshot() as tx:
            found = tx.quarantine.get(quarantine_id)
            if found is None:
                raise NotFound(f"no quarantined mail {quarantine_id!r}")
            original = tx.quarantine.blob(found.original_sha256) or b""
            sanitized = tx.quarantine.blob(found.sanitized_sha256) if found.sanitized_sha256 \
                else None  # fmt: skip
            releases = tx.releases.for_quarantine(quarantine_id)
        text = sanitized_text(original, found, self._settings, sanitized)
        return Detail(found, headers_of(original), text, releases)

    def original(self, principal: Principal, quarantine_id: str) -> tuple[QuarantineRecord, bytes]:
        """The original bytes; the download is written to the audit log before it is served."""
        self._guard.check(principal, Action.QUARANTINE_DOWNLOAD, quarantine_id)
        with store_errors(), self._store.transaction() as tx:
            found = tx.quarantine.get(quarantine_id)
            data = tx.quarantine.blob(found.original_sha256) if found else None
            if found is None or data is None:
                raise NotFound(f"no quarantined mail {quarantine_id!r}")
            record(tx, principal, "quarantine.download", quarantine_id, part="original",
                   size=len(data), sha256=found.original_sha256)
        return found, data

    def item(self, principal: Principal, quarantine_id: str, index: int
             ) -> tuple[StoredItem, bytes]:  # fmt: skip
        target = f"{quarantine_id}/items/{index}"
        self._guard.check(principal, Action.QUARANTINE_DOWNLOAD, target)
        with store_errors(), self._store.transaction() as tx:
            found = tx.quarantine.get(quarantine_id)
            item = next((i for i in found.items if i.index == index), None) if found else None
            data = tx.quarantine.blob(item.sha256) if item else None
            if item is None or data is None:
                raise NotFound(f"no removed part {index} in {quarantine_id!r}")
            record(tx, principal, "quarantine.download", target, part=index,
                   filename=item.filename, size=len(data), sha256=item.sha256)
        return item, data

    def delete(self, principal: Principal, quarantine_id: str, reason: str = "") -> None:
        self._guard.check(principal, Action.QUARANTINE_DELETE, quarantine_id)
        with store_errors(), self._store.transaction() as tx:
            if tx.quarantine.get(quarantine_id) is None:
                raise NotFound(f"no quarantined mail {quarantine_id!r}")
            if tx.releases.quarantine_ids_in_flight([quarantine_id]):
                raise Conflict(f"a release of {quarantine_id} is under way: it stays until the "
                               "release is delivered or failed")
            _, blobs, size = tx.quarantine.remove([quarantine_id])
            record(tx, principal, "quarantine.delete", quarantine_id, reason=reason[:2000],
                   blobs_removed=blobs, bytes_removed=size)

    def bulk_delete(
        self, principal: Principal, f: QuarantineFilter, *, dry_run: bool,
        expected: int | None = None, reason: str = "",
    ) -> BulkResult:
        """A dry run counts; the real run must name that count (`expected`), so it deletes
        only what the person saw. Mails with a release under way are skipped."""
        self._guard.check(principal, Action.QUARANTINE_BULK, "quarantine")
        with store_errors(), self._store.snapshot() as tx:
            matched = tx.quarantine.count(f)
        if dry_run:
            return BulkResult(matched)
        if expected is None or expected != matched:
            raise Conflict(f"the filter matches {matched} mails now, not {expected}: "
                           "count again with a dry run")
        if matched > BULK_MAX:
            raise Invalid(f"at most {BULK_MAX} mails at once: narrow the filter")
        result = BulkResult(matched)
        cursor = ""
        while True:
            with store_errors(), self._store.transaction() as tx:
                page = tx.quarantine.page(f, limit=BULK_BATCH, cursor=cursor)
                ids = [r.id for r in page.records]
                busy = tx.releases.quarantine_ids_in_flight(ids)
                gone = [qid for qid in ids if qid not in busy]
                deleted, blobs, size = tx.quarantine.remove(gone)
                result.deleted += deleted
                result.skipped += sorted(busy)
                record(tx, principal, "quarantine.bulk-delete", "quarantine",
                       reason=reason[:2000], deleted=gone, skipped=sorted(busy),
                       blobs_removed=blobs, bytes_removed=size)
            cursor = page.next_cursor
            if not cursor:
                return result
