"""The latency pass: a Python client sends token-carrying mails at a fixed offered rate and notes
each 250; a Python sink (bench/sink.py) notes each arrival; p50/p99 of arrival − 250.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.relay_mails import RCPT, SENDER, with_token
from bench.relays import ROOT, MutaikaInstance, PostfixInstance
from bench.sink import accepts, read_arrivals, send_tokens, stop_process, wait_for


def latency(port: int, mail: bytes, out: Path, count: int, rate: float) -> tuple[float, float]:
    """(p50, p99) in ms of sink arrival − 250 reply, at `rate` msgs/s offered on 4 connections."""
    accepted = send_tokens(
        port,
        lambda token: with_token(mail, token),
        count,
        rate=rate,
        connections=4,
        sender=SENDER,
        rcpt=RCPT,
    )
    if not wait_for(lambda: set(accepted) <= set(read_arrivals(out)), timeout=60):
        print("  ! latency: not every mail arrived within 60 s", file=sys.stderr)
    arrivals = read_arrivals(out)
    delays = sorted((arrivals[t] - accepted[t]) * 1000 for t in accepted if t in arrivals)
    if len(delays) < 2:
        return float("nan"), float("nan")
    cuts = statistics.quantiles(delays, n=100)
    return cuts[49], cuts[98]


def latency_pass(
    targets: tuple[PostfixInstance, MutaikaInstance],
    mails: dict[str, bytes],
    sink_port: int,
    tmp: Path,
    args: argparse.Namespace,
) -> dict[tuple[str, str], tuple[float, float]]:
    """Python sink on the relays' next-hop port instead of smtp-sink, then one pass per relay."""
    time.sleep(2.5)  # Postfix's cached connections to smtp-sink expire (2 s)
    lat: dict[tuple[str, str], tuple[float, float]] = {}
    out = tmp / "arrivals.txt"
    py_sink = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "sink.py"), str(sink_port), str(out)]
    )
    try:
        if not wait_for(lambda: accepts(sink_port), timeout=20):
            raise RuntimeError("the Python sink did not start")
        for name, mail in mails.items():
            rate = args.rate_a if name.startswith("a") else args.rate_b
            for target in targets:
                lat[(target.name, name)] = latency(target.port, mail, out, args.latency_count, rate)
    finally:
        stop_process(py_sink)
    return lat
