"""Wake-ups between processes: one datagram per hand-over instead of polling the spool.

Each waiting process (a sanitizer worker, the delivery process) binds a Unix datagram socket
`<run dir>/<group>-<pid>.sock`; whoever hands work on (a listener after a 250, a worker after
a move to outgoing/) sends one byte to every socket of that group. The spool stays the truth:
a ring that is lost (a full socket buffer, a process just starting) only means the waiter
finds the work after its fallback interval, so ringing never blocks and never fails.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from pathlib import Path

WORKERS = "worker"
DELIVERY = "delivery"
HOUSEKEEPING = "housekeeping"  # a safe-copy release filed by a worker (policy "attach")
_REFRESH_SECONDS = 1.0  # how often a ringer looks for new waiters (restarted processes)


def run_dir(data_dir: Path) -> Path:
    return data_dir / "run"


def clear_run_dir(data_dir: Path) -> None:
    """At start: sockets left by a killed tree would only collect unread rings."""
    directory = run_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.sock"):
        stale.unlink(missing_ok=True)


class Doorbell:
    """The waiting side: bind once, then wait() instead of sleeping."""

    def __init__(self, data_dir: Path, group: str) -> None:
        directory = run_dir(data_dir)
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{group}-{os.getpid()}.sock"
        self.path.unlink(missing_ok=True)
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(str(self.path))
        self._socket.setblocking(False)

    def fileno(self) -> int:
        return self._socket.fileno()

    def drain(self) -> None:
        """Forget every ring received so far: one claim loop serves them all."""
        with contextlib.suppress(BlockingIOError, InterruptedError):
            while self._socket.recv(64):
                pass

    def wait(self, timeout: float) -> bool:
        """Return when rung (True) or after `timeout` seconds (False), whichever is first."""
        self._socket.settimeout(timeout)
        try:
            self._socket.recv(64)
            rung = True
        except (TimeoutError, InterruptedError):
            rung = False
        self._socket.setblocking(False)
        self.drain()
        return rung

    def close(self) -> None:
        self._socket.close()
        self.path.unlink(missing_ok=True)


class Ringer:
    """The handing-on side: ring() tells every waiter of a group that there is work."""

    def __init__(self, data_dir: Path, group: str) -> None:
        self._directory = run_dir(data_dir)
        self._pattern = f"{group}-*.sock"
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.setblocking(False)
        self._targets: list[str] = []
        self._looked = 0.0

    def ring(self) -> None:
        now = time.monotonic()
        if now - self._looked > _REFRESH_SECONDS:
            self._targets = [str(p) for p in self._directory.glob(self._pattern)]
            self._looked = now
        for target in self._targets:
            # Full buffer (already rung), refused (a dead waiter's socket), gone: all harmless.
            with contextlib.suppress(OSError):
                self._socket.sendto(b"!", target)

    def close(self) -> None:
        self._socket.close()
