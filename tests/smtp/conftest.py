"""A real gateway listener on 127.0.0.1 (ephemeral port) in a background event loop, so tests
can drive it with the blocking smtplib client, as a sending MTA would."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.config import Settings
from gateway.smtp.server import Listener, start_listener
from gateway.spool import Queue, Spool, SpoolRecord

LOCAL_DOMAIN = "city.example.lg.jp"  # a real-looking municipal domain, as operators set one


class RunningListener:
    def __init__(
        self, settings: Settings, spool: Spool, *, sock: socket.socket | None = None
    ) -> None:
        self.settings = settings
        self.spool = spool
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.listener: Listener = self.call(start_listener(settings, spool, sock=sock))
        self.port = self.listener.port

    def call(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self, drain_seconds: float = 5.0) -> None:
        if self.loop.is_running():
            self.call(self.listener.close(drain_seconds))
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()

    def messages(self) -> list[bytes]:
        entries = self.spool.entries(Queue.INCOMING, limit=10**6)
        return [self.spool.read_message(e) for e in entries]

    def records(self) -> list[SpoolRecord]:
        return [e.record for e in self.spool.entries(Queue.INCOMING, limit=10**6)]


@pytest.fixture
def make_listener(tmp_path: Path) -> Iterator[Callable[..., RunningListener]]:
    started: list[RunningListener] = []

    def make(
        spool: Spool | None = None, spool_options: dict[str, Any] | None = None, **smtp: Any
    ) -> RunningListener:
        settings = Settings(smtp={
            "port": 0, "hostname": "mx.test.lg.jp", "local_domains": [LOCAL_DOMAIN], **smtp,
        })
        if spool is None:
            options = {"fsync": False, "min_free_bytes": 0, **(spool_options or {})}
            spool = Spool(tmp_path / f"spool{len(started)}", **options)
            spool.prepare()
        running = RunningListener(settings, spool)
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()


@pytest.fixture
def gateway(make_listener: Callable[..., RunningListener]) -> RunningListener:
    return make_listener()
