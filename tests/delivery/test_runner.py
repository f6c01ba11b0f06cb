import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.delivery import runner as runner_module
from gateway.delivery.reply import Reply
from gateway.delivery.runner import DeliveryRunner, build_runner, requeue_sending
from gateway.delivery.transport import make_transport
from gateway.errors import SpoolError
from gateway.spool.record import SpoolRecord
from gateway.spool.store import Spool, SpoolEntry
from gateway.types import Envelope
from tests.fakes.lgwan_mta import FakeMta

MESSAGE = b"Subject: hi\r\nFrom: s@example.org\r\n\r\nclean body\r\n"


@pytest.fixture
def dsn_mta() -> Iterator[FakeMta]:
    with FakeMta() as mta:
        yield mta


def _outgoing(
    spool: Spool, sender: str = "s@example.org", rcpts: tuple[str, ...] = ("a@lg.jp",)
) -> SpoolEntry:
    spool.accept(b"raw", Envelope(sender, list(rcpts), received_at=1.0))
    entry = spool.claim("incoming")
    assert entry is not None
    spool.move(entry, "outgoing", message=MESSAGE)
    claimed = spool.claim("outgoing")
    assert claimed is not None
    return claimed


def _setup(make_settings: Any, relay: str, dsn: str = "") -> tuple[Spool, DeliveryRunner]:
    settings = make_settings(
        delivery={
            "relay_url": relay,
            "dsn_relay_url": dsn,
            "timeout_seconds": 2.0,
            "retry_schedule_seconds": [60],
            "connections": 2,
        },
        spool={"fsync": False},
    )
    spool = Spool(settings.spool.directory, fsync=False)
    spool.prepare()
    return spool, build_runner(settings, spool)


async def _finish_b_only(spool: Any, runner: Any, fake_mta: FakeMta) -> None:
    """The retry goes to b@ alone: a@ was delivered the first time and is not sent again."""
    entry = spool.claim("outgoing")
    assert entry is not None
    assert entry.record.recipients["a@lg.jp"]["status"] == "delivered"
    await runner.deliver(entry)
    await runner.close()
    assert [m.rcpt_tos for m in fake_mta.messages] == [["a@lg.jp"], ["b@lg.jp"]]
    assert sum(spool.counts().values()) == 0


async def test_delivered_entry_is_removed(make_settings: Any, fake_mta: FakeMta) -> None:
    spool, runner = _setup(make_settings, fake_mta.url)
    await runner.deliver(_outgoing(spool, rcpts=("a@lg.jp", "b@lg.jp")))
    await runner.close()
    assert fake_mta.messages[0].data == MESSAGE
    assert fake_mta.messages[0].rcpt_tos == ["a@lg.jp", "b@lg.jp"]
    assert sum(spool.counts().values()) == 0


async def test_outage_defers_then_delivers_only_the_rest(
    make_settings: Any, fake_mta: FakeMta
) -> None:
    spool, runner = _setup(make_settings, fake_mta.url)
    fake_mta.faults.rcpt_replies = {"b@lg.jp": "451 4.3.0 mailbox busy"}
    await runner.deliver(_outgoing(spool, rcpts=("a@lg.jp", "b@lg.jp")))
    assert spool.counts()["deferred"] == 1
    assert spool.due_deferred(0.0) == 0  # not yet due
    fake_mta.faults.clear()
    fake_mta.down()
    assert spool.due_deferred(1e12) == 1
    entry = spool.claim("outgoing")
    assert entry is not None
    await runner.deliver(entry)  # down: deferred again
    fake_mta.up()
    assert spool.due_deferred(1e12) == 1
    await _finish_b_only(spool, runner, fake_mta)


async def test_5xx_goes_to_failed_with_a_dsn(
    make_settings: Any, fake_mta: FakeMta, dsn_mta: FakeMta
) -> None:
    spool, runner = _setup(make_settings, fake_mta.url, dsn_mta.url)
    fake_mta.faults.rcpt_reply = "550 5.1.1 no such user"
    await runner.deliver(_outgoing(spool))
    await runner.deliver(_outgoing(spool, sender=""))  # null sender: never bounced
    await runner.close()
    assert spool.counts()["failed"] == 2
    assert len(dsn_mta.messages) == 1
    dsn = dsn_mta.messages[0]
    assert dsn.mail_from == "<>" and dsn.rcpt_tos == ["s@example.org"]
    assert b"multipart/report" in dsn.data and b"5.1.1" in dsn.data


async def test_run_loop_drains_outgoing_and_stops(make_settings: Any, tmp_path: Path) -> None:
    spool, runner = _setup(make_settings, "")
    for _ in range(5):
        entry = _outgoing(spool)
        spool.move(entry, "outgoing")  # unclaim: the loop claims it
    task = asyncio.create_task(runner.run())
    for _ in range(200):
        if spool.counts()["outgoing"] == 0 and spool.counts()["sending"] == 0:
            break
        await asyncio.sleep(0.02)
    runner.stop()
    await asyncio.wait_for(task, 5)
    assert len(list((tmp_path / "var" / "maildir" / "new").iterdir())) == 5


def test_requeue_sending_keeps_the_claim_counter(make_settings: Any) -> None:
    spool, _ = _setup(make_settings, "")
    claimed = _outgoing(spool)
    assert claimed.record.attempts == 1
    assert requeue_sending(spool, durable=False) == 1
    again = spool.claim("outgoing")
    assert again is not None and again.record.attempts == 2


async def test_lmtp_relay_url_uses_lmtp(make_settings: Any) -> None:
    with FakeMta(lmtp=True) as lmtp:
        spool, runner = _setup(make_settings, lmtp.url)
        await runner.deliver(_outgoing(spool, rcpts=("a@lg.jp", "b@lg.jp")))
        await runner.close()
    assert lmtp.messages[0].rcpt_tos == ["a@lg.jp", "b@lg.jp"]
    assert sum(spool.counts().values()) == 0


class FaultySpool(Spool):
    """A real spool whose disk fails on command: claims, or moves into chosen queues."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, fsync=False)
        self.claim_faults = 0
        self.broken_queues: set[str] = set()

    def claim(self, source: str) -> SpoolEntry | None:
        if self.claim_faults:
            self.claim_faults -= 1
            raise SpoolError("cannot record the claim: I/O error")
        return super().claim(source)

    def move(
        self,
        entry: SpoolEntry,
        dest: str,
        *,
        message: bytes | None = None,
        record: SpoolRecord | None = None,
    ) -> SpoolEntry:
        if dest in self.broken_queues:
            raise SpoolError(f"cannot move to {dest}: I/O error")
        return super().move(entry, dest, message=message, record=record)


def _faulty_setup(make_settings: Any, relay: str, dsn: str = "") -> tuple[FaultySpool, Any]:
    settings = make_settings(
        delivery={
            "relay_url": relay,
            "dsn_relay_url": dsn,
            "timeout_seconds": 2.0,
            "retry_schedule_seconds": [60],
            "connections": 1,
        },
        spool={"fsync": False},
    )
    spool = FaultySpool(settings.spool.directory)
    spool.prepare()
    return spool, settings


@pytest.fixture
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module, "ERROR_PAUSE_SECONDS", 0.0)


async def test_a_failed_claim_does_not_end_the_lane(
    make_settings: Any, tmp_path: Path, no_pause: None
) -> None:
    spool, settings = _faulty_setup(make_settings, "")
    spool.move(_outgoing(spool), "outgoing")
    spool.claim_faults = 3
    runner = build_runner(settings, spool)
    task = asyncio.create_task(runner.run())
    for _ in range(250):
        if spool.counts()["outgoing"] == 0 and spool.counts()["sending"] == 0:
            break
        await asyncio.sleep(0.02)
    runner.stop()
    await asyncio.wait_for(task, 5)
    assert spool.claim_faults == 0
    assert len(list((tmp_path / "var" / "maildir" / "new").iterdir())) == 1


async def test_settle_failure_after_a_send_never_sends_twice(
    make_settings: Any, fake_mta: FakeMta, no_pause: None
) -> None:
    spool, settings = _faulty_setup(make_settings, fake_mta.url)
    runner = build_runner(settings, spool)
    fake_mta.faults.rcpt_replies = {"b@lg.jp": "451 4.3.0 mailbox busy"}
    spool.broken_queues = {"deferred"}
    await runner.deliver(_outgoing(spool, rcpts=("a@lg.jp", "b@lg.jp")))
    counts = spool.counts()
    assert counts["outgoing"] == 1 and counts["sending"] == 0  # given back, not stuck
    assert not runner.failed
    fake_mta.faults.clear()
    spool.broken_queues = set()
    await _finish_b_only(spool, runner, fake_mta)


async def test_an_entry_the_spool_cannot_take_back_stops_delivery(
    make_settings: Any, fake_mta: FakeMta, no_pause: None
) -> None:
    spool, settings = _faulty_setup(make_settings, fake_mta.url)
    runner = build_runner(settings, spool)
    fake_mta.faults.rcpt_reply = "451 4.3.0 busy"
    entry = _outgoing(spool)
    spool.broken_queues = {"deferred", "sending"}
    (spool.root / "outgoing" / entry.queue_id / "blocker").mkdir(parents=True)
    await runner.deliver(entry)
    await runner.close()
    assert runner.failed and runner.stopping.is_set()  # the process exits and is restarted
    assert spool.counts()["sending"] == 1  # where requeue_sending() finds it at the restart


class BrokenTransport:
    description = "broken"

    async def send(self, sender: str, recipients: list[str], message: bytes) -> dict[str, Reply]:
        raise RuntimeError("a bug in the DSN path")

    async def close(self) -> None:
        return None


async def test_a_failing_dsn_does_not_disturb_the_mail(
    make_settings: Any, fake_mta: FakeMta
) -> None:
    spool, settings = _faulty_setup(make_settings, fake_mta.url)
    transport = make_transport(fake_mta.url, settings.delivery, local_hostname="gw.test")
    runner = DeliveryRunner(settings, spool, transport, BrokenTransport())
    fake_mta.faults.rcpt_reply = "550 5.1.1 no such user"
    await runner.deliver(_outgoing(spool))
    await runner.close()
    assert spool.counts()["failed"] == 1


async def test_missing_credentials_defer_without_a_bounce(
    make_settings: Any, dsn_mta: FakeMta
) -> None:
    with FakeMta(login=("gw", "secret")) as relay:
        spool, runner = _setup(make_settings, relay.url, dsn_mta.url)
        await runner.deliver(_outgoing(spool))
        await runner.close()
    assert spool.counts()["deferred"] == 1
    assert dsn_mta.messages == []
