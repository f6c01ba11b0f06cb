from __future__ import annotations

import pytest

from gateway.smtp.policy import ClientPolicy, recipient_is_local, sender_allowed

LOCAL = ["city.example.lg.jp", "example.org"]


@pytest.mark.parametrize(
    ("address", "local"),
    [
        ("a@city.example.lg.jp", True),
        ("a@CITY.EXAMPLE.LG.JP.", True),
        ("a@soumu.city.example.lg.jp", True),
        ("a@xcity.example.lg.jp", False),
        ("a@lg.jp", False),
        ("a@city.example.lg.jp.evil.com", False),
        ("a@example.org", True),
        ("postmaster", True),
        ("POSTMASTER", True),
        ("root", False),
        ("@city.example.lg.jp", False),
        ("a@[192.0.2.1]", False),
        ('"a@city.example.lg.jp"@evil.com', False),
    ],
)
def test_recipient_domains_match_themselves_and_subdomains(address: str, local: bool) -> None:
    assert recipient_is_local(address, LOCAL) is local


def test_internationalized_domains_compare_as_a_labels() -> None:
    assert recipient_is_local("受付@市役所.例え.jp", ["xn--r8jz45g.jp"])


def test_sender_lists() -> None:
    assert sender_allowed("a@any.example", [], [])
    assert not sender_allowed("a@mail.spam.example", [], ["spam.example"])
    assert sender_allowed("a@partner.jp", ["partner.jp"], [])
    assert not sender_allowed("a@other.jp", ["partner.jp"], [])
    assert not sender_allowed("a@bad.partner.jp", ["partner.jp"], ["bad.partner.jp"])
    assert sender_allowed("<>", ["partner.jp"], ["partner.jp"])  # bounces are always taken
    assert not sender_allowed("nodomain", ["partner.jp"], [])


def test_client_networks() -> None:
    everyone = ClientPolicy.from_cidrs([], [])
    assert everyone.allows("203.0.113.9") and everyone.allows("not-an-ip")
    policy = ClientPolicy.from_cidrs(["192.0.2.0/24", "2001:db8::/32"], ["192.0.2.66/32"])
    assert policy.allows("192.0.2.1")
    assert not policy.allows("192.0.2.66")
    assert policy.allows("::ffff:192.0.2.1")  # IPv4-mapped IPv6 peer
    assert policy.allows("2001:db8::1%eth0")
    assert not policy.allows("198.51.100.1")
    assert not policy.allows("/run/unix.sock")
    deny_only = ClientPolicy.from_cidrs([], ["10.0.0.0/8"])
    assert not deny_only.allows("10.1.2.3") and deny_only.allows("::1")
