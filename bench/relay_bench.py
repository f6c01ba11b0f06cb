"""End-to-end relay benchmark: `mutaika serve` (fsync on, sanitizing) against Postfix's plain relay.

Both relay into a sink on loopback, in the same run, alternately (Postfix, mutaika, Postfix, …)
so drift on a shared machine hits both; figures are medians over rounds.

  throughput  smtp-source -s SESSIONS -F mail → relay → one long-lived smtp-sink (counts, discards);
              msgs/s = N / (start of smtp-source → the sink has received the N-th message)
  latency     a Python client sends token-carrying mails at a fixed offered rate, notes each 250;
              a Python sink (bench/sink.py) notes each arrival; p50/p99 of arrival − 250
  mails       (a) 20 KB UTF-8 8bit Japanese/ASCII text; (b) newsletter_mail(50_000, 200_000)

Needs bench/relay_setup.sh once (postfix, smtp-source, smtp-sink, py-spy). Run as root (the private
Postfix instance needs it). Only 127.0.0.1 is used; every wait has a timeout.

    .venv/bin/python bench/relay_bench.py [--rounds 3] [--listeners 1] [--workers 2]
    .venv/bin/python bench/relay_bench.py --profile-seconds 10     # py-spy per mutaika process
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.latency import latency_pass
from bench.pyspy import profile_mutaika
from bench.relay_mails import MAILS
from bench.relays import MutaikaInstance, PostfixInstance
from bench.sink import SmtpSink, free_port
from bench.throughput import Run, throughput


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--listeners", type=int, default=1, help="mutaika smtp.listeners")
    ap.add_argument("--workers", type=int, default=2, help="mutaika workers.processes")
    ap.add_argument("--connections", type=int, default=4, help="mutaika delivery.connections")
    ap.add_argument(
        "--no-fsync",
        action="store_true",
        help="diagnosis only: mutaika spool.fsync = false (the quarantine still syncs)",
    )
    ap.add_argument("--sessions", type=int, default=20, help="smtp-source -s")
    ap.add_argument("--count-a", type=int, default=1500)
    ap.add_argument("--count-b", type=int, default=400)
    ap.add_argument("--latency-count", type=int, default=300)
    ap.add_argument("--rate-a", type=float, default=40.0, help="latency pass offered msgs/s, (a)")
    ap.add_argument("--rate-b", type=float, default=15.0, help="latency pass offered msgs/s, (b)")
    ap.add_argument(
        "--profile-seconds",
        type=int,
        default=0,
        help="only profile mutaika with py-spy under load for this long",
    )
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="relay-bench-", dir="/var/tmp") as tmp_name:
        tmp = Path(tmp_name)
        os.chmod(tmp, 0o755)  # Postfix's daemons run as user postfix and must reach their dirs
        sink_port = free_port()
        mails = {name: make() for name, make in MAILS.items()}
        files = {}
        for name, raw in mails.items():
            # smtp-source -F appends CRLF to every line it reads and keeps a CR already there
            files[name] = tmp / f"{name}.eml"
            files[name].write_bytes(raw.replace(b"\r\n", b"\n"))
        postfix = PostfixInstance(tmp / "postfix", sink_port)
        mutaika = MutaikaInstance(
            tmp / "mutaika",
            sink_port,
            listeners=args.listeners,
            workers=args.workers,
            connections=args.connections,
            fsync=not args.no_fsync,
        )
        sink = SmtpSink(sink_port)
        try:
            postfix.start()
            mutaika.start()
            for target in (postfix, mutaika):  # warm-up, and proof that both relay at all
                for name in MAILS:
                    if not throughput(target, sink, files[name], 20, 4).rate:
                        raise SystemExit(f"{target.name} does not relay {name}; see {tmp}")
            if args.profile_seconds:
                profile_mutaika(mutaika, files, args.sessions, args.profile_seconds, tmp)
                return 0
            runs: dict[tuple[str, str], list[Run]] = {}
            for rnd in range(args.rounds):
                for name in MAILS:
                    count = args.count_a if name.startswith("a") else args.count_b
                    for target in (postfix, mutaika) if rnd % 2 == 0 else (mutaika, postfix):
                        run = throughput(target, sink, files[name], count, args.sessions)
                        runs.setdefault((target.name, name), []).append(run)
                        print(
                            f"round {rnd + 1} {target.name:8} {name:18} {run.rate:8.1f} msgs/s "
                            f"{run.machine_ms:5.1f} ms CPU/msg",
                            file=sys.stderr,
                            flush=True,
                        )
            sink.stop()
            lat: dict[tuple[str, str], tuple[float, float]] = {}
            if args.latency_count:
                lat = latency_pass((postfix, mutaika), mails, sink_port, tmp, args)
            report(runs, lat, args)
            print(f"mutaika verdicts: {dict(mutaika.verdicts())}")
        finally:
            sink.stop()
            mutaika.stop()
            postfix.stop()
    return 0


def report(
    runs: dict[tuple[str, str], list[Run]],
    lat: dict[tuple[str, str], tuple[float, float]],
    args: argparse.Namespace,
) -> None:
    nan = float("nan")
    print(
        f"\nmutaika: smtp.listeners={args.listeners} workers.processes={args.workers} "
        f"delivery.connections={args.connections} "
        f"spool.fsync={str(not args.no_fsync).lower()}; smtp-source -s {args.sessions}; "
        f"median of {args.rounds} rounds; latency at a fixed offered rate ({args.rate_a:g}/s "
        f"for a, {args.rate_b:g}/s for b, {args.latency_count} mails, 4 connections)"
    )
    print(
        f"{'scenario':38} {'msgs/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6} "
        f"{'CPU ms/msg':>10}  rounds (msgs/s)"
    )
    for name in MAILS:
        anchor = statistics.median(r.rate for r in runs[("postfix", name)])
        for target in ("postfix", "mutaika"):
            mine = runs[(target, name)]
            rate = statistics.median(r.rate for r in mine)
            cpu = statistics.median(r.machine_ms for r in mine)
            p50, p99 = lat.get((target, name), (nan, nan))
            label = f"{name} {'Postfix plain relay' if target == 'postfix' else 'mutaika'}"
            print(
                f"{label:38} {rate:7.1f} {p50:7.1f} {p99:7.1f} {rate / anchor:6.2f} {cpu:10.1f}  "
                + " ".join(f"{r.rate:.0f}" for r in mine)
            )
    print(
        "CPU ms/msg: busy time of the whole machine (2 cores; smtp-source and smtp-sink "
        "included) per message. mutaika per process, user+sys ms/msg, median:"
    )
    for name in MAILS:
        mine = runs[("mutaika", name)]
        children = sorted({c for r in mine for c in r.process_ms})
        print(
            f"  {name}: "
            + ", ".join(
                f"{c} {statistics.median(r.process_ms.get(c, nan) for r in mine):.1f}"
                for c in children
            )
        )


if __name__ == "__main__":
    sys.exit(main())
