"""The second mail of PPAP: a 「パスワード通知」 from the same sender to the same recipient soon
after a mail with a password-protected file. Its candidate passwords are tried on that file;
what opens becomes items of the earlier mail (as a person's unlock would make them, audited as
the gateway), and this mail's notice says so.

An extra, never a risk to the mail: the caller runs it outside the sanitizer's time limit and
any failure here only means no note. Bounded: safecopy.max_password_candidates per mail, one
converter process per try, safecopy.password_trial_seconds for all of them. Mails without
candidates cost one regex pass over their text; mails with some, one index seek in the store.
Wrong candidates change nothing and are written nowhere; no candidate is ever logged.
"""

from __future__ import annotations

import logging
import time

from gateway.config import Settings
from gateway.quarantine import QuarantineRecord, QuarantineStore, StoredItem
from gateway.safecopy import password_candidates
from gateway.services.audit import store_errors
from gateway.services.principal import SYSTEM_SAFECOPY
from gateway.services.safecopy_offer import offer_for
from gateway.services.unlock import Unlocker, opened_from
from gateway.types import LOCKED_FLAGS, Envelope, Language

LOG = logging.getLogger(__name__)
EARLIER_MAILS = 5  # the newest earlier mails from the sender that are looked at

_NOTES = {
    Language.JA: {
        "opened": "隔離ID {qid} の「{name}」を、このメールに書かれたパスワードで開きました。"
                  "中のファイル {n} 件の安全なコピーを依頼できます。",
        "already": "隔離ID {qid} の「{name}」は開封済みです。中のファイル {n} 件の安全なコピーを"
                   "依頼できます。",
    },
    Language.EN: {
        "opened": "The password in this mail opened \"{name}\" of quarantine ID {qid}: the safe "
                  "copies of the {n} files inside can be asked for.",
        "already": "\"{name}\" of quarantine ID {qid} is open: the safe copies of the {n} files "
                   "inside can be asked for.",
    },
}  # fmt: skip


class PasswordTrial:
    def __init__(self, settings: Settings, store: QuarantineStore, unlocker: Unlocker) -> None:
        self._settings = settings
        self._store = store
        self._unlocker = unlocker

    def notes_for(self, quarantine_id: str, envelope: Envelope, text: str) -> list[str]:
        """Notes for the notice of this mail (its body as staff read it: `text`)."""
        limits = self._settings.safecopy
        window = limits.password_notice_window_seconds
        if window <= 0 or not envelope.mail_from or not text:
            return []
        candidates = password_candidates(text, limits.max_password_candidates)
        if not candidates:
            return []
        now = envelope.received_at or time.time()
        with store_errors(), self._store.snapshot() as tx:
            earlier = tx.quarantine.locked_from(envelope.mail_from, since=now - window,
                                                until=now, limit=EARLIER_MAILS)  # fmt: skip
        ours = {r.lower() for r in envelope.rcpt_tos}
        earlier = [m for m in earlier
                   if m.id != quarantine_id and ours.intersection(r.lower() for r in m.recipients)]
        deadline = time.monotonic() + limits.password_trial_seconds
        notes: list[str] = []
        for mail in earlier:
            for item in mail.items:
                if LOCKED_FLAGS.intersection(item.flags) and \
                        offer_for(self._settings, item, mail.items).unlockable:  # fmt: skip
                    note = self._try(mail, item, candidates, deadline)
                    if note:
                        notes.append(note)
        return notes

    def _try(self, mail: QuarantineRecord, item: StoredItem, candidates: list[str],
             deadline: float) -> str:  # fmt: skip
        words = _NOTES[self._settings.sanitize.language]
        name = item.filename or f"item-{item.index + 1}"
        if inside := opened_from(mail, item.index):
            return words["already"].format(qid=mail.id, name=name, n=len(inside))
        with store_errors(), self._store.snapshot() as tx:
            data = tx.quarantine.blob(item.sha256)
        if data is None:
            return ""
        for candidate in candidates:
            if time.monotonic() >= deadline:
                LOG.info("password notice for %s: out of time after some candidates", mail.id)
                return ""
            outcome = self._unlocker.try_password(SYSTEM_SAFECOPY, mail, item, data, candidate,
                                                  deadline)  # fmt: skip
            if outcome.opened:
                key = "already" if outcome.already else "opened"
                return words[key].format(qid=mail.id, name=name, n=len(outcome.items))
        return ""
