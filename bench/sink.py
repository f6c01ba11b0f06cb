"""Sinks and the token client for bench/relay_bench.py.

SmtpSink wraps Postfix's smtp-sink (C, cheap: the throughput sink) and counts what it received.
The latency sink is an aiosmtpd server that appends "<token> <CLOCK_MONOTONIC seconds>" to a
file for every message it receives; the client sends mails carrying a unique token at a fixed
offered rate and notes the CLOCK_MONOTONIC time of each 250 reply. CLOCK_MONOTONIC is one clock
for every process on the machine, so arrival minus acceptance is the accept → delivered latency
of the relay between.

    python bench/sink.py PORT OUTFILE      # run the sink until SIGTERM
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiosmtplib
from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script, too

from tests.postfix import accepts

TOKEN = re.compile(rb"BT-[0-9a-f]{16}")
_COUNTER = re.compile(rb"mesg=(\d+)\r")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout: float, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return check()


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class SmtpSink:
    """smtp-sink on 127.0.0.1:port; `-c` prints "sess=.. quit=.. mesg=N<CR>" after every message,
    flushed, so a reader thread keeps the count and the monotonic time it last grew."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.count = 0
        self._changed = threading.Condition()
        self._proc = subprocess.Popen(
            ["smtp-sink", "-c", "-u", "postfix", f"127.0.0.1:{port}", "256"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        threading.Thread(target=self._read, daemon=True).start()
        if not wait_for(lambda: accepts(port), timeout=10):
            raise RuntimeError("smtp-sink did not start")

    def _read(self) -> None:
        assert self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        tail = b""
        while chunk := os.read(fd, 65536):
            tail = (tail + chunk)[-200:]
            counts = _COUNTER.findall(tail)
            if counts:
                with self._changed:
                    self.count = int(counts[-1])
                    self._changed.notify_all()

    def wait_count(self, target: int, timeout: float) -> float | None:
        """Monotonic time at which the count reached `target`; None after `timeout`."""
        with self._changed:
            ok = self._changed.wait_for(lambda: self.count >= target, timeout)
        return time.monotonic() if ok else None

    def stop(self) -> None:
        stop_process(self._proc)


def new_token() -> str:
    return "BT-" + secrets.token_hex(8)


class _Recorder:
    def __init__(self, out: Path) -> None:
        self._out = out.open("a", buffering=1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.monotonic()
        found = TOKEN.search(envelope.original_content or envelope.content)
        # one line per message, even without a token: the bench counts arrivals too
        self._out.write(f"{found.group().decode() if found else '-'} {now:.6f}\n")
        return "250 2.0.0 Ok"


def run_sink(port: int, out: Path) -> None:
    controller = Controller(
        _Recorder(out), hostname="127.0.0.1", port=port, data_size_limit=0, ready_timeout=10
    )
    controller.start()
    stopped = False

    def stop(*_: object) -> None:
        nonlocal stopped
        stopped = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopped:
        time.sleep(0.1)
    controller.stop()


def read_arrivals(out: Path) -> dict[str, float]:
    arrivals: dict[str, float] = {}
    if out.exists():
        for line in out.read_text().splitlines():
            token, _, stamp = line.partition(" ")
            if token != "-" and stamp:
                arrivals[token] = float(stamp)
    return arrivals


async def _send_all(
    port: int,
    mails: list[tuple[str, bytes]],
    rate: float,
    connections: int,
    sender: str,
    rcpt: str,
) -> dict[str, float]:
    accepted: dict[str, float] = {}
    queue: asyncio.Queue[tuple[int, str, bytes]] = asyncio.Queue()
    for i, (token, raw) in enumerate(mails):
        queue.put_nowait((i, token, raw))
    start = time.monotonic()

    async def session() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=60, start_tls=False)
        await client.connect()
        try:
            while not queue.empty():
                i, token, raw = queue.get_nowait()
                # open loop: each mail leaves at its scheduled time, not when the last one is done
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                await client.sendmail(sender, [rcpt], raw)
                accepted[token] = time.monotonic()
        finally:
            await client.quit()

    await asyncio.gather(*(session() for _ in range(connections)))
    return accepted


def send_tokens(
    port: int,
    make_mail: Callable[[str], bytes],
    count: int,
    *,
    rate: float,
    connections: int,
    sender: str,
    rcpt: str,
) -> dict[str, float]:
    """Send `count` mails at `rate` msgs/s; token → time of the 250 reply."""
    mails = [(token, make_mail(token)) for token in (new_token() for _ in range(count))]
    return asyncio.run(_send_all(port, mails, rate, connections, sender, rcpt))


if __name__ == "__main__":
    run_sink(int(sys.argv[1]), Path(sys.argv[2]))
