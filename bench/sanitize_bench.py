"""Sanitizer throughput per core against a bare stdlib baseline measured in the same run.

Baseline (issue 2): email.message_from_bytes(raw, policy=email.policy.default), walk every part,
as_bytes(). Workloads: the corpus (../shared/corpus) and generated HTML newsletters of
5 / 50 / 500 KB with a 200 KB attachment. Rounds alternate baseline and sanitizer so drift on
a shared machine hits both; figures are medians over rounds. One process = one core.

    python bench/sanitize_bench.py [--rounds 5] [--profile corpus|news50]
"""

from __future__ import annotations

import argparse
import cProfile
import email
import email.policy
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.newsletter import newsletter_mail
from gateway.config import SanitizeSettings
from gateway.pipeline import sanitize

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SETTINGS = SanitizeSettings()


BASELINE_FAILURES: set[int] = set()


def baseline(raw: bytes) -> None:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for _part in message.walk():
        pass
    try:
        message.as_bytes()
    except Exception:  # the stdlib cannot re-serialise some real mail; the time still counts
        BASELINE_FAILURES.add(hash(raw))


def sanitizer(raw: bytes) -> None:
    sanitize(raw, SETTINGS, quarantine_id="QBENCH")


def workloads() -> dict[str, list[bytes]]:
    loads: dict[str, list[bytes]] = {}
    if CORPUS.is_dir():
        files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.parent != CORPUS)
        loads["corpus"] = [p.read_bytes() for p in files]
    else:
        print(f"note: no corpus at {CORPUS}; corpus figures skipped", file=sys.stderr)
    for kb in (5, 50, 500):
        loads[f"news{kb}"] = [newsletter_mail(kb * 1000, 200_000, seed=s) for s in range(1, 41)]
    # A stress case: the same size at 2.5 times the corpus's median tag density.
    loads["dense50"] = [
        newsletter_mail(50_000, 200_000, seed=s, dense=True) for s in range(1, 41)
    ]
    return loads


def timed_round(fn: Callable[[bytes], None], mails: list[bytes]) -> list[float]:
    latencies = []
    for raw in mails:
        started = time.perf_counter()
        fn(raw)
        latencies.append(time.perf_counter() - started)
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(mails: list[bytes], rounds: int) -> dict[str, dict[str, float]]:
    figures: dict[str, dict[str, list[float]]] = {
        "baseline": {"rate": [], "p50": [], "p99": []},
        "sanitizer": {"rate": [], "p50": [], "p99": []},
    }
    for fn in (baseline, sanitizer):  # warm-up: imports, template and libmagic loading
        timed_round(fn, mails[:20])
    for _ in range(rounds):
        for name, fn in (("baseline", baseline), ("sanitizer", sanitizer)):
            latencies = timed_round(fn, mails)
            figures[name]["rate"].append(len(mails) / sum(latencies))
            figures[name]["p50"].append(percentile(latencies, 0.50) * 1e3)
            figures[name]["p99"].append(percentile(latencies, 0.99) * 1e3)
    return {
        name: {key: statistics.median(values) for key, values in series.items()}
        for name, series in figures.items()
    }


def profile(mails: list[bytes]) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for raw in mails:
        sanitizer(raw)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(25)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    names = ["corpus", "news5", "news50", "news500", "dense50"]
    parser.add_argument("--profile", choices=names, help="cProfile one workload instead")
    parser.add_argument("--only", choices=names, action="append", help="measure these only")
    args = parser.parse_args()
    loads = workloads()
    if args.profile:
        profile(loads[args.profile])
        return 0
    print(f"{'workload':<9} {'mails':>5} | {'baseline/s':>10} {'p50 ms':>7} {'p99 ms':>7} | "
          f"{'sanitizer/s':>11} {'p50 ms':>7} {'p99 ms':>7} | ratio")
    for name, mails in loads.items():
        if args.only and name not in args.only:
            continue
        result = measure(mails, args.rounds)
        base, san = result["baseline"], result["sanitizer"]
        print(
            f"{name:<9} {len(mails):>5} | {base['rate']:>10.1f} {base['p50']:>7.2f} "
            f"{base['p99']:>7.2f} | {san['rate']:>11.1f} {san['p50']:>7.2f} {san['p99']:>7.2f} | "
            f"{san['rate'] / base['rate']:.2f}"
        )
    if BASELINE_FAILURES:
        print(f"note: the baseline's as_bytes() raised on {len(BASELINE_FAILURES)} mails")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
