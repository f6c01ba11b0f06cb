from gateway.delivery.smtp import SmtpPool, StartTls
from gateway.delivery.target import parse_target
from tests.fakes.lgwan_mta import FakeMta

MESSAGE = b"Subject: t\r\nFrom: a@example.org\r\n\r\n.leading dot\r\n\xe6\x97\xa5\xe6\x9c\xac\r\n"


def _pool(
    mta: FakeMta,
    size: int = 2,
    timeout: float = 5.0,
    starttls: StartTls = "optional",
    login: tuple[str, str] = ("", ""),
) -> SmtpPool:
    return SmtpPool(
        parse_target(mta.url),
        size=size,
        starttls=starttls,
        username=login[0],
        password=login[1],
        timeout=timeout,
        local_hostname="gw.test",
    )


def test_delivers_and_reuses_the_connection(fake_mta: FakeMta) -> None:
    pool = _pool(fake_mta)
    for _ in range(3):
        replies = pool.send("a@example.org", ["x@lg.jp", "y@lg.jp"], MESSAGE)
        assert {r.status for r in replies.values()} == {"delivered"}
    pool.close()
    got = fake_mta.messages
    assert len(got) == 3
    assert got[0].data == MESSAGE
    assert got[0].rcpt_tos == ["x@lg.jp", "y@lg.jp"]


def test_per_recipient_replies(fake_mta: FakeMta) -> None:
    fake_mta.faults.rcpt_replies = {
        "bad@lg.jp": "550 5.1.1 no such user",
        "busy@lg.jp": "451 4.3.0 busy",
    }
    pool = _pool(fake_mta)
    replies = pool.send("a@example.org", ["ok@lg.jp", "bad@lg.jp", "busy@lg.jp"], MESSAGE)
    pool.close()
    assert replies["ok@lg.jp"].status == "delivered"
    assert replies["bad@lg.jp"].status == "failed"
    assert replies["busy@lg.jp"].status == "deferred"
    assert fake_mta.messages[0].rcpt_tos == ["ok@lg.jp"]


def test_data_reply_applies_to_accepted_recipients(fake_mta: FakeMta) -> None:
    fake_mta.faults.data_reply = "554 5.6.0 content rejected"
    pool = _pool(fake_mta)
    replies = pool.send("a@example.org", ["x@lg.jp"], MESSAGE)
    assert replies["x@lg.jp"].code == 554
    fake_mta.faults.clear()  # the pooled connection was reset and still works
    replies = pool.send("a@example.org", ["x@lg.jp"], MESSAGE)
    pool.close()
    assert replies["x@lg.jp"].status == "delivered"


def test_down_and_dropped_mean_retry_and_the_pool_recovers(fake_mta: FakeMta) -> None:
    pool = _pool(fake_mta, timeout=2.0)
    assert (pool.send("a@example.org", ["x@lg.jp"], MESSAGE))["x@lg.jp"].status == "delivered"
    fake_mta.down()
    replies = pool.send("a@example.org", ["x@lg.jp"], MESSAGE)
    assert replies["x@lg.jp"].status == "deferred"
    fake_mta.up()
    fake_mta.faults.drop_at = "data"
    replies = pool.send("a@example.org", ["x@lg.jp"], MESSAGE)
    assert replies["x@lg.jp"].status == "deferred"
    fake_mta.faults.clear()
    replies = pool.send("a@example.org", ["x@lg.jp"], MESSAGE)
    pool.close()
    assert replies["x@lg.jp"].status == "delivered"
    assert len(fake_mta.messages) == 2


def test_a_pooled_connection_the_peer_closed_is_replaced_at_once(
    fake_mta: FakeMta,
) -> None:
    """No RSET round trip per mail to prove a pooled connection alive: a dead one costs a
    second try on a fresh connection, not a deferral."""
    pool = _pool(fake_mta, size=1)
    assert (pool.send("a@example.org", ["x@lg.jp"], MESSAGE))["x@lg.jp"].status == "delivered"
    fake_mta.down()  # the peer restarts: the pooled connection is gone
    fake_mta.up()
    replies = pool.send("a@example.org", ["x@lg.jp"], MESSAGE)
    pool.close()
    assert replies["x@lg.jp"].status == "delivered"
    assert len(fake_mta.messages) == 2


def test_slow_peer_past_the_timeout_is_a_retry(fake_mta: FakeMta) -> None:
    fake_mta.faults.delay = 1.5
    pool = _pool(fake_mta, timeout=0.5)
    replies = pool.send("a@example.org", ["x@lg.jp"], MESSAGE)
    pool.close()
    assert replies["x@lg.jp"].status == "deferred"


def test_null_sender_is_sent_as_empty_path(fake_mta: FakeMta) -> None:
    pool = _pool(fake_mta)
    replies = pool.send("", ["x@lg.jp"], MESSAGE)
    pool.close()
    assert replies["x@lg.jp"].status == "delivered"
    assert fake_mta.messages[0].mail_from == "<>"  # aiosmtpd records the null path as sent


def test_starttls_required_but_not_offered_is_a_retry(fake_mta: FakeMta) -> None:
    pool = _pool(fake_mta, starttls="required")
    replies = pool.send("a@example.org", ["x@lg.jp"], MESSAGE)
    pool.close()
    assert replies["x@lg.jp"].status == "deferred"
    assert fake_mta.messages == []


def test_auth_when_a_username_is_set() -> None:
    with FakeMta(login=("gw", "secret")) as mta:
        refused = _pool(mta)  # no credentials: 530 5.7.0 to MAIL, our fault: retried
        reply = (refused.send("a@x.org", ["x@lg.jp"], MESSAGE))["x@lg.jp"]
        assert reply.status == "deferred" and reply.code == 454
        assert "530 5.7.0" in reply.text  # the relay's own words kept for the operator
        refused.close()
        bad = _pool(mta, timeout=1.0, login=("gw", "wrong"))
        assert (bad.send("a@x.org", ["x@lg.jp"], MESSAGE))["x@lg.jp"].status == "deferred"
        bad.close()
        good = _pool(mta, login=("gw", "secret"))
        assert (good.send("a@x.org", ["x@lg.jp"], MESSAGE))["x@lg.jp"].status == "delivered"
        good.close()
        assert len(mta.messages) == 1


def test_non_ascii_addresses_use_smtputf8_when_offered() -> None:
    with FakeMta(smtputf8=True) as mta:
        pool = _pool(mta)
        replies = pool.send("山田@例え.jp", ["田中@lg.jp", "x@lg.jp"], MESSAGE)
        ascii_only = pool.send("a@example.org", ["x@lg.jp"], MESSAGE)
        pool.close()
    assert {r.status for r in replies.values()} == {"delivered"}
    assert ascii_only["x@lg.jp"].status == "delivered"
    first, second = mta.messages
    assert first.mail_from == "山田@例え.jp" and first.rcpt_tos == ["田中@lg.jp", "x@lg.jp"]
    assert first.smtputf8 and not second.smtputf8  # only asked for when an address needs it


def test_non_ascii_addresses_fail_for_good_without_smtputf8(fake_mta: FakeMta) -> None:
    pool = _pool(fake_mta)
    from_utf8 = pool.send("山田@例え.jp", ["x@lg.jp"], MESSAGE)
    to_utf8 = pool.send("a@example.org", ["田中@lg.jp", "x@lg.jp"], MESSAGE)
    pool.close()
    assert from_utf8["x@lg.jp"].code == 553 and "5.6.7" in from_utf8["x@lg.jp"].text
    assert to_utf8["田中@lg.jp"].code == 553 and "5.6.7" in to_utf8["田中@lg.jp"].text
    assert to_utf8["x@lg.jp"].status == "delivered"  # the ASCII recipient still gets it
    assert [m.rcpt_tos for m in fake_mta.messages] == [["x@lg.jp"]]


def test_an_address_unfit_for_the_command_line_fails_alone(fake_mta: FakeMta) -> None:
    pool = _pool(fake_mta)
    replies = pool.send("a@example.org", ["x y@lg.jp", "y@lg.jp"], MESSAGE)
    pool.close()
    assert replies["x y@lg.jp"].code == 553
    assert replies["y@lg.jp"].status == "delivered"
    assert [m.rcpt_tos for m in fake_mta.messages] == [["y@lg.jp"]]
