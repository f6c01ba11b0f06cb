"""What every process of `mutaika serve` shares: the spool, the quarantine, the stop flag."""

from __future__ import annotations

import signal
import threading
from types import FrameType

from gateway.config import Settings
from gateway.quarantine import QuarantineStore
from gateway.spool.store import Spool

# Workers and the delivery process are woken by a doorbell ring the moment there is work; this
# poll interval is only the fallback should a ring be lost.
IDLE_FALLBACK_SECONDS = 0.5


def open_spool(settings: Settings) -> Spool:
    return Spool(
        settings.spool.directory,
        fsync=settings.spool.fsync,
        max_attempts=settings.spool.max_attempts,
        high_water_bytes=settings.spool.high_water_bytes,
        min_free_bytes=settings.spool.min_free_bytes,
    )


def open_store(settings: Settings) -> QuarantineStore:
    return QuarantineStore(
        settings.store.resolved_url(settings.data_dir),
        min_free_bytes=settings.spool.min_free_bytes,
    )


def not_ready(spool: Spool, store: QuarantineStore) -> list[str]:
    """Why this node cannot take mail now (/readyz, mutaika_ready); empty when it can."""
    return spool.problems() + store.problems()


class StopFlag:
    """Set by SIGTERM/SIGINT; loops check it between messages so a job is never cut in half."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def install(self) -> StopFlag:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        return self

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._event.set()

    def set(self) -> None:
        self._event.set()

    @property
    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)
