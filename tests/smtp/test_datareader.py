"""The bulk DATA reader on a real asyncio.StreamReader, fed as a socket would feed it."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.smtp.datareader import read_data, undot


async def read(
    stream: bytes, *, limit: int | None = None, reader_limit: int = 64, step: int = 0
) -> tuple[bytes | None, bytes]:
    """Feed `stream` (whole, or `step` bytes at a time), read one DATA, return what is left."""
    reader = asyncio.StreamReader(limit=reader_limit)

    async def feed() -> None:
        if step:
            for i in range(0, len(stream), step):
                reader.feed_data(stream[i : i + step])
                await asyncio.sleep(0)
        else:
            reader.feed_data(stream)
        reader.feed_eof()

    feeder = asyncio.create_task(feed())
    result = await read_data(reader, limit)
    await feeder
    return result.content, await reader.read()


@pytest.mark.parametrize("step", [0, 1, 2, 3, 5, 7])
async def test_terminator_and_dot_stuffing(step: int) -> None:
    stream = b"Subject: x\r\n\r\n..leading dot\r\n.\r\nQUIT\r\n"
    content, rest = await read(stream, step=step)
    assert content == b"Subject: x\r\n\r\n.leading dot\r\n"
    assert rest == b"QUIT\r\n"  # nothing after the terminator is consumed


async def test_empty_message_and_first_line_dot() -> None:
    assert await read(b".\r\n") == (b"", b"")
    assert await read(b"..\r\n.\r\n") == (b".\r\n", b"")
    assert await read(b".x\r\n.\r\n") == (b"x\r\n", b"")  # RFC 5321 4.5.2, as aiosmtpd does


@pytest.mark.parametrize("fake_end", [b"\n.\n", b"\n.\r\n", b"\r.\r\n", b"\r\n.\n", b"\r\n.\r"])
async def test_smuggled_terminators_do_not_end_data(fake_end: bytes) -> None:
    smuggled = b"MAIL FROM:<evil@example.com>\r\nRCPT TO:<x@lg.jp>\r\nDATA\r\nspoof\r\n"
    stream = b"body" + fake_end + smuggled + b".\r\n"
    content, rest = await read(stream)
    # One message; a dot right after a real CRLF is transparency and goes (RFC 5321 4.5.2).
    assert content == (b"body" + fake_end + smuggled).replace(b"\r\n.", b"\r\n")
    assert content is not None and content.endswith(b"spoof\r\n")
    assert rest == b""


@pytest.mark.parametrize("step", [0, 1000])
async def test_long_lines_across_reader_limits_are_kept(step: int) -> None:
    line = b"A" * 300_000 + b".B" * 1000 + b"\r\n"
    content, _ = await read(line + b"..\r\n.\r\n", reader_limit=1024, step=step)
    assert content == line + b".\r\n"


async def test_over_the_limit_is_drained_and_reported() -> None:
    content, rest = await read(b"x" * 5000 + b"\r\n.\r\nNOOP\r\n", limit=100)
    assert content is None
    assert rest == b"NOOP\r\n"


async def test_exactly_at_the_limit_is_accepted() -> None:
    content, _ = await read(b"x" * 98 + b"\r\n.\r\n", limit=100)
    assert content == b"x" * 98 + b"\r\n"
    content, _ = await read(b"x" * 99 + b"\r\n.\r\n", limit=100)
    assert content is None


async def test_eof_before_the_terminator_raises() -> None:
    reader = asyncio.StreamReader(limit=64)
    reader.feed_data(b"partial message\r\n")
    reader.feed_eof()
    with pytest.raises(asyncio.IncompleteReadError):
        await read_data(reader, None)


def test_undot_keeps_dots_that_do_not_start_a_line() -> None:
    assert undot(bytearray(b"\r\na.b\r\n..c\r\n\n.d\r\n")) == b"a.b\r\n.c\r\n\n.d\r\n"


_PIECES = [b".", b"..", b"\r", b"\n", b"\r\n", b".\r\n", b"\r\n.", b"\r\n.\r", b"\n.\r\n",
           b"\r.\r\n", b"a", b"abc.", b"x" * 40, b"\r\n\r\n", b"\r\n.\r\n"]


def _expected(stream: bytes) -> tuple[bytes, int, bytes] | None:
    """What the reader must do, written the slow obvious way: the first CRLF.CRLF ends it."""
    data = b"\r\n" + stream
    end = data.find(b"\r\n.\r\n")
    if end < 0:
        return None
    return undot(bytearray(data[: end + 2])), end, data[end + 5 :]


@settings(max_examples=400, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(_PIECES), max_size=40),
    terminated=st.booleans(),
    reader_limit=st.sampled_from([5, 8, 16, 1001]),
    step=st.integers(min_value=0, max_value=9),
)
def test_any_stream_ends_exactly_at_the_first_terminator(
    pieces: list[bytes], terminated: bool, reader_limit: int, step: int
) -> None:
    stream = b"".join(pieces) + (b"\r\n.\r\nQUIT\r\n" if terminated else b"")
    expected = _expected(stream)

    async def run() -> tuple[bytes | None, int, bytes] | None:
        reader = asyncio.StreamReader(limit=reader_limit)

        async def feed() -> None:
            for i in range(0, len(stream), step or len(stream) or 1):
                reader.feed_data(stream[i : i + (step or len(stream))])
                await asyncio.sleep(0)
            reader.feed_eof()

        feeder = asyncio.create_task(feed())
        try:
            result = await read_data(reader, None)
        except asyncio.IncompleteReadError:
            return None
        finally:
            await feeder
        return result.content, result.received, await reader.read()

    assert asyncio.run(run()) == expected


async def test_progress_is_reported_while_reading() -> None:
    calls: list[None] = []
    reader = asyncio.StreamReader(limit=64)
    reader.feed_data(b"line.\r\n" * 1000 + b".\r\n")
    reader.feed_eof()
    result = await read_data(reader, None, lambda: calls.append(None))
    assert result.content == b"line.\r\n" * 1000
    assert calls  # the session timer was reset at least once
