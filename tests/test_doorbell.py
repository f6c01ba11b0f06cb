"""Rings between processes over real Unix datagram sockets."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from gateway.doorbell import DELIVERY, WORKERS, Doorbell, Ringer, clear_run_dir, run_dir


def test_ring_wakes_a_waiter_at_once(tmp_path: Path) -> None:
    bell = Doorbell(tmp_path, WORKERS)
    ringer = Ringer(tmp_path, WORKERS)
    try:
        ringer.ring()
        assert bell.wait(30.0) is True  # woken, not timed out
    finally:
        bell.close()
        ringer.close()


def test_wait_times_out_without_a_ring_and_groups_are_apart(tmp_path: Path) -> None:
    bell = Doorbell(tmp_path, DELIVERY)
    ringer = Ringer(tmp_path, WORKERS)  # rings the other group
    try:
        ringer.ring()
        assert bell.wait(0.2) is False
    finally:
        bell.close()
        ringer.close()


def test_many_rings_are_drained_by_one_wait(tmp_path: Path) -> None:
    bell = Doorbell(tmp_path, WORKERS)
    ringer = Ringer(tmp_path, WORKERS)
    try:
        for _ in range(50):
            ringer.ring()
        assert bell.wait(30.0) is True
        assert bell.wait(0.2) is False  # nothing left: this one times out
    finally:
        bell.close()
        ringer.close()


def _wait_in_child(data_dir: Path, ready: multiprocessing.synchronize.Event) -> None:
    bell = Doorbell(data_dir, WORKERS)
    ready.set()
    rung = bell.wait(60.0)
    bell.close()
    raise SystemExit(0 if rung else 3)


def test_ring_crosses_processes_and_dead_waiters_are_harmless(tmp_path: Path) -> None:
    (run_dir(tmp_path)).mkdir(parents=True)
    (run_dir(tmp_path) / f"{WORKERS}-999999.sock").write_bytes(b"")  # a dead waiter's socket
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    child = ctx.Process(target=_wait_in_child, args=(tmp_path, ready))
    child.start()
    assert ready.wait(30)
    ringer = Ringer(tmp_path, WORKERS)
    ringer.ring()
    child.join(90)
    ringer.close()
    assert child.exitcode == 0  # rung, not timed out
    clear_run_dir(tmp_path)
    assert not list(run_dir(tmp_path).glob("*.sock"))
