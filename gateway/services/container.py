"""Services.build(): every service over one store and one spool; every face (API, CLI,
housekeeping) calls these and nothing below them."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from gateway.config import Settings
from gateway.quarantine import QuarantineStore
from gateway.safecopy import SafeCopyRunner
from gateway.services.audit import AuditService, Guard
from gateway.services.quarantine import QuarantineService
from gateway.services.queue import QueueService
from gateway.services.release import ReleaseService
from gateway.services.retention import RetentionService
from gateway.services.safecopy import SafeCopyService
from gateway.services.staff import StaffService
from gateway.services.status import StatusService
from gateway.services.tokens import TokenService
from gateway.services.unlock import Unlocker
from gateway.spool import Spool


def delivery_ringer(settings: Settings) -> Callable[[], None]:
    """Wake the delivery process after an enqueue (it finds the mail within 0.5 s anyway)."""
    from gateway.doorbell import DELIVERY, Ringer

    ringer: list[Ringer] = []

    def ring() -> None:
        if not ringer:
            ringer.append(Ringer(settings.data_dir, DELIVERY))
        ringer[0].ring()

    return ring


@dataclass(slots=True)
class Services:
    settings: Settings
    store: QuarantineStore
    spool: Spool
    guard: Guard
    tokens: TokenService
    audit: AuditService
    quarantine: QuarantineService
    releases: ReleaseService
    queue: QueueService
    retention: RetentionService
    status: StatusService
    safecopy: SafeCopyService
    staff: StaffService

    @classmethod
    def build(
        cls, settings: Settings, store: QuarantineStore, spool: Spool,
        ring: Callable[[], None] | None = None, started_at: float | None = None,
        runner: SafeCopyRunner | None = None,
    ) -> Services:
        guard = Guard(store)
        runner = runner or SafeCopyRunner(settings.safecopy)  # its processes start on first use
        releases = ReleaseService(settings, store, spool, guard, ring or delivery_ringer(settings),
                                  socket.gethostname(), runner)  # fmt: skip
        safecopy = SafeCopyService(settings, store, guard, releases,
                                   Unlocker(settings, store, guard, runner))  # fmt: skip
        return cls(
            settings, store, spool, guard,
            tokens=TokenService(store, guard),
            audit=AuditService(store, guard),
            quarantine=QuarantineService(settings, store, guard),
            releases=releases,
            queue=QueueService(store, spool, guard),
            retention=RetentionService(settings, store),
            status=StatusService(store, spool, guard, started_at or time.time()),
            safecopy=safecopy,
            staff=StaffService(settings, store, guard, releases, safecopy),
        )
