"""MAIL FROM / RCPT TO paths: what is refused, with which reply, and that what passes is clean."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.smtp import status
from gateway.smtp.address import (
    MAX_LOCAL_OCTETS,
    MAX_PATH_OCTETS,
    AddressRefused,
    Path,
    is_routed,
    parse_path,
)


def surrogates(raw: bytes) -> str:
    """What aiosmtpd hands over for the bytes of a command argument."""
    return raw.decode("utf-8", "surrogateescape")


def refusal(arg: str, *, sender: bool, smtputf8: bool | None = False) -> tuple[str, str]:
    with pytest.raises(AddressRefused) as caught:
        parse_path(arg, sender=sender, smtputf8=smtputf8)
    return caught.value.reply, caught.value.why


@pytest.mark.parametrize(("arg", "why"), [
    (surrogates(b"<\xff\xfe@lg.example.jp>"), "bad-utf8"),
    (surrogates(b"<a@lg.example.jp\xc3>"), "bad-utf8"),  # a truncated sequence
    (surrogates(b"<\xed\xa0\x80@x.jp>"), "bad-utf8"),  # an encoded surrogate is not UTF-8
    ("<a\x00b@x.jp>", "control"),
    ("<a@x.jp>\x00", "control"),
    ("<a\x1b[31m@x.jp>", "control"),
    ("<a\x7f@x.jp>", "control"),
    ("<a\u0085@x.jp>", "control"),  # C1 (NEL) as UTF-8
    ('<"a\tb"@x.jp>', "control"),
    ("<a@x.jp", "brackets"),
    ("<<a@x.jp>>", "brackets"),
    ("<a@x.jp>>", "brackets"),
    ("<a<b@x.jp>", "brackets"),
    ("a@x.jp>", "brackets"),
    ("<a@x.jp>SIZE=10", "brackets"),  # parameters need a space
    ('<"a@x.jp>', "brackets"),  # the quote never closes
    ("<a@x.jp\\>", "syntax"),
    ("<" + "a" * (MAX_LOCAL_OCTETS + 1) + "@x.jp>", "too-long"),
    ("<" + "a" * 60 + "@" + ("b" * 60 + ".") * 4 + "jp>", "too-long"),
    ("<a@" + "b" * 64 + ".jp>", "syntax"),  # a DNS label over 63
    ("<a@@x.jp>", "syntax"),
    ("<a..b@x.jp>", "syntax"),
    ("<@x.jp>", "syntax"),
    ("<a@>", "syntax"),
    ("<a b@x.jp>", "syntax"),
    ("<a@[evil]>", "syntax"),
    ("<a@x_y.jp>", "syntax"),
    ("<@hop.example,@:a@x.jp>", "syntax"),
    ("<@hop.example a@x.jp>", "syntax"),
    ('<""@x.jp>', "syntax"),
    ("<Display Name a@x.jp>", "syntax"),
])
@pytest.mark.parametrize("sender", [True, False])
def test_malformed_paths_get_the_syntax_reply_of_their_command(
    arg: str, why: str, sender: bool
) -> None:
    reply = status.BAD_SENDER_SYNTAX if sender else status.BAD_RECIPIENT_SYNTAX
    assert refusal(arg, sender=sender) == (reply, why)
    assert refusal(arg, sender=sender, smtputf8=True) == (reply, why)


def test_utf8_needs_smtputf8_and_then_passes() -> None:
    for arg in ("<山田@例え.jp>", "<a@例え.jp>", "<ü@x.jp>"):
        assert refusal(arg, sender=True) == (status.SENDER_NEEDS_SMTPUTF8, "needs-smtputf8")
        assert refusal(arg, sender=False) == (status.SENDER_NEEDS_SMTPUTF8, "needs-smtputf8")
        assert parse_path(arg, sender=False, smtputf8=True).mailbox == arg[1:-1]
    assert parse_path("<山田@例え.jp> SMTPUTF8 BODY=8BITMIME", sender=True, smtputf8=None) == Path(
        "山田@例え.jp", "", "SMTPUTF8 BODY=8BITMIME")
    # Invisible and direction-changing characters stay out even with SMTPUTF8.
    assert refusal("<a\u202e@x.jp>", sender=True, smtputf8=True)[1] == "syntax"
    assert refusal("<a\u200b@x.jp>", sender=True, smtputf8=True)[1] == "syntax"


def test_the_null_path_is_a_sender_only() -> None:
    assert parse_path("<>", sender=True, smtputf8=False) == Path("", "", "")
    assert parse_path("<> SIZE=10", sender=True, smtputf8=None) == Path("", "", "SIZE=10")
    assert refusal("<>", sender=False) == (status.BAD_RECIPIENT_SYNTAX, "null-recipient")


@pytest.mark.parametrize(("arg", "mailbox"), [
    ("<a@x.jp>", "a@x.jp"),
    (" <a@x.jp>", "a@x.jp"),  # "MAIL FROM: <a@x.jp>", as many clients write it
    ("a@x.jp", "a@x.jp"),  # no brackets, as Postfix takes it
    ('<"a>b"@x.jp>', '"a>b"@x.jp'),  # a ">" inside quotes does not end the path
    ('<"a b\\"c"@x.jp>', '"a b\\"c"@x.jp'),
    ('<"<script>"@x.jp>', '"<script>"@x.jp'),  # legal, stored as is, escaped where shown
    ("<a@[192.0.2.1]>", "a@[192.0.2.1]"),
    ("<a@[IPv6:2001:db8::1]>", "a@[IPv6:2001:db8::1]"),
    ("<user+tag=x@sub.example.co.jp>", "user+tag=x@sub.example.co.jp"),
    ("<a@localhost>", "a@localhost"),
    ("<" + "a" * MAX_LOCAL_OCTETS + "@x.jp>", "a" * MAX_LOCAL_OCTETS + "@x.jp"),
])
def test_well_formed_paths_pass_unchanged(arg: str, mailbox: str) -> None:
    assert parse_path(arg, sender=False, smtputf8=False).mailbox == mailbox


def test_postmaster_without_a_domain_is_a_recipient() -> None:
    assert parse_path("<Postmaster>", sender=False, smtputf8=False).mailbox == "Postmaster"
    assert refusal("<Postmaster>", sender=True)[1] == "syntax"


@pytest.mark.parametrize(("arg", "routed"), [
    ("<victim%evil.example@lg.example.jp>", True),
    ("<evil.example!victim@lg.example.jp>", True),
    ('<"victim@evil.example"@lg.example.jp>', True),
    ('<"victim\\%evil"@lg.example.jp>', True),
    ("<@a.example,@b.example:user@lg.example.jp>", True),
    ("<@a.example:user@lg.example.jp>", True),
    ("<user@lg.example.jp>", False),
    ("<user.name+tag@lg.example.jp>", False),
])
def test_sender_specified_routing_is_recognised(arg: str, routed: bool) -> None:
    assert is_routed(parse_path(arg, sender=False, smtputf8=False)) is routed


def test_a_source_route_is_dropped_from_a_sender() -> None:
    path = parse_path("<@a.example,@b.example:user@x.jp>", sender=True, smtputf8=False)
    assert (path.mailbox, path.route) == ("user@x.jp", "@a.example,@b.example")


_ANY_TEXT = st.text(
    alphabet=st.sampled_from(
        [*"ab.@<>\"\\%! :,[]-_", "\x00", "\udcff", "\u202e", "日", "\x85", "\t"]
    ),
    max_size=40,
)


@settings(max_examples=600, deadline=None)
@given(arg=_ANY_TEXT, sender=st.booleans(), smtputf8=st.booleans())
def test_whatever_is_accepted_is_storable_and_bounded(
    arg: str, sender: bool, smtputf8: bool
) -> None:
    try:
        path = parse_path(arg, sender=sender, smtputf8=smtputf8)
    except AddressRefused as exc:
        assert exc.reply[:3] in ("501", "553")
        return
    stored = path.mailbox.encode("utf-8")  # raises on a surrogate: the crash of issue 6
    assert len(stored) + 2 <= MAX_PATH_OCTETS
    assert not any(c < " " or "\x7f" <= c <= "\x9f" for c in path.mailbox)
    assert smtputf8 or path.mailbox.isascii()
    assert sender or path.mailbox


def test_lengths_count_octets_not_characters() -> None:
    local = "日" * 22  # 22 characters, 66 octets
    assert refusal(f"<{local}@x.jp>", sender=True, smtputf8=True)[1] == "too-long"
    assert parse_path(f"<{'日' * 21}@x.jp>", sender=True, smtputf8=True).mailbox
