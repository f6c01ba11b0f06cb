from __future__ import annotations

from pathlib import Path

from gateway.metrics import SPOOL_MESSAGES
from gateway.spool.usage import UsageEstimate, free_bytes, list_entries


def entry(root: Path, queue: str, name: str, size: int) -> None:
    (root / queue / name).mkdir(parents=True)
    (root / queue / name / "message.eml").write_bytes(b"x" * size)


def test_counts_pending_queues_only_and_caches_within_the_interval(tmp_path: Path) -> None:
    entry(tmp_path, "incoming", "A", 100)
    entry(tmp_path, "outgoing", "B", 50)
    entry(tmp_path, "failed", "C", 1000)
    (tmp_path / "incoming" / "stray-file").write_bytes(b"x" * 999)
    queues = ("incoming", "outgoing", "failed")
    usage = UsageEstimate(tmp_path, ("incoming", "outgoing"), queues, refresh_seconds=3600)
    assert usage.bytes_used() == 150
    entry(tmp_path, "incoming", "D", 7)
    assert usage.bytes_used() == 150  # cached within the refresh interval
    fresh = UsageEstimate(tmp_path, ("incoming", "outgoing"), queues, refresh_seconds=0)
    assert fresh.bytes_used() == 157
    assert SPOOL_MESSAGES.labels(queue="failed")._value.get() == 1


def test_list_entries_and_free_bytes(tmp_path: Path) -> None:
    assert list_entries(tmp_path / "missing") == []
    (tmp_path / "q" / "E").mkdir(parents=True)
    (tmp_path / "q" / "file").write_bytes(b"")
    assert list_entries(tmp_path / "q") == ["E"]
    assert free_bytes(tmp_path) > 0
