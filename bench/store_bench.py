"""Store benchmark: quarantine insert, list and release rates on SQLite and on PostgreSQL, and two
writing nodes against one, on this machine, in one run (alternating rounds, medians).

  insert   QuarantineStore.put of a 20 KB mail with a 30 KB attachment (one transaction each,
           durable: SQLite WAL synchronous=FULL; PostgreSQL synchronous_commit on, fsync on)
  list     one page of 50 newest with a subject filter (the console's search), on 2,000 mails
  release  ReleaseService: an operator's request + an approver's approval + the durable enqueue
           into the spool (the audit chain appended in each transaction)
  nodes    insert from 1 process, then from 2 processes at once (two gateway nodes on one store)

The PostgreSQL cluster is a throwaway one started here (the distribution's server binaries,
fsync on, unlike the tests' cluster). Run: .venv/bin/python bench/store_bench.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.config import Settings
from gateway.pipeline import sanitize
from gateway.quarantine import QuarantineFilter, QuarantineStore
from gateway.runtime import open_spool
from gateway.services.container import Services
from gateway.spool.ids import new_queue_id, set_node
from gateway.types import Envelope
from tests.pg import PgCluster, server_bin
from tests.plane import APPROVER, OPERATOR, mail

LOCAL = "city.example.lg.jp"
ENVELOPE = Envelope("billing@example.org", [f"kaikei@{LOCAL}"])


def _mail(n: int) -> bytes:
    attachment = (b"%PDF-1.4\n" + bytes(range(256)) * 120)[:30_000]
    return mail(f"B{n}", attachments=(("invoice.pdf", attachment, "application/pdf"),))


def _inserts(url: str, count: int, node: str) -> float:
    """msgs/s of `count` puts (each a different mail, so no payload is shared)."""
    set_node(node)
    store = QuarantineStore(url)
    settings = Settings().sanitize
    prepared = []
    for n in range(count):
        raw = _mail(n) + node.encode() + str(n).encode()
        prepared.append((new_queue_id(), raw, sanitize(raw, settings)))
    started = time.perf_counter()
    for qid, raw, result in prepared:
        store.put(qid, ENVELOPE, raw, result)
    seconds = time.perf_counter() - started
    store.close()
    return count / seconds


def _node(url: str, count: int, node: str, out: Any) -> None:
    out.put(_inserts(url, count, node))


def _two_nodes(url: str, count: int) -> float:
    ctx = mp.get_context("spawn")
    out: Any = ctx.Queue()
    procs = [ctx.Process(target=_node, args=(url, count, f"bench-{n}", out)) for n in range(2)]
    for p in procs:
        p.start()
    rates = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    return float(sum(rates))


def _lists(store: QuarantineStore, count: int) -> float:
    started = time.perf_counter()
    for n in range(count):
        store.page(QuarantineFilter(subject=f"B{n % 97}"), limit=50)
    return count / (time.perf_counter() - started)


def _releases(url: str, root: Path, count: int) -> float:
    settings = Settings(data_dir=root, spool={"directory": root / "spool", "min_free_bytes": 0},
                        smtp={"local_domains": [LOCAL]}, store={"url": url},
                        release={"policy": {"default": "approval"}})  # fmt: skip
    spool = open_spool(settings)
    spool.prepare()
    store = QuarantineStore(url)
    services = Services.build(settings, store, spool, ring=lambda: None)
    ids = [r.id for r in store.page(limit=count).records]
    started = time.perf_counter()
    for qid in ids:
        release, _ = services.releases.create(OPERATOR, quarantine_id=qid, comment="bench")
        services.releases.approve(APPROVER, release.id)
    rate = len(ids) / (time.perf_counter() - started)
    store.close()
    return rate


def run_round(name: str, url: str, root: Path, args: argparse.Namespace) -> dict[str, float]:
    store = QuarantineStore(url)
    store.prepare()
    figures = {"insert": _inserts(url, args.inserts, f"{name}-main")}
    while store.count() < args.list_size:
        _inserts(url, min(500, args.list_size - store.count()), f"{name}-fill")
    figures["list"] = _lists(store, args.lists)
    figures["release"] = _releases(url, root / f"rel-{time.monotonic_ns()}", args.releases)
    if name == "postgresql":
        figures["1 node"] = _inserts(url, args.inserts, f"{name}-one")
        figures["2 nodes"] = _two_nodes(url, args.inserts)
    store.close()
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--inserts", type=int, default=300)
    ap.add_argument("--list-size", type=int, default=2000)
    ap.add_argument("--lists", type=int, default=200)
    ap.add_argument("--releases", type=int, default=100)
    args = ap.parse_args()
    bindir = server_bin()
    if bindir is None:
        print("PostgreSQL server binaries not found (scripts/setup.sh dev installs them)")
        return 1
    with tempfile.TemporaryDirectory(prefix="mutaika-store-bench-") as tmp:
        root = Path(tmp)
        cluster = PgCluster(bindir, fsync=True)
        cluster.start()
        try:
            urls = {"sqlite": f"sqlite:///{root / 'bench.sqlite3'}",
                    "postgresql": cluster.new_database()}  # fmt: skip
            results: dict[str, dict[str, list[float]]] = {k: {} for k in urls}
            for n in range(args.rounds):
                for name, url in urls.items():
                    for key, value in run_round(name, url, root, args).items():
                        results[name].setdefault(key, []).append(value)
                        print(f"round {n + 1} {name:10s} {key:8s} {value:8.1f} /s", flush=True)
        finally:
            cluster.stop()
    print(f"\nmedians of {args.rounds} rounds (per second)")
    print(f"{'backend':12s} {'insert':>8s} {'list':>8s} {'release':>8s} {'1 node':>8s} "
          f"{'2 nodes':>8s}")
    for name, figures in results.items():
        cells = [statistics.median(figures[k]) if k in figures else float("nan")
                 for k in ("insert", "list", "release", "1 node", "2 nodes")]  # fmt: skip
        print(f"{name:12s} " + " ".join(f"{c:8.1f}" for c in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
