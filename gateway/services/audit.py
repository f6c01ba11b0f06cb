"""The audit log as the faces see it: read, export, verify; and the one place that refuses an
action and writes down that it did."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from gateway.quarantine import (
    AuditEntry,
    AuditFilter,
    ChainState,
    QuarantineStore,
    StoreUnavailable,
    Tx,
    Verification,
)
from gateway.services.errors import Forbidden, Unavailable
from gateway.services.principal import Action, Principal

EXPORT_BATCH = 1000


@contextlib.contextmanager
def store_errors() -> Iterator[None]:
    """A store that cannot be reached is our fault: Unavailable, never a crash of the face."""
    try:
        yield
    except StoreUnavailable as error:
        raise Unavailable(str(error)) from error


def record(
    tx: Tx, principal: Principal, action: str, target: str = "", *, reason: str = "",
    result: str = "ok", **detail: Any,
) -> AuditEntry:
    """Append the entry for a change made in the same transaction `tx`."""
    return tx.audit.append(actor=principal.name, role=str(principal.role), action=action,
                           target=target, reason=reason, result=result, detail=detail)  # fmt: skip


class Guard:
    """Role checks for every service: a refusal is audited before it is raised."""

    def __init__(self, store: QuarantineStore) -> None:
        self._store = store

    def check(self, principal: Principal, action: Action, target: str = "") -> None:
        if principal.may(action):
            return
        self.denied(principal, str(action), target, f"the {principal.role} role may not {action}")

    def denied(self, principal: Principal, action: str, target: str, why: str) -> None:
        """Write down the refusal (its own transaction: nothing else happened) and raise."""
        with store_errors(), self._store.transaction() as tx:
            record(tx, principal, action, target, reason=why, result="denied")
        raise Forbidden(why)

    def unauthenticated(self, action: str, target: str, why: str, client: str = "") -> None:
        """A request without a valid token: written down, not raised (the face answers 401)."""
        with store_errors(), self._store.transaction() as tx:
            tx.audit.append(actor=f"anonymous{'@' + client if client else ''}", role="",
                            action=action, target=target, reason=why, result="denied")  # fmt: skip


class AuditService:
    def __init__(self, store: QuarantineStore, guard: Guard) -> None:
        self._store = store
        self._guard = guard

    def note(self, principal: Principal, action: str, target: str = "", **detail: Any) -> None:
        """An event of a face that changes nothing in the store: a console log-in or log-out."""
        with store_errors(), self._store.transaction() as tx:
            record(tx, principal, action, target, **detail)

    def entries(
        self, principal: Principal, f: AuditFilter, *, limit: int = 100, after: int = 0
    ) -> list[AuditEntry]:
        self._guard.check(principal, Action.AUDIT_READ, "audit")
        with store_errors(), self._store.snapshot() as tx:
            return tx.audit.page(f, limit=limit, after=after)

    def export(self, principal: Principal, f: AuditFilter) -> Iterator[str]:
        """JSON Lines, oldest first, read in batches (each its own snapshot)."""
        self._guard.check(principal, Action.AUDIT_READ, "audit")
        after = 0
        while True:
            with store_errors(), self._store.snapshot() as tx:
                batch = tx.audit.page(f, limit=EXPORT_BATCH, after=after)
            for entry in batch:
                yield json.dumps(asdict(entry), ensure_ascii=False, sort_keys=True) + "\n"
            if len(batch) < EXPORT_BATCH:
                return
            after = batch[-1].seq

    def verify(self, principal: Principal) -> Verification:
        """Walk the whole chain; what it finds is recorded as the chain's state (the gauge
        mutaika_audit_chain_ok), so a verification is how an administrator clears a break."""
        self._guard.check(principal, Action.AUDIT_READ, "audit")
        with store_errors(), self._store.snapshot() as tx:
            result = tx.audit.verify()
        with store_errors(), self._store.transaction() as tx:
            return tx.audit.record_verification(result, time.time())

    def check_chain(self, *, now: float, budget: int) -> tuple[ChainState, ChainState]:
        """One round of the housekeeping's watch over the chain, reading at most `budget`
        entries: (the state before, the state after)."""
        with store_errors(), self._store.snapshot() as tx:
            before = tx.audit.chain_state()
            after = tx.audit.check_chain(before, now=now, budget=budget)
        if after != before:
            with store_errors(), self._store.transaction() as tx:
                tx.audit.save_chain_state(before, after)
        return before, after
