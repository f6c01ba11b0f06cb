from email import message_from_bytes
from email.policy import SMTPUTF8, default

from gateway.delivery.dsn import build_dsn
from gateway.delivery.reply import Reply


def test_dsn_is_a_multipart_report_naming_each_failed_recipient() -> None:
    raw = build_dsn(
        queue_id="Q1",
        sender="alice@example.org",
        failed={"x@lg.jp": Reply(550, "5.1.1 no such user"), "y@lg.jp": Reply(554, "no")},
        message=b"Subject: hello\r\nFrom: alice@example.org\r\n\r\nsecret body\r\n",
        reporting_mta="gw.example",
        dsn_from="MAILER-DAEMON@gw.example",
        remote_mta="smtp://lgwan:25",
    )
    msg = message_from_bytes(raw, policy=default)
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == "delivery-status"
    assert msg["To"] == "alice@example.org"
    types = [p.get_content_type() for p in msg.iter_parts()]
    assert types == ["text/plain", "message/delivery-status", "text/rfc822-headers"]
    text = raw.decode()
    assert "Final-Recipient: rfc822; x@lg.jp" in text
    assert "Status: 5.1.1" in text
    assert "Status: 5.0.0" in text
    assert "Subject: hello" in text
    assert "secret body" not in text  # headers only, never the body


def test_non_ascii_addresses_make_an_internationalized_dsn() -> None:
    raw = build_dsn(
        queue_id="Q2",
        sender="山田@例え.jp",
        failed={"田中@lg.jp": Reply(550, "5.1.1 no such user"), "x@lg.jp": Reply(554, "no")},
        message=b"Subject: hello\r\nFrom: a@example.org\r\n\r\nbody\r\n",
        reporting_mta="gw.example",
        dsn_from="MAILER-DAEMON@gw.example",
        remote_mta="smtp://lgwan:25",
    )
    msg = message_from_bytes(raw, policy=SMTPUTF8)
    assert msg["To"] == "山田@例え.jp"  # raw UTF-8 (RFC 6532), not an encoded word
    assert msg.get_param("report-type") == "global-delivery-status"
    status = raw.decode("utf-8")
    assert "Content-Type: message/global-delivery-status" in status
    assert "Final-Recipient: utf-8; 田中@lg.jp" in status  # RFC 6533 address type
    assert "Final-Recipient: rfc822; x@lg.jp" in status
    assert "Status: 5.1.1" in status


def test_undecodable_reply_text_does_not_break_the_dsn() -> None:
    raw = build_dsn(
        queue_id="Q3",
        sender="alice@example.org",
        failed={"x@lg.jp": Reply(550, "5.1.1 \udce6\udc97 bad\r\n bytes")},  # as smtplib keeps
        message=b"Subject: hello\r\n\r\n",
        reporting_mta="gw.example",
        dsn_from="MAILER-DAEMON@gw.example",
        remote_mta="smtp://lgwan:25",
    )
    assert raw.isascii()
    assert "Diagnostic-Code: smtp; 550 5.1.1 ?? bad bytes" in raw.decode()
