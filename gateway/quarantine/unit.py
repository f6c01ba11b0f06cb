"""A unit of work: every repository operation bound to one transaction.

`with store.transaction() as tx:` gives the services the quarantine, the releases, the tokens
and the audit log over one connection, so a change and the audit entry that records it commit
together or not at all. No SQLAlchemy object leaves this package.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Connection

from gateway.quarantine import audit, audit_check, messages, opened, releases, tokens
from gateway.quarantine.audit import Verification
from gateway.quarantine.audit_check import ChainState
from gateway.quarantine.models import (
    HoldState,
    Page,
    QuarantineFilter,
    QuarantineRecord,
    StoredItem,
)
from gateway.quarantine.records import (
    AuditEntry,
    AuditFilter,
    ReleaseFilter,
    ReleaseRecord,
    ReleaseState,
    TokenRecord,
)
from gateway.types import RemovedPart


class QuarantineRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, quarantine_id: str) -> QuarantineRecord | None:
        return messages.get(self._conn, quarantine_id)

    def page(self, f: QuarantineFilter, *, limit: int, cursor: str = "") -> Page:
        return messages.page(self._conn, f, limit=limit, cursor=cursor)

    def count(self, f: QuarantineFilter) -> int:
        return messages.count(self._conn, f)

    def blob(self, sha256: str) -> bytes | None:
        return messages.blob(self._conn, sha256)

    def set_state(self, quarantine_id: str, state: HoldState) -> bool:
        return messages.set_state(self._conn, quarantine_id, state)

    def remove(self, quarantine_ids: Sequence[str]) -> tuple[int, int, int]:
        """Delete mails with their items and releases, then the payloads nothing refers to any
        more: (mails, blobs, blob bytes)."""
        releases.remove_for(self._conn, quarantine_ids)
        removed = messages.remove(self._conn, quarantine_ids)
        blobs, size = messages.collect_blobs(self._conn) if removed else (0, 0)
        return removed, blobs, size

    def expired(self, now: float, limit: int) -> list[str]:
        return messages.expired(self._conn, now, limit)

    def oldest(
        self, *, received_before: float, limit: int, after: tuple[float, str] | None = None
    ) -> list[QuarantineRecord]:
        return messages.oldest(self._conn, received_before=received_before, limit=limit,
                               after=after)  # fmt: skip

    def stats_by_state(self) -> dict[str, tuple[int, int]]:
        return messages.stats_by_state(self._conn)

    def count_by_verdict(self, since: float) -> dict[str, int]:
        return messages.count_by_verdict(self._conn, since)

    def add_opened(self, quarantine_id: str, parent: int,
                   parts: Sequence[tuple[RemovedPart, bytes]]) -> list[StoredItem]:  # fmt: skip
        return opened.add_opened(self._conn, quarantine_id, parent, parts)

    def locked_from(self, sender: str, *, since: float, until: float, limit: int = 20
                    ) -> list[QuarantineRecord]:  # fmt: skip
        return opened.locked_from(self._conn, sender, since=since, until=until, limit=limit)


class ReleaseRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def insert(self, record: ReleaseRecord, *, dedupe: str | None) -> bool:
        return releases.insert(self._conn, record, dedupe=dedupe)

    def find(self, *, dedupe: str = "", idempotency_key: str = "") -> ReleaseRecord | None:
        return releases.find(self._conn, dedupe=dedupe, idempotency_key=idempotency_key)

    def get(self, release_id: str, *, events: bool = True) -> ReleaseRecord | None:
        return releases.get(self._conn, release_id, events=events)

    def update(
        self, release_id: str, from_states: Collection[ReleaseState], *,
        if_updated_at: float | None = None, **values: Any,
    ) -> bool:
        return releases.update(self._conn, release_id, from_states, if_updated_at=if_updated_at,
                               **values)

    def add_event(
        self, release_id: str, *, at: float, actor: str, from_state: str, to_state: str,
        comment: str = "",
    ) -> None:
        releases.add_event(self._conn, release_id, at=at, actor=actor, from_state=from_state,
                           to_state=to_state, comment=comment)  # fmt: skip

    def page(
        self, f: ReleaseFilter, *, limit: int, cursor: str = ""
    ) -> tuple[list[ReleaseRecord], str]:
        return releases.page(self._conn, f, limit=limit, cursor=cursor)

    def for_quarantine(self, quarantine_id: str) -> list[ReleaseRecord]:
        return releases.for_quarantine(self._conn, quarantine_id)

    def ids_in_state(
        self, state: ReleaseState, *, expires_before: float | None = None,
        updated_before: float | None = None, node: str | None = None, limit: int = 500,
    ) -> list[str]:
        return releases.ids_in_state(
            self._conn, state, expires_before=expires_before, updated_before=updated_before,
            node=node, limit=limit,
        )  # fmt: skip

    def quarantine_ids_in_flight(self, quarantine_ids: Sequence[str]) -> set[str]:
        return releases.quarantine_ids_in_flight(self._conn, quarantine_ids)

    def count_by_state(self) -> dict[str, int]:
        return releases.count_by_state(self._conn)


class TokenRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def insert(self, record: TokenRecord) -> None:
        tokens.insert(self._conn, record)

    def get(self, token_id: str) -> TokenRecord | None:
        return tokens.get(self._conn, token_id)

    def listing(self, *, include_revoked: bool = True) -> list[TokenRecord]:
        return tokens.listing(self._conn, include_revoked=include_revoked)

    def revoke(self, token_id: str, at: float) -> bool:
        return tokens.revoke(self._conn, token_id, at)


class AuditRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def append(
        self, *, actor: str, role: str, action: str, target: str = "", reason: str = "",
        result: str = "ok", detail: dict[str, Any] | None = None,
    ) -> AuditEntry:
        return audit.append(self._conn, actor=actor, role=role, action=action, target=target,
                            reason=reason, result=result, detail=detail)  # fmt: skip

    def page(self, f: AuditFilter, *, limit: int, after: int = 0) -> list[AuditEntry]:
        return audit.page(self._conn, f, limit=limit, after=after)

    def verify(self) -> Verification:
        return audit.verify(self._conn)

    def chain_state(self) -> ChainState:
        return audit_check.state(self._conn)

    def check_chain(self, before: ChainState, *, now: float, budget: int) -> ChainState:
        return audit_check.advance(self._conn, before, now=now, budget=budget)

    def save_chain_state(self, before: ChainState, after: ChainState) -> bool:
        return audit_check.save(self._conn, before, after)

    def record_verification(self, result: Verification, now: float) -> Verification:
        return audit_check.record_verification(self._conn, result, now)


class Tx:
    """The repositories of one transaction."""

    def __init__(self, conn: Connection) -> None:
        self.quarantine = QuarantineRepo(conn)
        self.releases = ReleaseRepo(conn)
        self.tokens = TokenRepo(conn)
        self.audit = AuditRepo(conn)
