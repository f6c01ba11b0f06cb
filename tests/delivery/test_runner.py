"""The delivery process's lanes on a real spool and real SMTP/LMTP peers over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.delivery import runner as runner_module
from gateway.delivery.runner import DeliveryRunner, build_runner
from gateway.errors import SpoolError
from gateway.serve.children import make_settler
from gateway.spool import Queue, Route, Spool, SpoolEntry
from gateway.types import Envelope
from tests.fakes.lgwan_mta import FakeMta

MESSAGE = b"Subject: hi\r\nFrom: s@example.org\r\n\r\nclean body\r\n"


@pytest.fixture
def dsn_mta() -> Iterator[FakeMta]:
    with FakeMta() as mta:
        yield mta


@pytest.fixture(autouse=True)
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module, "ERROR_PAUSE_SECONDS", 0.0)


def _outgoing(spool: Spool, sender: str = "s@example.org",
              rcpts: tuple[str, ...] = ("a@lg.jp",)) -> SpoolEntry:  # fmt: skip
    spool.enqueue(MESSAGE, Envelope(sender, list(rcpts), received_at=1.0))
    claimed = spool.claim(Queue.OUTGOING)
    assert claimed is not None
    return claimed


def _setup(make_settings: Any, relay: str, dsn: str = "") -> tuple[Spool, DeliveryRunner]:
    settings = make_settings(
        delivery={"relay_url": relay, "dsn_relay_url": dsn, "timeout_seconds": 2.0,
                  "retry_schedule_seconds": [60], "connections": 2},
        spool={"fsync": False, "max_attempts": 3},
    )  # fmt: skip
    spool = Spool(settings.spool.directory, fsync=False, max_attempts=3, min_free_bytes=0)
    spool.prepare()
    return spool, build_runner(settings, spool, make_settler(settings, spool))


def _total(spool: Spool) -> int:
    return sum(s.messages for s in spool.stats().values())


async def test_a_delivered_entry_is_removed(make_settings: Any, fake_mta: FakeMta) -> None:
    spool, runner = _setup(make_settings, fake_mta.url)
    await runner.deliver(_outgoing(spool, rcpts=("a@lg.jp", "b@lg.jp")))
    await runner.close()
    assert fake_mta.messages[0].data == MESSAGE
    assert fake_mta.messages[0].rcpt_tos == ["a@lg.jp", "b@lg.jp"]
    assert _total(spool) == 0


async def test_an_outage_defers_then_delivers_only_the_rest(
    make_settings: Any, fake_mta: FakeMta
) -> None:
    spool, runner = _setup(make_settings, fake_mta.url)
    fake_mta.faults.rcpt_replies = {"b@lg.jp": "451 4.3.0 mailbox busy"}
    await runner.deliver(_outgoing(spool, rcpts=("a@lg.jp", "b@lg.jp")))
    assert spool.stats()[Queue.DEFERRED].messages == 1
    assert spool.wake_due(0.0)[Queue.OUTGOING] == 0  # not yet due
    fake_mta.faults.clear()
    fake_mta.down()
    assert spool.wake_due(1e12)[Queue.OUTGOING] == 1
    entry = spool.claim(Queue.OUTGOING)
    assert entry is not None
    await runner.deliver(entry)  # down: deferred again
    fake_mta.up()
    assert spool.wake_due(1e12)[Queue.OUTGOING] == 1
    entry = spool.claim(Queue.OUTGOING)
    assert entry is not None and entry.record.recipients["a@lg.jp"]["status"] == "delivered"
    await runner.deliver(entry)
    await runner.close()
    assert [m.rcpt_tos for m in fake_mta.messages] == [["a@lg.jp"], ["b@lg.jp"]]
    assert _total(spool) == 0


async def test_a_5xx_fails_the_mail_and_queues_a_dsn_on_its_own_route(
    make_settings: Any, fake_mta: FakeMta, dsn_mta: FakeMta
) -> None:
    spool, runner = _setup(make_settings, fake_mta.url, dsn_mta.url)
    fake_mta.faults.rcpt_reply = "550 5.1.1 no such user"
    await runner.deliver(_outgoing(spool))
    dsn_entry = spool.claim(Queue.OUTGOING)
    assert dsn_entry is not None and dsn_entry.record.route == Route.DSN
    await runner.deliver(dsn_entry)
    await runner.deliver(_outgoing(spool, sender=""))  # null sender: never bounced
    await runner.close()
    assert spool.stats()[Queue.FAILED].messages == 2
    [dsn] = dsn_mta.messages
    assert dsn.mail_from == "<>" and dsn.rcpt_tos == ["s@example.org"]
    assert b"multipart/report" in dsn.data and b"5.1.1" in dsn.data
    assert spool.claim(Queue.OUTGOING) is None  # a DSN that fails is never bounced again


async def test_the_run_loop_drains_outgoing_and_stops(make_settings: Any, tmp_path: Path) -> None:
    spool, runner = _setup(make_settings, "")
    for _ in range(5):
        spool.enqueue(MESSAGE, Envelope("s@example.org", ["a@lg.jp"]))
    task = asyncio.create_task(runner.run())
    for _ in range(250):
        if _total(spool) == 0:
            break
        await asyncio.sleep(0.02)
    runner.stop()
    await asyncio.wait_for(task, 5)
    assert len(list((tmp_path / "var" / "maildir" / "new").iterdir())) == 5


async def test_lmtp_relay_url_uses_lmtp(make_settings: Any) -> None:
    with FakeMta(lmtp=True) as lmtp:
        spool, runner = _setup(make_settings, lmtp.url)
        await runner.deliver(_outgoing(spool, rcpts=("a@lg.jp", "b@lg.jp")))
        await runner.close()
    assert lmtp.messages[0].rcpt_tos == ["a@lg.jp", "b@lg.jp"]
    assert _total(spool) == 0


async def test_a_spool_fault_while_settling_gives_the_mail_back_uncounted(
    make_settings: Any, fake_mta: FakeMta, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool, runner = _setup(make_settings, fake_mta.url)
    fake_mta.faults.rcpt_reply = "451 4.3.0 busy"
    entry = _outgoing(spool)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise SpoolError("EIO")

    monkeypatch.setattr(Spool, "defer", broken)
    await runner.deliver(entry)
    back = spool.get(Queue.OUTGOING, entry.queue_id)
    assert back is not None and back.record.failures == 0


async def test_a_mail_that_trips_a_bug_is_postponed_and_the_lane_goes_on(
    make_settings: Any, fake_mta: FakeMta, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool, runner = _setup(make_settings, fake_mta.url)
    first = _outgoing(spool)

    def bug(*args: Any, **kwargs: Any) -> Any:
        raise UnicodeError("a bug in the transport")

    with monkeypatch.context() as patch:
        patch.setattr("gateway.delivery.transport.SmtpTransport.send", bug)
        await runner.deliver(first)
    postponed = spool.get(Queue.DEFERRED, first.queue_id)
    assert postponed is not None and postponed.record.failures == 1
    assert "UnicodeError" in postponed.record.last_error
    await runner.deliver(_outgoing(spool))
    await runner.close()
    assert len(fake_mta.messages) == 1


async def test_missing_credentials_defer_without_a_bounce(
    make_settings: Any, dsn_mta: FakeMta
) -> None:
    with FakeMta(login=("gw", "secret")) as relay:
        spool, runner = _setup(make_settings, relay.url, dsn_mta.url)
        await runner.deliver(_outgoing(spool))
        await runner.close()
    assert spool.stats()[Queue.DEFERRED].messages == 1
    assert spool.stats()[Queue.OUTGOING].messages == 0  # no DSN queued


def test_the_delivery_process_takes_back_what_it_held(make_settings: Any) -> None:
    spool, _ = _setup(make_settings, "")
    _outgoing(spool)
    assert spool.return_claims(Queue.SENDING) == 1
    again = spool.claim(Queue.OUTGOING)
    assert again is not None and again.record.crashes == 0
