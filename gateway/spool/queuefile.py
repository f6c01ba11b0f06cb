"""One file per message, as Postfix and Mailman's switchboard keep them: header, then the bytes.

    MTKQ1 <header: one line of ASCII JSON>\\n<message bytes>

The header (gateway.spool.record) holds the envelope and the state; the message follows
unchanged, so reading it is one read and one slice. A file is only ever written whole under a
temporary name and renamed into its queue, never edited in place: a reader sees the old
version or the new one. The header records the message size, so a file cut short by a disk
that lied is recognised as damaged instead of being delivered truncated.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gateway.spool.record import SpoolRecord

MAGIC = b"MTKQ1 "
MAX_HEADER_BYTES = 1024 * 1024  # 100 recipients of 256 bytes need a few dozen KB
_FIRST_READ = 16 * 1024


class DamagedQueueFile(ValueError):
    """The file is not a whole queue file of this format (the reason says why)."""


@dataclass(frozen=True, slots=True)
class Header:
    record: SpoolRecord
    offset: int  # where the message starts


def pack(record: SpoolRecord, message: bytes) -> bytes:
    record.size = len(message)
    return b"".join((MAGIC, record.to_json(), b"\n", message))


def _parse_header(data: bytes, *, complete: bool) -> Header | None:
    """None when the header line is not all in `data` yet and more could follow."""
    if not data.startswith(MAGIC):
        if len(data) < len(MAGIC) and not complete:
            return None
        raise DamagedQueueFile("not a queue file (bad magic)")
    end = data.find(b"\n", len(MAGIC))
    if end < 0:
        if complete or len(data) > MAX_HEADER_BYTES:
            raise DamagedQueueFile("header line not terminated")
        return None
    try:
        record = SpoolRecord.from_json(data[len(MAGIC) : end])
    except ValueError as exc:
        raise DamagedQueueFile(str(exc)) from None
    return Header(record, end + 1)


def read_header(path: Path) -> Header:
    """The header of the file at `path` without reading the message. Raises OSError
    (FileNotFoundError when it moved on) or DamagedQueueFile."""
    with open(path, "rb") as f:
        data = f.read(_FIRST_READ)
        header = _parse_header(data, complete=False)
        while header is None:
            more = f.read(max(len(data), _FIRST_READ))
            data += more
            header = _parse_header(data, complete=not more)
        size = os.fstat(f.fileno()).st_size
    if size - header.offset != header.record.size:
        raise DamagedQueueFile(
            f"message is {size - header.offset} bytes, the header says {header.record.size}"
        )
    return header


def read_message(path: Path, offset: int, size: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        message = f.read()
    if len(message) != size:
        raise DamagedQueueFile(f"message is {len(message)} bytes, the header says {size}")
    return message
