from __future__ import annotations

from pathlib import Path

from gateway.spool.usage import UsageEstimate, free_bytes, list_names

A, B, C, D = (f"0123456789ABCDEF0{n}" for n in range(4))


def put(root: Path, queue: str, name: str, size: int) -> None:
    (root / queue).mkdir(parents=True, exist_ok=True)
    (root / queue / name).write_bytes(b"x" * size)


def test_counts_the_given_queues_only_and_caches_within_the_interval(tmp_path: Path) -> None:
    put(tmp_path, "incoming", A, 100)
    put(tmp_path, "outgoing", B, 50)
    put(tmp_path, "failed", C, 1000)
    put(tmp_path, "incoming", "stray-file", 999)  # not a queue ID: not a message
    dirs = [tmp_path / "incoming", tmp_path / "outgoing"]
    usage = UsageEstimate(dirs, refresh_seconds=3600)
    assert usage.bytes_used() == 150
    put(tmp_path, "incoming", D, 7)
    assert usage.bytes_used() == 150  # cached within the refresh interval
    assert UsageEstimate(dirs, refresh_seconds=0).bytes_used() == 157


def test_list_names_and_free_bytes(tmp_path: Path) -> None:
    assert list_names(tmp_path / "missing") == []
    put(tmp_path, "q", A, 1)
    put(tmp_path, "q", "file", 1)
    assert list_names(tmp_path / "q") == [A]
    assert free_bytes(tmp_path) > 0
