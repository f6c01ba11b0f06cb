from collections.abc import Iterator

import pytest

from gateway.delivery.lmtp import deliver_lmtp
from gateway.delivery.target import parse_target
from tests.fakes.lgwan_mta import FakeMta

MESSAGE = b"Subject: t\r\n\r\n.dot\r\nbody\r\n"


@pytest.fixture
def lmtp_mta() -> Iterator[FakeMta]:
    with FakeMta(lmtp=True) as mta:
        yield mta


def test_one_reply_per_recipient(lmtp_mta: FakeMta) -> None:
    lmtp_mta.faults.rcpt_replies = {"bad@lg.jp": "550 5.1.1 unknown"}
    replies = deliver_lmtp(
        parse_target(lmtp_mta.url),
        "a@example.org",
        ["x@lg.jp", "bad@lg.jp", "y@lg.jp"],
        MESSAGE,
        local_hostname="gw.test",
        timeout=5.0,
    )
    assert replies["x@lg.jp"].status == "delivered"
    assert replies["y@lg.jp"].status == "delivered"
    assert replies["bad@lg.jp"].code == 550
    got = lmtp_mta.messages
    assert got[0].data == MESSAGE  # dot-stuffing undone by the server
    assert got[0].rcpt_tos == ["x@lg.jp", "y@lg.jp"]


def test_down_is_a_retry(lmtp_mta: FakeMta) -> None:
    lmtp_mta.down()
    replies = deliver_lmtp(
        parse_target(lmtp_mta.url), "a@x", ["x@lg.jp"], MESSAGE, local_hostname="gw", timeout=2.0
    )
    assert replies["x@lg.jp"].status == "deferred"
