"""The request link put into a finished sanitized mail, per recipient."""

from __future__ import annotations

import pytest

from gateway.config import Settings
from gateway.pipeline import quarantine_whole, sanitize
from gateway.pipeline.build import output_text
from gateway.pipeline.links import REQUEST_LINK_MARK, with_link
from tests.e2e.mails import html_with_attachment, plain
from tests.shape import shape_problems

URL = "https://mutaika.city.example.lg.jp/r/eyJ0b2tlbiI6MX0.abc-DEF_123"


@pytest.mark.parametrize("charset", ["utf-8", "iso-2022-jp"])
@pytest.mark.parametrize("raw", [html_with_attachment("LINK"), plain("ascii only")],
                         ids=["japanese-base64", "ascii"])  # fmt: skip
def test_the_link_replaces_the_mark_and_the_mail_keeps_its_shape(raw: bytes, charset: str) -> None:
    settings = Settings(sanitize={"output_charset": charset}).sanitize
    result = sanitize(raw, settings, quarantine_id="Q1", request_link=True)
    assert REQUEST_LINK_MARK in output_text(result.message)
    linked = with_link(result.message, URL)
    text = output_text(linked)
    assert URL in text and REQUEST_LINK_MARK not in text
    # the one live URL is ours: the shape holds for everything else
    assert [p for p in shape_problems(linked) if "live URL" not in p] == []
    head = result.message.split(b"\r\n\r\n", 1)[0]
    assert linked.startswith(head.split(b"Content-Transfer-Encoding")[0])  # headers kept


def test_no_mark_no_change_and_only_our_mark_is_filled() -> None:
    settings = Settings().sanitize
    plain_result = sanitize(plain("no link wanted"), settings, quarantine_id="Q1")
    assert with_link(plain_result.message, URL) == plain_result.message
    sneaky = plain(f"click {REQUEST_LINK_MARK} now")  # a sender who types the mark
    result = sanitize(sneaky, settings, quarantine_id="Q1", request_link=True)
    text = output_text(with_link(result.message, URL))
    assert text.count(URL) == 1 and text.rfind(URL) > text.find("隔離ID")


def test_a_notice_only_mail_carries_the_link_too() -> None:
    result = quarantine_whole(plain("x"), Settings().sanitize, reason="time-limit",
                              quarantine_id="Q9", request_link=True)  # fmt: skip
    assert URL in output_text(with_link(result.message, URL))
