"""LMTP delivery (RFC 2033), one connection per mail.

Hand-written because aiosmtplib has no LHLO and reads exactly one reply after DATA, while LMTP
answers DATA once per accepted recipient; those per-recipient replies are the point of LMTP.
"""

from __future__ import annotations

import asyncio

from gateway.delivery.reply import Reply, all_recipients, transient
from gateway.delivery.target import Target

_MAX_LINE = 4096
_MAX_LINES = 200


class _Session:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float):
        self._reader = reader
        self._writer = writer
        self._timeout = timeout

    async def reply(self) -> Reply:
        texts: list[str] = []
        for _ in range(_MAX_LINES):
            line = await asyncio.wait_for(self._reader.readline(), self._timeout)
            if not line.endswith(b"\n"):
                raise ConnectionError("connection closed in the middle of a reply")
            text = line.rstrip(b"\r\n").decode("utf-8", "replace")
            if len(text) < 3 or not text[:3].isdigit():
                raise ConnectionError(f"malformed reply {text[:80]!r}")
            texts.append(text[4:])
            if text[3:4] != "-":
                return Reply(int(text[:3]), "\n".join(texts))
        raise ConnectionError("reply too long")

    async def command(self, line: str) -> Reply:
        self._writer.write(line.encode("utf-8") + b"\r\n")
        await asyncio.wait_for(self._writer.drain(), self._timeout)
        return await self.reply()

    async def send_data(self, message: bytes) -> None:
        body = message if message.endswith(b"\r\n") else message + b"\r\n"
        stuffed = body.replace(b"\r\n.", b"\r\n..")
        if stuffed.startswith(b"."):
            stuffed = b"." + stuffed
        self._writer.write(stuffed + b".\r\n")
        await asyncio.wait_for(self._writer.drain(), self._timeout)


async def _transaction(
    session: _Session,
    local_hostname: str,
    sender: str,
    recipients: list[str],
    message: bytes,
    replies: dict[str, Reply],
) -> None:
    """Fill `replies` as answers come, so a drop halfway keeps the answers already given."""
    for step in (None, f"LHLO {local_hostname}", f"MAIL FROM:<{sender}>"):
        reply = await (session.reply() if step is None else session.command(step))
        if reply.status != "delivered":
            replies.update(all_recipients(recipients, reply))
            return
    accepted: list[str] = []
    for rcpt in recipients:
        reply = await session.command(f"RCPT TO:<{rcpt}>")
        if reply.status == "delivered":
            accepted.append(rcpt)
        else:
            replies[rcpt] = reply
    if not accepted:
        return
    go_ahead = await session.command("DATA")
    if go_ahead.code != 354:
        replies.update(all_recipients(accepted, go_ahead))
        return
    await session.send_data(message)
    for rcpt in accepted:  # RFC 2033 4.2: one reply per accepted recipient, in RCPT order
        replies[rcpt] = await session.reply()


async def deliver_lmtp(
    target: Target,
    sender: str,
    recipients: list[str],
    message: bytes,
    *,
    local_hostname: str,
    timeout: float,
) -> dict[str, Reply]:
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(target.host, target.port, limit=_MAX_LINE), timeout
        )
    except (OSError, TimeoutError) as exc:
        return all_recipients(recipients, transient(f"{target}: {exc}"))
    session = _Session(reader, writer, timeout)
    replies: dict[str, Reply] = {}
    try:
        await _transaction(session, local_hostname, sender, recipients, message, replies)
        await session.command("QUIT")
    except (OSError, TimeoutError, ValueError) as exc:  # ValueError: a line over the limit
        # a recipient already answered keeps its reply: only the others are retried
        for rcpt in recipients:
            replies.setdefault(rcpt, transient(f"{target}: {exc}"))
    finally:
        writer.close()
    return replies
