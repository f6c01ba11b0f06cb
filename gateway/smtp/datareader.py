"""Read the DATA of one message in bulk instead of line by line.

aiosmtpd reads DATA with one readuntil() per line, ~8 ms of Python for a 341 KB mail
(PERF-ANCHORS). Here the stream is cut only where an end of data could be, and the end is
recognised only as <CR><LF>.<CR><LF> at a line start: a bare LF, <LF>.<CR><LF> or <CR>.<CR>
never ends the data, so SMTP smuggling cannot split one DATA into two messages. Nothing after
the terminator is read, so pipelined commands stay in the reader.
No line-length limit is applied (Postfix accepts long lines too): the sanitizer is total on
them, and refusing would bounce real mail from broken senders.

A bare LF inside the data is a line end, as Postfix's default smtpd_forbid_bare_newline=normalize
makes it: it becomes CRLF, and dot-unstuffing then applies to the line after it like to any
other (so "\n..x" is stored as "\r\n.x", never as "..x"). Refusing such mail instead would
bounce what broken but real senders write; normalising loses nothing a reader sees, and it
never ends the data (only a real CRLF.CRLF does), so it opens no smuggling.

How the stream is cut (asyncio's StreamReader cannot peek, so no read may go past the end):
- readuntil(".\r\n") stops at every terminator, since each ends so, but also at every line
  ending in ".": one read per line of such text.
- readuntil("\r\n.\r\n") stops only at a terminator, but misses one whose first bytes were
  already read (data read so far ending in "\r\n", say). So it is used once the data read
  ends in no part of a terminator, and from then on: a read it cuts short at the reader's
  limit leaves len(terminator) - 1 bytes unread, so no terminator can start in what it took.
- Before that, when the data read ends in part of a terminator, the bytes that would complete
  it are read exactly ("probed") if that part is 3 bytes or more, or a line end right after a
  line cut at ".\r\n" (the virtual CRLF at the start counts as one); otherwise
  readuntil(".\r\n"). So a line ending in "." costs a read of its own only until the data
  read ends in no part of a terminator: in real mail, from the first probe on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

_CUT = b".\r\n"  # every terminator ends with it
_END = b"\r\n.\r\n"
_LINE_START = b"\r\n"
_STUFFED = b"\r\n."
_KEEP_WHEN_DISCARDING = len(_END)
# The session timeout is reset at most this often: a reset costs more than reading a line.
# The session may thus time out up to this much early, out of smtp.timeout_seconds.
PROGRESS_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class DataResult:
    content: bytes | None  # un-dot-stuffed message; None when it exceeded the limit
    received: int  # bytes on the wire before the terminator line (dot-stuffed)


def undot(stuffed: bytearray) -> bytes:
    """Bare LFs to CRLF, then RFC 5321 4.5.2: drop the first dot of every line that has one.

    `stuffed` starts with a virtual CRLF so the first line is handled by the same replace.
    """
    if stuffed.count(b"\n") != stuffed.count(_LINE_START):  # two C scans: no regex per mail
        # CRLF first to LF, so that every LF, bare or not, then becomes exactly one CRLF.
        stuffed = stuffed.replace(_LINE_START, b"\n").replace(b"\n", _LINE_START)
    if _STUFFED in stuffed:
        stuffed = stuffed.replace(_STUFFED, _LINE_START)
    return bytes(memoryview(stuffed)[len(_LINE_START) :])


def pending_end(data: bytearray) -> int:
    """How many bytes of a terminator `data` ends with (0 to 4: never a whole one)."""
    for n in range(len(_END) - 1, 0, -1):
        if data.endswith(_END[:n]):
            return n
    return 0


async def _read_until(reader: asyncio.StreamReader, separator: bytes) -> bytes:
    try:
        return await reader.readuntil(separator)
    except asyncio.LimitOverrunError as exc:
        # Not within the reader's limit: take what cannot hold the start of `separator`.
        return await reader.read(exc.consumed)


async def read_data(
    reader: asyncio.StreamReader,
    limit: int | None,
    on_progress: Callable[[int], None] | None = None,
) -> DataResult:
    """Read up to and including the end-of-data line; raise IncompleteReadError at EOF.

    Past `limit` the data is still read to the terminator (so the session stays in step with
    the client) but discarded, and the result says so. `on_progress` gets the bytes received
    so far, at most once per PROGRESS_SECONDS (the session's timers follow it).
    """
    buf = bytearray(_LINE_START)
    received = 0
    discarding = False
    whole_terminator_ahead = False  # see the module docstring
    after_cut = True  # the last read stopped at ".\r\n" (or nothing read yet)
    progress_at = float("-inf")
    while True:
        partial = pending_end(buf)
        if whole_terminator_ahead or partial == 0:
            whole_terminator_ahead = True
            chunk = await _read_until(reader, _END)
        elif partial >= 3 or (partial == 2 and after_cut):
            chunk = await reader.readexactly(len(_END) - partial)
        else:
            chunk = await _read_until(reader, _CUT)
        after_cut = chunk.endswith(_CUT)
        received += len(chunk)
        now = time.monotonic()
        if on_progress is not None and now - progress_at >= PROGRESS_SECONDS:
            on_progress(received)
            progress_at = now
        buf += chunk
        if buf.endswith(_END):
            break
        if limit is not None and received > limit + len(_CUT):
            discarding = True
        if discarding and len(buf) > _KEEP_WHEN_DISCARDING:
            del buf[:-_KEEP_WHEN_DISCARDING]
    received -= len(_CUT)
    if discarding or (limit is not None and received > limit):
        return DataResult(None, received)
    del buf[-len(_CUT) :]
    return DataResult(undot(buf), received)
