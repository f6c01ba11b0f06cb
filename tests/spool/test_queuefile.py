from __future__ import annotations

from pathlib import Path

import pytest

from gateway.spool.queuefile import DamagedQueueFile, pack, read_header, read_message
from gateway.spool.record import SpoolRecord
from gateway.types import Envelope


def _record(rcpts: int = 1) -> SpoolRecord:
    env = Envelope("a@example.org", [f"user{n}@lg.example.jp" for n in range(rcpts)])
    return SpoolRecord.new("0123456789ABCDEF01", env, size=0)


@pytest.mark.parametrize("rcpts", [1, 3000])  # a header longer than the first read
def test_header_and_message_read_back(tmp_path: Path, rcpts: int) -> None:
    message = b"Subject: x\r\n\r\n" + bytes(range(256)) * 100
    path = tmp_path / "q"
    path.write_bytes(pack(_record(rcpts), message))
    header = read_header(path)
    assert header.record.size == len(message) and len(header.record.recipients) == rcpts
    assert read_message(path, header.offset, header.record.size) == message


@pytest.mark.parametrize(
    "mangle",
    [
        lambda data: data[:-1],  # cut short
        lambda data: data + b"x",  # grown
        lambda data: b"XXXXX" + data[5:],  # not our format
        lambda data: data[: data.index(b"\n")],  # header never terminated
        lambda data: data.replace(b'"queue_id"', b'"queue_jd"', 1),  # header not a record
        lambda data: b"",
    ],
)
def test_a_damaged_file_is_recognised(tmp_path: Path, mangle: object) -> None:
    path = tmp_path / "q"
    data = pack(_record(), b"body\r\n")
    path.write_bytes(mangle(data))  # type: ignore[operator]
    with pytest.raises(DamagedQueueFile):
        header = read_header(path)
        read_message(path, header.offset, header.record.size)
