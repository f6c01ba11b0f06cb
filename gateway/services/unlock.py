"""PPAP: a password-protected item opened with its password; what is inside becomes new items of
the same mail (parent = the protected item), whose safe copies can then be asked for.

The password goes to the converter process and nowhere else: it is never stored, never
written to the audit log, a log line or an exception. Wrong passwords are counted from the
audit log (one source for every node) and limited per mail and per person within
safecopy.unlock_window_seconds; every attempt by a person is audited with its outcome.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from gateway import metrics
from gateway.config import Settings
from gateway.quarantine import (
    AuditEntry,
    AuditFilter,
    QuarantineRecord,
    QuarantineStore,
    StoredItem,
)
from gateway.safecopy import NoSafeCopy, Reason, SafeCopyRunner, Unlocked
from gateway.services.audit import Guard, record, store_errors
from gateway.services.errors import Invalid, NotFound, TooManyAttempts
from gateway.services.principal import Action, Principal, Role
from gateway.services.safecopy_offer import offer_for
from gateway.services.staff_rules import not_theirs

ACTION = str(Action.SAFECOPY_UNLOCK)
WRONG = "wrong-password"
MAX_NAMES = 50  # names of opened items written to the audit entry


@dataclass(slots=True)
class UnlockOutcome:
    opened: bool
    items: list[StoredItem] = field(default_factory=list)  # what is inside, now items of the mail
    reason: str = ""  # when not opened: wrong-password, zip-bomb, failed, …
    detail: str = ""
    notes: list[str] = field(default_factory=list)  # e.g. an archive nested too deep to open
    already: bool = False  # opened before: no password was tried
    remaining: int | None = None  # after a wrong password: how many more may be tried now


def opened_from(mail: QuarantineRecord, index: int) -> list[StoredItem]:
    return [item for item in mail.items if item.parent == index]


class Unlocker:
    def __init__(self, settings: Settings, store: QuarantineStore, guard: Guard,
                 runner: SafeCopyRunner) -> None:  # fmt: skip
        self._settings = settings
        self._store = store
        self._guard = guard
        self._runner = runner

    def load(self, quarantine_id: str, index: int) -> tuple[QuarantineRecord, StoredItem, bytes]:
        with store_errors(), self._store.snapshot() as tx:
            mail = tx.quarantine.get(quarantine_id)
            item = next((i for i in mail.items if i.index == index), None) if mail else None
            data = tx.quarantine.blob(item.sha256) if item else None
        if mail is None:
            raise NotFound(f"no quarantined mail {quarantine_id!r}")
        if item is None or data is None:
            raise NotFound(f"no removed part {index} in {quarantine_id!r}")
        return mail, item, data

    def attempt(self, principal: Principal, quarantine_id: str, index: int, password: str
                ) -> UnlockOutcome:  # fmt: skip
        """A person's attempt: role, rate limits, the audit entry."""
        self._guard.check(principal, Action.SAFECOPY_UNLOCK, quarantine_id)
        mail, item, data = self.load(quarantine_id, index)
        if principal.role == Role.STAFF and (why := not_theirs(principal, mail)):
            self._guard.denied(principal, ACTION, quarantine_id, why)
        if not offer_for(self._settings, item, mail.items).unlockable:
            raise Invalid(f"item {index} of {quarantine_id} is not a password-protected file")
        if inside := opened_from(mail, index):
            return UnlockOutcome(True, inside, already=True)
        self._check_rate(principal, quarantine_id)
        result = self._runner.unlock(data, item.filename, item.detected_type, password)
        outcome = self.store_opened(principal, mail, item, result, source="request")
        if not outcome.opened:
            with store_errors(), self._store.transaction() as tx:
                record(tx, principal, ACTION, quarantine_id, result=_word(result), item=index,
                       why=outcome.reason)  # fmt: skip
            if outcome.reason == Reason.WRONG_PASSWORD:
                outcome.remaining = self.remaining(principal, quarantine_id)
        return outcome

    def try_password(self, principal: Principal, mail: QuarantineRecord, item: StoredItem,
                     data: bytes, password: str, deadline: float) -> UnlockOutcome:  # fmt: skip
        """The gateway's own attempt (a password notice): no rate limit (the caller bounds the
        count and the time), and only an opened item is audited: wrong candidates change
        nothing."""
        result = self._runner.unlock(data, item.filename, item.detected_type, password,
                                     deadline=deadline)  # fmt: skip
        return self.store_opened(principal, mail, item, result, source="notice")

    def store_opened(self, principal: Principal, mail: QuarantineRecord, item: StoredItem,
               result: Unlocked | NoSafeCopy, *, source: str) -> UnlockOutcome:  # fmt: skip
        """Store what an attempt opened, with its audit entry, in one transaction."""
        metrics.UNLOCK_ATTEMPTS.labels(source, "opened" if result else _word(result)).inc()
        if isinstance(result, NoSafeCopy):
            return UnlockOutcome(False, reason=str(result.reason), detail=result.detail)
        with store_errors(), self._store.transaction() as tx:
            current = tx.quarantine.get(mail.id)
            if current is None:
                raise NotFound(f"quarantined mail {mail.id} is gone")
            if inside := opened_from(current, item.index):  # opened meanwhile by someone else
                return UnlockOutcome(True, inside, already=True)
            stored = tx.quarantine.add_opened(mail.id, item.index,
                                              [(i.part, i.data) for i in result.items])
            record(tx, principal, ACTION, mail.id, item=item.index, opened=len(stored),
                   names=[s.filename for s in stored[:MAX_NAMES]], notes=list(result.notes),
                   source=source)  # fmt: skip
        return UnlockOutcome(True, stored, notes=list(result.notes))

    def _failures(self, principal: Principal, quarantine_id: str, now: float
                  ) -> list[tuple[list[AuditEntry], int, str]]:  # fmt: skip
        """The wrong passwords within the window that count against each limit, with the
        limit and whose it is: this mail's, this person's."""
        limits = self._settings.safecopy
        since = now - limits.unlock_window_seconds
        with store_errors(), self._store.snapshot() as tx:
            per_mail = tx.audit.page(AuditFilter(since=since, action=ACTION, target=quarantine_id,
                                                 result=WRONG),
                                     limit=limits.unlock_failures_per_mail)  # fmt: skip
            per_person = tx.audit.page(AuditFilter(since=since, actor=principal.name,
                                                   action=ACTION, result=WRONG),
                                       limit=limits.unlock_failures_per_principal)  # fmt: skip
        return [(per_mail, limits.unlock_failures_per_mail, "for this mail"),
                (per_person, limits.unlock_failures_per_principal, "by you")]  # fmt: skip

    def remaining(self, principal: Principal, quarantine_id: str) -> int:
        """How many wrong passwords `principal` may still try on this mail now."""
        counted = self._failures(principal, quarantine_id, time.time())
        return max(0, min(limit - len(entries) for entries, limit, _ in counted))

    def _check_rate(self, principal: Principal, quarantine_id: str) -> None:
        limits = self._settings.safecopy
        now = time.time()
        full = [(entries, what) for entries, limit, what in
                self._failures(principal, quarantine_id, now) if len(entries) >= limit]
        if not full:
            return
        entries, what = full[0]
        retry_after = max(1.0, entries[0].at + limits.unlock_window_seconds - now)
        metrics.UNLOCK_ATTEMPTS.labels("request", "rate-limited").inc()
        why = f"too many wrong passwords {what}: try again in {retry_after:.0f} s"
        with store_errors(), self._store.transaction() as tx:
            record(tx, principal, ACTION, quarantine_id, reason=why, result="denied")
        raise TooManyAttempts(why, retry_after)


def _word(result: Unlocked | NoSafeCopy) -> str:
    if isinstance(result, Unlocked):
        return "ok"
    return WRONG if result.reason is Reason.WRONG_PASSWORD else "refused"
