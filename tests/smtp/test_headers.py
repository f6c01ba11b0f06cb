from __future__ import annotations

from gateway.smtp.headers import message_id_of, protocol_name, received_header, safe_token


def test_received_header_is_safe_ascii_and_folded() -> None:
    header = received_header(
        helo="evil\rInjected: yes (x)", client_ip="192.0.2.1", hostname="mx.lg.jp",
        protocol="ESMTPS", queue_id="ABC", recipients=["a@lg.jp"], when=0.0,
    )
    text = header.decode("ascii")
    assert text.startswith("Received: from evil?Injected:?yes??x? ([192.0.2.1])\r\n")
    assert "\tby mx.lg.jp (mutaika) with ESMTPS id ABC\r\n\tfor <a@lg.jp>;\r\n\t" in text
    assert text.endswith("\r\n") and text.count("\r\n") == 4
    assert all(line.startswith("\t") for line in text.split("\r\n")[1:-1])


def test_received_header_hides_multiple_or_odd_recipients() -> None:
    several = received_header(helo="h", client_ip="::1", hostname="mx", protocol="SMTP",
                              queue_id="Q", recipients=["a@lg.jp", "b@lg.jp"], when=0.0)
    assert b"for <" not in several and b"id Q;\r\n" in several
    utf8 = received_header(helo="h", client_ip="::1", hostname="mx", protocol="UTF8SMTP",
                           queue_id="Q", recipients=["受付@lg.jp"], when=0.0)
    assert b"for <" not in utf8
    utf8.decode("ascii")


def test_safe_token() -> None:
    assert safe_token("") == "unknown"
    assert safe_token("x" * 1000) == "x" * 255
    assert safe_token("ok.example") == "ok.example"


def test_protocol_names() -> None:
    assert protocol_name(extended=False, tls=True, smtputf8=False) == "SMTP"
    assert protocol_name(extended=True, tls=False, smtputf8=False) == "ESMTP"
    assert protocol_name(extended=True, tls=True, smtputf8=True) == "UTF8SMTPS"


def test_message_id_lookup() -> None:
    assert message_id_of(b"Message-ID: <a@b>\r\n\r\n") == "<a@b>"
    assert message_id_of(b"Subject: s\r\nMESSAGE-id:\r\n  <folded@b>\r\nX: y\r\n\r\n") == (
        "<folded@b>")
    assert message_id_of(b"Subject: s\r\n\r\nMessage-ID: <in-body@b>\r\n") == ""
    assert message_id_of(b"X-Message-ID: <no@b>\r\n\r\n") == ""
    assert message_id_of(b"") == ""
    huge = b"X: " + b"a" * 200_000 + b"\r\nMessage-ID: <late@b>\r\n\r\n"
    assert message_id_of(huge) == ""  # beyond the bounded scan
    assert len(message_id_of(b"Message-ID: " + b"x" * 5000 + b"\r\n\r\n")) == 998
