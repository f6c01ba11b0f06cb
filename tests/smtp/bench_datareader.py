"""Benchmark: aiosmtpd's line-by-line DATA reading vs gateway.smtp's bulk reader.

Not collected by pytest (no test_ prefix). Run:
    .venv/bin/python -m tests.smtp.bench_datareader -n 300 --clients 1
Each mode runs a server process (GatewayHandler + a real fsync'd Spool under /tmp) and
`--clients` smtplib client processes that send a ~341 KB mail (50 KB HTML + base64 PDF-sized
blob, 76-column lines) over one reused connection each. Prints msgs/s and ms/msg per mode.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing as mp
import os
import random
import shutil
import smtplib
import tempfile
import time
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP

from gateway.config import Settings
from gateway.smtp.handler import GatewayHandler
from gateway.smtp.protocol import GatewaySMTP, SessionRegistry
from gateway.spool.store import Spool


def make_mail(seed: int = 1) -> bytes:
    rnd = random.Random(seed)
    html = ("<p>" + "お知らせ text " * 8 + "</p>\n") * 420
    blob = base64.encodebytes(rnd.randbytes(200 * 1024)).replace(b"\n", b"\r\n")
    html_b64 = base64.encodebytes(html.encode("utf-8")[: 50 * 1024]).replace(b"\n", b"\r\n")
    head = (
        b"From: a@example.com\r\nTo: b@lg.jp\r\nSubject: bench\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/html; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
    )
    mid = (
        b"--b1\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="a.pdf"\r\n\r\n'
    )
    return head + html_b64 + mid + blob + b"--b1--\r\n"


def serve(mode: str, port_q: Any, stop: Any, spool_dir: str, fsync: bool) -> None:
    async def main() -> None:
        settings = Settings(smtp={"port": 0, "max_message_bytes": 10 * 1024 * 1024})
        spool = Spool(Path(spool_dir), fsync=fsync, min_free_bytes=0)
        spool.prepare()
        handler = GatewayHandler(settings.smtp, spool)
        registry = SessionRegistry()
        loop = asyncio.get_running_loop()

        def factory() -> SMTP:
            kwargs: dict[str, Any] = dict(
                data_size_limit=settings.smtp.max_message_bytes, enable_SMTPUTF8=True,
                hostname="bench", loop=loop)
            if mode == "stock":
                return SMTP(handler, **kwargs)
            return GatewaySMTP(handler, sessions=registry, **kwargs)

        server = await loop.create_server(factory, "127.0.0.1", 0)
        port_q.put(server.sockets[0].getsockname()[1])
        while not stop.is_set():
            await asyncio.sleep(0.05)
        server.close()

    asyncio.run(main())


def client(port: int, n: int, mail: bytes, out: Any) -> None:
    with smtplib.SMTP("127.0.0.1", port) as c:
        c.ehlo("bench")
        c.sendmail("a@example.com", ["b@lg.jp"], mail)  # warm-up
        t0 = time.perf_counter()
        for _ in range(n):
            c.sendmail("a@example.com", ["b@lg.jp"], mail)
        out.put(time.perf_counter() - t0)


def run(mode: str, n: int, clients: int, mail: bytes, fsync: bool) -> tuple[float, float]:
    spool_dir = tempfile.mkdtemp(prefix="bench-spool-", dir="/var/tmp")
    port_q: mp.Queue[int] = mp.Queue()
    stop = mp.Event()
    server = mp.Process(target=serve, args=(mode, port_q, stop, spool_dir, fsync))
    server.start()
    port = port_q.get(timeout=20)
    out: mp.Queue[float] = mp.Queue()
    procs = [mp.Process(target=client, args=(port, n, mail, out)) for _ in range(clients)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    per_client = [out.get() for _ in procs]
    stop.set()
    server.join()
    shutil.rmtree(spool_dir, ignore_errors=True)
    rate = n * clients / max(per_client)
    return rate, 1000 * sum(per_client) / (n * clients)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-fsync", action="store_true", help="isolate the reading cost")
    args = parser.parse_args()
    mail = make_mail()
    print(f"mail {len(mail)} bytes, {args.n} sends x {args.clients} client(s), pid {os.getpid()}")
    for r in range(args.rounds):
        for mode in ("stock", "bulk"):
            rate, ms = run(mode, args.n, args.clients, mail, not args.no_fsync)
            print(f"round {r} {mode:5s}: {rate:7.1f} msgs/s  {ms:6.2f} ms/msg (client-seen)")


if __name__ == "__main__":
    main()
