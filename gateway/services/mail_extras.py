"""What a worker does for a mail beyond its text (issue 11): text excerpts of its documents for
the notice, the candidate passwords of a password notice tried on an earlier mail, and the
safe copies policy "attach" sends after the first delivery.

None of it may fail or stall the text mail: the excerpts are bounded by the sanitizer's
excerpt stage; the password trial and the filing of an "attach" release catch everything and
only log; the copies themselves are made by the housekeeping process, never here.
"""

from __future__ import annotations

import logging

from gateway.config import Settings
from gateway.doorbell import HOUSEKEEPING, Ringer
from gateway.pipeline.excerpter import Excerpter
from gateway.quarantine import QuarantineStore
from gateway.safecopy import SafeCopyRunner
from gateway.safecopy.excerpter import RunnerExcerpter
from gateway.services.container import Services, delivery_ringer
from gateway.spool import Spool
from gateway.types import Envelope, SanitizeReport

LOG = logging.getLogger(__name__)


class MailExtras:
    def __init__(self, settings: Settings, store: QuarantineStore, spool: Spool) -> None:
        self._settings = settings
        self.runner = SafeCopyRunner(settings.safecopy)
        self._services = Services.build(settings, store, spool, ring=delivery_ringer(settings),
                                        runner=self.runner)  # fmt: skip
        self.excerpter: Excerpter | None = (
            RunnerExcerpter(self.runner) if settings.safecopy.excerpt_chars > 0 else None)
        self._bell: Ringer | None = None

    def password_notes(self, quarantine_id: str, envelope: Envelope, text: str) -> list[str]:
        """Notes for this mail's notice when it is a password notice that opened something."""
        try:
            return self._services.safecopy.password_notice(quarantine_id, envelope, text)
        except Exception:  # an extra: the mail goes on without the note
            LOG.exception("%s: trying the passwords of a password notice failed", quarantine_id)
            return []

    def after_delivery(self, quarantine_id: str, report: SanitizeReport) -> None:
        """File the safe copies policy "attach" sends, for the housekeeping process to make."""
        safecopy = self._services.safecopy
        try:
            if not safecopy.attach_wanted(report.removed) or \
                    safecopy.file_attached(quarantine_id) is None:  # fmt: skip
                return
        except Exception:
            LOG.exception("%s: filing its safe copies (policy attach) failed", quarantine_id)
            return
        if self._bell is None:
            self._bell = Ringer(self._settings.data_dir, HOUSEKEEPING)
        self._bell.ring()
