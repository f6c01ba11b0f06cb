"""--profile-seconds: py-spy on every process of `mutaika serve` while smtp-source keeps it busy."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench.relays import MutaikaInstance
from bench.sink import stop_process, wait_for
from bench.throughput import cpu_ticks, smtp_source


def profile_mutaika(
    mutaika: MutaikaInstance, files: dict[str, Path], sessions: int, seconds: int, tmp: Path
) -> None:
    """py-spy record on every child of `serve` while smtp-source keeps it saturated; prints each
    child's CPU and the top own and inclusive (gateway code only) costs per kind of process."""
    pyspy = Path(sys.executable).parent / "py-spy"
    for name, mail_file in files.items():
        source = smtp_source(mutaika.port, mail_file, 100_000, sessions)
        time.sleep(1)  # let the pipeline fill
        children = mutaika.children()
        outs = {child: tmp / f"prof-{name}-{child}.txt" for child in children}
        log = (tmp / "py-spy.log").open("ab")
        spies = [
            subprocess.Popen(
                [
                    str(pyspy),
                    "record",
                    "--nonblocking",
                    "-r",
                    "50",
                    "-d",
                    str(seconds),
                    "-f",
                    "raw",
                    "-o",
                    str(out),
                    "-p",
                    str(children[child]),
                ],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            for child, out in outs.items()
        ]
        before = cpu_ticks(children.values())
        for spy in spies:
            spy.wait(timeout=seconds + 60)
        after = cpu_ticks(children.values())
        stop_process(source)
        if not wait_for(mutaika.drained, timeout=120):
            print("  ! mutaika did not drain its spool within 120 s", file=sys.stderr)
        ticks = os.sysconf("SC_CLK_TCK") * seconds
        print(f"\n=== profile {name}: {seconds} s under smtp-source -s {sessions} ===")
        print(
            "CPU, user+sys, of one core: "
            + ", ".join(
                f"{child} {(after[pid][0] - before[pid][0]) / ticks:.0%}"
                f"+{(after[pid][1] - before[pid][1]) / ticks:.0%}"
                for child, pid in children.items()
            )
        )
        kinds: dict[str, list[Path]] = {}
        for child, out in outs.items():
            kinds.setdefault(child.split("-")[0], []).append(out)
        for kind, paths in kinds.items():
            print_profile(kind, paths)


def print_profile(kind: str, paths: list[Path], top: int = 10) -> None:
    """py-spy raw lines are "frame;frame;… count"; a frame is "func (file:line)". Samples are of
    threads py-spy deems active: one blocked in fsync counts, one waiting in epoll does not."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for path in paths:
        for line in path.read_text().splitlines() if path.exists() else []:
            stack, _, n = line.rpartition(" ")
            if not n.isdigit():
                continue
            frames = [_frame(f) for f in stack.split(";")]
            total += int(n)
            own[frames[-1]] += int(n)
            for frame in set(frames):
                if frame.startswith("gateway/"):
                    inclusive[frame] += int(n)
    total = max(total, 1)
    print(f"-- {kind} x{len(paths)}: {total} samples")
    print("   own:       " + "; ".join(f"{f} {c / total:.0%}" for f, c in own.most_common(top)))
    print(
        "   inclusive: "
        + "; ".join(
            f"{f} {c / total:.0%}" for f, c in inclusive.most_common(top + 6) if c < 0.97 * total
        )
    )


def _frame(frame: str) -> str:
    """ "handle (/work/main/gateway/smtp/handler.py:42)" → "gateway/smtp/handler.py:handle"."""
    func, _, where = frame.partition(" (")
    parts = Path(where.rstrip(")").rsplit(":", 1)[0]).parts
    short = parts[parts.index("gateway") :] if "gateway" in parts else parts[-2:]
    return f"{'/'.join(short)}:{func}"
